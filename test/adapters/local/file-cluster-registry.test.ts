// FileClusterRegistry: one JSON file per cluster, replaced atomically.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FileClusterRegistry } from '../../../lambdas/adapters/local/file-cluster-registry';
import { SpecValidationError } from '../../../lambdas/core/errors';
import type { ClusterRecord } from '../../../lambdas/ports';

const record = (updatedAt: string): ClusterRecord => ({
  clusterName: 'demo',
  runtime: 'systemd',
  members: [{ name: 'infra0', id: '123', address: '127.0.0.11' }],
  secrets: { ca: 'etcd-ha/demo/ca' },
  updatedAt,
  spec: { clusterName: 'demo' },
});

describe('FileClusterRegistry', () => {
  const work = mkdtempSync(join(tmpdir(), 'etcd-ha-registry-'));
  const dir = join(work, 'registry');
  const registry = new FileClusterRegistry({ dir });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('get of an unknown cluster is undefined', async () => {
    assert.equal(await registry.get('demo'), undefined);
  });

  test('put then get round-trips; a second put replaces the record and leaves no temp file', async () => {
    await registry.put(record('2025-01-01T00:00:00.000Z'));
    assert.deepEqual(await registry.get('demo'), record('2025-01-01T00:00:00.000Z'));
    await registry.put(record('2025-01-02T00:00:00.000Z'));
    assert.equal((await registry.get('demo'))?.updatedAt, '2025-01-02T00:00:00.000Z');
    assert.deepEqual(readdirSync(dir), ['demo.json']);
    assert.equal((statSync(join(dir, 'demo.json')).mode & 0o777).toString(8), '600');
  });

  test('finds a cluster by the instance of a member, or of a removed member awaiting its replacement', async () => {
    const away = new FileClusterRegistry({ dir: join(work, 'by-instance') });
    await away.put({
      ...record('2025-01-03T00:00:00.000Z'),
      members: [{ name: 'infra0', id: '123', address: '127.0.0.11', instanceId: 'i-0a00000000000000a' }],
      removed: [{ name: 'infra1', id: '456', address: '127.0.0.12', instanceId: 'i-0b00000000000000b', removedAt: '2025-01-03T00:00:00.000Z', removedBy: 'replace-a' }],
    });
    assert.equal((await away.findByInstanceId('i-0a00000000000000a'))?.clusterName, 'demo');
    assert.equal((await away.findByInstanceId('i-0b00000000000000b'))?.clusterName, 'demo');
    assert.equal(await away.findByInstanceId('i-0c00000000000000c'), undefined);
  });

  test('refuses a cluster name that is not a DNS-1123 label', async () => {
    await assert.rejects(() => registry.get('../x'), SpecValidationError);
    await assert.rejects(() => registry.put({ ...record('x'), clusterName: 'a/b' }), SpecValidationError);
  });

  test('a corrupt or mismatched record is an error naming the file', async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'broken.json'), '{not json');
    await assert.rejects(() => registry.get('broken'), /broken\.json is not valid JSON/);
    writeFileSync(join(dir, 'other.json'), JSON.stringify(record('x')));
    await assert.rejects(() => registry.get('other'), /is for cluster "demo", not "other"/);
  });
});
