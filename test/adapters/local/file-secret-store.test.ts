// FileSecretStore: names, 0700 dirs / 0600 files, writes only on change, atomic replacement; a file not in our own
// shape (another owner, readable by others, a symlink, in a dir others may write) neither written nor reused.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FileSecretStore } from '../../../lambdas/adapters/local/file-secret-store';
import { ForeignSecretError, SpecValidationError } from '../../../lambdas/core/errors';
import { errorOf } from '../../support/rejection';

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe('FileSecretStore', () => {
  const work = mkdtempSync(join(tmpdir(), 'etcd-ha-secrets-'));
  const dir = join(work, 'store');
  const store = new FileSecretStore({ dir });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('nameFor gives etcd-ha/<cluster>/<item>; items may have "/" segments', () => {
    assert.equal(store.nameFor('demo', 'ca'), 'etcd-ha/demo/ca');
    assert.equal(store.nameFor('demo', 'member/infra0'), 'etcd-ha/demo/member/infra0');
  });

  test('refuses names that could leave the store dir', async () => {
    for (const [cluster, item] of [
      ['..', 'ca'],
      ['demo', '../../etc/passwd'],
      ['demo', '/abs'],
      ['demo', 'a//b'],
      ['demo', 'a b'],
      ['', 'ca'],
    ]) {
      assert.throws(() => store.nameFor(cluster!, item!), SpecValidationError, `${cluster} ${item}`);
    }
    await assert.rejects(() => store.get('../outside'), SpecValidationError);
  });

  test('get of a missing secret is undefined', async () => {
    assert.equal(await store.get('etcd-ha/demo/nothing'), undefined);
  });

  test('put creates 0700 dirs and a 0600 file, id = the file path; changed only when the value differs', async () => {
    const name = store.nameFor('demo', 'member/infra0');
    const first = await store.put(name, 'value one\n', { description: 'test', tags: { a: 'b' } });
    const path = join(dir, 'etcd-ha/demo/member/infra0');
    assert.deepEqual(first, { name, id: path, changed: true });
    assert.equal(readFileSync(path, 'utf8'), 'value one\n');
    assert.equal(mode(path), '600');
    for (const d of [dir, join(dir, 'etcd-ha'), join(dir, 'etcd-ha/demo'), join(dir, 'etcd-ha/demo/member')]) assert.equal(mode(d), '700', d);
    assert.equal(await store.get(name), 'value one\n');

    const mtime = statSync(path).mtimeMs;
    const same = await store.put(name, 'value one\n', { description: 'test' });
    assert.equal(same.changed, false);
    assert.equal(statSync(path).mtimeMs, mtime, 'an equal value is not rewritten');

    const other = await store.put(name, 'value two\n', { description: 'test' });
    assert.equal(other.changed, true);
    assert.equal(await store.get(name), 'value two\n');
    assert.equal(mode(path), '600');
    assert.deepEqual(readdirSync(join(dir, 'etcd-ha/demo/member')), ['infra0'], 'no temp file is left behind');
  });

  describe('a file not in our own shape is refused by get and put, and left as it is', () => {
    const PLANTED = '{"certPem":"attacker CA","keyPem":"attacker key"}';

    /** A secret file put in place by someone else, then shaped by `shape`. */
    const plant = (cluster: string, shape: (path: string) => void): string => {
      const name = store.nameFor(cluster, 'ca');
      const path = join(dir, name);
      mkdirSync(join(dir, 'etcd-ha', cluster), { recursive: true, mode: 0o700 });
      writeFileSync(path, PLANTED, { mode: 0o600 });
      shape(path);
      return name;
    };

    const assertRefused = async (name: string, problem: RegExp) => {
      const path = join(dir, name);
      const before = statSync(path);
      for (const attempt of [store.get(name), store.put(name, '{"certPem":"real CA","keyPem":"real key"}', { description: 'test' })]) {
        const error = await errorOf(attempt);
        assert.ok(error instanceof ForeignSecretError, `${error.name}: ${error.message}`);
        assert.ok(error.message.includes(name), error.message);
        assert.match(error.message, problem);
        assert.ok(!/attacker key|real key/.test(error.message), 'no value in the message');
      }
      assert.equal(readFileSync(path, 'utf8'), PLANTED, 'nothing written');
      assert.equal(statSync(path).mode, before.mode, 'the mode is left as it was');
    };

    test('readable by others (0644): refused, not chmodded back to 0600', async () => {
      const name = plant('mode', (path) => chmodSync(path, 0o644));
      await assertRefused(name, /has mode 0644: group or others may read or change it \(expected 0600\)/);
    });

    test('a symlink to a file elsewhere: refused', async () => {
      const elsewhere = join(work, 'elsewhere.json');
      writeFileSync(elsewhere, PLANTED, { mode: 0o600 });
      const name = plant('symlink', (path) => {
        rmSync(path);
        symlinkSync(elsewhere, path);
      });
      await assertRefused(name, /is not a plain file/);
    });

    test('in a directory others may write to: refused', async () => {
      const name = plant('open-dir', (path) => chmodSync(join(path, '..'), 0o777));
      await assertRefused(name, /directory .*open-dir has mode 0777: group or others may add or swap files in it/);
    });

    test('owned by another user: refused', { skip: process.getuid?.() !== 0 && 'needs root to chown' }, async () => {
      const name = plant('owner', (path) => chownSync(path, 12345, 12345));
      await assertRefused(name, /is owned by uid 12345, not by this user/);
    });

    test('a 0400 file of ours is fine (no bits for others)', async () => {
      const name = plant('read-only', (path) => chmodSync(path, 0o400));
      assert.equal(await store.get(name), PLANTED);
    });
  });

  test('concurrent puts of different secrets of one cluster all land', async () => {
    const names = Array.from({ length: 8 }, (_, i) => store.nameFor('busy', `member/m${i}`));
    const refs = await Promise.all(names.map((name, i) => store.put(name, `v${i}`, { description: 'test' })));
    assert.ok(refs.every((r) => r.changed));
    for (const [i, name] of names.entries()) assert.equal(await store.get(name), `v${i}`);
  });

  test('dir must be absolute', () => {
    assert.throws(() => new FileSecretStore({ dir: 'relative' }), /absolute/);
  });
});
