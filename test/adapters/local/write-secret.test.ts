// adapters/local/write-secret.sh, the local stand-in for the put an adopted host makes into its one-time upload slot:
// only with a grant naming that host's root, only inside the store, atomically, 0600, never printing the value.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { localScriptsPaths } from '../../../lambdas/adapters/local/local-host-runner';

describe('write-secret.sh', () => {
  const work = mkdtempSync(join(tmpdir(), 'etcd-ha-write-secret-'));
  const dir = join(work, 'secrets');
  const host = join(work, 'hosts/cp-1');
  const other = join(work, 'hosts/cp-2');
  const value = join(work, 'value');
  const id = 'etcd-ha/demo/adopt/cp-1';
  mkdirSync(host, { recursive: true });
  mkdirSync(other, { recursive: true });
  mkdirSync(join(dir, 'etcd-ha/demo/adopt'), { recursive: true, mode: 0o700 });
  writeFileSync(value, 'the uploaded value\n');
  after(() => rmSync(work, { recursive: true, force: true }));

  const put = (args: string[], root = host, env: Record<string, string> = { ETCD_HA_SECRET_DIR: dir }) => {
    const out = spawnSync(localScriptsPaths().writeSecret, args, { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ETCD_HA_ROOT: root, ...env } });
    return { status: out.status, stdout: out.stdout, stderr: out.stderr };
  };
  const grant = (to: string | undefined) => {
    rmSync(join(dir, id), { force: true });
    if (to === undefined) rmSync(join(dir, `${id}.upload-grant`), { force: true });
    else writeFileSync(join(dir, `${id}.upload-grant`), `${to}\n`);
  };

  test('with a grant naming this host root: stores the value 0600, prints nothing, leaves no temp file', () => {
    grant(realpathSync(host));
    const out = put([id, value]);
    assert.equal(out.status, 0, out.stderr);
    assert.equal(`${out.stdout}${out.stderr}`, '');
    assert.equal(readFileSync(join(dir, id), 'utf8'), 'the uploaded value\n');
    assert.equal(statSync(join(dir, id)).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(join(dir, 'etcd-ha/demo/adopt')).sort(), ['cp-1', 'cp-1.upload-grant']);
  });

  test("without a grant, with another host's grant, or an empty one: refuses and stores nothing", () => {
    for (const to of [undefined, realpathSync(other), '']) {
      grant(to);
      const out = put([id, value]);
      assert.equal(out.status, 1, `grant ${to}`);
      assert.match(out.stderr, /no upload grant for this host/);
      assert.doesNotMatch(out.stderr, /the uploaded value/);
      assert.equal(existsSync(join(dir, id)), false);
    }
  });

  test('refuses ids with "..", a leading "/", odd characters, or resolving outside the store', () => {
    symlinkSync(work, join(dir, 'etcd-ha/demo/escape'));
    for (const [bad, message] of [
      ['../outside', /must not contain '\.\.'/],
      [join(dir, id), /must be a relative name/],
      ['etcd-ha/demo/$(id)', /may hold only/],
      ['etcd-ha/demo/escape/x', /resolves outside/],
    ] as const) {
      writeFileSync(join(work, `${bad.split('/').pop()}.upload-grant`), realpathSync(host));
      const out = put([bad, value]);
      assert.equal(out.status, 1, bad);
      assert.match(out.stderr, message, bad);
    }
    assert.equal(existsSync(join(work, 'x')), false);
  });

  test('missing variables and a wrong argument count fail clearly', () => {
    assert.match(put([id, value], host, {}).stderr, /ETCD_HA_SECRET_DIR is required/);
    assert.match(put([id, value], '').stderr, /ETCD_HA_ROOT is required/);
    assert.equal(put([id]).status, 2);
  });
});
