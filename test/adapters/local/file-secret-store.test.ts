// FileSecretStore: names, 0700 dirs / 0600 files, writes only on change, atomic replacement.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FileSecretStore } from '../../../lambdas/adapters/local/file-secret-store';
import { SpecValidationError } from '../../../lambdas/core/errors';

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

  test('an equal value on a file with a wrong mode puts back 0600 without counting as a change', async () => {
    const name = store.nameFor('demo', 'ca');
    await store.put(name, '{"x":1}', { description: 'test' });
    chmodSync(join(dir, name), 0o644);
    const again = await store.put(name, '{"x":1}', { description: 'test' });
    assert.equal(again.changed, false);
    assert.equal(mode(join(dir, name)), '600');
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
