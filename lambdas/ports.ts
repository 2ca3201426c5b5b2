// The small interfaces the Lambda steps need. Each has an AWS adapter (lambdas/adapters/aws) and a
// local one (lambdas/adapters/local); the steps see only these, so the same step code runs in both.
import type { Member } from './core/spec';
import type { ClusterMember, ClusterView, MemberStatus } from './core/etcd-view';
import type { HostPlacement, RecordedMember, RemovedMember } from './core/recorded-member';

export type { ClusterMember, ClusterView, MemberStatus, HostPlacement, RecordedMember, RemovedMember };
import type { MaintenanceState } from './core/maintenance';
import type { ProbeState } from './core/health-probe';
import type { ClusterStatus } from './core/cluster-status';
import type { RestoreNote } from './core/restore/plan';
import type { MembershipEvent } from './core/membership-event';

/** A member's host as the workflow sees it once resolved. Carried in Step Functions payloads: no secrets. */
export interface Host {
  readonly name: string;
  readonly address: string;
  /** EC2 instance (AWS). */
  readonly instanceId?: string;
  /** Simulated host (local): the directory that stands for its "/". */
  readonly root?: string;
  /** Where the EC2 instance sits (AWS), recorded so that a terminated one can still be cloned. */
  readonly placement?: HostPlacement;
}

/** A member's host as the cluster's record keeps it (ClusterRecord.members without the etcd ID). */
export interface RecordedHost {
  readonly name: string;
  readonly address: string;
  readonly instanceId?: string;
  readonly placement?: HostPlacement;
}

/** Key/value secrets (Secrets Manager on AWS, 0600 files locally): JSON pairs, and member bundles a host unpacks. */
export interface SecretStore {
  /** Full name of a secret of `clusterName`, e.g. "etcd-ha/demo/ca". */
  nameFor(clusterName: string, item: string): string;
  get(name: string): Promise<string | undefined>;
  /** Creates or updates; writes a new version only when the value differs. */
  put(name: string, value: string, options: SecretPutOptions): Promise<SecretRef>;
}

export interface SecretPutOptions {
  readonly description: string;
  /** Resource tags; on AWS the host policy matches the instance tag to let a host read only its own secret. */
  readonly tags?: Readonly<Record<string, string>>;
}

export interface SecretRef {
  readonly name: string;
  /** ARN on AWS, file path locally. */
  readonly id: string;
  readonly changed: boolean;
}

/** What a host script run needs: the command text and how long it may take. Never carries key material. */
export interface HostCommand {
  /** Shown in errors and progress ("Start Etcd"). */
  readonly title: string;
  readonly text: string;
  readonly timeoutSeconds: number;
}

export interface HostRunResult {
  readonly host: string;
  readonly exitCode: number;
  readonly stdoutTail: string;
  readonly stderrTail: string;
}

/** Runs one command on several hosts at once (SSM Run Command on AWS, bash with a per-host root locally). */
export interface HostRunner {
  run(hosts: readonly Host[], command: HostCommand): Promise<HostRunResult[]>;
}

/** Turns spec members into reachable hosts (EC2 DescribeInstances on AWS, loopback addresses locally). */
export interface HostDirectory {
  resolve(clusterName: string, members: readonly Member[], options?: ResolveOptions): Promise<Host[]>;
  /**
   * The hosts of members as the cluster's record keeps them, without asking where they are now (no EC2 call):
   * a member that is down (its instance stopped or terminated) is still a member. AWS: the recorded fields as
   * they are; locally: plus the host's root, the one `resolve` gives.
   * @throws SpecValidationError naming `members[i]` when a recorded member cannot be a host here (locally: a name
   *   that cannot name a host directory).
   */
  recorded(clusterName: string, members: readonly RecordedHost[]): Host[];
}

export interface ResolveOptions {
  /**
   * Addresses the cluster's other hosts have (or had): a member without an address is never given one of these
   * (locally: the next free loopback address skips them). AWS: not used (a member's address is its instance's).
   * @default - none besides the members' own
   */
  readonly addressesInUse?: readonly string[];
}

/**
 * etcd over mTLS with a client certificate. Membership calls go to the first of `endpoints` that answers
 * and are safe to repeat (kubeadm style): "already there", "already gone", "already a voter" are success.
 * IDs are the API's decimal strings. No call retries by itself: the workflow's Wait loop does.
 */
export interface EtcdAdmin {
  /** Asks every endpoint for its status (one client each) plus the member list and alarms. */
  inspect(endpoints: readonly string[], options?: InspectOptions): Promise<ClusterView>;
  /** Adds a member by peer URL; a member already listed with that peer URL is returned with `added: false`. */
  memberAdd(
    endpoints: readonly string[],
    peerUrl: string,
    isLearner: boolean,
  ): Promise<{ readonly member: ClusterMember; readonly members: readonly ClusterMember[]; readonly added: boolean }>;
  /** Removes a member; one that is no longer listed gives `removed: false`. */
  memberRemove(endpoints: readonly string[], id: string): Promise<{ readonly members: readonly ClusterMember[]; readonly removed: boolean }>;
  /** Promotes a learner; a member that is already a voter gives `promoted: false`. */
  memberPromote(endpoints: readonly string[], id: string): Promise<{ readonly members: readonly ClusterMember[]; readonly promoted: boolean }>;
  /**
   * Hands leadership to the voter `targetId` (etcd's MoveLeader), asked of the leader at `leaderEndpoint`; a target
   * that leads already is success. Resolves once etcd answered (the transfer is done then).
   */
  moveLeader(leaderEndpoint: string, targetId: string): Promise<void>;
  /** Sets a member's peer URLs (etcd's MemberUpdate); a member that already has exactly them gives `updated: false`. */
  memberUpdate(endpoints: readonly string[], id: string, peerUrls: readonly string[]): Promise<{ readonly members: readonly ClusterMember[]; readonly updated: boolean }>;
  /**
   * Streams a snapshot of the backend from the first endpoint that answers into `sink`. Gives that endpoint and
   * its member's status, asked right before its stream opened (so its revision is the one at the start), and the
   * keys at that revision (a count-only read; absent when it could not be read).
   */
  snapshot(
    endpoints: readonly string[],
    sink: (chunks: AsyncIterable<Uint8Array>) => Promise<void>,
  ): Promise<{ readonly endpoint: string; readonly status: MemberStatus; readonly keyCount?: number }>;
  close(): Promise<void>;
}

export interface InspectOptions {
  /**
   * Ask for the alarm list. It goes through raft (a proposal every member writes to its WAL): a restore drill, which
   * must leave the members' data dirs as they are, does not ask (`alarmsUnknown` then says so).
   * @default true
   */
  readonly alarms?: boolean;
}

export interface EtcdAdminFactory {
  connect(credentials: EtcdClientCredentials): EtcdAdmin;
}

export interface EtcdClientCredentials {
  readonly caCertPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** What outlives an execution: the cluster's members and where its PKI lives. */
export interface ClusterRecord {
  readonly clusterName: string;
  /**
   * "bootstrapping" from the first provisioning's Generate PKI (written under the lock before the CA exists) until
   * its Record Cluster; then "running". A bootstrapping cluster binds its members and CA, and is nothing to heal.
   * @default 'running' (records written before the field, always by a completed provisioning)
   */
  readonly status?: ClusterStatus;
  readonly runtime: string;
  readonly members: readonly RecordedMember[];
  /** Removed dead members whose replacements have not joined yet. @default - none */
  readonly removed?: readonly RemovedMember[];
  readonly secrets: Readonly<Record<string, string>>;
  /**
   * The `initial-cluster-token` the cluster was bootstrapped with (its members' IDs derive from it).
   * @default - none: bootstrapped before etcd-ha set one, so etcd's default ("etcd-cluster") stays
   */
  readonly initialClusterToken?: string;
  readonly updatedAt: string;
  /** The spec the cluster was last provisioned with (no secrets in it). */
  readonly spec: unknown;
  /**
   * Whether automatic healing is paused, by whom, since when and why, with every pause and resume (Set Maintenance,
   * as the lock holder). Every writer of the record keeps it. @default - never paused
   */
  readonly maintenance?: MaintenanceState;
  /** The last RestoreCluster: the backup it restored and the new cluster ID (Record Restored Cluster). @default - never restored */
  readonly lastRestore?: RestoreNote;
}

export interface ClusterRegistry {
  get(clusterName: string): Promise<ClusterRecord | undefined>;
  /** The cluster that has a member on this EC2 instance (an EventBridge event names only the instance). */
  findByInstanceId(instanceId: string): Promise<ClusterRecord | undefined>;
  /** Every recorded cluster (the health probe asks each). */
  list(): Promise<ClusterRecord[]>;
  /**
   * Writes the record. With `lockOwner`, only while that owner holds the cluster's lock, checked in the same
   * atomic step as the write (only the lock holder writes the record); without it, unconditionally.
   * @throws ClusterLockLostError when `lockOwner` is given and does not hold the lock: nothing is written.
   */
  put(record: ClusterRecord, options?: RegistryPutOptions): Promise<void>;
}

export interface RegistryPutOptions {
  /**
   * The execution (lock owner) that must hold the cluster's lock for the write to happen.
   * @default - none: the write is unconditional (only tests and tools that own the registry do this)
   */
  readonly lockOwner?: string;
}

/** Injected time, so that steps stay testable. */
export interface Clock {
  now(): Date;
}

/** Structured log lines; the cluster and member go in as keys. Never pass key material. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** Who takes a cluster's lock: the execution, and how to ask whether it still runs. */
export interface LockHolder {
  /** The execution's name (`$$.Execution.Name`): what renews, releases and writes the record under the lock. */
  readonly owner: string;
  /**
   * How ExecutionLiveness tells whether the holder still runs: the execution's ARN on AWS (`$$.Execution.Id`),
   * "local:<pid>:<start time in clock ticks>" of the local runner's process locally.
   */
  readonly ref: string;
}

/** Whether the execution that holds a lock has ended (Step Functions on AWS, the local runner's process locally). */
export interface ExecutionLiveness {
  /**
   * true once the execution `ref` names no longer runs (succeeded, failed, timed out, aborted) or does not exist.
   * @throws when `ref` is not a reference this adapter can ask about
   */
  hasEnded(ref: string): Promise<boolean>;
}

/**
 * One membership change per cluster at a time (DynamoDB conditional writes on AWS, a file locally). Only the
 * lock holder writes; a live holder is never robbed: a lock past its expiry is taken over only once
 * ExecutionLiveness says its execution has ended. The holder renews it (extend) while it works.
 */
export interface ClusterLock {
  /**
   * Takes the cluster's lock for `holder`, or reports who holds it. Taking a lock the same owner already holds
   * succeeds and pushes its expiry out (a retried step converges). A lock held by another owner past its
   * expiry is taken over (`tookOverFrom`) only when its holder's execution has ended; while it runs, the
   * lock stays refused (`expired: true`).
   */
  acquire(clusterName: string, holder: LockHolder, ttlSeconds: number): Promise<LockOutcome>;
  /**
   * Pushes the expiry of `owner`'s lock out to now + ttlSeconds (also once it has expired, as long as nobody took it over).
   * @throws ClusterLockLostError when `owner` does not hold the lock (released, or taken over)
   */
  extend(clusterName: string, owner: string, ttlSeconds: number): Promise<void>;
  /** Releases the lock if `owner` holds it; releasing a lock not held is a no-op. */
  release(clusterName: string, owner: string): Promise<void>;
}

export type LockOutcome =
  | { readonly acquired: true; readonly tookOverFrom?: string }
  | {
      readonly acquired: false;
      /** The holder's owner (execution name). */
      readonly heldBy: string;
      /** When the holder took the lock (ISO 8601). */
      readonly since: string;
      /** When the holder's lock expires, or expired (ISO 8601). */
      readonly expiresAt: string;
      /** Past its expiry, yet refused: the holder's execution still runs. */
      readonly expired: boolean;
      /** The holder's ExecutionLiveness reference; absent in a lock taken before references were recorded. */
      readonly holderRef?: string;
    };

/** Where Snapshot Before Change keeps the backend snapshot (S3 on AWS, a directory locally). */
export interface SnapshotStore {
  save(clusterName: string, name: string, chunks: AsyncIterable<Uint8Array>): Promise<{ readonly location: string; readonly bytes: number }>;
}

/**
 * An Auto Scaling terminate lifecycle hook that holds an instance in Terminating:Wait (from the EventBridge
 * event "EC2 Instance-terminate Lifecycle Action"). Names and a token: no secret.
 */
export interface LifecycleAction {
  readonly lifecycleHookName: string;
  readonly autoScalingGroupName: string;
  readonly lifecycleActionToken: string;
  readonly instanceId: string;
}

/** Lets an Auto Scaling group go on with a held instance (AWS only: locally no group ever waits). */
export interface LifecycleActions {
  /**
   * Completes the action with `result`. An action that is no longer pending (completed before, or its
   * heartbeat timeout passed and the group went on by itself) gives `completed: false` with the reason.
   */
  complete(action: LifecycleAction, result: 'CONTINUE' | 'ABANDON'): Promise<{ readonly completed: boolean; readonly reason?: string }>;
}

/** Which instance to clone for which member: the failed member's instance, the replacement's name. */
export interface CloneRequest {
  readonly clusterName: string;
  /** The failed member's EC2 instance: its launch template or AMI, type, subnet, security groups, profile and tags. */
  readonly sourceInstanceId: string;
  /** The member the clone will host (tagged `etcd-ha:member`). */
  readonly memberName: string;
  /** The failed member (for messages). */
  readonly failedMemberName: string;
  /** The failed instance's placement as recorded while it ran: used for what EC2 no longer describes. */
  readonly recorded?: HostPlacement;
  /**
   * Every member of the cluster (the failed one included) with its placement as recorded: the clone goes to one
   * of their subnets, by availability zone (lambdas/core/clone-placement.ts).
   * @default - none: only the failed member's own subnet and AZ are known
   */
  readonly members?: ReadonlyArray<Pick<RecordedHost, 'name' | 'placement'>>;
  /**
   * Members that are down now, besides the failed one: another member down in the failed one's AZ sends the clone
   * to another AZ.
   * @default - none
   */
  readonly down?: readonly string[];
  /**
   * AZs where a launch or a host agent already failed in this execution: no clone goes there.
   * @default - none
   */
  readonly avoidAvailabilityZones?: readonly string[];
  /**
   * Makes a retried launch return the instance the first attempt launched (EC2 ClientToken); a re-run (a new
   * token) finds it by its tags instead.
   */
  readonly idempotencyKey: string;
}

export interface LaunchedHost {
  readonly instanceId: string;
  /** Primary private IPv4 address, known as soon as the launch returns. */
  readonly address: string;
  /** false: an earlier attempt had launched it (found by its tags), nothing new was launched. */
  readonly launched: boolean;
  /** Its subnet, availability zone, security groups and profile, as the launch answered (recorded with the cluster). */
  readonly placement?: HostPlacement;
  /** The availability zone it was launched in (chosen by clone placement), or an earlier attempt's clone is in. */
  readonly availabilityZone?: string;
}

/** Where a launched instance is on its way to taking commands. */
export interface HostAgentStatus {
  /**
   * EC2 state: pending, running, stopping, stopped, shutting-down, terminated; or "not found" while EC2 does not
   * describe the instance (for a little while after its launch: EC2 is eventually consistent).
   */
  readonly state: string;
  /** SSM agent: Online, ConnectionLost, Inactive, or "not registered". */
  readonly agent: string;
  /** EC2's reason for an instance that is stopped or terminated (e.g. a launch that failed). */
  readonly stateReason?: string;
}

/** Brings up the host of a replacement member (AWS: a clone of the failed instance; not needed locally). */
export interface ReplacementHosts {
  /**
   * Launches a clone of `sourceInstanceId`, or returns the pending or running clone an earlier attempt
   * launched for the same member (found by its `etcd-ha:replaces` and `etcd-ha:member` tags).
   * @throws HostNotFoundError when the source instance is no longer described by EC2.
   */
  launchCloneOf(request: CloneRequest): Promise<LaunchedHost>;
  /** The instance's EC2 state and whether its SSM agent is online, i.e. whether it can run host scripts. */
  agentStatus(instanceId: string): Promise<HostAgentStatus>;
}

/** The health probe's memory of one cluster, with a version for its conditional write. */
export interface StoredProbeState {
  readonly state: ProbeState;
  /** Incremented by every write; a write names the version it read. */
  readonly version: number;
}

/**
 * Where the health probe keeps "not answering since T" per member: an item of its own per cluster (the cluster
 * record is written only by the lock holder). A write is conditional on the version read, so that two probes of
 * one cluster never both act: the one whose write is refused starts nothing.
 */
export interface ProbeStateStore {
  get(clusterName: string): Promise<StoredProbeState | undefined>;
  /** Writes `state` if the stored version is still `readVersion` (undefined: nothing stored); false when it is not. */
  put(clusterName: string, state: ProbeState, readVersion: number | undefined): Promise<boolean>;
}

/** A member's machine: an EC2 instance (AWS), or a simulated host directory (locally). */
export interface MachineRef {
  readonly name: string;
  readonly instanceId?: string;
  readonly root?: string;
}

/**
 * Whether a member's machine runs, and taking a replaced one out of service. AWS: EC2 DescribeInstances,
 * StopInstances and tags. Locally: the simulated host's marker files (run/etcd-ha/machine-state), which only
 * this adapter writes ("stopped" stands for a stopped instance: its etcd is not started while it is there).
 */
export interface MachinePower {
  /** pending, running, stopping, stopped, shutting-down, terminated, or "not found". */
  stateOf(machine: MachineRef): Promise<string>;
  /**
   * After its member was replaced: stops the machine (never terminates it) and marks it replaced by `replacedBy`
   * so that it cannot come back as a member (AWS: tag `etcd-ha:replaced-by`, the `etcd-ha:cluster` tag removed, so
   * the host policy no longer lets it read the cluster's secrets and no step may run commands on it). A machine
   * that is gone already is left alone.
   */
  retire(machine: MachineRef, options: { readonly clusterName: string; readonly replacedBy: string }): Promise<RetireOutcome>;
}

export interface RetireOutcome {
  /** Its state before: e.g. "running" (then stopped), "stopped", "terminated", "not found". */
  readonly stateBefore: string;
  readonly stopped: boolean;
  readonly tagged: boolean;
}

/** Starts ReplaceMember for a member (Step Functions on AWS, the local runner locally). */
export interface ReplacementStarter {
  /**
   * Starts the execution `executionName` once: a second start of the same name is no second execution
   * (`started: false`).
   */
  start(request: { readonly clusterName: string; readonly member: string; readonly executionName: string; readonly trigger: string }): Promise<{ readonly execution: string; readonly started: boolean }>;
}

// ---- DeleteCluster ----
/**
 * A cluster's secrets, found and deleted for good (Secrets Manager without a recovery window, so that the name is
 * free again at once; the 0600 files locally). Names only: no value is read.
 */
export interface SecretDeletion {
  /** Every secret of `clusterName` (`<prefix>/<cluster>/…`, and on AWS tagged `etcd-ha:cluster` = the cluster), sorted. */
  secretsOf(clusterName: string): Promise<string[]>;
  /**
   * Deletes the secret now; safe to repeat. `deleted: false` when the store can tell it was gone already (files can;
   * Secrets Manager may not: a forced delete of a missing secret can succeed).
   */
  deleteNow(name: string): Promise<{ readonly deleted: boolean }>;
}

/** Deleting a cluster's record, only by the holder of its lock (which it leaves in place: Release Lock goes last). */
export interface RecordDeletion {
  /**
   * Deletes the record while `lockOwner` holds the cluster's lock, checked in the same atomic step; a record that is
   * gone already gives `deleted: false`.
   * @throws ClusterLockLostError when `lockOwner` does not hold the lock: nothing is deleted.
   */
  deleteRecord(clusterName: string, lockOwner: string): Promise<{ readonly deleted: boolean }>;
}

// ---- BackupCluster ----
import type { BackupMetadata } from './core/backup/metadata';
export type { BackupMetadata };

/** One backup as its store lists it: the name (its time) and whether its manifest was written. */
export interface ListedBackup {
  readonly name: string;
  readonly takenAt: Date;
  /** false: a snapshot without a manifest (its run died between the two writes); not a backup to restore. */
  readonly complete: boolean;
}

/**
 * Backups of a cluster (the snapshot bucket's backup prefix on AWS, `<home>/backups` locally): a snapshot, then its
 * manifest beside it. Only a snapshot whose stream ended with a matching trailer is ever saved (the caller checks it).
 */
export interface BackupStore {
  /** Streams the snapshot in; nothing is kept when the stream fails. */
  save(clusterName: string, name: string, chunks: AsyncIterable<Uint8Array>): Promise<{ readonly location: string; readonly bytes: number }>;
  /** Writes the manifest: from then on it is a complete backup. */
  describe(metadata: BackupMetadata): Promise<void>;
  /** Every backup of the cluster, newest first. */
  list(clusterName: string): Promise<ListedBackup[]>;
  /** The manifest, or undefined when there is none. */
  read(clusterName: string, name: string): Promise<BackupMetadata | undefined>;
  /** Deletes the snapshot and its manifest; safe to repeat. */
  remove(clusterName: string, name: string): Promise<void>;
}

/**
 * "The last good backup" of each cluster, beside its record under a key of its own (`backup#<cluster>` on AWS): the
 * cluster record is written only by the cluster-lock holder, and a backup never takes that lock.
 */
export interface LastBackupStore {
  get(clusterName: string): Promise<BackupMetadata | undefined>;
  put(metadata: BackupMetadata): Promise<void>;
}

// ---- RestoreCluster and restore drills: a backup handed to member hosts ----
/** Where a host fetches a staged snapshot from, and what it must find there (fetch-snapshot.sh checks both). */
export interface StagedSnapshot {
  /** `s3://bucket/key` on AWS, a file path locally: no credentials in it (the host reads it with its own). */
  readonly uri: string;
  /** Bytes, etcd's 32-byte SHA-256 trailer included. */
  readonly bytes: number;
  /** The trailer in hex: the SHA-256 of the file without its last 32 bytes. */
  readonly sha256: string;
}

/**
 * A backup handed to member hosts for a restore or a drill: read whole and checked first, then made readable by one
 * host at a time (on AWS a copy only that instance's role may read; the backups themselves stay out of hosts' reach).
 */
export interface SnapshotHandoff {
  /**
   * Reads the snapshot whole: its size and etcd's SHA-256 trailer must match the manifest.
   * @throws SnapshotCorruptError naming what differs.
   */
  verify(backup: BackupMetadata): Promise<void>;
  /** Makes the backup readable by that host alone; safe to repeat. `purpose`: the execution's name. */
  stage(backup: BackupMetadata, host: { readonly instanceId: string }, purpose: string): Promise<StagedSnapshot>;
  /** Removes everything `stage` made for that purpose, for every host; safe to repeat. */
  unstage(clusterName: string, purpose: string): Promise<void>;
}

// ---- Metrics (backups, restore drills) ----
/** One figure for CloudWatch (METRICS in catalog/contracts.ts names them), or for `<home>/metrics.jsonl` locally. */
export interface MetricPoint {
  readonly name: string;
  readonly value: number;
  readonly unit: 'Seconds' | 'Count' | 'None';
  /** `{ Cluster: name }` for a cluster's own figure; none for the fleet-wide one that alarms watch. */
  readonly dimensions?: Readonly<Record<string, string>>;
}

export interface MetricsPublisher {
  publish(points: readonly MetricPoint[]): Promise<void>;
}

/**
 * AdoptCluster's one-time upload (Receive Member PKI): a place the adopted member's host writes its own PKI into
 * with its own credentials (host-scripts/upload-adopted-pki.sh), so that key material never travels through a
 * command, an output, a payload or a log. AWS: an empty secret `<prefix>/<cluster>/adopt/<member>` (the stack's
 * KMS key) tagged with the instance's ARN; the host policy lets an instance put a value only into an `adopt/` secret
 * tagged with its own ARN, and never read one. Locally: a grant file beside the secret naming the host's root. The
 * grant lasts from `open` to `close`, which Receive Member PKI calls when it ends, also on failure.
 */
export interface PkiUploadSlots {
  /** Creates the slot (or finds the one a retried step made): its secret ID, for the host's put. */
  open(clusterName: string, member: string, host: Host): Promise<{ readonly secretId: string }>;
  /** The value the host put; undefined while it has put none. */
  read(secretId: string): Promise<string | undefined>;
  /** Deletes the slot and its value at once (no recovery window); a slot already gone is fine. */
  close(secretId: string): Promise<void>;
}

// ---- Stable names (lambdas/core/names.ts) ----
import type { NameChanges, NameRecord } from './core/names';
export type { NameChanges, NameRecord };

/**
 * Where the cluster's stable names are published: a Route 53 private hosted zone on AWS, a hosts map the local runner
 * owns locally (`<home>/dns`, never the machine's resolver). Only the cluster-lock holder changes a cluster's names.
 */
export interface MemberNames {
  /**
   * The zone this adapter publishes in; a spec whose dnsZone differs gets no names published (the step says so).
   * undefined: any zone (the local hosts map).
   */
  readonly zone: string | undefined;
  /** The A record sets published under `domain` (`<cluster>.<zone>`), the domain itself excluded. */
  published(domain: string): Promise<NameRecord[]>;
  /** Applies the changes at once (Route 53: one change batch); an empty change does nothing. */
  apply(domain: string, changes: NameChanges): Promise<void>;
}

// ---- ConnectControlPlane ----
/** Which control-plane hosts a ConnectControlPlane run reaches. */
export interface ControlPlaneHostsRequest {
  /** AWS: these instances (each must carry `etcd-ha:control-plane=<cluster>`); none: every instance tagged so. */
  readonly instanceIds?: readonly string[];
  /** Local: simulated hosts by name and loopback address. */
  readonly hosts?: readonly { readonly name: string; readonly address: string }[];
}

/** The cluster's control-plane hosts (EC2 instances tagged for it on AWS; simulated hosts locally). */
export interface ControlPlaneDirectory {
  /** @throws SpecValidationError naming the request field when no host or a wrong one is named. */
  find(clusterName: string, request: ControlPlaneHostsRequest): Promise<Host[]>;
}

// ---- Membership events (every completed or failed membership change) ----
/**
 * Publishes one membership event (lambdas/core/membership-event.ts): EventBridge PutEvents on AWS (the default bus or
 * the stack's), a line of `<home>/events.jsonl` locally.
 * @throws when the event was not accepted (EventBridge's FailedEntryCount), so the state's Catch records it
 */
export interface MembershipEvents {
  publish(event: MembershipEvent): Promise<void>;
}
