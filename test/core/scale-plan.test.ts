import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newMemberName, nextScaleChange, targetSizeProblems, type ScaleChange, type ScaleMemberFact } from '../../lambdas/core/scale-plan';

const v = (name: string, healthy = true, leader = false): ScaleMemberFact => ({ name, healthy, leader, learner: false });
const learner = (name: string): ScaleMemberFact => ({ name, healthy: true, leader: false, learner: true });

describe('targetSizeProblems', () => {
  const cases: Array<[number, boolean, RegExp | undefined]> = [
    [3, false, undefined],
    [5, false, undefined],
    [7, false, undefined],
    [1, true, undefined],
    [1, false, /^members: 1 leaves no fault tolerance; set allowSingleMember/],
    [4, false, /^members: must be odd/],
    [2, true, /^members: must be odd/],
    [9, false, /^members: at most 7/],
    [0, false, /^members: must be a whole number/],
    [3.5, false, /^members: must be a whole number/],
  ];
  for (const [members, allow, problem] of cases) {
    it(`${members} members${allow ? ' (allowSingleMember)' : ''}: ${problem ? 'refused' : 'allowed'}`, () => {
      const problems = targetSizeProblems(members, allow);
      if (problem) assert.match(problems.join('\n'), problem);
      else assert.deepEqual(problems, []);
    });
  }
});

describe('nextScaleChange', () => {
  const name = () => 'infra3';
  const cases: Array<[string, ScaleMemberFact[], number, ScaleChange | RegExp]> = [
    ['3 → 3: done', [v('a', true, true), v('b'), v('c')], 3, { action: 'done' }],
    ['3 → 5: grow', [v('a', true, true), v('b'), v('c')], 5, { action: 'grow', name: 'infra3' }],
    ['5 → 3: the newest follower first', [v('a', true, true), v('b'), v('c'), v('d'), v('e')], 3, { action: 'shrink', member: 'e' }],
    ['5 → 3: a down leaving follower before a healthy one', [v('a', true, true), v('b'), v('c'), v('d', false), v('e')], 3, { action: 'shrink', member: 'd' }],
    ['5 → 3: an original member never leaves before the new ones', [v('a'), v('b'), v('c', false), v('d', true, true), v('e')], 3, { action: 'shrink', member: 'e' }],
    ['4 → 3 with the leaving leader last: leadership moves to a staying healthy member', [v('a', false), v('b'), v('c'), v('d', true, true)], 3, { action: 'shrink', member: 'd', moveLeaderTo: 'b' }],
    ['3 → 1: the newest follower', [v('a', true, true), v('b'), v('c')], 1, { action: 'shrink', member: 'c' }],
    ['quorum lost: refused', [v('a', true, true), v('b', false), v('c', false)], 5, /fewer than a quorum \(2\)/],
    ['a learner left over: refused', [v('a', true, true), v('b'), v('c'), learner('d')], 5, /a learner is in the member list \(d\)/],
    ['a removal that would lose quorum: refused', [v('a', true, true), v('b', false), v('c', false), v('d'), v('e')], 3, /removing e would leave 2 healthy of 4 voters/],
  ];
  for (const [title, members, target, expected] of cases) {
    it(title, () => {
      const change = nextScaleChange(members, target, name);
      if (expected instanceof RegExp) {
        assert.equal(change.action, 'refuse');
        assert.match((change as { reason: string }).reason, expected);
      } else assert.deepEqual(change, expected);
    });
  }
});

describe('newMemberName', () => {
  const cases: Array<[string[], string]> = [
    [['infra0', 'infra1', 'infra2'], 'infra3'],
    [['infra0', 'infra1', 'infra2', 'infra3', 'infra4'], 'infra5'],
    [['etcd-a', 'node7', 'node2'], 'node8'],
    [['a', 'b'], 'member0'],
  ];
  for (const [taken, expected] of cases) it(`${taken.join(',')} → ${expected}`, () => assert.equal(newMemberName(taken), expected));
});
