// boot-status.sh: "boot: none" without cloud-init (or when it did not run on this boot), else the status
// `cloud-init status` prints, whatever its exit code; a stand-in cloud-init plays each answer.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { removeDir, runHostScript, tempDir } from './helpers';

describe('boot-status.sh', () => {
  const work = tempDir('boot-status');
  const root = join(work, 'root');
  const bin = join(work, 'bin');
  mkdirSync(bin);
  mkdirSync(root);
  after(() => removeDir(work));

  /** A cloud-init that prints `text` and exits with `code`, as `cloud-init status` does. */
  const cloudInit = (text: string, code = 0) => {
    writeFileSync(join(bin, 'cloud-init'), `#!/usr/bin/env bash\n[[ "$1" == status ]] || exit 9\nprintf '%s\\n' '${text}'\nexit ${code}\n`);
    chmodSync(join(bin, 'cloud-init'), 0o755);
  };
  const run = () => runHostScript('boot-status', { ETCD_HA_ROOT: root }, `${bin}:${process.env.PATH}`);

  test('cloud-init ran on this boot: its status, also when it exits non-zero', () => {
    mkdirSync(join(root, 'run/cloud-init'), { recursive: true });
    const cases: Array<[string, number, string]> = [
      ['status: running', 0, 'boot: running'],
      ['status: done', 0, 'boot: done'],
      ['\nstatus: done\nextended_status: degraded done\nboot_status_code: enabled-by-generator', 2, 'boot: done'],
      ['status: error', 1, 'boot: error'],
      ['status: disabled', 0, 'boot: disabled'],
      ['something else entirely', 0, 'boot: unknown'],
    ];
    for (const [text, code, expected] of cases) {
      cloudInit(text, code);
      const out = run();
      assert.equal(out.status, 0, out.stderr);
      assert.equal(out.stdout.trim().split('\n').at(-1), expected, text);
    }
  });

  test('"boot: none" when cloud-init did not run on this boot, or is not installed', () => {
    removeDir(join(root, 'run/cloud-init'));
    cloudInit('status: running');
    assert.equal(run().stdout.trim(), 'boot: none');
    removeDir(join(bin, 'cloud-init'));
    mkdirSync(join(root, 'run/cloud-init'), { recursive: true });
    const out = runHostScript('boot-status', { ETCD_HA_ROOT: root }, `${bin}:/usr/bin:/bin`);
    assert.equal(out.status, 0, out.stderr);
    assert.equal(out.stdout.trim(), 'boot: none');
  });
});
