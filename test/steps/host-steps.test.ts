// Write Etcd Config and Start Etcd as steps: the real renderers and host scripts on a simulated host (LocalHostRunner
// with a stand-in systemctl, no etcd), and what the step hands to the script and reads back from it.
import { after, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeHostSteps, restartNeededOf } from '../../lambdas/steps/host-steps';
import { LocalHostRunner, localScriptsPaths } from '../../lambdas/adapters/local/local-host-runner';
import { parseClusterSpec, type ClusterSpecInput } from '../../lambdas/core/spec';
import { etcdSettingsDigest } from '../../lambdas/core/render/settings-digest';
import { HostScriptFailedError } from '../../lambdas/core/errors';
import type { HostCommand, HostRunner, Logger } from '../../lambdas/ports';
import { FakeCommand, removeDir, tempDir } from '../host-scripts/helpers';

const quiet: Logger = { info: () => undefined, warn: () => undefined };
const members = [
  { name: 'infra0', address: '127.0.0.74' },
  { name: 'infra1', address: '127.0.0.75' },
  { name: 'infra2', address: '127.0.0.76' },
];
const pki = {
  ca: 'etcd-ha/steps/ca',
  healthcheckClient: 'etcd-ha/steps/healthcheck-client',
  apiserverEtcdClient: 'etcd-ha/steps/apiserver-etcd-client',
  members: { infra0: 'etcd-ha/steps/member/infra0' },
};

describe('Write Etcd Config and Start Etcd (systemd runtime, stand-in systemctl)', () => {
  const work = tempDir('host-steps');
  const root = join(work, 'hosts', 'infra0');
  const systemctl = new FakeCommand(work, 'systemctl');
  const runner = new LocalHostRunner({ serviceCtl: systemctl.path, secretFetch: localScriptsPaths().readSecret, secretDir: join(work, 'secrets') });
  const steps = makeHostSteps({ runner, log: quiet, hostCommandTimeoutSeconds: 30 });
  after(() => removeDir(work));

  const spec = (over: Partial<ClusterSpecInput> = {}) => parseClusterSpec({ clusterName: 'steps', runtime: 'systemd', members, ...over });
  const input = (over: Record<string, unknown> = {}) => ({
    spec: spec(),
    hosts: members.map((m) => ({ ...m, ...(m.name === 'infra0' && { root }) })),
    host: { ...members[0]!, root },
    pki,
    clusterState: 'new',
    ...over,
  });
  const dataDir = join(root, 'var/lib/etcd');

  beforeEach(() => {
    removeDir(root);
    mkdirSync(root, { recursive: true });
    systemctl.reset();
    systemctl.setActive(true);
  });

  it('bootstrap: restartNeeded, the digest of the settings installed; Start Etcd restarts, then nothing is pending', async () => {
    const written = await steps.writeEtcdConfig(input());
    assert.equal(written.restartNeeded, true);
    assert.equal(written.host, 'infra0');
    assert.equal(written.report.at(-1), 'restart-needed=true');
    const digest = readFileSync(join(root, 'etc/etcd-ha/etcd-settings.sha256'), 'utf8').trim();
    assert.equal(digest, etcdSettingsDigest({ spec: spec(), member: members[0]!, clusterState: 'new', initialCluster: input().hosts, root }));
    await steps.startEtcd(input());
    assert.deepEqual(systemctl.calls(), ['daemon-reload', 'enable etcd', 'restart etcd']);
    assert.equal((await steps.writeEtcdConfig(input())).restartNeeded, false);
  });

  it('a running member re-rendered as existing, with a token and the current membership: no restart pending, nothing restarted', async () => {
    await steps.writeEtcdConfig(input());
    await steps.startEtcd(input());
    mkdirSync(join(dataDir, 'member/snap'), { recursive: true });
    writeFileSync(join(dataDir, 'member/snap/db'), 'member data');
    systemctl.reset();

    const rerender = input({ clusterState: 'existing', clusterToken: 'steps-4f1c2a', runningMember: true });
    const written = await steps.writeEtcdConfig(rerender);
    assert.equal(written.restartNeeded, false);
    const env = readFileSync(join(root, 'etc/etcd/etcd.conf'), 'utf8');
    assert.match(env, /^ETCD_INITIAL_CLUSTER_STATE=existing$/m);
    assert.match(env, /^ETCD_INITIAL_CLUSTER_TOKEN=steps-4f1c2a$/m);
    assert.equal(readFileSync(join(dataDir, 'member/snap/db'), 'utf8'), 'member data', 'a running member is never moved aside');
    const started = await steps.startEtcd(rerender);
    assert.match(started.report.join('\n'), /nothing restarted/);
    assert.deepEqual(systemctl.calls(), ['is-active --quiet etcd']);
  });

  it('the same re-render without runningMember is refused by the join-safety check', async () => {
    await steps.writeEtcdConfig(input());
    mkdirSync(join(dataDir, 'member'), { recursive: true });
    writeFileSync(join(dataDir, 'member/x'), 'member data');
    await assert.rejects(steps.writeEtcdConfig(input({ clusterState: 'existing', clusterToken: 't' })), (error: unknown) => {
      assert.ok(error instanceof HostScriptFailedError);
      assert.match(error.message, /refusing to join an existing cluster/);
      return true;
    });
  });

  it('an extra flag or another binary: restart pending, and Start Etcd restarts', async () => {
    await steps.writeEtcdConfig(input());
    await steps.startEtcd(input());
    for (const etcd of [{ extraArgs: { 'snapshot-count': '5000' } }, { binaryPath: '/opt/etcd-v3.5.16/etcd' }]) {
      const changed = input({ spec: spec({ etcd }) });
      assert.equal((await steps.writeEtcdConfig(changed)).restartNeeded, true, JSON.stringify(etcd));
      systemctl.reset();
      await steps.startEtcd(changed);
      assert.deepEqual(systemctl.calls(), ['daemon-reload', 'enable etcd', 'restart etcd']);
    }
    assert.deepEqual(readdirSync(join(root, 'var/lib')), ['etcd']);
  });
});

describe('Write Etcd Config: what goes to the host and what comes back', () => {
  /** A runner that records the command and answers with the given stdout. */
  const answering = (stdout: string) => {
    const commands: HostCommand[] = [];
    const runner: HostRunner = {
      run: async (hosts, command) => {
        commands.push(command);
        return hosts.map((h) => ({ host: h.name, exitCode: 0, stdoutTail: stdout, stderrTail: '' }));
      },
    };
    return { commands, steps: makeHostSteps({ runner, log: quiet, hostCommandTimeoutSeconds: 30 }) };
  };
  const input = (over: Record<string, unknown> = {}) => ({
    spec: parseClusterSpec({ clusterName: 'steps', runtime: 'kubeadm', members }),
    hosts: members,
    host: members[0]!,
    pki,
    clusterState: 'existing',
    ...over,
  });

  it('passes the settings digest, RUNNING_MEMBER and the token (in the kubeadm config) to the script', async () => {
    const { commands, steps } = answering('changed /etc/etcd-ha/kubeadmcfg.yaml\nrestart-needed=false\n');
    const result = await steps.writeEtcdConfig(input({ runningMember: true, clusterToken: 'steps-4f1c2a' }));
    assert.equal(result.restartNeeded, false);
    const text = commands[0]!.text;
    const request = { spec: input().spec, member: members[0]!, clusterState: 'existing' as const, initialCluster: members };
    assert.match(text, new RegExp(`^export SETTINGS_SHA256='${etcdSettingsDigest(request)}'$`, 'm'));
    assert.match(text, /^export RUNNING_MEMBER='true'$/m);
    const config = Buffer.from(/^export KUBEADM_CONFIG_B64='([^']*)'$/m.exec(text)![1]!, 'base64').toString('utf8');
    assert.match(config, /name: initial-cluster-token\n\s+value: steps-4f1c2a/);
  });

  it('no token (null or absent): no --initial-cluster-token; runningMember defaults to false', async () => {
    for (const over of [{}, { clusterToken: null }]) {
      const { commands, steps } = answering('restart-needed=true\n');
      assert.equal((await steps.writeEtcdConfig(input(over))).restartNeeded, true);
      const text = commands[0]!.text;
      assert.doesNotMatch(Buffer.from(/^export KUBEADM_CONFIG_B64='([^']*)'$/m.exec(text)![1]!, 'base64').toString('utf8'), /initial-cluster-token/);
      assert.match(text, /^export RUNNING_MEMBER='false'$/m);
    }
  });

  it('fails clearly when the script does not end with the restart-needed line', async () => {
    const { steps } = answering('kubeadm config written\n');
    await assert.rejects(steps.writeEtcdConfig(input()), (error: unknown) => {
      assert.ok(error instanceof HostScriptFailedError);
      assert.match(error.message, /Write Etcd Config on infra0: the script did not end with a restart-needed=true\|false line/);
      assert.match(error.message, /kubeadm config written/);
      return true;
    });
    assert.throws(() => restartNeededOf('Write Etcd Config', { host: 'h', report: ['restart-needed=maybe'] }), HostScriptFailedError);
  });
});
