// Quorum rules for replacing one failed member (etcd runtime-configuration guide: remove first,
// then add; one change at a time; the cluster must have quorum to commit either change).
import { restoreAdvice } from './restore/advice';

export interface MemberHealthFact {
  readonly name: string;
  readonly id: string;
  readonly healthy: boolean;
  readonly learner: boolean;
}

export type ReplacementVerdict =
  | { readonly safe: true; readonly voters: number; readonly healthyOthers: number; readonly quorum: number }
  | { readonly safe: false; readonly reason: 'quorum-lost' | 'member-still-healthy' | 'not-a-member'; readonly message: string };

export function quorumOf(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/**
 * Whether `failed` can be removed and replaced now. Removing it needs a quorum of the current
 * voters among the OTHER members: with 2 of 3 down, no change can commit and only a restore helps.
 */
export function judgeReplacement(members: readonly MemberHealthFact[], failed: string, options: { force?: boolean; clusterName?: string } = {}): ReplacementVerdict {
  const voters = members.filter((m) => !m.learner);
  const target = voters.find((m) => m.name === failed);
  if (!target) {
    return { safe: false, reason: 'not-a-member', message: `${failed} is not a voting member of the cluster (already removed?)` };
  }
  const healthyOthers = voters.filter((m) => m.name !== failed && m.healthy).length;
  const quorum = quorumOf(voters.length);
  if (healthyOthers < quorum) {
    const down = voters.filter((m) => !m.healthy).map((m) => m.name);
    return {
      safe: false,
      reason: 'quorum-lost',
      message:
        `quorum is lost: ${healthyOthers} of ${voters.length} members besides ${failed} are healthy, ${quorum} are needed ` +
        `(down: ${down.join(', ')}). No membership change can commit; ${restoreAdvice(options.clusterName)}.`,
    };
  }
  if (target.healthy && !options.force) {
    return {
      safe: false,
      reason: 'member-still-healthy',
      message: `${failed} still answers and is healthy; replacing it would cut fault tolerance for nothing (pass force to replace it anyway)`,
    };
  }
  return { safe: true, voters: voters.length, healthyOthers, quorum };
}

/** The name of a replacement: infra1 → the next free infraN; names without a number get "-2", "-3", … */
export function replacementName(failed: string, taken: readonly string[]): string {
  const match = /^(.*?)(\d+)$/.exec(failed);
  const used = new Set(taken);
  if (match) {
    const prefix = match[1] as string;
    const indexes = taken.map((name) => (name.startsWith(prefix) ? Number(name.slice(prefix.length)) : NaN)).filter(Number.isInteger);
    let next = Math.max(Number(match[2]), ...indexes) + 1;
    while (used.has(`${prefix}${next}`)) next += 1;
    return `${prefix}${next}`;
  }
  let n = 2;
  while (used.has(`${failed}-${n}`)) n += 1;
  return `${failed}-${n}`;
}

export type AdditionVerdict =
  | { readonly safe: true; readonly voters: number; readonly healthy: number; readonly quorum: number }
  | { readonly safe: false; readonly message: string };

/**
 * Whether a replacement can be added now that the failed member is no longer a voter: adding a learner
 * and promoting it both commit through raft, so a quorum of the current voters must answer.
 */
export function judgeAddition(members: readonly MemberHealthFact[], clusterName?: string): AdditionVerdict {
  const voters = members.filter((m) => !m.learner);
  const healthy = voters.filter((m) => m.healthy).length;
  const quorum = quorumOf(voters.length);
  if (healthy >= quorum) return { safe: true, voters: voters.length, healthy, quorum };
  const down = voters.filter((m) => !m.healthy).map((m) => m.name);
  return {
    safe: false,
    message:
      `quorum is lost: ${healthy} of ${voters.length} members are healthy, ${quorum} are needed (down: ${down.join(', ')}). ` +
      `No membership change can commit; ${restoreAdvice(clusterName)}.`,
  };
}
