// adapters/local/read-secret.sh, the local stand-in for the aws CLI call a host makes for its member secret.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { localScriptsPaths } from '../../../lambdas/adapters/local/local-host-runner';

describe('read-secret.sh', () => {
  const work = mkdtempSync(join(tmpdir(), 'etcd-ha-read-secret-'));
  const dir = join(work, 'secrets');
  mkdirSync(join(dir, 'etcd-ha/demo/member'), { recursive: true });
  writeFileSync(join(dir, 'etcd-ha/demo/member/infra0'), 'the value\nwithout a final newline');
  writeFileSync(join(work, 'outside'), 'not a secret of the store');
  symlinkSync(join(work, 'outside'), join(dir, 'etcd-ha/demo/link'));
  after(() => rmSync(work, { recursive: true, force: true }));

  const read = (args: string[], env: Record<string, string> = { ETCD_HA_SECRET_DIR: dir }) => {
    const out = spawnSync(localScriptsPaths().readSecret, args, { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
    return { status: out.status, stdout: out.stdout, stderr: out.stderr };
  };

  test('prints the secret value exactly', () => {
    const out = read(['etcd-ha/demo/member/infra0']);
    assert.equal(out.status, 0, out.stderr);
    assert.equal(out.stdout, 'the value\nwithout a final newline');
  });

  test('refuses ids with "..", a leading "/", odd characters, or resolving outside the dir', () => {
    for (const [id, message] of [
      ['../outside', /must not contain '\.\.'/],
      ['etcd-ha/../../outside', /must not contain '\.\.'/],
      [join(dir, 'etcd-ha/demo/member/infra0'), /must be a relative name/],
      ['etcd-ha/demo/$(id)', /may hold only/],
      ['etcd-ha/demo/link', /resolves outside/],
    ] as const) {
      const out = read([id]);
      assert.equal(out.status, 1, id);
      assert.match(out.stderr, message, id);
      assert.equal(out.stdout, '');
    }
  });

  test('a missing secret, a missing dir variable and a wrong argument count fail clearly', () => {
    assert.match(read(['etcd-ha/demo/member/nobody']).stderr, /secret etcd-ha\/demo\/member\/nobody not found/);
    assert.match(read(['x'], {}).stderr, /ETCD_HA_SECRET_DIR is required/);
    assert.equal(read([]).status, 2);
    assert.equal(read(['a', 'b']).status, 2);
  });
});
