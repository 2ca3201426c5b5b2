import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { judgeAddition, judgeReplacement, quorumOf, replacementName, type MemberHealthFact } from '../../lambdas/core/quorum';

const m = (name: string, healthy: boolean, learner = false): MemberHealthFact => ({ name, id: name, healthy, learner });

describe('judgeReplacement', () => {
  const cases: Array<[string, MemberHealthFact[], string, ReturnType<typeof judgeReplacement>['safe'], string?]> = [
    ['3 members, the failed one down', [m('a', true), m('b', true), m('c', false)], 'c', true],
    ['3 members, 2 down', [m('a', true), m('b', false), m('c', false)], 'c', false, 'quorum-lost'],
    ['3 members, all down', [m('a', false), m('b', false), m('c', false)], 'a', false, 'quorum-lost'],
    ['5 members, 2 down (the failed one among them)', [m('a', true), m('b', true), m('c', true), m('d', false), m('e', false)], 'e', true],
    ['5 members, 3 down', [m('a', true), m('b', true), m('c', false), m('d', false), m('e', false)], 'e', false, 'quorum-lost'],
    ['the failed member still healthy', [m('a', true), m('b', true), m('c', true)], 'c', false, 'member-still-healthy'],
    ['unknown member', [m('a', true), m('b', true), m('c', false)], 'x', false, 'not-a-member'],
    ['a learner does not count as a voter', [m('a', true), m('b', false), m('c', false), m('l', true, true)], 'c', false, 'quorum-lost'],
    ['1 member cannot be replaced online', [m('a', false)], 'a', false, 'quorum-lost'],
  ];
  for (const [name, members, failed, safe, reason] of cases) {
    it(name, () => {
      const verdict = judgeReplacement(members, failed);
      assert.equal(verdict.safe, safe);
      if (!verdict.safe) assert.equal(verdict.reason, reason);
    });
  }

  it('says quorum is lost and that a restore is needed', () => {
    const verdict = judgeReplacement([m('a', true), m('b', false), m('c', false)], 'c', { clusterName: 'demo' });
    assert.equal(verdict.safe, false);
    if (!verdict.safe) {
      assert.match(verdict.message, /quorum is lost: 1 of 3 members besides c are healthy, 2 are needed \(down: b, c\)/);
      // The command that helps, on AWS and locally (the core cannot tell which it runs on).
      assert.match(verdict.message, /restore the cluster from its last good backup/);
      assert.match(verdict.message, /`etcd-ha restore --cluster demo` \(AWS\) or `etcd-ha local restore` \(local mode\)/);
    }
    const addition = judgeAddition([m('a', true), m('b', false)], 'demo');
    assert.ok(!addition.safe && addition.message.includes('etcd-ha restore --cluster demo'));
  });

  it('replaces a healthy member only when forced', () => {
    assert.equal(judgeReplacement([m('a', true), m('b', true), m('c', true)], 'c', { force: true }).safe, true);
  });

  it('quorumOf', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 7].map(quorumOf), [1, 2, 2, 3, 3, 4]);
  });
});

describe('replacementName', () => {
  it('takes the next free index of the same series', () => {
    assert.equal(replacementName('infra1', ['infra0', 'infra1', 'infra2']), 'infra3');
    assert.equal(replacementName('infra0', ['infra0', 'infra1', 'infra2', 'infra3']), 'infra4');
    assert.equal(replacementName('etcd-a', ['etcd-a', 'etcd-b']), 'etcd-a-2');
    assert.equal(replacementName('etcd-a', ['etcd-a', 'etcd-a-2']), 'etcd-a-3');
  });
});
