// Add Member As Learner, step by step and without etcd: a fake EtcdAdmin (memberAdd scripted, inspect answering
// each look in turn) and an in-memory registry. etcd refuses every `member add` while the member asked is not
// connected to every voter ("unhealthy cluster"): a recorded voter that died since Remove Dead Members (silent in
// two looks, 1 s apart) is then removed by its recorded ID (quorum permitting), the removal recorded as the lock
// holder (the member moves from the record's members to its removed), and the add tried once more. A voter that
// answers the second look stays, and the refusal is rethrown; any other error is rethrown without a look.
// The 1 s between the looks is real: only the tests that reach the second look wait for it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdNotReadyError, EtcdUnavailableError } from '../../lambdas/core/errors';
import type { ClusterMember, ClusterRecord, ClusterRegistry, ClusterView, EtcdAdmin, Logger, RegistryPutOptions } from '../../lambdas/ports';
import { makeMembershipSteps } from '../../lambdas/steps/replace/membership-steps';
import { listedMember, secretsWithHealthcheckClient, viewOf } from './etcd-stand-in';
import { errorOf } from '../support/rejection';

const quiet: Logger = { info: () => undefined, warn: () => undefined };
const NOW = new Date('2026-12-01T10:00:00.000Z');
const addressOf = (name: string) => `10.0.0.${10 + Number(name.slice('infra'.length))}`;
const host = (name: string) => ({ name, address: addressOf(name) });
const endpointOf = (name: string) => `https://${addressOf(name)}:2379`;
/** etcd's decimal ID of infraN is 100 + N; the record keeps it in hex. */
const idOf = (name: string) => String(100 + Number(name.slice('infra'.length)));
const hexOf = (name: string) => Number(idOf(name)).toString(16);
const voter = (name: string): ClusterMember => listedMember(name, addressOf(name), idOf(name));

// A 5-member cluster: infra1 failed and was removed by Remove Dead Members (awaiting this replacement, infra5);
// infra2 dies after that. The joining membership: the four recorded members and infra5.
const RECORDED = ['infra0', 'infra2', 'infra3', 'infra4'];
const JOINING = host('infra5');
const LOCK = { clusterName: 'demo', owner: 'exec-a' };
const PKI = {
  ca: 'etcd-ha/demo/ca',
  healthcheckClient: 'etcd-ha/demo/healthcheck-client',
  apiserverEtcdClient: 'etcd-ha/demo/apiserver-etcd-client',
  members: {},
};
const input = (extra: Record<string, unknown> = {}) => ({
  spec: { clusterName: 'demo', runtime: 'systemd', members: ['infra0', 'infra1', 'infra2', 'infra3', 'infra4'].map(host) },
  hosts: [...RECORDED.map(host), JOINING],
  host: JOINING,
  pki: PKI,
  memberIds: Object.fromEntries(RECORDED.map((name) => [name, hexOf(name)])),
  lock: LOCK,
  ...extra,
});
const OTHERS = RECORDED.map(endpointOf);
const LISTED = RECORDED.map(voter);
const LEARNER: ClusterMember = { id: '105', name: '', peerURLs: [`https://${addressOf('infra5')}:2380`], clientURLs: [], isLearner: true };
const UNHEALTHY = () => new EtcdNotReadyError(`member add https://${addressOf('infra5')}:2380: etcdserver: unhealthy cluster`);

const recordBefore = (): ClusterRecord => ({
  clusterName: 'demo',
  runtime: 'systemd',
  members: RECORDED.map((name) => ({ ...host(name), id: hexOf(name) })),
  removed: [{ ...host('infra1'), id: hexOf('infra1'), removedAt: '2026-12-01T09:59:00.000Z', removedBy: 'exec-a' }],
  secrets: { ca: PKI.ca },
  updatedAt: '2026-12-01T09:59:00.000Z',
  spec: {},
});

/** A registry in memory: `puts` records each write with its options. */
function registryHolding(record: ClusterRecord) {
  let current = record;
  const puts: Array<{ record: ClusterRecord; options: RegistryPutOptions | undefined }> = [];
  const registry: ClusterRegistry = {
    get: async (name) => (name === current.clusterName ? structuredClone(current) : undefined),
    findByInstanceId: async () => assert.fail('Add Member As Learner looks no instance up'),
    list: async () => assert.fail('the replacement steps list no clusters'),
    put: async (written, options) => {
      puts.push({ record: structuredClone(written), options });
      current = structuredClone(written);
    },
  };
  return { registry, puts, current: () => current };
}

/**
 * An etcd whose memberAdd answers `adds` in turn (a function throws its error) and whose inspect answers `looks`
 * in turn; `calls` records every call.
 */
function etcdScripted(adds: Array<() => Error | undefined>, looks: ClusterView[], listed: ClusterMember[] = [...LISTED]) {
  const calls = { added: [] as Array<[string[], string, boolean]>, inspected: [] as string[][], removed: [] as Array<[string[], string]>, closed: 0 };
  let members = listed;
  const admin: EtcdAdmin = {
    memberAdd: async (endpoints, peerUrl, isLearner) => {
      calls.added.push([[...endpoints], peerUrl, isLearner]);
      const error = adds[calls.added.length - 1]?.();
      if (error) throw error;
      return { member: LEARNER, members: [...members, LEARNER], added: true };
    },
    inspect: async (endpoints) => {
      calls.inspected.push([...endpoints]);
      const view = looks[calls.inspected.length - 1];
      return view ?? assert.fail(`inspect asked ${calls.inspected.length} times`);
    },
    memberRemove: async (endpoints, id) => {
      calls.removed.push([[...endpoints], id]);
      members = members.filter((m) => m.id !== id);
      return { members, removed: true };
    },
    memberPromote: async () => assert.fail('Add Member As Learner promotes nobody'),
    moveLeader: async () => assert.fail('Add Member As Learner moves no leader'),
    memberUpdate: async () => assert.fail('Add Member As Learner updates no member'),
    snapshot: async () => assert.fail('Add Member As Learner takes no snapshot'),
    close: async () => {
      calls.closed += 1;
    },
  };
  return { etcd: { connect: () => admin }, calls };
}

function addMemberAsLearnerOver(etcd: ReturnType<typeof etcdScripted>, registry: ClusterRegistry) {
  return makeMembershipSteps({ secrets: secretsWithHealthcheckClient('Add Member As Learner'), etcd: etcd.etcd, log: quiet, registry, clock: { now: () => NOW } }).addMemberAsLearner;
}

describe('Add Member As Learner', () => {
  it('adds the joining host as a learner through the others: no look, no removal, no removedDead', async () => {
    const etcd = etcdScripted([], []);
    const store = registryHolding(recordBefore());
    const result = await addMemberAsLearnerOver(etcd, store.registry)(input());
    assert.deepEqual(result, { id: '69', added: true, learner: true, hosts: input().hosts });
    assert.deepEqual(etcd.calls.added, [[OTHERS, `https://${addressOf('infra5')}:2380`, true]]);
    assert.deepEqual(etcd.calls.inspected, []);
    assert.deepEqual(store.puts, []);
    assert.equal(etcd.calls.closed, 1);
  });

  it('requires the lock (its owner records a removal)', async () => {
    const etcd = etcdScripted([], []);
    const { lock: _lock, ...withoutLock } = input();
    const error = await errorOf(addMemberAsLearnerOver(etcd, registryHolding(recordBefore()).registry)(withoutLock));
    assert.equal(error.name, 'SpecValidationError');
    assert.match(error.message, /lock/);
    assert.deepEqual(etcd.calls.added, [], 'nothing asked of etcd');
  });

  it('refused as "unhealthy cluster": removes the recorded voter silent in both looks by its recorded ID, records it as removed by the lock owner, and adds again', async () => {
    const silent = [endpointOf('infra2')];
    const etcd = etcdScripted([UNHEALTHY, () => undefined], [viewOf(OTHERS, LISTED, silent), viewOf(OTHERS, LISTED, silent)]);
    const store = registryHolding(recordBefore());
    const started = Date.now();
    const result = await addMemberAsLearnerOver(etcd, store.registry)(input());
    assert.ok(Date.now() - started >= 900, 'the two looks are a second apart');

    assert.deepEqual(result, {
      id: '69',
      added: true,
      learner: true,
      hosts: input().hosts.filter((h) => h.name !== 'infra2'),
      removedDead: ['infra2'],
    }, 'the health check then no longer expects infra2');
    assert.deepEqual(etcd.calls.inspected, [OTHERS, OTHERS], 'two looks at the other hosts (not the joining one)');
    assert.deepEqual(etcd.calls.removed, [[OTHERS, idOf('infra2')]], 'removed by the ID etcd lists for its recorded hex ID');
    assert.equal(etcd.calls.added.length, 2, 'the add is tried once more');
    assert.deepEqual(etcd.calls.added[1], [OTHERS, `https://${addressOf('infra5')}:2380`, true]);

    assert.equal(store.puts.length, 1);
    assert.deepEqual(store.puts[0]!.options, { lockOwner: 'exec-a' }, 'written as the lock holder only');
    const after = store.current();
    assert.deepEqual(after.members.map((m) => m.name), ['infra0', 'infra3', 'infra4']);
    assert.deepEqual(after.removed, [
      recordBefore().removed![0],
      { ...host('infra2'), id: hexOf('infra2'), removedAt: NOW.toISOString(), removedBy: 'exec-a' },
    ]);
    assert.equal(after.updatedAt, NOW.toISOString());
    assert.equal(etcd.calls.closed, 1);
  });

  it('a retry after an earlier attempt removed a dead voter: the hosts it returns are etcd\'s members after the add, without that voter (the joining member\'s initial-cluster must match etcd\'s list)', async () => {
    const etcd = etcdScripted([], [], LISTED.filter((m) => m.name !== 'infra2'));
    const store = registryHolding(recordBefore());
    const result = await addMemberAsLearnerOver(etcd, store.registry)(input());
    assert.deepEqual(result, { id: '69', added: true, learner: true, hosts: input().hosts.filter((h) => h.name !== 'infra2') });
    assert.deepEqual(etcd.calls.removed, [], 'nothing left to remove');
    assert.deepEqual(store.puts, [], 'the earlier attempt recorded the removal');
  });

  it('refused as "unhealthy cluster" while the silent voter answers the second look: removes nobody, records nothing, rethrows the refusal', async () => {
    const etcd = etcdScripted([UNHEALTHY], [viewOf(OTHERS, LISTED, [endpointOf('infra2')]), viewOf(OTHERS, LISTED)]);
    const store = registryHolding(recordBefore());
    const error = await errorOf(addMemberAsLearnerOver(etcd, store.registry)(input()));
    assert.ok(error instanceof EtcdNotReadyError);
    assert.match(error.message, /etcdserver: unhealthy cluster/);
    assert.equal(etcd.calls.inspected.length, 2);
    assert.deepEqual(etcd.calls.removed, []);
    assert.equal(etcd.calls.added.length, 1, 'no second add');
    assert.deepEqual(store.puts, []);
    assert.equal(etcd.calls.closed, 1);
  });

  it('refused as "unhealthy cluster" while every other host answers: one look, nothing removed, the refusal rethrown', async () => {
    const etcd = etcdScripted([UNHEALTHY], [viewOf(OTHERS, LISTED)]);
    const store = registryHolding(recordBefore());
    const error = await errorOf(addMemberAsLearnerOver(etcd, store.registry)(input()));
    assert.ok(error instanceof EtcdNotReadyError);
    assert.equal(etcd.calls.inspected.length, 1);
    assert.deepEqual(etcd.calls.removed, []);
    assert.deepEqual(store.puts, []);
  });

  it('any other error is rethrown without a look at the cluster', async () => {
    for (const failure of [
      () => new EtcdNotReadyError('member add: etcdserver: too many learner members in cluster'),
      () => new EtcdUnavailableError('no member answered'),
    ]) {
      const etcd = etcdScripted([failure], []);
      const store = registryHolding(recordBefore());
      const error = await errorOf(addMemberAsLearnerOver(etcd, store.registry)(input()));
      assert.equal(error.message, failure().message);
      assert.equal(error.constructor, failure().constructor);
      assert.deepEqual(etcd.calls.inspected, [], error.message);
      assert.deepEqual(etcd.calls.removed, [], error.message);
      assert.equal(etcd.calls.added.length, 1, error.message);
      assert.deepEqual(store.puts, [], error.message);
    }
  });
});
