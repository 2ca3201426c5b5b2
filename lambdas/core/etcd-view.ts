// What etcd says about a cluster, as the etcd admin port reports it and the health rules judge it. Core types:
// the port (lambdas/ports.ts) re-exports them, so core depends on nothing outside it.

/** Per member, what etcd says about itself. */
export interface MemberStatus {
  readonly endpoint: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly memberId?: string;
  readonly clusterId?: string;
  readonly leaderId?: string;
  readonly raftIndex?: number;
  readonly raftAppliedIndex?: number;
  readonly dbSize?: number;
  readonly isLearner?: boolean;
  readonly version?: string;
  /** The member's KV revision when it answered (the status header's). */
  readonly revision?: number;
}

export interface ClusterMember {
  /** Decimal string, as the etcd API returns it. */
  readonly id: string;
  readonly name: string;
  readonly peerURLs: readonly string[];
  readonly clientURLs: readonly string[];
  readonly isLearner: boolean;
}

export interface ClusterView {
  readonly statuses: readonly MemberStatus[];
  readonly members: readonly ClusterMember[];
  readonly alarms: readonly string[];
  /** Why the alarm list could not be read (it goes through raft: without quorum it fails while the member list may not). */
  readonly alarmsUnknown?: string;
}
