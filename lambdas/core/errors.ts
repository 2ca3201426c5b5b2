// One base class and named subclasses. Step Functions matches Retry/Catch on `name`, so the
// names below are part of the workflows' contract: rename one only together with the workflows.
export class EtcdHaError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The input does not satisfy its schema; `problems` lists "field.path: rule" lines. */
export class SpecValidationError extends EtcdHaError {
  readonly problems: readonly string[];
  constructor(subject: string, problems: readonly string[]) {
    super(`invalid ${subject}:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

/** Base of the PKI errors: the etcd certificates cannot be issued or reused as asked. */
export class PkiError extends EtcdHaError {}

/** The stored etcd CA's certificate and key are not a pair: refusing to sign with it or replace it. */
export class CaKeyMismatchError extends PkiError {}

/** The stored etcd CA cannot be reused (unreadable, not a CA, or expired); replacing it is a deliberate act. */
export class CaUnusableError extends PkiError {}

/** A member needs an address before its server and peer certificates can carry it as a SAN. */
export class MemberAddressMissingError extends PkiError {
  readonly member: string;
  constructor(member: string) {
    super(`member "${member}" has no address; its etcd server and peer certificates need one as an IP SAN`);
    this.member = member;
  }
}

/** A host bundle would carry the etcd CA key, which must never leave the PKI step. */
export class CaKeyInBundleError extends PkiError {}

/** A host script exited non-zero. Not retried: the message carries the step, the host and the stderr tail. */
export class HostScriptFailedError extends EtcdHaError {}

/**
 * The command could not reach the host (SSM: undeliverable, agent not connected; locally: the
 * host's directory is missing). Transient: the workflows retry it a bounded number of times.
 */
export class HostUnreachableError extends EtcdHaError {}

/** The host did not finish the command in time. */
export class HostCommandTimeoutError extends EtcdHaError {}

/** A member's host cannot be found or is not running (EC2: unknown, stopped or terminated instance). */
export class HostNotFoundError extends EtcdHaError {}

/**
 * An instance (locally: a simulated host) that does not serve the cluster the execution names: its
 * `etcd-ha:cluster` tag is another cluster's, or missing. An instance serves only the cluster its tag names, so
 * that no execution can make another cluster's host (or an untagged one) a member. Not retried: nothing was changed.
 */
export class HostNotInClusterError extends EtcdHaError {}

/** A launched replacement host never came online in SSM (no instance profile, no route to SSM, no agent). */
export class HostAgentOfflineError extends EtcdHaError {}

/**
 * No subnet may take the clone of a failed instance: every availability zone the cluster has is to be avoided, may
 * be out, or would then hold a quorum of the members (lambdas/core/clone-placement.ts). Not retried: nothing
 * was launched; the message names each AZ with its counts.
 */
export class ClonePlacementRefusedError extends EtcdHaError {}

/**
 * EC2 refused to launch the clone in its availability zone for a reason another AZ may not have (no capacity,
 * an instance type the AZ does not offer, a full subnet). Choose Replacement Host then tries another AZ.
 */
export class CloneLaunchFailedError extends EtcdHaError {
  constructor(
    message: string,
    /** The AZ the launch was refused in, when known. */
    readonly availabilityZone: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The failed instance may not be cloned, whatever the request or the record says: it does not carry the cluster's
 * tag, its instance profile's role is not one of the stack's memberInstanceRoleArns, its launch template is not one
 * the stack names, or the stack launches no clones at all. Not retried: nothing was launched; the message says what
 * to name by hand.
 */
export class CloneRefusedError extends EtcdHaError {}

/** A step that needs replacement hosts launched (AWS) ran where none are (the local runner). */
export class ReplacementHostsUnsupportedError extends EtcdHaError {}

/** A secret the step needs is not in the store (e.g. the PKI was never generated for this cluster). */
export class SecretMissingError extends EtcdHaError {}

/**
 * The host runner refused a command before sending it: too large for SSM, a timeout outside the
 * document's range, or a host without an EC2 instance ID. A bug or a config error: not retried.
 */
export class HostCommandRejectedError extends EtcdHaError {}

/** No endpoint answered (refused, unreachable or too slow). Transient: retry after a wait. */
export class EtcdUnavailableError extends EtcdHaError {}
/** etcd answered "not now": learner not yet in sync, unhealthy cluster right after a change, no leader. Retry. */
export class EtcdNotReadyError extends EtcdHaError {}
/** etcd refused a membership change for good (e.g. too many learners, unknown member). Not retried. */
export class EtcdMemberChangeRefusedError extends EtcdHaError {}

/**
 * A snapshot etcd streamed does not end with the SHA-256 of everything before it (lambdas/core/snapshot-hash.ts):
 * bytes were lost or changed on the way, or the stream ended before its 32-byte trailer. `etcdutl snapshot restore`
 * would refuse the file, so it is not kept: the store's upload is aborted, its file never put in place. Not
 * retried by ReplaceMember, which then stops before its first membership change.
 */
export class SnapshotCorruptError extends EtcdHaError {}

/**
 * The learner did not catch up with the leader within the promotion budget (ReplaceMember's
 * promotionBudgetMinutes): its message says how far it got. The workflow then removes it again.
 */
export class LearnerNotInSyncError extends EtcdHaError {}

/** Another membership change holds the cluster's lock. */
export class ClusterLockedError extends EtcdHaError {}

/**
 * The execution no longer holds the cluster's lock it was given (released, or taken over once its execution
 * was found ended): it must neither renew the lock nor write the cluster's record. Not retried: another
 * execution may be changing the cluster now.
 */
export class ClusterLockLostError extends EtcdHaError {}

/** Too few healthy members to commit a membership change: only a restore from a snapshot helps. */
export class QuorumLostError extends EtcdHaError {}

/** The member to replace still answers and is healthy (retried briefly: an instance that is stopping still runs etcd). */
export class MemberStillHealthyError extends EtcdHaError {}

/**
 * The execution asks to complete an Auto Scaling lifecycle action where no adapter for it exists (the local
 * runner: no Auto Scaling group holds a local host). A request with a `lifecycle` field belongs on AWS.
 */
export class LifecycleActionUnsupportedError extends EtcdHaError {}

/**
 * ProvisionCluster was asked to change what a running cluster's record settles: its members (that is
 * ReplaceMember's, or the planned ScaleCluster's), or a setting a running member cannot take (runtime, data dir,
 * ports). Nothing was changed. Not retried.
 */
export class ProvisionRefusedError extends EtcdHaError {}

/**
 * The cluster's CA secret exists but no record (bootstrapping or running) says the cluster does: a CA nobody
 * recorded is never adopted (someone else may know its key) nor replaced (something may trust it). The message
 * names the secret. Not retried.
 */
export class UnrecordedCaError extends EtcdHaError {}

/** Restarting this member now would leave too few voters answering (retried: the member before it may still be coming back). */
export class RestartWouldLoseQuorumError extends EtcdHaError {}

/**
 * A secret of the cluster's name exists but is not one etcd-ha made: encrypted with another KMS key, carrying a
 * resource policy, or without the cluster's tag (locally: a file not owned by this user, or others may read it).
 * Someone else may have planted it, or may read what would be written into it: nothing is written or reused. Not
 * retried; the message names the secret and each reason, never its value.
 */
export class ForeignSecretError extends EtcdHaError {
  constructor(
    /** The secret's name (its file locally). */
    readonly secretName: string,
    /** Why it is not ours, one reason a line. */
    readonly reasons: readonly string[],
  ) {
    super(`secret ${secretName} is not one etcd-ha created, so it is neither written nor reused: ${reasons.join('; ')}. Delete it (or move it aside) if it is not needed, then re-run.`);
  }
}

// ---- DrillRestore ----
/** A drill found no last good backup to restore: a failed drill (RestoreDrillSucceeded 0), not a skipped one. */
export class NoBackupToDrillError extends EtcdHaError {}

/** ScaleCluster refuses the next change (quorum not healthy, a learner left over, no host to grow onto): nothing was changed by it. */
export class ScaleRefusedError extends EtcdHaError {}

/** AdoptCluster: the member found cannot be taken over as it is (each reason says why and what to do); nothing changed. */
export class AdoptRefusedError extends EtcdHaError {}
