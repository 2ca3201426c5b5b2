// Each health rule alone, on a context built from one view (health.test.ts judges whole views through all of them).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { everyMemberAnswers, HEALTH_RULES, noAlarms, nobodyLags, oneCluster, oneLeader, subjectsOf, type HealthContext } from '../../lambdas/core/health-rules';
import type { ClusterView, MemberStatus } from '../../lambdas/core/etcd-view';

const expected = { members: [0, 1, 2].map((i) => ({ name: `infra${i}`, address: `10.0.0.${6 + i}` })), clientPort: 2379, peerPort: 2380 };
const status = (i: number, over: Partial<MemberStatus> = {}): MemberStatus => ({
  endpoint: `https://10.0.0.${6 + i}:2379`,
  ok: true,
  memberId: String(100 + i),
  clusterId: '7',
  leaderId: '101',
  raftIndex: 1000,
  raftAppliedIndex: 1000,
  ...over,
});
const listed = (i: number) => ({ id: String(100 + i), name: `infra${i}`, peerURLs: [`https://10.0.0.${6 + i}:2380`], clientURLs: [`https://10.0.0.${6 + i}:2379`], isLearner: false });
const view = (statuses: MemberStatus[], over: Partial<ClusterView> = {}): ClusterView => ({ statuses, members: [0, 1, 2].map(listed), alarms: [], ...over });
const contextOf = (v: ClusterView, options = {}): HealthContext => ({ view: v, options: { maxAppliedIndexLag: 50, ...options }, ...subjectsOf(v, expected), problems: [], down: [] });

describe('health rules, each alone', () => {
  it('are six, named, in an order where the leader is found before the lag is judged', () => {
    assert.deepEqual(HEALTH_RULES.map((r) => r.name), ['every member answers', 'one leader', 'one cluster', 'no alarms', 'membership matches', 'nobody lags']);
  });

  it('every member answers: a silent member is a problem, or only "down" with tolerateDown and a quorum answering', () => {
    const silent = view([status(0), status(1), { endpoint: 'https://10.0.0.8:2379', ok: false, error: 'refused' }]);
    const strict = contextOf(silent);
    everyMemberAnswers.check(strict);
    assert.deepEqual(strict.problems, ['infra2 (https://10.0.0.8:2379) did not answer: refused']);
    const tolerant = contextOf(silent, { tolerateDown: true });
    everyMemberAnswers.check(tolerant);
    assert.deepEqual([tolerant.problems, tolerant.down], [[], ['infra2']]);
  });

  it('one leader: agreed → recorded for the other rules; split → a problem naming both camps', () => {
    const agreed = contextOf(view([0, 1, 2].map((i) => status(i))));
    oneLeader.check(agreed);
    assert.equal(agreed.leaderId, '101');
    const split = contextOf(view([status(0), status(1), status(2, { leaderId: '102' })]));
    oneLeader.check(split);
    assert.match(split.problems[0]!, /3 members claim different leaders: infra0, infra1 follow infra1 \(65\); infra2 follows infra2 \(66\)/);
  });

  it('one cluster, no alarms: each reports only its own kind of problem', () => {
    const two = contextOf(view([status(0), status(1), status(2, { clusterId: '8' })], { alarms: ['NOSPACE (member 64)'] }));
    oneCluster.check(two);
    noAlarms.check(two);
    assert.deepEqual(two.problems, ['members report 2 cluster IDs: infra0, infra1 in 7; infra2 in 8', 'alarm raised: NOSPACE (member 64)']);
  });

  it('nobody lags: needs the leader oneLeader found to judge a follower behind it', () => {
    const behind = view([status(0, { raftIndex: 900, raftAppliedIndex: 900 }), status(1), status(2)]);
    const withoutLeader = contextOf(behind);
    nobodyLags.check(withoutLeader);
    assert.deepEqual(withoutLeader.problems, []);
    const withLeader = contextOf(behind);
    oneLeader.check(withLeader);
    nobodyLags.check(withLeader);
    assert.deepEqual(withLeader.problems, ['infra0 (https://10.0.0.6:2379) is 100 raft entries behind the leader (> 50)']);
  });
});

describe('core depends on nothing outside it', () => {
  it('no file under lambdas/core imports lambdas/ports.ts, an adapter, a step or an SDK', () => {
    const core = join(__dirname, '..', '..', 'lambdas', 'core');
    const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : f.endsWith('.ts') ? [join(dir, f)] : []));
    const offenders = files(core).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/^import[^;]*?from '([^']+)'/gms)]
        .map((m) => m[1]!)
        .filter((from) => /(^|\/)ports$|\/adapters\/|\/steps\/|^@aws-sdk\/|^aws-cdk-lib/.test(from))
        .map((from) => `${file.slice(core.length + 1)} imports ${from}`),
    );
    assert.deepEqual(offenders, []);
  });
});
