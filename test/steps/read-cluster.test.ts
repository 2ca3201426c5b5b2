// Validate Request and Read Cluster, step by step and without etcd (stand-ins: test/steps/etcd-stand-in.ts).
// Validate Request runs before the cluster's lock is held, so it only checks the request and finds the cluster.
// Read Cluster, the first step under the lock, derives the rest from the record and etcd's member list as they
// are now: the failed member (still a member, or removed earlier and awaiting its replacement), the recorded
// hosts, who is down, the secrets' names, and the replacement's name — refused when a recorded member, a removed
// one or a member etcd lists already has it; without one, the next free name. Lifecycle actions:
// replace-lifecycle.test.ts; placements through the record: placement-record.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SpecValidationError } from '../../lambdas/core/errors';
import { parseClusterSpec } from '../../lambdas/core/spec';
import type { ClusterMember, ClusterRecord, ClusterRegistry, Logger, RecordedMember, RemovedMember } from '../../lambdas/ports';
import { makeReadCluster } from '../../lambdas/steps/replace/read-cluster';
import { makeValidateRequest } from '../../lambdas/steps/replace/validate-request';
import { errorOf } from '../support/rejection';
import { HEALTHCHECK_CLIENT, etcdAnswering, listedMember, secretsWithHealthcheckClient, viewOf } from './etcd-stand-in';

const quiet: Logger = { info: () => undefined, warn: () => undefined };
const NAMES = ['infra0', 'infra1', 'infra2'];
/** Recorded member IDs (hex, as etcdctl prints them). */
const IDS = ['8e9e05c52164694d', '91bc3c398fb3c146', 'fd422379fda50e48', '3a57a2e3f4b0c1d2', 'c0ffee0123456789', '5e1f00d1ab2c3d4e'];
const indexOf = (name: string) => Number(name.slice('infra'.length));
const addressOf = (name: string) => `10.0.0.${10 + indexOf(name)}`;
const endpointOf = (name: string) => `https://${addressOf(name)}:2379`;
const instanceOf = (name: string) => `i-0aaaaaaaaaaaaaaa${indexOf(name)}`;
const recorded = (name: string): RecordedMember => ({ name, id: IDS[indexOf(name)]!, address: addressOf(name), instanceId: instanceOf(name) });
const specOf = (names: readonly string[]) => ({ clusterName: 'demo', runtime: 'systemd', members: names.map((name) => ({ name, address: addressOf(name) })) });

const MEMBERS = NAMES.map(recorded);
const RECORD: ClusterRecord = {
  clusterName: 'demo',
  runtime: 'systemd',
  members: MEMBERS,
  secrets: {},
  updatedAt: '2026-01-01T00:00:00.000Z',
  spec: specOf(NAMES),
};
/**
 * A 5-member cluster whose infra4 died: an execution replacing it removed it from etcd and recorded that, then
 * failed before its replacement joined. infra0..infra3 are members; infra4 awaits its replacement. Nothing
 * rewrote the spec since provisioning: it lists all five.
 */
const FOUR = ['infra0', 'infra1', 'infra2', 'infra3'];
const REMOVED: RemovedMember = {
  ...recorded('infra4'),
  placement: { subnetId: 'subnet-0a1b2c3d4e5f60004', availabilityZone: 'us-east-1c' },
  removedAt: '2026-01-01T00:10:00.000Z',
  removedBy: 'replace-infra4-1767225600',
};
const WITH_REMOVED: ClusterRecord = { ...RECORD, members: FOUR.map(recorded), removed: [REMOVED], spec: specOf([...FOUR, 'infra4']) };

/** etcd lists `names` (decimal IDs), plus `extra`. */
const listed = (names: readonly string[] = NAMES, extra: readonly ClusterMember[] = []) => [
  ...names.map((name) => listedMember(name, addressOf(name), String(1000 + indexOf(name)))),
  ...extra,
];
/** A member etcd lists that the record does not have: started by hand, or by something else than this project. */
const UNRECORDED = listedMember('infra5', '10.0.0.15', '1005');

/**
 * Read Cluster over a registry holding `record` (none: no record) and an etcd listing `members` (by default the
 * recorded members), where the endpoints of `silent` do not answer their status.
 */
function readOver(record: ClusterRecord | undefined, members: readonly ClusterMember[] = listed(record?.members.map((m) => m.name)), silent: readonly string[] = ['infra1']) {
  const registry: ClusterRegistry = {
    get: async (name) => (name === record?.clusterName ? record : undefined),
    findByInstanceId: async () => assert.fail('Read Cluster reads the cluster Validate Request named, by name'),
    list: async () => assert.fail('the replacement steps list no clusters'),
    put: async () => assert.fail('Read Cluster records nothing'),
  };
  const { etcd, calls } = etcdAnswering((endpoints) => viewOf(endpoints, members, silent.map(endpointOf)), 'Read Cluster');
  return { readCluster: makeReadCluster({ registry, secrets: secretsWithHealthcheckClient('Read Cluster'), etcd, log: quiet }), calls };
}

const LOCK = { owner: 'replace-infra1-1767226000' };
/** The state Read Cluster is given: Validate Request's answer (the request as parsed) plus the lock. */
const stateFor = (request: Record<string, unknown> = {}) => ({
  state: {
    isMember: true,
    clusterName: 'demo',
    request: { clusterName: 'demo', failedMember: 'infra1', replacement: {}, force: false, wipeDataDir: false, ...request },
    lock: LOCK,
  },
});
const replacing = (replacement: Record<string, unknown>) => stateFor({ replacement });

describe('Read Cluster: the replacement\'s name', () => {
  for (const [who, name, record, members] of [
    ['another member\'s name', 'infra0', RECORD, undefined],
    ['another member\'s name while etcd cannot list its members (3.5 without quorum)', 'infra2', RECORD, []],
    ['the failed member\'s own name', 'infra1', RECORD, undefined],
    ['a name only etcd lists (a member started by hand, never recorded)', 'infra5', RECORD, listed(NAMES, [UNRECORDED])],
    ['a removed member\'s name (its replacement is still to come)', 'infra4', WITH_REMOVED, undefined],
  ] as const) {
    it(`refuses ${who} ("${name}"), naming replacement.name and the cluster`, async () => {
      const { readCluster } = readOver(record, members);
      const error = await errorOf(readCluster(replacing({ name })));
      assert.ok(error instanceof SpecValidationError, `expected SpecValidationError, got ${String(error)}`);
      assert.deepEqual(error.problems, [`replacement.name: "${name}" is already a member of demo`]);
    });
  }

  it('carries a fresh name, with the address and instance the request gave', async () => {
    const { readCluster } = readOver(RECORD);
    const out = await readCluster(replacing({ name: 'infra7', address: '10.0.0.20', instanceId: 'i-0bbbbbbbbbbbbbbb7' }));
    assert.equal(out.stillNeeded, true);
    assert.deepEqual(out.replacement, { name: 'infra7', address: '10.0.0.20', instanceId: 'i-0bbbbbbbbbbbbbbb7' });
    assert.equal((out.failed as { name: string }).name, 'infra1');
  });

  it('without a name, picks the next free one: infra3 for infra1 among infra0..2', async () => {
    const { readCluster } = readOver(RECORD);
    assert.deepEqual((await readCluster(stateFor())).replacement, { name: 'infra3' });
  });

  it('the next free name passes a removed member\'s: infra5 for infra1 while infra4 awaits its replacement', async () => {
    const { readCluster } = readOver(WITH_REMOVED);
    assert.deepEqual((await readCluster(stateFor())).replacement, { name: 'infra5' });
  });

  it('the next free name passes one only etcd lists: infra6 for infra1 while an unrecorded infra5 runs', async () => {
    const { readCluster } = readOver(RECORD, listed(NAMES, [UNRECORDED]));
    assert.deepEqual((await readCluster(stateFor())).replacement, { name: 'infra6' });
  });
});

describe('Read Cluster: the cluster as recorded now', () => {
  it('hands on the spec, the recorded hosts, the failed member, the secrets\' names, force, who is down and the recorded IDs, asking etcd with the healthcheck client', async () => {
    const { readCluster, calls } = readOver(RECORD);
    const out = await readCluster(stateFor());
    assert.deepEqual(out, {
      ...stateFor().state,
      stillNeeded: true,
      spec: parseClusterSpec({ ...specOf(NAMES), members: MEMBERS.map(({ name, address, instanceId }) => ({ name, address, instanceId })) }),
      hosts: MEMBERS.map(({ name, address, instanceId }) => ({ name, address, instanceId })),
      failed: { name: 'infra1', id: IDS[1], address: '10.0.0.11', instanceId: 'i-0aaaaaaaaaaaaaaa1', removed: false },
      replacement: { name: 'infra3' },
      pki: {
        ca: 'etcd-ha/demo/ca',
        healthcheckClient: 'etcd-ha/demo/healthcheck-client',
        apiserverEtcdClient: 'etcd-ha/demo/apiserver-etcd-client',
        members: Object.fromEntries(NAMES.map((name) => [name, `etcd-ha/demo/member/${name}`])),
      },
      force: false,
      down: ['infra1'],
      memberIds: { infra0: IDS[0], infra1: IDS[1], infra2: IDS[2] },
      // The old members of the membership event the run ends with: name, ID and address only.
      membersBefore: MEMBERS.map(({ name, id, address }) => ({ name, id, address })),
    });
    assert.deepEqual(calls.connectedWith, [HEALTHCHECK_CLIENT], 'with the healthcheck client');
    assert.deepEqual(calls.inspected, [NAMES.map(endpointOf)], 'every recorded member is asked');
    assert.equal(calls.closed, 1, 'the client is closed');
  });

  it('down lists every recorded member whose status failed, the failed one or not', async () => {
    const { readCluster } = readOver(RECORD, undefined, ['infra0', 'infra1']);
    assert.deepEqual((await readCluster(stateFor())).down, ['infra0', 'infra1']);
    const { readCluster: allAnswer } = readOver(RECORD, undefined, []);
    assert.deepEqual((await allAnswer(stateFor())).down, []);
  });

  it('takes force from the request (the lifecycle rule and a forced replacement set it)', async () => {
    const { readCluster } = readOver(RECORD);
    assert.equal((await readCluster(stateFor({ force: true }))).force, true);
  });

  it('keeps the state it was given (the lock to release, a lifecycle action to complete) in its output', async () => {
    const lifecycle = { lifecycleHookName: 'etcd-member-leaving', autoScalingGroupName: 'etcd-members-a', lifecycleActionToken: 'token-1', instanceId: 'i-0aaaaaaaaaaaaaaa1' };
    const given = stateFor();
    const { readCluster } = readOver(RECORD);
    const out = await readCluster({ state: { ...given.state, lifecycle, trace: ['Validate Request', 'Acquire Lock'] } });
    assert.deepEqual(out.lock, LOCK);
    assert.deepEqual(out.lifecycle, lifecycle);
    assert.deepEqual(out.trace, ['Validate Request', 'Acquire Lock']);
    assert.equal(out.isMember, true);
    assert.equal(out.clusterName, 'demo');
    assert.deepEqual(out.request, given.state.request);
  });

  for (const [by, request] of [
    ['by name', { failedMember: 'infra4' }],
    ['by instance ID', { clusterName: undefined, failedMember: undefined, failedInstanceId: 'i-0aaaaaaaaaaaaaaa4' }],
  ] as const) {
    it(`finds the failed member among the removed ones (${by}): failed.removed, with its recorded ID and placement; hosts are the recorded members`, async () => {
      const { readCluster } = readOver(WITH_REMOVED, undefined, []);
      const out = await readCluster(stateFor(request));
      assert.equal(out.stillNeeded, true);
      assert.deepEqual(out.failed, {
        name: 'infra4',
        id: REMOVED.id,
        address: REMOVED.address,
        instanceId: REMOVED.instanceId,
        placement: REMOVED.placement,
        removed: true,
      });
      assert.deepEqual((out.hosts as Array<{ name: string }>).map((h) => h.name), FOUR);
      assert.deepEqual(out.memberIds, Object.fromEntries(FOUR.map((name) => [name, IDS[indexOf(name)]])));
      assert.deepEqual(out.replacement, { name: 'infra5' });
    });
  }

  it('counts the removed members in the spec\'s size: 4 members recorded after another replacement plus infra4 awaiting its own make a valid 5-member spec', async () => {
    // infra3 and infra4 died; the execution replacing infra3 removed both, added infra5 and recorded the cluster:
    // its spec lists the 4 members (an even size no spec may have), and infra4 awaits its replacement.
    const after = ['infra0', 'infra1', 'infra2', 'infra5'];
    const record: ClusterRecord = { ...RECORD, members: after.map(recorded), removed: [REMOVED], spec: specOf(after) };
    const { readCluster } = readOver(record, undefined, []);
    const out = await readCluster(stateFor({ failedMember: 'infra4' }));
    assert.deepEqual((out.spec as { members: Array<{ name: string }> }).members.map((m) => m.name), [...after, 'infra4']);
    assert.deepEqual((out.hosts as Array<{ name: string }>).map((h) => h.name), after);
    assert.deepEqual(out.replacement, { name: 'infra6' });
  });

  it('when neither the members nor the removed ones have the failed member (another execution replaced it): no longer needed, and etcd is not asked', async () => {
    const replaced: ClusterRecord = { ...RECORD, members: ['infra0', 'infra2', 'infra3'].map(recorded), spec: specOf(['infra0', 'infra2', 'infra3']) };
    const { readCluster, calls } = readOver(replaced);
    const out = await readCluster(stateFor());
    assert.deepEqual(out, { ...stateFor().state, stillNeeded: false, reason: 'infra1 is no longer a member of demo (already replaced?): nothing to do' });
    assert.deepEqual(calls.connectedWith, []);
  });

  it('refuses a cluster whose record is gone by the time the lock is held: SpecValidationError naming clusterName', async () => {
    const { readCluster, calls } = readOver(undefined);
    const error = await errorOf(readCluster(stateFor()));
    assert.ok(error instanceof SpecValidationError, `expected SpecValidationError, got ${String(error)}`);
    assert.deepEqual(error.problems, ['clusterName: no cluster "demo" is recorded; provision it first']);
    assert.deepEqual(calls.connectedWith, []);
  });
});

describe('Validate Request: the request and its cluster only', () => {
  const registry: ClusterRegistry = {
    get: async (name) => (name === 'demo' ? RECORD : undefined),
    findByInstanceId: async (id) => (RECORD.members.some((m) => m.instanceId === id) ? RECORD : undefined),
    list: async () => assert.fail('the replacement steps list no clusters'),
    put: async () => assert.fail('Validate Request records nothing'),
  };
  const validate = makeValidateRequest({ registry, log: quiet });

  it('refuses a cluster that is not recorded: SpecValidationError naming clusterName', async () => {
    const error = await errorOf(validate({ request: { clusterName: 'other', failedMember: 'infra1' } }));
    assert.ok(error instanceof SpecValidationError, `expected SpecValidationError, got ${String(error)}`);
    assert.deepEqual(error.problems, ['clusterName: no cluster "other" is recorded; provision it first']);
  });

  it('answers isMember false for an instance no cluster has (EventBridge sees every instance)', async () => {
    assert.deepEqual(await validate({ request: { failedInstanceId: 'i-0bbbbbbbbbbbbbbb9' } }), {
      isMember: false,
      reason: 'instance i-0bbbbbbbbbbbbbbb9 is not a member of any etcd-ha cluster',
    });
  });

  it('names the cluster that has the instance, and carries the request as parsed', async () => {
    assert.deepEqual(await validate({ request: { failedInstanceId: 'i-0aaaaaaaaaaaaaaa1', trigger: 'ec2-state-change' } }), {
      isMember: true,
      clusterName: 'demo',
      request: { failedInstanceId: 'i-0aaaaaaaaaaaaaaa1', trigger: 'ec2-state-change', replacement: {}, force: false, wipeDataDir: false },
    });
  });

  it('carries a named cluster\'s request as it is, deriving nothing: a member and a name the record does not have are for Read Cluster to judge', async () => {
    const request = { clusterName: 'demo', failedMember: 'infra9', replacement: { name: 'infra0' }, force: true, wipeDataDir: true };
    assert.deepEqual(await validate({ request }), { isMember: true, clusterName: 'demo', request });
  });
});
