// ScaleCluster's decisions, pure: whether a target size is allowed, and which one change comes next (grow by one
// learner, or shrink by one member: followers first, the leader last and only once leadership moved away).
import { quorumOf } from './quorum';

/** etcd's advice: an odd number of voters, at most seven (more slows every write for no fault tolerance gained). */
export const MAX_SCALE_MEMBERS = 7;

/** Problems with a target size, as "field: rule" lines (empty: allowed). */
export function targetSizeProblems(members: number, allowSingleMember: boolean): string[] {
  if (!Number.isInteger(members) || members < 1) return [`members: must be a whole number from 1 to ${MAX_SCALE_MEMBERS}, got ${members}`];
  if (members > MAX_SCALE_MEMBERS) return [`members: at most ${MAX_SCALE_MEMBERS} (etcd's advice), got ${members}`];
  if (members % 2 === 0) return [`members: must be odd (an even size tolerates no more failures than the odd size below it), got ${members}`];
  if (members === 1 && !allowSingleMember) return ['members: 1 leaves no fault tolerance; set allowSingleMember: true to ask for it'];
  return [];
}

/** A voter as etcd lists it, with whether it answered and leads. */
export interface ScaleMemberFact {
  readonly name: string;
  readonly healthy: boolean;
  readonly leader: boolean;
  readonly learner: boolean;
}

export type ScaleChange =
  | { readonly action: 'done' }
  | { readonly action: 'grow'; readonly name: string }
  /** Remove `member`; when it leads, leadership moves to `moveLeaderTo` first. */
  | { readonly action: 'shrink'; readonly member: string; readonly moveLeaderTo?: string }
  | { readonly action: 'refuse'; readonly reason: string };

/**
 * The next single change towards `target` voters. Refused while a learner is left over (one learner at a time, and it
 * is not ours to judge) or while fewer than a quorum of the voters answer. `members` are in the record's order
 * (oldest first): shrinking removes the newest ones, a down follower among them first, then the newest follower,
 * the leader only when no other is left to remove, and then only with a healthy staying voter to hand leadership to.
 */
export function nextScaleChange(members: readonly ScaleMemberFact[], target: number, newName: () => string): ScaleChange {
  const voters = members.filter((m) => !m.learner);
  const learners = members.filter((m) => m.learner);
  if (learners.length > 0) return { action: 'refuse', reason: `a learner is in the member list (${learners.map((m) => m.name || '(unstarted)').join(', ')}): finish or remove it first` };
  const healthy = voters.filter((m) => m.healthy).length;
  if (healthy < quorumOf(voters.length)) {
    return { action: 'refuse', reason: `only ${healthy} of ${voters.length} voters are healthy, fewer than a quorum (${quorumOf(voters.length)}): no membership change can commit safely` };
  }
  if (voters.length === target) return { action: 'done' };
  if (voters.length < target) return { action: 'grow', name: newName() };
  // The newest members leave first (the list is in the record's order, oldest first): followers among them before
  // the leader, which leaves last, once leadership moved to a healthy member that stays.
  const leaving = voters.slice(target);
  const staying = voters.slice(0, target);
  const followers = leaving.filter((m) => !m.leader);
  const pick = followers.find((m) => !m.healthy) ?? followers.at(-1) ?? leaving.find((m) => m.leader);
  if (!pick) return { action: 'refuse', reason: 'no member to remove was found' };
  // Removing it must leave a quorum of the remaining voters healthy.
  const healthyAfter = healthy - (pick.healthy ? 1 : 0);
  if (healthyAfter < quorumOf(voters.length - 1)) {
    return { action: 'refuse', reason: `removing ${pick.name} would leave ${healthyAfter} healthy of ${voters.length - 1} voters, fewer than a quorum` };
  }
  if (!pick.leader) return { action: 'shrink', member: pick.name };
  const heir = staying.find((m) => m.healthy);
  if (!heir) return { action: 'refuse', reason: `${pick.name} leads and no member that stays is healthy to take over` };
  return { action: 'shrink', member: pick.name, moveLeaderTo: heir.name };
}

/**
 * A new member's name, never used before in the cluster (as ReplaceMember names replacements): the highest index of
 * names like `<prefix><n>` plus one, the prefix taken from the first name that has one.
 */
export function newMemberName(taken: readonly string[]): string {
  const used = new Set(taken);
  const pattern = taken.map((name) => /^(.*?)(\d+)$/.exec(name)).find((m) => m !== null);
  const prefix = pattern ? (pattern[1] as string) : 'member';
  const indexes = taken.map((name) => (name.startsWith(prefix) ? Number(name.slice(prefix.length)) : NaN)).filter((n) => Number.isInteger(n) && n >= 0);
  let next = indexes.length > 0 ? Math.max(...indexes) + 1 : 0;
  while (used.has(`${prefix}${next}`)) next += 1;
  return `${prefix}${next}`;
}
