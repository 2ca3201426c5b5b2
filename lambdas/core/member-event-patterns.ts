// The EC2 state-change rules match member instances only. EC2's state-change events carry no tags, so a rule
// cannot ask for the etcd-ha:cluster tag: its pattern lists the members' instance IDs instead, rewritten from the
// registry whenever a record changes. EventBridge limits a pattern's size, so the IDs are spread over a fixed
// number of rules (slots); a slot with no IDs matches nothing. Pure: table-tested in
// test/core/member-event-patterns.test.ts.

/** EventBridge's limit on an event pattern's size, in characters (its quotas page; PutRule's own limit is larger). */
export const EVENT_PATTERN_MAX_CHARS = 2048;

import { NO_MEMBER_INSTANCE } from '../catalog/contracts';

/** What an empty slot's pattern lists (shared with the stack's placeholder). */
export { NO_MEMBER_INSTANCE };

/** An EC2 state-change pattern for `instanceIds` in `states` (JSON, as PutRule takes it). */
export function instanceStatePattern(instanceIds: readonly string[], states: readonly string[]): string {
  return JSON.stringify({
    source: ['aws.ec2'],
    'detail-type': ['EC2 Instance State-change Notification'],
    detail: { 'instance-id': instanceIds.length > 0 ? [...instanceIds] : [NO_MEMBER_INSTANCE], state: [...states] },
  });
}

export interface MemberPatterns {
  /** One pattern per slot, in slot order; a slot without members gets the pattern that matches nothing. */
  readonly patterns: readonly string[];
  /** Instance IDs no slot could take (more members than the slots hold): they are not watched. */
  readonly unplaced: readonly string[];
}

/**
 * The patterns of `slots` rules that together match the state changes of `instanceIds` (distinct, sorted, so the
 * same members give the same patterns) in `states`, each within `maxChars`.
 */
export function memberPatterns(instanceIds: readonly string[], states: readonly string[], slots: number, maxChars = EVENT_PATTERN_MAX_CHARS): MemberPatterns {
  if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`slots must be a whole number ≥ 1, got ${slots}`);
  const ids = [...new Set(instanceIds)].sort();
  const groups: string[][] = [[]];
  const unplaced: string[] = [];
  for (const id of ids) {
    const current = groups[groups.length - 1]!;
    if (instanceStatePattern([...current, id], states).length <= maxChars) {
      current.push(id);
    } else if (groups.length < slots && instanceStatePattern([id], states).length <= maxChars) {
      groups.push([id]);
    } else {
      unplaced.push(id);
    }
  }
  const patterns = Array.from({ length: slots }, (_, i) => instanceStatePattern(groups[i] ?? [], states));
  return { patterns, unplaced };
}
