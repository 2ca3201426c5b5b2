// The health verdict on one etcd cluster: what an EtcdAdmin saw (ClusterView) judged against what the
// spec expects. Pure: no I/O, so the Wait Until Healthy loop, the quorum check and the CLI all read
// the same sentences. A cluster is healthy only when it is exactly the cluster the spec describes.
import type { ClusterView } from './etcd-view';
import { HEALTH_RULES, hexId, subjectsOf, type HealthContext } from './health-rules';

export { hexId } from './health-rules';

export interface ExpectedCluster {
  /** The spec's members with their resolved addresses. */
  readonly members: ReadonlyArray<{ readonly name: string; readonly address: string }>;
  readonly clientPort: number;
  readonly peerPort: number;
}

export interface HealthOptions {
  /**
   * Largest tolerated raft lag, in entries: a member's committed index minus its applied index, and the
   * leader's committed index minus the member's.
   */
  readonly maxAppliedIndexLag: number;
  /**
   * After a replacement: a member that does not answer is reported in `down` instead of failing the verdict, as
   * long as a quorum of the expected members answers and every member in `mustAnswer` does (the new member).
   * Its own replacement will come (each dead member has or gets its own execution).
   * @default false: every member must answer (provisioning)
   */
  readonly tolerateDown?: boolean;
  /** Members that must answer even with `tolerateDown`. @default [] */
  readonly mustAnswer?: readonly string[];
}

export interface MemberHealth {
  /** The spec's name; for a listed member the spec lacks, its listed name ("" when it never started). */
  readonly name: string;
  /** Member ID in hex, as etcdctl prints it; absent when neither its status nor the member list gave one. */
  readonly id?: string;
  /** Client URL: the one the spec implies, or for an extra member the first it advertises ("" when unstarted). */
  readonly endpoint: string;
  /** Peer URL: the one the spec implies, or for an extra member the first it lists. */
  readonly peerUrl: string;
  /** True when no problem names this member. A listed member the spec lacks is never healthy. */
  readonly healthy: boolean;
  readonly leader: boolean;
  readonly learner: boolean;
  readonly dbSize?: number;
}

export interface HealthVerdict {
  readonly healthy: boolean;
  /** Short sentences, each naming the member it is about; empty when healthy. */
  readonly problems: readonly string[];
  /** With `tolerateDown`: the members that did not answer, reported but not failing the verdict. */
  readonly down: readonly string[];
  /** Set when every member that answered agrees on one leader. */
  readonly leaderName?: string;
  /** Cluster ID in hex; set when every member that answered reports the same one. */
  readonly clusterId?: string;
  /** The spec's members in spec order, then any listed member the spec lacks. */
  readonly members: readonly MemberHealth[];
}

/**
 * Runs every rule of HEALTH_RULES (health-rules.ts) in order over what etcd said, and gathers their problems.
 * A cluster is healthy when no rule found one.
 */
export function judgeClusterHealth(view: ClusterView, expected: ExpectedCluster, options: HealthOptions): HealthVerdict {
  const { maxAppliedIndexLag } = options;
  if (!Number.isInteger(maxAppliedIndexLag) || maxAppliedIndexLag < 0) {
    throw new RangeError(`maxAppliedIndexLag must be a whole number >= 0 (got ${maxAppliedIndexLag})`);
  }
  const context: HealthContext = { view, options, ...subjectsOf(view, expected), problems: [], down: [] };
  for (const rule of HEALTH_RULES) rule.check(context);
  const { problems, down, leaderId, clusterId, everyone } = context;
  const idOf = (s: (typeof everyone)[number]) => s.status?.memberId ?? s.listed?.id;
  return {
    healthy: problems.length === 0,
    problems,
    down,
    ...(leaderId !== undefined && { leaderName: context.nameOfId(leaderId) }),
    ...(clusterId !== undefined && clusterId !== '?' && { clusterId: hexId(clusterId) }),
    members: everyone.map((s) => {
      const id = idOf(s);
      const dbSize = s.status?.ok ? s.status.dbSize : undefined;
      return {
        name: s.name,
        ...(id !== undefined && { id: hexId(id) }),
        endpoint: s.endpoint,
        peerUrl: s.peerUrl,
        healthy: s.healthy,
        leader: id !== undefined && (leaderId !== undefined ? id === leaderId : s.status?.ok === true && s.status.leaderId === id),
        learner: s.listed?.isLearner === true || s.status?.isLearner === true,
        ...(dbSize !== undefined && { dbSize }),
      };
    }),
  };
}
