// Remove Member (ScaleCluster), without etcd: quorum checked first, a leaving leader hands leadership to the member
// the plan named (a healthy one that stays) before the removal, and a member already gone is success.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterMember, ClusterView, EtcdAdmin, Logger, MemberStatus } from '../../lambdas/ports';
import { makeRemoveScaledMember } from '../../lambdas/steps/scale/remove-scaled-member';
import { listedMember, secretsWithHealthcheckClient } from './etcd-stand-in';
import { errorOf } from '../support/rejection';

const quiet: Logger = { info: () => undefined, warn: () => undefined };
const address = (i: number) => `10.0.0.${10 + i}`;
const endpoint = (i: number) => `https://${address(i)}:2379`;
const members: ClusterMember[] = [0, 1, 2, 3].map((i) => listedMember(`infra${i}`, address(i), String(100 + i)));
const status = (i: number, leader: number, ok = true): MemberStatus => (ok ? { endpoint: endpoint(i), ok: true, memberId: String(100 + i), leaderId: String(100 + leader) } : { endpoint: endpoint(i), ok: false, error: 'connect ECONNREFUSED' });

function stepWith(view: ClusterView) {
  const calls: string[] = [];
  const admin: EtcdAdmin = {
    inspect: async () => view,
    memberAdd: async () => assert.fail('Remove Member adds nobody'),
    memberRemove: async (endpoints, id) => {
      calls.push(`remove ${id} via ${endpoints.join(',')}`);
      return { members: view.members.filter((m) => m.id !== id), removed: true };
    },
    memberPromote: async () => assert.fail('Remove Member promotes nobody'),
    memberUpdate: async () => assert.fail('Remove Member updates no member'),
    moveLeader: async (leaderEndpoint, targetId) => {
      calls.push(`move leader from ${leaderEndpoint} to ${targetId}`);
    },
    snapshot: async () => assert.fail('no snapshot'),
    close: async () => undefined,
  };
  const step = makeRemoveScaledMember({ secrets: secretsWithHealthcheckClient('Remove Member'), etcd: { connect: () => admin }, log: quiet });
  return { step, calls };
}

const input = (leaving: number, moveLeaderTo?: string) => ({
  spec: { clusterName: 'demo', runtime: 'systemd', members: [0, 1, 2, 3].map((i) => ({ name: `infra${i}`, address: address(i) })) },
  hosts: [0, 1, 2, 3].map((i) => ({ name: `infra${i}`, address: address(i) })),
  host: { name: `infra${leaving}`, address: address(leaving) },
  pki: { ca: 'etcd-ha/demo/ca', healthcheckClient: 'etcd-ha/demo/healthcheck-client', apiserverEtcdClient: 'etcd-ha/demo/apiserver-etcd-client', members: {} },
  change: { action: 'shrink', member: `infra${leaving}`, ...(moveLeaderTo && { moveLeaderTo }) },
  lock: { clusterName: 'demo', owner: 'exec-1' },
});

describe('Remove Member', () => {
  it('removes a follower through the members that stay, without moving leadership', async () => {
    const { step, calls } = stepWith({ statuses: [0, 1, 2, 3].map((i) => status(i, 0)), members, alarms: [] });
    assert.deepEqual(await step(input(3)), { member: 'infra3', removed: true });
    assert.deepEqual(calls, [`remove 103 via ${[0, 1, 2].map(endpoint).join(',')}`]);
  });

  it('moves leadership from a leaving leader to the member the plan named, then removes it', async () => {
    const { step, calls } = stepWith({ statuses: [0, 1, 2, 3].map((i) => status(i, 3)), members, alarms: [] });
    assert.deepEqual(await step(input(3, 'infra1')), { member: 'infra3', removed: true, movedLeaderTo: 'infra1' });
    assert.deepEqual(calls, [`move leader from ${endpoint(3)} to 101`, `remove 103 via ${[0, 1, 2].map(endpoint).join(',')}`]);
  });

  it('refuses, changing nothing, a removal that would leave fewer than a quorum of the rest healthy', async () => {
    const { step, calls } = stepWith({ statuses: [status(0, 0), status(1, 0, false), status(2, 0, false), status(3, 0)], members, alarms: [] });
    const error = await errorOf(step(input(3)));
    assert.equal(error.name, 'QuorumLostError');
    assert.match(error.message, /removing infra3 would leave 1 healthy of 3 voters, fewer than a quorum \(2\); nothing changed/);
    assert.deepEqual(calls, []);
  });

  it('a member already removed is success', async () => {
    const { step, calls } = stepWith({ statuses: [0, 1, 2].map((i) => status(i, 0)), members: members.slice(0, 3), alarms: [] });
    assert.deepEqual(await step(input(3)), { member: 'infra3', removed: false });
    assert.deepEqual(calls, []);
  });

  it('refuses a host that is not the member planned to leave', async () => {
    const { step } = stepWith({ statuses: [0, 1, 2, 3].map((i) => status(i, 0)), members, alarms: [] });
    const error = await errorOf(step({ ...input(3), change: { action: 'shrink', member: 'infra2' } }));
    assert.equal(error.name, 'SpecValidationError');
    assert.match(error.message, /host\.name: infra3 is not the member planned to leave \(infra2\)/);
  });
});
