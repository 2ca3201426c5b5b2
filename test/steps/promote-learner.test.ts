// Promote Learner, one look of the Wait Learner In Sync loop, without etcd: it promotes once etcd says the
// learner is in sync; until then it reports the learner's progress (its applied raft index against the leader's);
// when the looks of the promotion budget are spent it fails naming how far the learner got.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdMemberChangeRefusedError, EtcdNotReadyError, LearnerNotInSyncError } from '../../lambdas/core/errors';
import type { ClusterMember, ClusterRecord, ClusterView, EtcdAdmin, Logger, MemberStatus, RegistryPutOptions } from '../../lambdas/ports';
import { makeMembershipSteps } from '../../lambdas/steps/replace/membership-steps';
import { listedMember, secretsWithHealthcheckClient } from './etcd-stand-in';
import { errorOf } from '../support/rejection';

const quiet: Logger = { info: () => undefined, warn: () => undefined };
const address = (i: number) => `10.0.0.${10 + i}`;
const endpoint = (i: number) => `https://${address(i)}:2379`;
const LEADER_ID = '100';
const voters: ClusterMember[] = [0, 2].map((i) => listedMember(`infra${i}`, address(i), String(100 + i)));
const learner: ClusterMember = { ...listedMember('infra3', address(3), '103'), isLearner: true };
const status = (i: number, over: Partial<MemberStatus> = {}): MemberStatus => ({
  endpoint: endpoint(i),
  ok: true,
  memberId: String(100 + i),
  leaderId: LEADER_ID,
  raftIndex: 1000,
  raftAppliedIndex: 1000,
  ...over,
});
const NOT_IN_SYNC = () => new EtcdNotReadyError('member promote 67: etcdserver: can only promote a learner member which is in sync with leader');

function stepWith(view: ClusterView, promote: () => Promise<{ promoted: boolean }>, record?: ClusterRecord) {
  const promoted: string[] = [];
  const puts: Array<{ record: ClusterRecord; options?: RegistryPutOptions }> = [];
  const admin: EtcdAdmin = {
    inspect: async () => view,
    memberAdd: async () => assert.fail('no add'),
    memberRemove: async () => assert.fail('no remove'),
    memberPromote: async (_endpoints, id) => {
      promoted.push(id);
      return { members: [], ...(await promote()) };
    },
    moveLeader: async () => assert.fail('no leader move'),
    memberUpdate: async () => assert.fail('no member update'),
    snapshot: async () => assert.fail('no snapshot'),
    close: async () => undefined,
  };
  const deps = {
    secrets: secretsWithHealthcheckClient('Promote Learner'),
    etcd: { connect: () => admin },
    log: quiet,
    registry: {
      get: async () => record,
      findByInstanceId: async () => undefined,
      list: async () => assert.fail('the replacement steps list no clusters'),
      put: async (written: ClusterRecord, options?: RegistryPutOptions) => {
        puts.push({ record: written, ...(options && { options }) });
      },
    },
    clock: { now: () => new Date() },
  };
  return { promote: makeMembershipSteps(deps).promoteLearner, promoted, puts };
}

const input = (attempt: number, maxAttempts = 30) => ({
  spec: { clusterName: 'demo', runtime: 'systemd', members: [0, 2, 3].map((i) => ({ name: `infra${i}`, address: address(i) })) },
  hosts: [0, 2, 3].map((i) => ({ name: `infra${i}`, address: address(i) })),
  host: { name: 'infra3', address: address(3) },
  pki: { ca: 'etcd-ha/demo/ca', healthcheckClient: 'etcd-ha/demo/healthcheck-client', apiserverEtcdClient: 'etcd-ha/demo/apiserver-etcd-client', members: {} },
  attempt,
  maxAttempts,
});

const catchingUp: ClusterView = {
  statuses: [status(0), status(2), status(3, { raftIndex: 1000, raftAppliedIndex: 800, isLearner: true })],
  members: [...voters, learner],
  alarms: [],
};

describe('Promote Learner: by the learner\'s progress, within the budget', () => {
  it('promotes a learner etcd says is in sync: promoted, by its ID, one more look counted', async () => {
    const { promote, promoted } = stepWith(catchingUp, async () => ({ promoted: true }));
    assert.deepEqual(await promote(input(4)), { id: '67', promoted: true, attempt: 5 });
    assert.deepEqual(promoted, ['103']);
  });

  it('records the promotion at once, as the lock holder: the new member in, the member it replaced no longer awaiting', async () => {
    const before: ClusterRecord = {
      clusterName: 'demo',
      runtime: 'systemd',
      members: [0, 2].map((i) => ({ name: `infra${i}`, id: (100 + i).toString(16), address: address(i) })),
      removed: [{ name: 'infra1', id: '65', address: address(1), removedAt: '2026-12-01T00:00:00.000Z', removedBy: 'exec-a' }],
      secrets: {},
      updatedAt: '2026-12-01T00:00:00.000Z',
      spec: {},
    };
    const { promote, puts } = stepWith(catchingUp, async () => ({ promoted: true }), before);
    await promote({ ...input(0), replaced: 'infra1', lock: { clusterName: 'demo', owner: 'exec-a' } });
    assert.equal(puts.length, 1);
    assert.deepEqual(puts[0]!.options, { lockOwner: 'exec-a' });
    assert.deepEqual(puts[0]!.record.members.map((m) => [m.name, m.id]), [['infra0', '64'], ['infra2', '66'], ['infra3', '67']]);
    assert.equal(puts[0]!.record.removed, undefined, 'infra1 no longer awaits a replacement');
    const notYet = stepWith(catchingUp, async () => Promise.reject(NOT_IN_SYNC()), before);
    await notYet.promote({ ...input(0), replaced: 'infra1', lock: { clusterName: 'demo', owner: 'exec-a' } });
    assert.equal(notYet.puts.length, 0, 'a learner is not recorded');
  });

  it('not in sync yet: not promoted, with the progress against the leader', async () => {
    const { promote } = stepWith(catchingUp, async () => Promise.reject(NOT_IN_SYNC()));
    assert.deepEqual(await promote(input(0)), {
      id: '67',
      promoted: false,
      attempt: 1,
      progress: "applied 800 of the leader's 1000 raft entries (80%)",
    });
  });

  it('says so when the learner does not answer', async () => {
    const silent: ClusterView = { ...catchingUp, statuses: [status(0), status(2), { endpoint: endpoint(3), ok: false, error: 'connect ECONNREFUSED' }] };
    const { promote } = stepWith(silent, async () => Promise.reject(NOT_IN_SYNC()));
    assert.equal(((await promote(input(0))) as { progress: string }).progress, 'the learner does not answer (connect ECONNREFUSED)');
  });

  it('the last look of the budget fails with LearnerNotInSyncError, naming the progress', async () => {
    const { promote } = stepWith(catchingUp, async () => Promise.reject(NOT_IN_SYNC()));
    const error = await errorOf(promote(input(29, 30)));
    assert.ok(error instanceof LearnerNotInSyncError, String(error));
    assert.match(error.message, /infra3 is not in sync with the leader after 30 looks \(the promotion budget\): applied 800 of the leader's 1000 raft entries \(80%\)/);
  });

  it('rethrows any other refusal', async () => {
    const { promote } = stepWith(catchingUp, async () => Promise.reject(new EtcdMemberChangeRefusedError('member promote 67: refused')));
    assert.ok((await errorOf(promote(input(0)))) instanceof EtcdMemberChangeRefusedError);
  });
});
