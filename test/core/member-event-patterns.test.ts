import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EVENT_PATTERN_MAX_CHARS, NO_MEMBER_INSTANCE, instanceStatePattern, memberPatterns } from '../../lambdas/core/member-event-patterns';

const STATES = ['shutting-down', 'terminated', 'stopping', 'stopped'];
const id = (i: number) => `i-${i.toString(16).padStart(17, '0')}`;

describe('member event patterns', () => {
  it("lists the instances (distinct, sorted) under detail.instance-id; an empty slot lists no instance", () => {
    const { patterns, unplaced } = memberPatterns([id(2), id(1), id(2)], STATES, 2);
    assert.deepEqual(JSON.parse(patterns[0]!), {
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { 'instance-id': [id(1), id(2)], state: STATES },
    });
    assert.deepEqual(JSON.parse(patterns[1]!).detail['instance-id'], [NO_MEMBER_INSTANCE]);
    assert.deepEqual(unplaced, []);
  });

  it(`spreads many instances over the slots, each pattern within ${EVENT_PATTERN_MAX_CHARS} characters; what no slot holds is reported`, () => {
    const ids = Array.from({ length: 300 }, (_, i) => id(i));
    const { patterns, unplaced } = memberPatterns(ids, STATES, 4);
    assert.ok(patterns.every((p) => p.length <= EVENT_PATTERN_MAX_CHARS));
    const listed = patterns.flatMap((p) => JSON.parse(p).detail['instance-id'] as string[]);
    assert.deepEqual([...listed, ...unplaced].sort(), [...ids].sort());
    assert.equal(unplaced.length, 0, `4 slots hold ${listed.length}`);
    const few = memberPatterns(ids, STATES, 1);
    assert.ok(few.unplaced.length > 0 && few.patterns[0]!.length <= EVENT_PATTERN_MAX_CHARS);
  });

  it('the same members give the same patterns', () => {
    assert.equal(instanceStatePattern([id(1)], STATES), memberPatterns([id(1)], STATES, 1).patterns[0]);
  });
});
