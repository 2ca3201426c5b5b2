// Drill e: a stop is not a death, a dead etcd on a running host is healed by the probe, and a pause stops both —
// against real etcd, through the local runner, with an injected clock for the probe and the stop grace period
// "passing" at Look Again (locally Wait states last 50 ms). One cluster on 127.0.0.81+, each replacement onto the
// next address (81-87). Every check is on etcd's own member list and the record, not on mocks.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalMachinePower, REPLACED_BY_FILE } from '../../lambdas/adapters/local/local-machine-power';
import { FileProbeStateStore } from '../../lambdas/adapters/local/file-probe-state-store';
import { localScriptsPaths } from '../../lambdas/adapters/local/local-host-runner';
import { localEtcdBinary } from '../../lambdas/local-runner/etcd-binaries';
import { LocalReplacementStarter } from '../../lambdas/local-runner/local-replacement-starter';
import { setMaintenanceLocally } from '../../lambdas/local-runner/local-maintenance';
import type { WorkflowResult } from '../../lambdas/local-runner/run-workflow';
import { makeHealthProbe, type ClusterProbeReport } from '../../lambdas/steps/probe/health-probe';
import type { StepHandler } from '../../lambdas/steps/deps';
import { LocalWorkflowSandbox, threeMembers } from '../support/local-workflow';
import { etcdctl, killMember, memberList, readRecord } from '../support/local-cluster-oracle';
import { etcdUnderTest } from '../support/etcd-under-test';

const ETCD = etcdUnderTest();
const CLUSTER = 'drill-e';
const GRACE_SECONDS = 600;
const T0 = Date.parse('2026-01-05T09:00:00.000Z');

describe(`healing drills: stop grace period, health probe, maintenance flag (real etcd, local runner) on ${ETCD.label}`, () => {
  const s = new LocalWorkflowSandbox('127.0.0.81');
  after(() => s.cleanUp());
  let nextAddress = 84;
  let now = T0;
  const clock = { now: () => new Date(now) };
  const etcdBinary = localEtcdBinary();
  const machines = new LocalMachinePower({ serviceCtl: localScriptsPaths().serviceCtl, ...(etcdBinary !== undefined && { etcdBinary }) });
  const hostOf = (name: string) => ({ name, root: join(s.home.hostsDir, name) });
  const replaced: WorkflowResult[] = [];
  const starter = new LocalReplacementStarter(async (request, executionName) => {
    const { result } = await s.replace({ ...request, replacement: { address: `127.0.0.${nextAddress++}` } }, { executionName });
    replaced.push(result);
    return result;
  });
  const probe = () => makeHealthProbe({ ...s.deps(), clock, probeStates: new FileProbeStateStore({ dir: s.home.probesDir }), machines, starter, graceSeconds: GRACE_SECONDS });
  const probeAt = async (secondsAfterT0: number): Promise<ClusterProbeReport> => {
    now = T0 + secondsAfterT0 * 1000;
    const { clusters } = await probe()();
    return clusters.find((c) => c.clusterName === CLUSTER)!;
  };
  /** The EC2 rule's execution for a stopped instance; `duringGrace` runs while Wait Grace Period "passes". */
  const stopPath = (member: string, duringGrace: () => Promise<void> = async () => undefined) =>
    s.replace(
      { clusterName: CLUSTER, failedMember: member, trigger: 'ec2-state-change', instanceState: 'stopped', replacement: { address: `127.0.0.${nextAddress}` } },
      {
        wrapSteps: (steps: Record<string, StepHandler>) => ({
          ...steps,
          lookAgain: async (input) => {
            await duringGrace();
            return steps.lookAgain!(input);
          },
        }),
      },
    );
  const endpointOf = async (name: string) => `https://${(await readRecord(s, CLUSTER)).members.find((m) => m.name === name)!.address}:2379`;
  /** etcd's member list, from the first recorded member that answers (a stopped or killed one does not). */
  const listedNames = async () => {
    for (const m of (await readRecord(s, CLUSTER)).members) {
      const endpoint = `https://${m.address}:2379`;
      if (etcdctl(s, CLUSTER, endpoint, ['endpoint', 'health']).status === 0) return memberList(s, CLUSTER, endpoint).map((l) => l.name).sort();
    }
    return assert.fail('no recorded member answers');
  };
  const recordedNames = async () => (await readRecord(s, CLUSTER)).members.map((m) => m.name).sort();
  const pause = async (reason: string) => {
    const result = await setMaintenanceLocally(s.deps(), { clusterName: CLUSTER, action: 'pause', reason, by: 'drill' });
    assert.equal(result.status, 'SUCCEEDED', result.cause);
  };
  const resume = async () => {
    const result = await setMaintenanceLocally(s.deps(), { clusterName: CLUSTER, action: 'resume', by: 'drill' });
    assert.equal(result.status, 'SUCCEEDED', result.cause);
  };
  const waitUntilAnswers = async (name: string) => {
    const deadline = Date.now() + 20_000;
    while (etcdctl(s, CLUSTER, await endpointOf(name), ['endpoint', 'health']).status !== 0) {
      assert.ok(Date.now() < deadline, `${name} answers again`);
      await sleep(200);
    }
  };

  before(async () => {
    const { result } = await s.provision(threeMembers(CLUSTER));
    assert.equal(result.status, 'SUCCEEDED', result.cause);
  });

  it('the probe does not replace a member whose etcd died (host running) before the grace period, and does after it', async () => {
    await killMember(s, 'infra2');
    const first = await probeAt(0);
    assert.deepEqual(first.down, { infra2: new Date(T0).toISOString() });
    assert.deepEqual(first.started, []);
    const within = await probeAt(GRACE_SECONDS - 60);
    assert.deepEqual(within.started, [], 'nine minutes of silence are not enough');
    assert.deepEqual(await listedNames(), ['infra0', 'infra1', 'infra2']);

    const afterGrace = await probeAt(GRACE_SECONDS + 60);
    assert.deepEqual(afterGrace.started.map((r) => r.member), ['infra2']);
    assert.equal(afterGrace.started[0]!.execution, 'probe-drill-e-infra2-20260105T090000Z');
    assert.equal(replaced.at(-1)!.status, 'SUCCEEDED', replaced.at(-1)!.cause);
    assert.deepEqual(await listedNames(), ['infra0', 'infra1', 'infra3']);
    assert.deepEqual(await recordedNames(), ['infra0', 'infra1', 'infra3']);
    // The old host is retired: its etcd stays stopped and it is marked replaced by the probe's execution.
    assert.equal(await machines.stateOf(hostOf('infra2')), 'stopped');
    assert.equal(readFileSync(join(s.home.hostsDir, 'infra2', REPLACED_BY_FILE), 'utf8').trim(), 'probe-drill-e-infra2-20260105T090000Z');
    // A later probe starts nothing for the member that is gone.
    assert.deepEqual((await probeAt(GRACE_SECONDS * 2)).started, []);
  });

  it('a stopped instance that comes back within the grace period is not replaced', async () => {
    await machines.stop(hostOf('infra0'));
    const { result } = await stopPath('infra0', () => machines.start(hostOf('infra0')));
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.match(String((result.output as { reason?: string }).reason), /instance infra0 of infra0 is running again after the 600 s grace period: not replaced/);
    await waitUntilAnswers('infra0');
    assert.deepEqual(await listedNames(), ['infra0', 'infra1', 'infra3']);
    assert.deepEqual(await recordedNames(), ['infra0', 'infra1', 'infra3']);
  });

  it('a stopped instance still stopped after the grace period is replaced, and stays retired', async () => {
    await machines.stop(hostOf('infra1'));
    const { result } = await stopPath('infra1');
    nextAddress += 1;
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.deepEqual(await listedNames(), ['infra0', 'infra3', 'infra4']);
    assert.deepEqual(await recordedNames(), ['infra0', 'infra3', 'infra4']);
    assert.ok(existsSync(join(s.home.hostsDir, 'infra1', REPLACED_BY_FILE)));
    await assert.rejects(machines.start(hostOf('infra1')), /was retired .*it does not come back/);
  });

  it('with the maintenance flag set neither the stop path nor the probe replaces anything; after resume both do', async () => {
    await pause('drill e: kernel upgrades until noon');
    const record = await readRecord(s, CLUSTER);
    assert.equal(record.maintenance?.paused, true);
    assert.equal(record.maintenance?.by, 'drill');

    // The stop path, paused: ends quietly with the pause as its reason.
    await machines.stop(hostOf('infra0'));
    const paused = await stopPath('infra0');
    assert.equal(paused.result.status, 'SUCCEEDED', paused.result.cause);
    assert.match(String((paused.result.output as { reason?: string }).reason), /^healing paused by drill since .*: drill e: kernel upgrades until noon$/);
    // The probe, paused: infra0 silent past the grace period, held.
    const base = 10_000;
    await probeAt(base);
    const held = await probeAt(base + GRACE_SECONDS + 60);
    assert.deepEqual(held.started, []);
    assert.match(held.held.find((h) => h.member === 'infra0')!.reason, /^healing paused by drill/);
    assert.deepEqual(await listedNames(), ['infra0', 'infra3', 'infra4']);

    // Resumed: the stop path replaces the still-stopped infra0.
    await resume();
    const resumedStop = await stopPath('infra0');
    nextAddress += 1;
    assert.equal(resumedStop.result.status, 'SUCCEEDED', resumedStop.result.cause);
    assert.deepEqual(await listedNames(), ['infra3', 'infra4', 'infra5']);

    // Paused again, infra3's etcd dies: the probe holds it past the grace period; resumed, it replaces it.
    await pause('drill e: second window');
    await killMember(s, 'infra3');
    const base2 = 20_000;
    await probeAt(base2);
    assert.deepEqual((await probeAt(base2 + GRACE_SECONDS + 60)).started, []);
    assert.deepEqual(await listedNames(), ['infra3', 'infra4', 'infra5']);
    await resume();
    const resumedProbe = await probeAt(base2 + GRACE_SECONDS + 120);
    assert.deepEqual(resumedProbe.started.map((r) => r.member), ['infra3']);
    assert.equal(replaced.at(-1)!.status, 'SUCCEEDED', replaced.at(-1)!.cause);
    assert.deepEqual(await listedNames(), ['infra4', 'infra5', 'infra6']);
    assert.deepEqual(await recordedNames(), ['infra4', 'infra5', 'infra6']);

    // Every pause and resume is in the record's history.
    const history = (await readRecord(s, CLUSTER)).maintenance!.history;
    assert.deepEqual(history.map((e) => e.action), ['pause', 'resume', 'pause', 'resume']);
  });
});
