// Prepare / Reset Joining Host (makeResetJoiningHost) with a recording host runner: which script it runs with
// which inputs (never key material), on the joining host only, and how a failure names the state and the host.
// What the script does on the host: test/host-scripts/reset-joining-host.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HostScriptFailedError, HostUnreachableError, SpecValidationError } from '../../lambdas/core/errors';
import type { Host, HostCommand, HostRunner, HostRunResult, Logger } from '../../lambdas/ports';
import { makeResetJoiningHost } from '../../lambdas/steps/replace/reset-joining-host';

const quiet: Logger = { info: () => undefined, warn: () => undefined };
const HOST: Host = { name: 'infra3', address: '10.0.0.13', instanceId: 'i-0cccccccccccccccc' };
const specOf = (runtime: string, dataDir?: string) => ({
  clusterName: 'demo',
  runtime,
  members: [0, 1, 2].map((i) => ({ name: `infra${i}`, address: `10.0.0.${10 + i}` })),
  ...(dataDir !== undefined && { etcd: { dataDir } }),
});

/** A runner that answers `result` for every host it is given, and records what it was asked to run where. */
function recordingRunner(result: Partial<HostRunResult> = {}) {
  const calls: Array<{ hosts: readonly Host[]; command: HostCommand }> = [];
  const runner: HostRunner = {
    run: async (hosts, command) => {
      calls.push({ hosts, command });
      return hosts.map((host) => ({ host: host.name, exitCode: 0, stdoutTail: '', stderrTail: '', ...result }));
    },
  };
  return { runner, calls };
}

const stepWith = (runner: HostRunner) => makeResetJoiningHost({ runner, log: quiet, hostCommandTimeoutSeconds: 600 });
/** The `export NAME='value'` lines of a host command, as name → value. */
const exportsOf = (text: string) =>
  Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line.startsWith('export '))
      .map((line) => /^export ([A-Z_]+)='(.*)'$/.exec(line)!.slice(1, 3) as [string, string]),
  );

describe('Prepare / Reset Joining Host (makeResetJoiningHost)', () => {
  for (const [mode, title, runtime, dataDir, wipeDataDir] of [
    ['prepare', 'Prepare Joining Host', 'systemd', undefined, false],
    ['prepare', 'Prepare Joining Host', 'kubeadm', '/data/etcd', true],
    ['reset', 'Reset Joining Host', 'kubeadm', undefined, false],
  ] as const) {
    it(`${title} on ${runtime}${wipeDataDir ? ', wipeDataDir' : ''}: runs reset-joining-host.sh on the joining host only, with MODE/RUNTIME/DATA_DIR/WIPE_DATA_DIR and no key material`, async () => {
      const { runner, calls } = recordingRunner({ stdoutTail: 'etcd is not running\ndata dir /var/lib/etcd is empty\n' });
      const out = await stepWith(runner)({ spec: specOf(runtime, dataDir), host: HOST, mode, wipeDataDir });
      assert.deepEqual(out, { host: 'infra3', report: ['etcd is not running', 'data dir /var/lib/etcd is empty'] });
      assert.equal(calls.length, 1);
      const [{ hosts, command }] = calls as [(typeof calls)[number]];
      assert.deepEqual(hosts, [HOST]);
      assert.equal(command.title, title);
      assert.equal(command.timeoutSeconds, 600);
      assert.deepEqual(exportsOf(command.text), { DATA_DIR: dataDir ?? '/var/lib/etcd', MODE: mode, RUNTIME: runtime, WIPE_DATA_DIR: String(wipeDataDir) });
      assert.match(command.text, /refusing to join: data dir/, 'the body of reset-joining-host.sh');
      assert.doesNotMatch(command.text, /PRIVATE KEY|_B64=|_PEM=/);
    });
  }

  it('wipeDataDir is false unless given (Reset Joining Host passes none)', async () => {
    const { runner, calls } = recordingRunner();
    await stepWith(runner)({ spec: specOf('systemd'), host: HOST, mode: 'reset' });
    assert.equal(exportsOf(calls[0]!.command.text).WIPE_DATA_DIR, 'false');
  });

  for (const [mode, title] of [
    ['prepare', 'Prepare Joining Host'],
    ['reset', 'Reset Joining Host'],
  ] as const) {
    it(`a failing script fails ${title} naming the state, the host and the script's stderr`, async () => {
      const stderr = 'error: refusing to join: data dir /var/lib/etcd is not empty (it may belong to a removed member); set wipeDataDir in the request to move it aside\n';
      const { runner } = recordingRunner({ exitCode: 1, stderrTail: stderr });
      const error = await stepWith(runner)({ spec: specOf('systemd'), host: HOST, mode }).then(
        () => assert.fail('expected a failure'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof HostScriptFailedError, `expected HostScriptFailedError, got ${String(error)}`);
      assert.match(error.message, new RegExp(`^${title} failed on infra3 \\(i-0cccccccccccccccc, 10\\.0\\.0\\.13\\): exit code 1`));
      assert.match(error.message, /set wipeDataDir in the request/);
    });
  }

  it('an unreachable host goes through as HostUnreachableError (Prepare Joining Host retries it)', async () => {
    const runner: HostRunner = { run: async () => Promise.reject(new HostUnreachableError('infra3: SSM agent not connected')) };
    await assert.rejects(stepWith(runner)({ spec: specOf('systemd'), host: HOST, mode: 'prepare' }), HostUnreachableError);
  });

  it('refuses a mode it does not know, naming the field, and runs nothing', async () => {
    const { runner, calls } = recordingRunner();
    await assert.rejects(stepWith(runner)({ spec: specOf('systemd'), host: HOST, mode: 'wipe' }), (e: unknown) => {
      assert.ok(e instanceof SpecValidationError);
      assert.ok(e.problems.some((p) => p.startsWith('mode:')), e.problems.join('; '));
      return true;
    });
    assert.deepEqual(calls, []);
  });
});
