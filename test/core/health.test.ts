import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hexId, judgeClusterHealth, type ExpectedCluster } from '../../lambdas/core/health';
import type { ClusterMember, ClusterView, MemberStatus } from '../../lambdas/core/etcd-view';

// IDs above 2^53 on purpose: converting them through Number would change their hex.
const ID = {
  infra0: '10276657743932975437', // 8e9e05c52164694d
  infra1: '10501334649042878790', // 91bc3c398fb3c146
  infra2: '18249187646912138824', // fd422379fda50e48
  infra3: '9023537293455193001', // 7d3a0b5c11e2f3a9
};
const CLUSTER = '14841639068965178418'; // cdf818194e3a8c32
const OTHER_CLUSTER = '10276657743932975437';

const expected: ExpectedCluster = {
  members: [
    { name: 'infra0', address: '10.0.0.6' },
    { name: 'infra1', address: '10.0.0.7' },
    { name: 'infra2', address: '10.0.0.8' },
  ],
  clientPort: 2379,
  peerPort: 2380,
};
const names = ['infra0', 'infra1', 'infra2'] as const;
const endpoint = (i: number) => `https://10.0.0.${6 + i}:2379`;
const peer = (i: number) => `https://10.0.0.${6 + i}:2380`;

function status(i: number, over: Partial<MemberStatus> = {}): MemberStatus {
  return {
    endpoint: endpoint(i),
    ok: true,
    memberId: ID[names[i]!],
    clusterId: CLUSTER,
    leaderId: ID.infra1,
    raftIndex: 1000,
    raftAppliedIndex: 1000,
    dbSize: 20480 + i,
    isLearner: false,
    version: '3.4.23',
    ...over,
  };
}

function listed(i: number, over: Partial<ClusterMember> = {}): ClusterMember {
  return { id: ID[names[i]!], name: names[i]!, peerURLs: [peer(i)], clientURLs: [endpoint(i)], isLearner: false, ...over };
}

/** A healthy 3-member view: infra1 leads, everyone has applied everything. */
function healthyView(): { statuses: MemberStatus[]; members: ClusterMember[]; alarms: string[] } {
  return { statuses: [0, 1, 2].map((i) => status(i)), members: [0, 1, 2].map((i) => listed(i)), alarms: [] };
}

const LAG = { maxAppliedIndexLag: 50 };

interface Case {
  readonly name: string;
  readonly view: ClusterView;
  readonly problems: readonly string[];
  /** Names of the verdict's members that must be unhealthy (all others healthy). */
  readonly unhealthy: readonly string[];
  readonly leaderName?: string | undefined;
}

function tweak(change: (v: ReturnType<typeof healthyView>) => void): ClusterView {
  const v = healthyView();
  change(v);
  return v;
}

const cases: Case[] = [
  { name: 'healthy: all answer, one leader, the spec members, no lag', view: healthyView(), problems: [], unhealthy: [], leaderName: 'infra1' },
  {
    name: 'a member that does not answer is named with its endpoint and the error',
    view: tweak((v) => (v.statuses[1] = { endpoint: endpoint(1), ok: false, error: 'connect ECONNREFUSED' })),
    problems: ['infra1 (https://10.0.0.7:2379) did not answer: connect ECONNREFUSED'],
    unhealthy: ['infra1'],
    leaderName: 'infra1',
  },
  {
    name: 'a spec member whose endpoint was not asked',
    view: tweak((v) => v.statuses.splice(2, 1)),
    problems: ['infra2 (https://10.0.0.8:2379) was not asked for its status'],
    unhealthy: ['infra2'],
    leaderName: 'infra1',
  },
  {
    name: 'a member without a leader (leader "0")',
    view: tweak((v) => (v.statuses[0] = status(0, { leaderId: '0' }))),
    problems: ['infra0 (https://10.0.0.6:2379) has no leader'],
    unhealthy: ['infra0'],
    leaderName: 'infra1',
  },
  {
    name: 'members that disagree on the leader',
    view: tweak((v) => (v.statuses[2] = status(2, { leaderId: ID.infra2 }))),
    problems: ['3 members claim different leaders: infra0, infra1 follow infra1 (91bc3c398fb3c146); infra2 follows infra2 (fd422379fda50e48)'],
    unhealthy: ['infra0', 'infra1', 'infra2'],
    leaderName: undefined,
  },
  {
    name: 'members in two clusters',
    view: tweak((v) => (v.statuses[0] = status(0, { clusterId: OTHER_CLUSTER }))),
    problems: ['members report 2 cluster IDs: infra0 in 8e9e05c52164694d; infra1, infra2 in cdf818194e3a8c32'],
    unhealthy: ['infra0', 'infra1', 'infra2'],
    leaderName: 'infra1',
  },
  {
    name: 'a raised alarm',
    view: tweak((v) => v.alarms.push('NOSPACE (member fd422379fda50e48)')),
    problems: ['alarm raised: NOSPACE (member fd422379fda50e48)'],
    unhealthy: [],
    leaderName: 'infra1',
  },
  {
    name: 'an alarm list that could not be read',
    view: { ...healthyView(), alarmsUnknown: 'https://10.0.0.5:2379: etcdserver: request timed out' },
    problems: ['alarms unknown: https://10.0.0.5:2379: etcdserver: request timed out'],
    unhealthy: [],
    leaderName: 'infra1',
  },
  {
    name: 'a listed member the spec does not have',
    view: tweak((v) => v.members.push({ id: ID.infra3, name: 'infra3', peerURLs: ['https://10.0.0.9:2380'], clientURLs: ['https://10.0.0.9:2379'], isLearner: false })),
    problems: ['member list has infra3 which the spec does not'],
    unhealthy: ['infra3'],
    leaderName: 'infra1',
  },
  {
    name: 'an added, never started learner the spec does not have',
    view: tweak((v) => v.members.push({ id: ID.infra3, name: '', peerURLs: ['https://10.0.0.9:2380'], clientURLs: [], isLearner: true })),
    problems: ['member list has an unstarted learner 7d3a0b5c11e2f3a9 (https://10.0.0.9:2380) which the spec does not'],
    unhealthy: [''],
    leaderName: 'infra1',
  },
  {
    name: 'a spec member missing from the member list (removed, still running)',
    view: tweak((v) => v.members.splice(2, 1)),
    problems: ['member list lacks infra2 (https://10.0.0.8:2380)'],
    unhealthy: ['infra2'],
    leaderName: 'infra1',
  },
  {
    name: 'a spec member added but not started yet is found by its peer URL',
    view: tweak((v) => {
      v.members[2] = listed(2, { name: '', clientURLs: [] });
      v.statuses[2] = { endpoint: endpoint(2), ok: false, error: 'connect ECONNREFUSED' };
    }),
    problems: [
      'infra2 (https://10.0.0.8:2379) did not answer: connect ECONNREFUSED',
      'infra2 (https://10.0.0.8:2380) is in the member list but has not started',
    ],
    unhealthy: ['infra2'],
    leaderName: 'infra1',
  },
  {
    name: "another name at a spec member's peer URL",
    view: tweak((v) => (v.members[2] = listed(2, { name: 'old-infra2' }))),
    problems: ["member list has old-infra2 at infra2's peer URL https://10.0.0.8:2380"],
    unhealthy: ['infra2'],
    leaderName: 'infra1',
  },
  {
    name: 'a spec member listed with other peer URLs',
    view: tweak((v) => (v.members[0] = listed(0, { peerURLs: ['http://10.0.0.6:2380'] }))),
    problems: ['infra0 has peer URLs http://10.0.0.6:2380 in the member list; the spec says https://10.0.0.6:2380'],
    unhealthy: ['infra0'],
    leaderName: 'infra1',
  },
  {
    name: 'a spec member that is still a learner',
    view: tweak((v) => {
      v.members[2] = listed(2, { isLearner: true });
      v.statuses[2] = status(2, { isLearner: true });
    }),
    problems: ['infra2 is a learner, not yet a voting member'],
    unhealthy: ['infra2'],
    leaderName: 'infra1',
  },
  {
    name: 'applied index lagging by one more than allowed',
    view: tweak((v) => (v.statuses[0] = status(0, { raftIndex: 1000, raftAppliedIndex: 949 }))),
    problems: ['infra0 (https://10.0.0.6:2379) has applied 949 of 1000 raft entries (lag 51 > 50)'],
    unhealthy: ['infra0'],
    leaderName: 'infra1',
  },
  {
    name: 'applied index lagging by exactly the allowed amount is healthy',
    view: tweak((v) => (v.statuses[0] = status(0, { raftIndex: 1000, raftAppliedIndex: 950 }))),
    problems: [],
    unhealthy: [],
    leaderName: 'infra1',
  },
  {
    name: "a member's committed index behind the leader's",
    view: tweak((v) => (v.statuses[2] = status(2, { raftIndex: 900, raftAppliedIndex: 900 }))),
    problems: ['infra2 (https://10.0.0.8:2379) is 100 raft entries behind the leader (> 50)'],
    unhealthy: ['infra2'],
    leaderName: 'infra1',
  },
  {
    name: 'no member list at all',
    view: tweak((v) => v.members.splice(0)),
    problems: ['no member list: no member answered for it'],
    unhealthy: [],
    leaderName: 'infra1',
  },
  {
    name: 'an endpoint that answers as another member than the list says',
    view: tweak((v) => (v.statuses[0] = status(0, { memberId: ID.infra3 }))),
    problems: ['infra0 (https://10.0.0.6:2379) answers as member 7d3a0b5c11e2f3a9 but the member list has infra0 as 8e9e05c52164694d'],
    unhealthy: ['infra0'],
    leaderName: 'infra1',
  },
  {
    name: 'the agreed leader is not in the member list',
    view: tweak((v) => {
      for (let i = 0; i < 3; i++) v.statuses[i] = status(i, { leaderId: ID.infra3 });
    }),
    problems: ['the leader 7d3a0b5c11e2f3a9 is not in the member list'],
    unhealthy: [],
    leaderName: '7d3a0b5c11e2f3a9',
  },
];

describe('judgeClusterHealth', () => {
  for (const c of cases) {
    it(c.name, () => {
      const verdict = judgeClusterHealth(c.view, expected, LAG);
      assert.deepEqual(verdict.problems, c.problems);
      assert.equal(verdict.healthy, c.problems.length === 0);
      assert.deepEqual(
        verdict.members.filter((m) => !m.healthy).map((m) => m.name),
        c.unhealthy,
      );
      assert.equal(verdict.leaderName, c.leaderName);
    });
  }

  it('reports members in spec order with hex IDs, endpoints, leader, learner and dbSize', () => {
    const verdict = judgeClusterHealth(healthyView(), expected, LAG);
    assert.equal(verdict.clusterId, 'cdf818194e3a8c32');
    assert.deepEqual(verdict.members, [
      { name: 'infra0', id: '8e9e05c52164694d', endpoint: endpoint(0), peerUrl: peer(0), healthy: true, leader: false, learner: false, dbSize: 20480 },
      { name: 'infra1', id: '91bc3c398fb3c146', endpoint: endpoint(1), peerUrl: peer(1), healthy: true, leader: true, learner: false, dbSize: 20481 },
      { name: 'infra2', id: 'fd422379fda50e48', endpoint: endpoint(2), peerUrl: peer(2), healthy: true, leader: false, learner: false, dbSize: 20482 },
    ]);
  });

  describe('after a replacement (tolerateDown): a member still down is reported, not failing', () => {
    const silent = (i: number) => ({ endpoint: endpoint(i), ok: false, error: 'connect ECONNREFUSED' }) as const;
    const options = { ...LAG, tolerateDown: true, mustAnswer: ['infra2'] };

    it('one of three down: healthy, the member in down', () => {
      const verdict = judgeClusterHealth(tweak((v) => (v.statuses[0] = silent(0))), expected, options);
      assert.deepEqual(verdict.problems, []);
      assert.equal(verdict.healthy, true);
      assert.deepEqual(verdict.down, ['infra0']);
      assert.equal(verdict.members[0]!.healthy, false);
    });

    it('without tolerateDown the same view fails', () => {
      const verdict = judgeClusterHealth(tweak((v) => (v.statuses[0] = silent(0))), expected, LAG);
      assert.equal(verdict.healthy, false);
      assert.deepEqual(verdict.down, []);
    });

    it('a member that must answer (the new one) fails the verdict when it does not', () => {
      const verdict = judgeClusterHealth(tweak((v) => (v.statuses[2] = silent(2))), expected, options);
      assert.equal(verdict.healthy, false);
      assert.deepEqual(verdict.problems, ['infra2 (https://10.0.0.8:2379) did not answer: connect ECONNREFUSED']);
    });

    it('two of three down is no quorum: both are problems', () => {
      const verdict = judgeClusterHealth(
        tweak((v) => {
          v.statuses[0] = silent(0);
          v.statuses[1] = silent(1);
        }),
        expected,
        options,
      );
      assert.equal(verdict.healthy, false);
      assert.deepEqual(verdict.down, []);
      assert.equal(verdict.problems.filter((p) => p.includes('did not answer')).length, 2);
    });
  });

  it('takes its IDs from the member list when a member did not answer', () => {
    const view = tweak((v) => (v.statuses[0] = { endpoint: endpoint(0), ok: false, error: 'deadline exceeded' }));
    const infra0 = judgeClusterHealth(view, expected, LAG).members[0]!;
    assert.equal(infra0.id, '8e9e05c52164694d');
    assert.equal(infra0.dbSize, undefined);
    assert.equal(infra0.healthy, false);
  });

  it('lists an unstarted extra member after the spec members, as a learner without endpoint', () => {
    const view = tweak((v) => v.members.push({ id: ID.infra3, name: '', peerURLs: ['https://10.0.0.9:2380'], clientURLs: [], isLearner: true }));
    assert.deepEqual(judgeClusterHealth(view, expected, LAG).members[3], {
      name: '',
      id: '7d3a0b5c11e2f3a9',
      endpoint: '',
      peerUrl: 'https://10.0.0.9:2380',
      healthy: false,
      leader: false,
      learner: true,
    });
  });

  it('builds endpoints and peer URLs from the spec ports', () => {
    const ports = { ...expected, clientPort: 12379, peerPort: 12380 };
    const verdict = judgeClusterHealth(healthyView(), ports, LAG);
    assert.equal(verdict.healthy, false);
    assert.ok(verdict.problems.includes('infra0 (https://10.0.0.6:12379) was not asked for its status'), verdict.problems.join('\n'));
    assert.ok(verdict.problems.includes('infra0 has peer URLs https://10.0.0.6:2380 in the member list; the spec says https://10.0.0.6:12380'));
  });

  it('refuses a negative or fractional lag limit', () => {
    assert.throws(() => judgeClusterHealth(healthyView(), expected, { maxAppliedIndexLag: -1 }), /maxAppliedIndexLag.*-1/);
    assert.throws(() => judgeClusterHealth(healthyView(), expected, { maxAppliedIndexLag: 0.5 }), RangeError);
  });
});

describe('hexId', () => {
  it('prints uint64 IDs above 2^53 exactly as etcdctl does', () => {
    assert.equal(hexId('10276657743932975437'), '8e9e05c52164694d');
    assert.equal(hexId('18249187646912138824'), 'fd422379fda50e48');
  });
  it('leaves anything that is not a decimal alone', () => {
    assert.equal(hexId('8e9e05c52164694d'), '8e9e05c52164694d');
  });
});
