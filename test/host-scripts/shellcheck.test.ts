// Every host script, the supervisor, and every assembled command text must be shellcheck-clean.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHostCommand, hostCommandInputs, HOST_SCRIPT_INPUTS, HOST_SCRIPTS, type HostScriptName } from '../../lambdas/host-scripts';
import { HOST_SCRIPTS_DIR, LOCAL_KUBELET, READ_SECRET, SERVICE_CTL, WRITE_SECRET } from './helpers';

function shellcheck(args: string[], input?: string): { status: number | null; output: string } {
  const result = spawnSync('shellcheck', ['-x', '-s', 'bash', ...args], { encoding: 'utf8', input });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function requiredOf(scripts: readonly HostScriptName[]): Record<string, string> {
  return Object.fromEntries(hostCommandInputs(scripts).required.map((name) => [name, 'eA==']));
}

describe('shellcheck', () => {
  const files = [
    ...readdirSync(HOST_SCRIPTS_DIR)
      .filter((f) => f.endsWith('.sh'))
      .map((f) => join(HOST_SCRIPTS_DIR, f)),
    SERVICE_CTL,
    READ_SECRET,
    WRITE_SECRET,
    LOCAL_KUBELET,
  ];

  test('finds lib.sh, every host script and the local stand-ins (service-ctl, read-secret, write-secret, local-kubelet)', () => {
    const names = files.map((f) => f.split('/').pop());
    const standIns = ['service-ctl.sh', 'read-secret.sh', 'write-secret.sh', 'local-kubelet.sh'];
    assert.deepEqual(names.sort(), ['lib.sh', ...HOST_SCRIPTS.map((s) => `${s}.sh`), ...standIns].sort());
  });

  for (const file of files) {
    test(`${file.split('/').slice(-2).join('/')} is clean`, () => {
      const { status, output } = shellcheck([file]);
      assert.equal(status, 0, output);
    });
  }

  for (const script of HOST_SCRIPTS) {
    test(`the assembled command of ${script} is clean`, () => {
      const env = Object.fromEntries(HOST_SCRIPT_INPUTS[script].required.map((name) => [name, 'eA==']));
      const { status, output } = shellcheck(['-'], buildHostCommand(script, env));
      assert.equal(status, 0, output);
    });
  }

  for (const chain of [
    ['fetch-member-pki', 'install-pki'],
    ['write-etcd-config-systemd', 'start-etcd-systemd'],
    ['write-etcd-config-kubeadm', 'start-etcd-kubeadm'],
  ] as const) {
    test(`the assembled command of ${chain.join(' + ')} is clean`, () => {
      const { status, output } = shellcheck(['-'], buildHostCommand(chain, requiredOf(chain)));
      assert.equal(status, 0, output);
    });
  }
});
