import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backupSources } from '../../../lambdas/core/backup/source-order';
import type { ClusterView, MemberStatus } from '../../../lambdas/core/etcd-view';

const status = (endpoint: string, memberId: string | undefined, extra: Partial<MemberStatus> = {}): MemberStatus => ({
  endpoint,
  ok: memberId !== undefined,
  ...(memberId !== undefined && { memberId, leaderId: '2' }),
  ...extra,
});
const view = (statuses: MemberStatus[]): ClusterView => ({ statuses, members: [], alarms: [] });

describe('backup sources', () => {
  it('the healthy followers first (in member order), the leader last, learners after, silent members never', () => {
    const sources = backupSources(
      view([status('https://a:2379', '2'), status('https://b:2379', undefined), status('https://c:2379', '3', { isLearner: true }), status('https://d:2379', '4'), status('https://e:2379', '5')]),
    );
    assert.deepEqual(sources, ['https://d:2379', 'https://e:2379', 'https://a:2379', 'https://c:2379']);
  });

  it('nobody answering: nothing to back up from', () => {
    assert.deepEqual(backupSources(view([status('https://a:2379', undefined)])), []);
  });
});
