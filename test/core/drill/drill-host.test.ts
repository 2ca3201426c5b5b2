import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chooseDrillHost } from '../../../lambdas/core/drill/drill-host';
import type { ClusterView, MemberStatus } from '../../../lambdas/core/etcd-view';

const status = (endpoint: string, memberId: string | undefined, extra: Partial<MemberStatus> = {}): MemberStatus => ({
  endpoint,
  ok: memberId !== undefined,
  ...(memberId !== undefined && { memberId, leaderId: '1' }),
  ...extra,
});
const view = (statuses: MemberStatus[]): ClusterView => ({ statuses, members: [], alarms: [] });
const candidates = ['a', 'b', 'c'].map((name) => ({ name, endpoint: `https://${name}:2379` }));

describe('drill host choice', () => {
  it('a follower that answers, not the leader, not a silent member', () => {
    const chosen = chooseDrillHost(candidates, view([status('https://a:2379', '1'), status('https://b:2379', undefined), status('https://c:2379', '3')]));
    assert.equal(chosen?.name, 'c');
  });
  it('the leader when it alone answers', () => {
    assert.equal(chooseDrillHost(candidates, view([status('https://a:2379', '1'), status('https://b:2379', undefined)]))?.name, 'a');
  });
  it('a learner only when no voter answers', () => {
    const chosen = chooseDrillHost(candidates, view([status('https://a:2379', undefined), status('https://b:2379', '2', { isLearner: true })]));
    assert.equal(chosen?.name, 'b');
  });
  it('nobody answers: none', () => {
    assert.equal(chooseDrillHost(candidates, view([status('https://a:2379', undefined)])), undefined);
  });
});
