// `etcd-ha local heal` does locally what the EventBridge rule does on AWS: a member dies, and
// ReplaceMember runs without a human. Through the real CLI, against real etcd.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI, LocalCliSandbox } from '../support/local-cli';
import { isRunning, waitUntilGone } from '../support/processes';
import { etcdUnderTest } from '../support/etcd-under-test';

const ETCD = etcdUnderTest();

describe(`etcd-ha local heal on ${ETCD.label}`, () => {
  const sandbox = new LocalCliSandbox('127.0.0.221');
  const five = new LocalCliSandbox('127.0.0.171');
  let healer: ReturnType<typeof spawn> | undefined;
  /** Every healer a test started: each is stopped by PID after the suite, also when a test failed before its Ctrl-C. */
  const healers: Array<ReturnType<typeof spawn>> = [];
  const startHealer = (env: NodeJS.ProcessEnv) => {
    const started = spawn(process.execPath, [CLI, 'local', 'heal'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    healers.push(started);
    return started;
  };
  after(async () => {
    for (const started of healers) {
      if (started.pid === undefined || !isRunning(started.pid)) continue;
      started.kill('SIGKILL');
      await waitUntilGone(started.pid);
    }
    await sandbox.cleanUp();
    await five.cleanUp();
  });

  it('replaces a member that dies, then stops on Ctrl-C', async () => {
    const up = sandbox.run(['local', 'up']);
    assert.equal(up.status, 0, up.stderr);
    healer = startHealer(sandbox.env);
    let out = '';
    healer.stdout!.on('data', (chunk) => (out += chunk));
    healer.stderr!.on('data', (chunk) => (out += chunk));
    await sleep(1500);

    const kill = sandbox.run(['local', 'kill', '--member', 'infra2']);
    assert.equal(kill.status, 0, kill.stderr);
    const deadline = Date.now() + 90_000;
    while (!/is healthy again/.test(out) && Date.now() < deadline) await sleep(250);
    assert.match(out, /infra2 has not answered for 2 checks: starting ReplaceMember/);
    assert.match(out, /✓ Promote Learner/);
    assert.match(out, /is healthy again: 3 members/);

    const exited = new Promise<number | null>((resolve) => healer!.once('exit', (code) => resolve(code)));
    healer.kill('SIGINT');
    assert.equal(await exited, 0, out);
    assert.match(out, /stopped watching/);

    const status = JSON.parse(sandbox.run(['local', 'status', '--json']).stdout) as { healthy: boolean; members: Array<{ name: string }> };
    assert.equal(status.healthy, true);
    assert.deepEqual(status.members.map((m) => m.name).sort(), ['infra0', 'infra1', 'infra3']);
    assert.doesNotMatch(out, /PRIVATE KEY/);
  });

  it('local up with no --spec then reconciles the healed cluster: its recorded members, nothing restarted', () => {
    const pids = sandbox.pids();
    const again = sandbox.run(['local', 'up']);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /reconciling the recorded local cluster "local"/);
    assert.match(again.stdout, /✓ Choose Next Member/);
    assert.doesNotMatch(again.stdout, /Resolve Hosts/, 'the hosts come from the record');
    assert.deepEqual(sandbox.pids(), pids, 'no member restarted');
    // The guide's default member list no longer matches: refused, naming the difference, nothing started.
    const defaults = sandbox.run(['local', 'up', '--members', '3']);
    assert.equal(defaults.status, 2, defaults.stderr);
    assert.match(defaults.stderr, /the spec lists infra2, which is no member; infra3 is a member, the spec does not list it/);
    assert.deepEqual(sandbox.pids(), pids);
  });

  it('heals two members of five that die at once: the first run removes both, the second adds the other replacement', async () => {
    const up = five.run(['local', 'up', '--members', '5']);
    assert.equal(up.status, 0, up.stderr);
    healer = startHealer(five.env);
    let out = '';
    healer.stdout!.on('data', (chunk) => (out += chunk));
    healer.stderr!.on('data', (chunk) => (out += chunk));
    await sleep(1500);

    for (const member of ['infra3', 'infra4']) assert.equal(five.run(['local', 'kill', '--member', member]).status, 0);
    const deadline = Date.now() + 150_000;
    const healed = () => (out.match(/is healthy again/g) ?? []).length >= 2;
    while (!healed() && Date.now() < deadline) await sleep(250);
    assert.ok(healed(), out);
    assert.match(out, /infra3 has not answered for 2 checks: starting ReplaceMember/);
    assert.match(out, /infra4 was removed while dead and awaits its replacement: starting ReplaceMember/);

    const exited = new Promise<number | null>((resolve) => healer!.once('exit', (code) => resolve(code)));
    healer.kill('SIGINT');
    assert.equal(await exited, 0, out);
    const status = JSON.parse(five.run(['local', 'status', '--json']).stdout) as { healthy: boolean; members: Array<{ name: string }> };
    assert.equal(status.healthy, true);
    assert.deepEqual(status.members.map((m) => m.name).sort(), ['infra0', 'infra1', 'infra2', 'infra5', 'infra6']);
  });
});
