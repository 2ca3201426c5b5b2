// A member as the cluster's record keeps it, and where its machine sits. Core types: the registry port
// (lambdas/ports.ts) re-exports them, so core depends on nothing outside it.

/**
 * An EC2 instance's subnet, availability zone, security groups and instance profile, as described while it runs.
 * EC2 stops describing some of them once the instance is terminated (and may drop the profile while it shuts
 * down), so the registry keeps them: a replacement clones a failed instance from them, and places the clone by
 * the AZs of the cluster's members.
 */
export interface HostPlacement {
  readonly subnetId?: string;
  /** EC2 Placement.AvailabilityZone, e.g. "us-east-1a". */
  readonly availabilityZone?: string;
  readonly securityGroupIds?: readonly string[];
  readonly instanceProfileArn?: string;
}

/** A member as the record keeps it. */
export interface RecordedMember {
  readonly name: string;
  /** Member ID in hex, as etcdctl prints it ("" when not known yet). */
  readonly id: string;
  readonly address: string;
  readonly instanceId?: string;
  readonly placement?: HostPlacement;
}

/**
 * A dead member an execution removed from etcd (with every other dead voter, quorum permitting) before it
 * added its own replacement: its replacement is still to come (its own EC2 event, `local heal`, or by hand).
 */
export interface RemovedMember extends RecordedMember {
  readonly removedAt: string;
  /** The execution that removed it. */
  readonly removedBy: string;
}
