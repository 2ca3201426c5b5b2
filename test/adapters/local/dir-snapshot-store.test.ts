// DirSnapshotStore, the local stand-in for the snapshot bucket: a snapshot that streamed to its end is a 0600
// file under <dir>/<cluster>/<name>.db; one whose stream fails, even at its very end (as a snapshot whose
// SHA-256 trailer does not match fails it), leaves no file behind, not even a partial one.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirSnapshotStore } from '../../../lambdas/adapters/local/dir-snapshot-store';

async function* chunksOf(buffers: readonly Buffer[], failAtEnd = false): AsyncGenerator<Uint8Array> {
  for (const buffer of buffers) yield buffer;
  if (failAtEnd) throw new Error('the trailer does not match');
}

describe('DirSnapshotStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-ha-snapshots-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const store = new DirSnapshotStore({ dir });
  const chunks = [Buffer.from('backend '), Buffer.alloc(70_000, 7), Buffer.from('trailer')];

  it('saves a stream that ended as <cluster>/<name>.db, 0600, and reports its size', async () => {
    const saved = await store.save('demo', 'good', chunksOf(chunks));
    assert.deepEqual(saved, { location: join(dir, 'demo', 'good.db'), bytes: Buffer.concat(chunks).length });
    assert.ok(readFileSync(saved.location).equals(Buffer.concat(chunks)));
    assert.equal(statSync(saved.location).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(join(dir, 'demo')), ['good.db'], 'no partial file left');
  });

  it('keeps nothing of a stream that fails at its very end: the stream\'s error, no file', async () => {
    await assert.rejects(store.save('broken', 'bad', chunksOf(chunks, true)), /the trailer does not match/);
    assert.deepEqual(readdirSync(join(dir, 'broken')), [], 'neither the snapshot nor a partial file');
  });
});
