// ProvisionCluster's steps under the lock, without etcd (stand-ins: test/steps/etcd-stand-in.ts): Read Cluster
// bootstraps an unrecorded cluster, reconciles a recorded one with the recorded membership (never resolving
// hosts again) or refuses with the difference; Choose Next Member takes followers first and the leader last;
// Check Restart Is Safe refuses a restart that would leave too few voters. The drills on real etcd:
// test/e2e/provision-reconcile.etcd.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ProvisionRefusedError, QuorumLostError, RestartWouldLoseQuorumError } from '../../lambdas/core/errors';
import type { ClusterRecord, ClusterRegistry, Host, HostDirectory, Logger, RecordedHost } from '../../lambdas/ports';
import { makePlanProvision } from '../../lambdas/steps/plan-provision';
import { makeRollingSteps } from '../../lambdas/steps/rolling-steps';
import { errorOf } from '../support/rejection';
import { demoPkiRefs, etcdAnswering, listedMember, secretsWithHealthcheckClient, viewOf } from './etcd-stand-in';

const quiet: Logger = { info: () => undefined, warn: () => undefined };
const NAMES = ['infra0', 'infra1', 'infra2'];
const addressOf = (name: string) => `10.0.0.${10 + Number(name.slice(5))}`;
const endpointOf = (name: string) => `https://${addressOf(name)}:2379`;
const specOf = (names: readonly string[], extra: Record<string, unknown> = {}) => ({ clusterName: 'demo', runtime: 'systemd', members: names.map((name) => ({ name })), ...extra });
const RECORD: ClusterRecord = {
  clusterName: 'demo',
  runtime: 'systemd',
  members: NAMES.map((name, i) => ({ name, id: `a${i}`, address: addressOf(name) })),
  secrets: {},
  initialClusterToken: 'demo-0123456789abcdef',
  updatedAt: '2026-12-05T00:00:00.000Z',
  spec: { ...specOf(NAMES), members: NAMES.map((name) => ({ name, address: addressOf(name) })) },
};
const registryWith = (record: ClusterRecord | undefined): ClusterRegistry => ({
  get: async () => record,
  findByInstanceId: async () => undefined,
  list: async () => (record ? [record] : []),
  put: async () => assert.fail('Read Cluster writes no record'),
});
/** A directory that knows only the record: resolving again would be a mistake here. */
const directory: HostDirectory = {
  resolve: async () => assert.fail('a recorded cluster is never resolved again'),
  recorded: (_cluster: string, members: readonly RecordedHost[]): Host[] => members.map((m) => ({ name: m.name, address: m.address, root: `/hosts/${m.name}` })),
};
const listedAll = NAMES.map((name, i) => listedMember(name, addressOf(name), String(100 + i)));

function planStep(record: ClusterRecord | undefined, silent: readonly string[] = [], members = listedAll) {
  const { etcd, calls } = etcdAnswering((endpoints) => viewOf(endpoints, members, silent), 'Read Cluster');
  return { plan: makePlanProvision({ registry: registryWith(record), secrets: secretsWithHealthcheckClient('Read Cluster'), etcd, directory, log: quiet }), calls };
}
const stateOf = (spec: unknown) => ({ state: { spec, lock: { owner: 'provision-1' } } });

describe('Read Cluster (ProvisionCluster)', () => {
  it('bootstraps a cluster that is not recorded, without asking etcd', async () => {
    const { plan, calls } = planStep(undefined);
    const state = (await plan(stateOf(specOf(NAMES)))) as Record<string, unknown>;
    assert.equal(state.mode, 'bootstrap');
    assert.deepEqual(state.lock, { owner: 'provision-1' }, 'the state it was given stays');
    assert.equal(calls.inspected.length, 0);
  });

  it('reconciles a recorded cluster: the recorded hosts and token, the spec’s settings', async () => {
    const { plan, calls } = planStep(RECORD);
    const state = (await plan(stateOf(specOf(NAMES, { etcd: { extraArgs: { 'snapshot-count': '5000' } } })))) as Record<string, any>;
    assert.equal(state.mode, 'reconcile');
    assert.deepEqual(state.hosts, NAMES.map((name) => ({ name, address: addressOf(name), root: `/hosts/${name}` })));
    assert.deepEqual(state.token, { value: 'demo-0123456789abcdef' });
    assert.equal(state.spec.etcd.extraArgs['snapshot-count'], '5000');
    assert.deepEqual(state.spec.members.map((m: { address: string }) => m.address), NAMES.map(addressOf), 'members as recorded');
    assert.deepEqual(calls.inspected, [NAMES.map(endpointOf)]);
  });

  it('keeps etcd’s default token for a cluster recorded without one (null)', async () => {
    const { initialClusterToken: _t, ...untokened } = RECORD;
    const state = (await planStep(untokened).plan(stateOf(specOf(NAMES)))) as Record<string, unknown>;
    assert.deepEqual(state.token, { value: null });
  });

  it('refuses a different member list with ProvisionRefusedError, naming it', async () => {
    const error = await errorOf(planStep(RECORD).plan(stateOf(specOf(['infra0', 'infra1', 'infra3']))));
    assert.ok(error instanceof ProvisionRefusedError);
    assert.match(error.message, /the spec lists infra3, which is no member; infra2 is a member, the spec does not list it/);
  });

  it('refuses a recorded cluster without quorum with QuorumLostError (restore), never a bootstrap', async () => {
    const error = await errorOf(planStep(RECORD, [endpointOf('infra1'), endpointOf('infra2')], []).plan(stateOf(specOf(NAMES))));
    assert.ok(error instanceof QuorumLostError);
    assert.match(error.message, /restore it from a snapshot/);
  });
});

describe('Choose Next Member and Check Restart Is Safe', () => {
  const hosts = NAMES.map((name) => ({ name, address: addressOf(name) }));
  const base = { spec: specOf(NAMES), hosts, pki: demoPkiRefs(NAMES) };
  /** etcd where `leader` leads and `silent` do not answer. */
  function rolling(leader: string, silent: readonly string[] = []) {
    const { etcd } = etcdAnswering((endpoints) => {
      const view = viewOf(endpoints, listedAll, silent.map(endpointOf));
      const leaderId = String(100 + NAMES.indexOf(leader));
      return {
        ...view,
        statuses: view.statuses.map((s) => {
          const name = NAMES.find((n) => endpointOf(n) === s.endpoint)!;
          return s.ok ? { ...s, memberId: String(100 + NAMES.indexOf(name)), leaderId, clusterId: '7', raftIndex: 10, raftAppliedIndex: 10 } : s;
        }),
      };
    }, 'rolling');
    return makeRollingSteps({ secrets: secretsWithHealthcheckClient('rolling'), etcd, log: quiet, maxAppliedIndexLag: 50 });
  }

  it('takes the followers first and the leader last, then says done', async () => {
    const steps = rolling('infra0');
    const first = (await steps.chooseNextMember({ ...base, rolled: [] })) as { host: Host; rolled: string[]; leader: string };
    assert.deepEqual([first.host.name, first.leader, first.rolled], ['infra1', 'infra0', ['infra1']]);
    const second = (await steps.chooseNextMember({ ...base, rolled: ['infra1'] })) as { host: Host };
    assert.equal(second.host.name, 'infra2');
    const last = (await steps.chooseNextMember({ ...base, rolled: ['infra1', 'infra2'] })) as { host: Host };
    assert.equal(last.host.name, 'infra0');
    assert.deepEqual(await steps.chooseNextMember({ ...base, rolled: NAMES }), { done: true, rolled: NAMES });
  });

  it('lets a pending restart go only while the other voters keep quorum', async () => {
    assert.equal(((await rolling('infra0').checkRestartSafety({ ...base, host: hosts[1], restartNeeded: true })) as { safe: boolean }).safe, true);
    const error = await errorOf(rolling('infra0', ['infra2']).checkRestartSafety({ ...base, host: hosts[1], restartNeeded: true }));
    assert.ok(error instanceof RestartWouldLoseQuorumError);
    assert.equal(error.message, 'restarting infra1 now would leave 1 of 3 voters answering, quorum needs 2 (infra2 not answering)');
  });

  it('asks nothing when no restart is pending', async () => {
    const { etcd, calls } = etcdAnswering(() => assert.fail('no restart, no question'), 'rolling');
    const steps = makeRollingSteps({ secrets: secretsWithHealthcheckClient('rolling'), etcd, log: quiet, maxAppliedIndexLag: 50 });
    assert.deepEqual(await steps.checkRestartSafety({ ...base, host: hosts[1], restartNeeded: false }), { safe: true, why: 'nothing to restart on infra1: its settings are applied' });
    assert.equal(calls.inspected.length, 0);
  });
});
