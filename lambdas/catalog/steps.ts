// Every Lambda step of every workflow, as data (as kubeadm's certlist.go declares its certificates): the states that
// invoke it, what it does (the function's description), its timeout and memory, the AWS access it is granted, and the
// workflows that run it. The stack makes one function per step from it (lib/steps.ts), the grants come from its
// access kinds (lib/step-access.ts), the Lambda entry has one handler per step (lambdas/entry/aws.ts), and each
// workflow's step list is the steps that name it (statemachines/*). Plain data: no CDK, no AWS SDK.
//
// The order is the order the steps run in, across the workflows: each workflow's steps, filtered from it, are in
// its own order. A step several workflows run has one function, one handler and one grant.

export type WorkflowName =
  | 'provisionCluster'
  | 'replaceMember'
  | 'setMaintenance'
  | 'checkClusterHealth'
  | 'deleteCluster'
  | 'backupCluster'
  | 'drillRestore'
  | 'restoreCluster'
  | 'scaleCluster'
  | 'adoptCluster'
  | 'connectControlPlane';

/** What a step may do on AWS: lib/step-access.ts turns each kind into a few IAM statements on the narrowest resources. */
export type StepAccess =
  /** Resolve Hosts: instance → private IP (EC2 DescribeInstances). */
  | 'describeInstances'
  /** Host steps: AWS-RunShellScript on instances tagged `etcd-ha:cluster`, and reading back the invocation. */
  | 'runCommand'
  /** Read the clusters' healthcheck client secrets (`<prefix>/<cluster>/healthcheck-client`) and nothing else. */
  | 'readHealthcheckClient'
  /** ScaleCluster: read the clusters' revocation ledgers (`<prefix>/<cluster>/revocation`: public serials and names, no key). */
  | 'readRevocationLedger'
  /** Read, create and update the clusters' secrets and their tags. */
  | 'writeSecrets'
  /** Write the cluster record; under the lock, in a transaction that checks the lock item's owner (lock items only). */
  | 'writeRegistry'
  /** Read the cluster records: by name (GetItem), and by instance ID (Scan). */
  | 'readRegistry'
  /**
   * Take a cluster's lock (conditional UpdateItem and PutItem, GetItem of the holder): lock items only; and ask Step
   * Functions whether an expired lock's holder still runs (DescribeExecution).
   */
  | 'acquireClusterLock'
  /** Push a held lock's expiry out (a conditional UpdateItem): lock items only. */
  | 'renewClusterLock'
  /** Release a cluster's lock (a conditional DeleteItem): lock items only. */
  | 'releaseClusterLock'
  /** Upload snapshots (multipart, SSE-KMS) under the snapshot prefix of the snapshot bucket. */
  | 'writeSnapshots'
  /** Complete the lifecycle actions of the Auto Scaling groups the stack was given. */
  | 'completeLifecycleActions'
  /** Reach etcd's client port: the function runs in the members' VPC when the stack is given one. */
  | 'etcdNetwork'
  /** Launch a clone of a failed member's instance: read its description, volumes and user data; run a tagged instance. */
  | 'launchReplacementInstances'
  /** Whether a launched instance runs and its SSM agent is online (EC2 and SSM describe calls). */
  | 'readHostAgents'
  /**
   * Retire a replaced member's instance: tag it `etcd-ha:replaced-by`, stop it, remove its `etcd-ha:cluster` tag; only
   * instances that carry that tag, only those two tag keys, never terminate.
   */
  | 'retireMemberInstances'
  /** The health probe's own items (`probe#<cluster>`): read and conditionally write them, nothing else. */
  | 'writeProbeState'
  /** DeleteCluster: the names and tags (never the values) of the secrets under the prefix (ListSecrets). */
  | 'listSecrets'
  /** DeleteCluster: delete at once (no recovery window) secrets under `<prefix>/*` that carry an `etcd-ha:cluster` tag. */
  | 'deleteSecrets'
  /** DeleteCluster: delete a cluster record (`cluster#` items only) in a transaction that checks the lock item's owner. */
  | 'deleteRecord'
  /**
   * The stable names (lambdas/core/names.ts): list the record sets of the stack's private hosted zone and change A
   * records of names under its zone, UPSERT and DELETE only; no grant when the stack has no zone.
   */
  | 'publishNames'
  // ---- BackupCluster ----
  /** Take its own lock (`backup-lock#<cluster>` items only) and ask whether an expired lock's holder still runs. */
  | 'acquireBackupLock'
  /** Release its own lock (a conditional DeleteItem on `backup-lock#<cluster>` items only). */
  | 'releaseBackupLock'
  /** Upload backups (multipart, SSE-KMS) and their manifests under the bucket's backup prefix. */
  | 'writeBackups'
  /** List the backup prefix and read the manifests under it. */
  | 'readBackups'
  /** Delete objects under the backup prefix (Prune Old Backups). */
  | 'deleteBackups'
  /** Read and write each cluster's last good backup (`backup#<cluster>` items only). */
  | 'writeLastBackup'
  /** Read each cluster's last good backup (`backup#<cluster>` items only, GetItem). */
  | 'readLastBackup'
  /** cloudwatch:PutMetricData, only into etcd-ha's namespace (the `cloudwatch:namespace` condition). */
  | 'publishMetrics'
  /** events:PutEvents on the membership event bus (the default one unless the stack was given one), only with source etcd-ha. */
  | 'publishMembershipEvents'
  // ---- RestoreCluster, restore drills ----
  /** Copy backups into the staging prefix (`restores/`, tagged with the host's instance ARN), list and delete there. */
  | 'stageSnapshots'
  // ---- DrillRestore ----
  /** Take its own lock (`drill-lock#<cluster>` items only) and ask whether an expired lock's holder still runs. */
  | 'acquireDrillLock'
  /** Release its own lock (a conditional DeleteItem on `drill-lock#<cluster>` items only). */
  | 'releaseDrillLock'
  // ---- AdoptCluster ----
  /**
   * Receive Member PKI: open, read and close upload slots (`<prefix>/<cluster>/adopt/<member>`, created only with the
   * stack's key and the cluster and instance tags, deleted at once); nothing outside `adopt/`.
   */
  | 'adoptUploadSlots'
  // ---- ConnectControlPlane ----
  /** AWS-RunShellScript on control-plane instances (tagged `etcd-ha:control-plane`), and reading back the invocation. */
  | 'runControlPlaneCommand';

/** The Lambda service's longest invocation. */
export const LAMBDA_MAX_TIMEOUT_SECONDS = 900;
/** SsmHostRunner's defaults: delivery timeout and the deadline margin after the execution timeout. */
export const SSM_DELIVERY_TIMEOUT_SECONDS = 120;
export const SSM_DEADLINE_MARGIN_SECONDS = 30;
/** Room for the last polling round and the step's own work. */
export const HOST_STEP_SLACK_SECONDS = 30;

/**
 * How long one invocation may run: a fixed number of seconds, or the envelope of one host script through SSM
 * (delivery + the script's own limit + SSM's deadline margin + slack); `configured` is the stack's
 * hostCommandTimeoutSeconds.
 */
export type StepTimeout = { readonly seconds: number } | { readonly hostScript: number | 'configured' };

export interface StepSpec {
  /** How the step reads in the console (its function's description starts with it). */
  readonly title: string;
  /** Every state that invokes the step, in any workflow. */
  readonly states: readonly string[];
  /** What it does, after the title in the function's description. */
  readonly does: string;
  readonly timeout: StepTimeout;
  /**
   * Memory in MB (Lambda's CPU and network bandwidth grow with it).
   * @default 512
   */
  readonly memoryMb?: number;
  /**
   * Concurrent executions reserved for (and limiting) its function: a step every automatic event starts with keeps
   * its capacity when other functions of the account take theirs.
   * @default - none: the account's unreserved pool
   */
  readonly reservedConcurrency?: number;
  /** What it may do on AWS; nothing else is granted. */
  readonly access: readonly StepAccess[];
  /** The workflows whose definitions invoke it. */
  readonly workflows: readonly WorkflowName[];
}

// A step granted renewClusterLock runs under the cluster's lock and renews it first (lambdas/steps/lock-renewal.ts).
/** The steps that talk to etcd do so with the healthcheck client certificate, from the members' network. */
const TALKS_TO_ETCD = ['readHealthcheckClient', 'etcdNetwork'] as const;
const HOST_SCRIPT = { hostScript: 'configured' } as const;
const MEMBERSHIP_CHANGE = { seconds: 60 } as const;

export const STEPS = {
  validateSpec: {
    title: 'Validate Spec',
    states: ['Validate Spec'],
    does: 'checks the cluster spec before anything is written',
    timeout: { seconds: 30 },
    access: [],
    workflows: ['provisionCluster'],
  },
  validateRequest: {
    title: 'Validate Request',
    states: ['Validate Request'],
    does: 'which cluster and member an instance or request names (registry table)',
    timeout: { seconds: 30 },
    // Every EC2 rule event and health probe start runs it first (its state retries throttling too).
    reservedConcurrency: 10,
    // Only which cluster a request names (the record by name, or by instance): nothing it reads is trusted later.
    access: ['readRegistry'],
    workflows: ['replaceMember'],
  },
  lookAgain: {
    title: 'Look Again',
    states: ['Look Again'],
    does: 'after the stop grace period, whether the instance is still stopped and its member still silent',
    timeout: { seconds: 60 },
    // Before the lock, read-only: the record, the instance's state, the member's answer.
    access: ['readRegistry', 'describeInstances', ...TALKS_TO_ETCD],
    workflows: ['replaceMember'],
  },
  validateMaintenanceRequest: {
    title: 'Validate Maintenance Request',
    states: ['Validate Maintenance Request'],
    does: 'a pause or resume of a recorded cluster',
    timeout: { seconds: 30 },
    access: ['readRegistry'],
    workflows: ['setMaintenance'],
  },
  acquireLock: {
    title: 'Acquire Lock',
    states: ['Acquire Lock'],
    does: "the cluster's lock item in the registry table, one change at a time",
    timeout: { seconds: 30 },
    access: ['acquireClusterLock'],
    workflows: ['provisionCluster', 'replaceMember', 'setMaintenance', 'deleteCluster', 'restoreCluster', 'scaleCluster', 'adoptCluster', 'connectControlPlane'],
  },
  planProvision: {
    title: 'Read Cluster',
    states: ['Read Cluster'],
    does: "under the cluster's lock, the record and etcd's view: bootstrap, reconcile, or refuse",
    timeout: { seconds: 60 },
    // The record, then etcd at the recorded members (the secret names are computed, pkiRefs).
    access: ['renewClusterLock', 'readRegistry', ...TALKS_TO_ETCD],
    workflows: ['provisionCluster'],
  },
  readCluster: {
    title: 'Read Cluster',
    states: ['Read Cluster'],
    does: "under the cluster's lock, the record and etcd's member list: the failed member, who is down, the new member's name",
    timeout: { seconds: 60 },
    // The record under the lock, the secret names computed from it (pkiRefs), then etcd.
    access: ['renewClusterLock', 'readRegistry', ...TALKS_TO_ETCD],
    workflows: ['replaceMember'],
  },
  checkQuorum: {
    title: 'Check Quorum',
    states: ['Check Quorum'],
    does: 'refuses a change the cluster cannot commit (etcd over mTLS)',
    timeout: { seconds: 60 },
    access: ['renewClusterLock', ...TALKS_TO_ETCD],
    workflows: ['replaceMember'],
  },
  snapshotBeforeChange: {
    title: 'Snapshot Before Change',
    states: ['Snapshot Before Change'],
    does: 'a backend snapshot streamed into the snapshot bucket',
    // A multi-GB snapshot streams from etcd to S3 within one invocation: Lambda's longest.
    timeout: { seconds: LAMBDA_MAX_TIMEOUT_SECONDS },
    // Lambda's network bandwidth grows with memory; the upload buffers 5 parts of 16 MiB at most.
    memoryMb: 1024,
    access: ['renewClusterLock', ...TALKS_TO_ETCD, 'writeSnapshots'],
    workflows: ['replaceMember', 'scaleCluster', 'adoptCluster'],
  },
  removeFailedMember: {
    title: 'Remove Dead Members',
    states: ['Remove Dead Members'],
    does: 'etcd member remove of the failed member and every other dead voter, each recorded at once',
    timeout: MEMBERSHIP_CHANGE,
    // Records each removal at once, as the lock holder.
    access: ['renewClusterLock', 'readRegistry', 'writeRegistry', ...TALKS_TO_ETCD],
    workflows: ['replaceMember'],
  },
  chooseReplacementHost: {
    title: 'Choose Replacement Host',
    states: ['Choose Replacement Host', 'Choose Another Zone'],
    does: 'the joining instance (named, or a clone of the failed one) and its private IP (EC2)',
    timeout: { seconds: 60 },
    access: ['renewClusterLock', 'describeInstances', 'launchReplacementInstances'],
    workflows: ['replaceMember'],
  },
  checkHostAgent: {
    title: 'Check Host Agent',
    states: ['Check Host Agent'],
    does: 'whether a launched replacement instance runs, its SSM agent is online and its boot is over',
    // One SSM command (boot-status.sh, 30 s at most) besides the describe calls.
    timeout: { hostScript: 30 },
    // Asks the launched instance whether its boot is over (boot-status.sh through SSM).
    access: ['renewClusterLock', 'describeInstances', 'readHostAgents', 'runCommand'],
    workflows: ['replaceMember'],
  },
  resetJoiningHost: {
    title: 'Prepare / Reset Joining Host',
    // DeleteCluster runs it on every member (Stop Etcd And Set Data Aside): etcd stopped, data dir moved aside.
    states: ['Prepare Joining Host', 'Reset Joining Host', 'Stop Etcd And Set Data Aside'],
    does: 'no etcd runs on the joining host and its data dir is empty (SSM Run Command)',
    timeout: HOST_SCRIPT,
    access: ['renewClusterLock', 'runCommand'],
    workflows: ['replaceMember', 'deleteCluster', 'scaleCluster'],
  },
  resolveHosts: {
    title: 'Resolve Hosts',
    states: ['Resolve Hosts'],
    does: 'member instances to private IPs (EC2)',
    timeout: { seconds: 60 },
    access: ['renewClusterLock', 'describeInstances'],
    workflows: ['provisionCluster'],
  },
  generatePki: {
    title: 'Generate PKI',
    states: ['Generate PKI', 'Issue Member Certificates'],
    does: "kubeadm's etcd certificates into Secrets Manager",
    timeout: { seconds: 300 },
    // Up to 17 RSA keys (7 members): a whole vCPU (1,769 MB) keeps RSA-4096 within minutes.
    memoryMb: 1769,
    // A first provisioning records the cluster as bootstrapping (as the lock holder) before its CA is made.
    access: ['renewClusterLock', 'writeSecrets', 'readRegistry', 'writeRegistry'],
    workflows: ['provisionCluster', 'replaceMember', 'restoreCluster', 'scaleCluster'],
  },
  // Revocation (issue 13, item 5): the CRL signed, then on every member before any member loads it.
  revokeCertificates: {
    title: 'Revoke Certificates',
    states: ['Sign Revocation List', 'Update Revocation List', 'Revoke Removed Members', 'Revoke Members Removed During Join'],
    does: "every member not staying: its serials onto the CRL (signed by the cluster's CA), its secret untagged so no host reads it",
    timeout: { seconds: 60 },
    // The CA key signs the CRL; the ledger and the member secrets' tags are written.
    access: ['renewClusterLock', 'writeSecrets'],
    workflows: ['provisionCluster', 'replaceMember', 'restoreCluster', 'scaleCluster'],
  },
  pushRevocationList: {
    title: 'Push Revocation List',
    states: ['Push Revocation List', 'Push Updated Revocation List'],
    does: "the cluster's CRL onto every member's host (SSM Run Command), before any member loads it",
    timeout: HOST_SCRIPT,
    access: ['renewClusterLock', 'runCommand'],
    workflows: ['provisionCluster', 'replaceMember', 'restoreCluster', 'scaleCluster'],
  },
  configureKubelet: {
    title: 'Configure Kubelet',
    states: ['Configure Kubelet', 'Update Kubelet'],
    does: 'the kubelet drop-in for the etcd static pod (SSM Run Command)',
    timeout: HOST_SCRIPT,
    access: ['renewClusterLock', 'runCommand'],
    workflows: ['provisionCluster', 'replaceMember', 'restoreCluster', 'scaleCluster'],
  },
  pushCertificates: {
    title: 'Push Certificates',
    states: ['Push Certificates', 'Update Certificates'],
    does: 'each host fetches and installs its own member secret (SSM Run Command)',
    timeout: HOST_SCRIPT,
    access: ['renewClusterLock', 'runCommand'],
    workflows: ['provisionCluster', 'replaceMember', 'restoreCluster', 'scaleCluster'],
  },
  removeStrayLearners: {
    title: 'Remove Stray Learners',
    states: ['Remove Stray Learners'],
    does: 'learners an earlier execution left behind',
    timeout: MEMBERSHIP_CHANGE,
    access: ['renewClusterLock', ...TALKS_TO_ETCD],
    workflows: ['replaceMember'],
  },
  addMemberAsLearner: {
    title: 'Add Member As Learner',
    states: ['Add Member As Learner'],
    does: 'etcd member add --learner',
    timeout: MEMBERSHIP_CHANGE,
    // Removes (and records) a voter that died since Remove Dead Members when etcd refuses the add for it.
    access: ['renewClusterLock', 'readRegistry', 'writeRegistry', ...TALKS_TO_ETCD],
    workflows: ['replaceMember', 'scaleCluster'],
  },
  writeEtcdConfig: {
    title: 'Write Etcd Config',
    states: ['Write Etcd Config', 'Update Etcd Config'],
    does: 'per-host kubeadm config or etcd env file (SSM Run Command)',
    timeout: HOST_SCRIPT,
    access: ['renewClusterLock', 'runCommand'],
    workflows: ['provisionCluster', 'replaceMember', 'restoreCluster', 'scaleCluster'],
  },
  chooseNextMember: {
    title: 'Choose Next Member',
    states: ['Choose Next Member'],
    does: 'the next member of a rolling change, followers first, the leader last',
    timeout: { seconds: 60 },
    access: ['renewClusterLock', ...TALKS_TO_ETCD],
    workflows: ['provisionCluster'],
  },
  checkRestartSafety: {
    title: 'Check Restart Is Safe',
    states: ['Check Restart Is Safe'],
    does: 'restarts a member only while the other voters keep quorum',
    timeout: { seconds: 60 },
    access: ['renewClusterLock', ...TALKS_TO_ETCD],
    workflows: ['provisionCluster'],
  },
  startEtcd: {
    title: 'Start Etcd',
    states: ['Start Etcd', 'Apply Etcd Config'],
    does: 'kubeadm init phase etcd local, or the etcd unit (SSM Run Command)',
    timeout: HOST_SCRIPT,
    access: ['renewClusterLock', 'runCommand'],
    workflows: ['provisionCluster', 'replaceMember', 'restoreCluster', 'scaleCluster'],
  },
  promoteLearner: {
    title: 'Promote Learner',
    states: ['Promote Learner'],
    does: 'etcd member promote once the learner is in sync',
    timeout: MEMBERSHIP_CHANGE,
    // Records the promotion at once, as the lock holder.
    access: ['renewClusterLock', 'readRegistry', 'writeRegistry', ...TALKS_TO_ETCD],
    workflows: ['replaceMember', 'scaleCluster'],
  },
  removeLearners: {
    title: 'Remove Unpromoted Learner',
    states: ['Remove Unpromoted Learner'],
    does: 'takes out a learner this change could not promote',
    timeout: MEMBERSHIP_CHANGE,
    access: ['renewClusterLock', ...TALKS_TO_ETCD],
    workflows: ['replaceMember', 'scaleCluster'],
  },
  checkHealth: {
    title: 'Check Health',
    states: ['Check Health', 'Check Member Health'],
    does: "every member's status over mTLS",
    timeout: { seconds: 60 },
    access: ['renewClusterLock', ...TALKS_TO_ETCD],
    workflows: ['provisionCluster', 'replaceMember', 'restoreCluster', 'scaleCluster', 'adoptCluster'],
  },
  collectMemberLogs: {
    title: 'Collect Member Logs',
    states: ['Collect Member Logs', 'Collect Rolled Member Logs'],
    does: "the unhealthy members' etcd log tails (SSM Run Command)",
    // Its script runs with at most 60 s (lambdas/steps/collect-member-logs.ts).
    timeout: { hostScript: 60 },
    access: ['renewClusterLock', 'runCommand'],
    workflows: ['provisionCluster', 'replaceMember', 'restoreCluster', 'scaleCluster', 'adoptCluster'],
  },
  recordCluster: {
    title: 'Record Cluster',
    states: ['Record Cluster'],
    does: 'members and secret names into the registry table',
    timeout: { seconds: 30 },
    // Reads the record first: a member that did not answer keeps its recorded ID, removed members stay listed.
    // Writes it only as the lock holder (a transaction conditioned on the lock item), then the stable names.
    access: ['renewClusterLock', 'readRegistry', 'writeRegistry', 'publishNames'],
    workflows: ['provisionCluster', 'replaceMember', 'scaleCluster', 'adoptCluster'],
  },
  retireReplacedHost: {
    title: 'Retire Replaced Host',
    states: ['Retire Replaced Host'],
    does: "stops the replaced member's old instance and tags it replaced (never terminates)",
    timeout: { seconds: 60 },
    access: ['renewClusterLock', 'describeInstances', 'retireMemberInstances'],
    workflows: ['replaceMember'],
  },
  setMaintenance: {
    title: 'Set Maintenance',
    states: ['Set Maintenance'],
    does: "pauses or resumes the cluster's automatic healing in its record, as the lock holder",
    timeout: { seconds: 30 },
    // Under SetMaintenance's lock, which it does not renew: it writes the record as the lock holder (a transaction
    // that checks the lock item's owner).
    access: ['readRegistry', 'writeRegistry'],
    workflows: ['setMaintenance'],
  },
  releaseLock: {
    title: 'Release Lock',
    states: ['Release Lock', 'Release Lock After Failure', 'Release Lock Unneeded', 'Release Lock Refused', 'Release Lock After Dry Run'],
    does: "deletes the cluster's lock item if this execution holds it",
    timeout: { seconds: 30 },
    access: ['releaseClusterLock'],
    workflows: ['provisionCluster', 'replaceMember', 'setMaintenance', 'deleteCluster', 'restoreCluster', 'scaleCluster', 'adoptCluster', 'connectControlPlane'],
  },
  // The last step of every workflow that changes membership, on the way to success and to failure (after the lock).
  publishMembershipEvent: {
    title: 'Publish Membership Event',
    states: ['Publish Membership Event', 'Publish Membership Failure'],
    does: 'one EventBridge event (source etcd-ha) per completed or failed membership change: old and new members, client endpoints, execution, error',
    timeout: { seconds: 30 },
    access: ['readRegistry', 'publishMembershipEvents'],
    workflows: ['provisionCluster', 'replaceMember', 'restoreCluster', 'scaleCluster', 'adoptCluster'],
  },
  completeLifecycleAction: {
    title: 'Complete Lifecycle Action',
    states: ['Complete Lifecycle Action'],
    does: 'lets the Auto Scaling group terminate the held instance (CONTINUE)',
    timeout: { seconds: 30 },
    access: ['completeLifecycleActions'],
    workflows: ['replaceMember'],
  },
  validateHealthCheckRequest: {
    title: 'Validate Request',
    states: ['Validate Request'],
    does: 'which recorded cluster a health check names (registry table)',
    timeout: { seconds: 30 },
    access: ['readRegistry'],
    workflows: ['checkClusterHealth'],
  },
  readClusterHealth: {
    title: 'Read Cluster Health',
    states: ['Read Cluster Health'],
    does: "the cluster's record and every recorded member's status over mTLS, judged by the health rules; no lock, writes nothing",
    timeout: { seconds: 60 },
    // Read-only: the record, the healthcheck client, etcd.
    access: ['readRegistry', ...TALKS_TO_ETCD],
    workflows: ['checkClusterHealth'],
  },
  // ---- DeleteCluster: its lock steps and Stop Etcd And Set Data Aside (resetJoiningHost) are the shared ones ----
  validateDeleteRequest: {
    title: 'Validate Delete Request',
    states: ['Validate Delete Request'],
    does: 'the cluster to delete and whether the request confirms it; what a deletion would remove (the dry run)',
    timeout: { seconds: 30 },
    // Read-only, before the lock: the record, and the names (no values) of the cluster's secrets.
    access: ['readRegistry', 'listSecrets'],
    workflows: ['deleteCluster'],
  },
  markClusterDeleting: {
    title: 'Mark Cluster Deleting',
    states: ['Mark Cluster Deleting'],
    does: 'under the lock, pauses healing in the record ("deleting") so that nothing replaces a member while it is stopped',
    timeout: { seconds: 30 },
    access: ['renewClusterLock', 'readRegistry', 'writeRegistry', 'listSecrets'],
    workflows: ['deleteCluster'],
  },
  deleteClusterSecrets: {
    title: 'Delete Secrets',
    states: ['Delete Secrets'],
    does: "deletes the cluster's secrets at once (no recovery window), so that its name is free again",
    timeout: { seconds: 60 },
    access: ['renewClusterLock', 'listSecrets', 'deleteSecrets'],
    workflows: ['deleteCluster'],
  },
  deleteClusterRecord: {
    title: 'Delete Record',
    states: ['Delete Record'],
    does: "deletes the cluster's stable names and record as the lock holder; the lock goes last (Release Lock)",
    timeout: { seconds: 30 },
    access: ['renewClusterLock', 'readRegistry', 'deleteRecord', 'publishNames'],
    workflows: ['deleteCluster'],
  },
  // ---- BackupCluster: its own steps and lock (never the cluster's lock: a snapshot changes nothing) ----
  validateBackupRequest: {
    title: 'Validate Backup Request',
    states: ['Validate Backup Request'],
    does: 'which recorded clusters to back up: the one a request names, or every one (the schedule)',
    timeout: { seconds: 30 },
    access: ['readRegistry'],
    workflows: ['backupCluster'],
  },
  acquireBackupLock: {
    title: 'Acquire Backup Lock',
    states: ['Acquire Backup Lock'],
    does: "the cluster's backup lock (not its cluster lock): two backups of one cluster never run at once",
    timeout: { seconds: 30 },
    access: ['acquireBackupLock'],
    workflows: ['backupCluster'],
  },
  takeBackup: {
    title: 'Take Backup',
    states: ['Take Backup'],
    does: "a snapshot from a healthy member (followers first, the leader last), etcd's SHA-256 checked while it streams into the backup prefix, then its manifest",
    // A multi-GB snapshot streams from etcd to S3 within one invocation: Lambda's longest.
    timeout: { seconds: LAMBDA_MAX_TIMEOUT_SECONDS },
    memoryMb: 1024,
    // The record (members), the healthcheck client, etcd; writes under the backup prefix only.
    access: ['readRegistry', ...TALKS_TO_ETCD, 'writeBackups'],
    workflows: ['backupCluster'],
  },
  recordLastGoodBackup: {
    title: 'Record Last Good Backup',
    states: ['Record Last Good Backup'],
    does: "the cluster's last good backup under its own key beside the record (never the record itself)",
    timeout: { seconds: 30 },
    access: ['readBackups', 'writeLastBackup'],
    workflows: ['backupCluster'],
  },
  pruneBackups: {
    title: 'Prune Old Backups',
    states: ['Prune Old Backups'],
    does: 'deletes the backups the retention tiers no longer keep (never the last good one)',
    timeout: { seconds: 120 },
    access: ['readBackups', 'deleteBackups', 'writeLastBackup'],
    workflows: ['backupCluster'],
  },
  releaseBackupLock: {
    title: 'Release Backup Lock',
    states: ['Release Backup Lock', 'Release Backup Lock After Failure'],
    does: "deletes the cluster's backup lock if this execution holds it",
    timeout: { seconds: 30 },
    access: ['releaseBackupLock'],
    workflows: ['backupCluster'],
  },
  publishBackupMetrics: {
    title: 'Publish Backup Metrics',
    states: ['Publish Backup Metrics'],
    does: "the age of each recorded cluster's last good backup and the fleet's oldest, to CloudWatch (the no-good-backup alarm's metric)",
    timeout: { seconds: 60 },
    access: ['readRegistry', 'readLastBackup', 'publishMetrics'],
    workflows: ['backupCluster'],
  },
  // ---- DrillRestore: its own steps and lock (never the cluster lock: a drill touches no member) ----
  // Verify Snapshot, Stage Snapshot and Unstage Snapshots are the snapshot handoff's steps (shared with RestoreCluster).
  validateDrillRequest: {
    title: 'Validate Drill Request',
    states: ['Validate Drill Request'],
    does: 'which recorded clusters to drill: the one a request names, or every one (the schedule)',
    timeout: { seconds: 30 },
    access: ['readRegistry'],
    workflows: ['drillRestore'],
  },
  acquireDrillLock: {
    title: 'Acquire Drill Lock',
    states: ['Acquire Drill Lock'],
    does: "the cluster's drill lock (not its cluster lock): two drills of one cluster never run at once",
    timeout: { seconds: 30 },
    access: ['acquireDrillLock'],
    workflows: ['drillRestore'],
  },
  findLastGoodBackup: {
    title: 'Find Last Good Backup',
    states: ['Find Last Good Backup'],
    does: "the cluster's last good backup, the one a drill restores (none: the drill fails)",
    timeout: { seconds: 30 },
    access: ['readLastBackup'],
    workflows: ['drillRestore'],
  },
  // The snapshot handoff's steps (lambdas/steps/backup/handoff-steps.ts), DrillRestore's and RestoreCluster's.
  verifySnapshot: {
    title: 'Verify Snapshot',
    states: ['Verify Snapshot'],
    does: "reads the backup's snapshot whole: its size and etcd's SHA-256 trailer must match the manifest",
    // A multi-GB snapshot is read within one invocation: Lambda's longest.
    timeout: { seconds: LAMBDA_MAX_TIMEOUT_SECONDS },
    memoryMb: 1024,
    // Under RestoreCluster's lock (its input carries the lock) it renews it first; a drill holds no cluster lock.
    access: ['renewClusterLock', 'readBackups'],
    workflows: ['drillRestore', 'restoreCluster'],
  },
  chooseDrillHost: {
    title: 'Choose Drill Host',
    states: ['Choose Drill Host'],
    does: 'one member host that answers, a follower when there is one',
    timeout: { seconds: 60 },
    access: ['readRegistry', ...TALKS_TO_ETCD],
    workflows: ['drillRestore'],
  },
  stageSnapshot: {
    title: 'Stage Snapshot',
    states: ['Stage Snapshot'],
    does: "a copy of the backup under the staging prefix that only the chosen host's instance may read",
    timeout: { seconds: LAMBDA_MAX_TIMEOUT_SECONDS },
    access: ['renewClusterLock', 'stageSnapshots'],
    workflows: ['drillRestore', 'restoreCluster'],
  },
  restoreOnDrillHost: {
    title: 'Restore On Drill Host',
    states: ['Restore On Drill Host'],
    does: 'fetches the staged snapshot on the host, restores it into a temporary dir served by a temporary etcd on loopback ports, counts its keys, then removes it all',
    timeout: HOST_SCRIPT,
    access: ['readRegistry', 'runCommand'],
    workflows: ['drillRestore'],
  },
  unstageSnapshots: {
    title: 'Unstage Snapshots',
    states: ['Unstage Snapshots', 'Unstage Snapshots After Failure'],
    does: 'removes every staged copy of this execution, for every host',
    timeout: { seconds: 120 },
    access: ['stageSnapshots'],
    workflows: ['drillRestore', 'restoreCluster'],
  },
  publishDrillResult: {
    title: 'Publish Drill Result',
    states: ['Publish Drill Result'],
    does: "compares the restored keys and revision with the backup's manifest and publishes RestoreDrillSucceeded (1 or 0)",
    timeout: { seconds: 30 },
    access: ['publishMetrics'],
    workflows: ['drillRestore'],
  },
  releaseDrillLock: {
    title: 'Release Drill Lock',
    states: ['Release Drill Lock'],
    does: "deletes the cluster's drill lock if this execution holds it",
    timeout: { seconds: 30 },
    access: ['releaseDrillLock'],
    workflows: ['drillRestore'],
  },
  // ---- RestoreCluster: the shared lock, PKI, config, start and health steps, the snapshot handoff (above), and these ----
  validateRestoreRequest: {
    title: 'Validate Restore Request',
    states: ['Validate Restore Request'],
    does: 'the restore request (a misspelt field refused by name) and that the cluster is recorded; writes nothing',
    timeout: { seconds: 30 },
    access: ['readRegistry'],
    workflows: ['restoreCluster'],
  },
  planRestore: {
    title: 'Plan Restore',
    states: ['Plan Restore'],
    does: "under the cluster's lock: the backup (last good or named), each member's host and current address, the new token; the dry run's answer",
    timeout: { seconds: 60 },
    // Read-only: the record, the manifests, the last good backup, the hosts (EC2 describe calls).
    access: ['renewClusterLock', 'readRegistry', 'readBackups', 'readLastBackup', 'describeInstances'],
    workflows: ['restoreCluster'],
  },
  stopEtcdForRestore: {
    title: 'Stop Etcd For Restore',
    states: ['Stop Etcd For Restore'],
    does: 'stops etcd on a member host before any member is restored (SSM Run Command); moves nothing',
    timeout: HOST_SCRIPT,
    access: ['renewClusterLock', 'runCommand'],
    workflows: ['restoreCluster'],
  },
  restoreMember: {
    title: 'Restore Member',
    states: ['Restore Member'],
    does: 'the host fetches and checks the staged snapshot, moves its data dir aside and runs snapshot restore (SSM Run Command)',
    timeout: HOST_SCRIPT,
    access: ['renewClusterLock', 'runCommand'],
    workflows: ['restoreCluster'],
  },
  recordRestoredCluster: {
    title: 'Record Restored Cluster',
    states: ['Record Restored Cluster'],
    does: 'the new cluster ID, members, token and hosts into the record, and the stable names, as the lock holder',
    timeout: { seconds: 60 },
    access: ['renewClusterLock', 'readRegistry', 'writeRegistry', 'publishNames', ...TALKS_TO_ETCD],
    workflows: ['restoreCluster'],
  },
  // ---- ScaleCluster: its own steps come after RestoreCluster's in the stack's order ----
  validateScaleRequest: {
    title: 'Validate Scale Request',
    states: ['Validate Scale Request'],
    does: 'the request (cluster, an odd size of at most 7, instances) and that the cluster is recorded (registry table)',
    timeout: { seconds: 30 },
    access: ['readRegistry'],
    workflows: ['scaleCluster'],
  },
  planScaleChange: {
    title: 'Plan Next Change',
    states: ['Read Cluster For Scale', 'Plan Next Change'],
    does: "under the cluster's lock, the record and etcd's member list: the next change (grow onto a new host, shrink by the newest member) or done; refuses without quorum",
    timeout: { seconds: 60 },
    // The ledger for names never used before; a new member's instance (tagged for the cluster) through EC2.
    access: ['renewClusterLock', 'readRegistry', 'readRevocationLedger', 'describeInstances', ...TALKS_TO_ETCD],
    workflows: ['scaleCluster'],
  },
  removeScaledMember: {
    title: 'Remove Member',
    states: ['Remove Member'],
    does: 'etcd member remove of the member leaving, quorum checked first and leadership moved away first when it leads',
    timeout: MEMBERSHIP_CHANGE,
    access: ['renewClusterLock', ...TALKS_TO_ETCD],
    workflows: ['scaleCluster'],
  },
  // ---- AdoptCluster: its own steps come after ScaleCluster's in the stack's order ----
  validateAdoptRequest: {
    title: 'Validate Adopt Request',
    states: ['Validate Adopt Request'],
    does: 'the request (cluster name, the control-plane host, confirm) and that the name is free or this very member (registry table)',
    timeout: { seconds: 30 },
    access: ['readRegistry'],
    workflows: ['adoptCluster'],
  },
  inspectAdoptableMember: {
    title: 'Inspect Member',
    states: ['Inspect Member'],
    does: "the host's static pod manifest, etcd's member list, status and version, data size and certificate expiry (read-only host script), and what adopting it takes",
    timeout: HOST_SCRIPT,
    access: ['renewClusterLock', 'describeInstances', 'runCommand'],
    workflows: ['adoptCluster'],
  },
  receiveMemberPki: {
    title: 'Receive Member PKI',
    states: ['Receive Member PKI'],
    does: "the host puts its own PKI into a one-time upload slot only it may write; checked and stored as the cluster's secrets (CA kept); the slot closed",
    timeout: HOST_SCRIPT,
    access: ['renewClusterLock', 'readRegistry', 'writeRegistry', 'writeSecrets', 'adoptUploadSlots', 'runCommand'],
    workflows: ['adoptCluster'],
  },
  movePeerUrl: {
    title: 'Move Peer URL',
    states: ['Move Peer URL'],
    does: "etcd member update of a loopback peer URL to the host's address, then the host restarts its static pod once with it",
    timeout: HOST_SCRIPT,
    access: ['renewClusterLock', 'runCommand', ...TALKS_TO_ETCD],
    workflows: ['adoptCluster'],
  },
  // ---- ConnectControlPlane: its own steps come after AdoptCluster's in the stack's order ----
  validateConnectRequest: {
    title: 'Validate Connect Request',
    states: ['Validate Connect Request'],
    does: 'the request (cluster, control-plane instances or hosts, endpoint style) and that the cluster is recorded (registry table)',
    timeout: { seconds: 30 },
    access: ['readRegistry'],
    workflows: ['connectControlPlane'],
  },
  resolveControlPlaneHosts: {
    title: 'Resolve Control-Plane Hosts',
    states: ['Resolve Control-Plane Hosts'],
    does: 'the instances tagged etcd-ha:control-plane=<cluster> (or the ones named, which must be) and the endpoints their API servers get, from the record',
    timeout: { seconds: 60 },
    access: ['renewClusterLock', 'readRegistry', 'describeInstances'],
    workflows: ['connectControlPlane'],
  },
  issueControlPlaneBundles: {
    title: 'Issue Control-Plane Bundles',
    states: ['Issue Control-Plane Bundles'],
    does: "per control-plane host, etcd's CA certificate and the apiserver-etcd-client pair as a bundle secret tagged with its instance",
    timeout: { seconds: 60 },
    access: ['renewClusterLock', 'writeSecrets'],
    workflows: ['connectControlPlane'],
  },
  pushClientCertificates: {
    title: 'Push Client Certificates',
    states: ['Push Client Certificates'],
    does: 'each control-plane host fetches its own bundle and installs the CA certificate and the client pair under /etc/kubernetes/pki (SSM Run Command)',
    timeout: HOST_SCRIPT,
    access: ['renewClusterLock', 'runControlPlaneCommand'],
    workflows: ['connectControlPlane'],
  },
  updateApiServer: {
    title: 'Update API Server',
    states: ['Update API Server'],
    does: "one host at a time: kube-apiserver's etcd flags, kubelet's restart when they changed, its health endpoint (SSM Run Command)",
    timeout: HOST_SCRIPT,
    access: ['renewClusterLock', 'runControlPlaneCommand'],
    workflows: ['connectControlPlane'],
  },
} as const satisfies Record<string, StepSpec>;

/** Every step a function runs in a workflow. */
export type StepName = keyof typeof STEPS;

/** The catalog as plain specs (the literal types of STEPS are for the step name types only). */
export const STEP_SPECS: Readonly<Record<StepName, StepSpec>> = STEPS;

/** The steps whose catalog entry names workflow W. */
export type StepOf<W extends WorkflowName> = { [S in StepName]: W extends (typeof STEPS)[S]['workflows'][number] ? S : never }[StepName];

/** Every step, in catalog order. */
export const STEP_NAMES = Object.keys(STEPS) as StepName[];

/** The steps workflow W invokes, in the order they run. */
export function stepsOf<W extends WorkflowName>(workflow: W): readonly StepOf<W>[] {
  return STEP_NAMES.filter((step): step is StepOf<W> => (STEPS[step].workflows as readonly WorkflowName[]).includes(workflow));
}

export type ProvisionStep = StepOf<'provisionCluster'>;
export type ReplaceStep = StepOf<'replaceMember'>;
export type MaintenanceStep = StepOf<'setMaintenance'>;
/** The steps only ReplaceMember runs; the others are ProvisionCluster's (same handler, same function). */
export type ReplaceOnlyStep = Exclude<ReplaceStep, ProvisionStep>;
/** The steps only SetMaintenance runs (its lock steps are the ones ProvisionCluster and ReplaceMember share). */
export type MaintenanceOnlyStep = Exclude<MaintenanceStep, ProvisionStep | ReplaceStep>;
export type HealthCheckStep = StepOf<'checkClusterHealth'>;
export type DeleteStep = StepOf<'deleteCluster'>;

export const PROVISION_STEPS = stepsOf('provisionCluster');
export const REPLACE_STEPS = stepsOf('replaceMember');
export const MAINTENANCE_STEPS = stepsOf('setMaintenance');
/** CheckClusterHealth's steps: read-only, its own (no lock, nothing shared). */
export const HEALTH_CHECK_STEPS = stepsOf('checkClusterHealth');
export const REPLACE_ONLY_STEPS = REPLACE_STEPS.filter((step): step is ReplaceOnlyStep => !(PROVISION_STEPS as readonly string[]).includes(step));
export const MAINTENANCE_ONLY_STEPS = MAINTENANCE_STEPS.filter(
  (step): step is MaintenanceOnlyStep => !(PROVISION_STEPS as readonly string[]).includes(step) && !(REPLACE_STEPS as readonly string[]).includes(step),
);
export const DELETE_STEPS = stepsOf('deleteCluster');
/** The steps only DeleteCluster runs (its lock steps and Stop Etcd And Set Data Aside are shared). */
export type DeleteOnlyStep = Exclude<DeleteStep, ProvisionStep | ReplaceStep>;
export const DELETE_ONLY_STEPS = DELETE_STEPS.filter(
  (step): step is DeleteOnlyStep => !(PROVISION_STEPS as readonly string[]).includes(step) && !(REPLACE_STEPS as readonly string[]).includes(step),
);
/**
 * Every step, in the order the stack creates their functions: ProvisionCluster's, then those only ReplaceMember
 * runs, then those only SetMaintenance runs, then CheckClusterHealth's, then those only DeleteCluster runs, then BackupCluster's,
 * then DrillRestore's (the snapshot handoff's among them), then the rest of RestoreCluster's.
 */
const BEFORE_RESTORE: readonly StepName[] = [...PROVISION_STEPS, ...REPLACE_ONLY_STEPS, ...MAINTENANCE_ONLY_STEPS, ...HEALTH_CHECK_STEPS, ...DELETE_ONLY_STEPS, ...stepsOf('backupCluster'), ...stepsOf('drillRestore')];
const BEFORE_SCALE: readonly StepName[] = [...BEFORE_RESTORE, ...stepsOf('restoreCluster').filter((step) => !BEFORE_RESTORE.includes(step))];
const BEFORE_ADOPT: readonly StepName[] = [...BEFORE_SCALE, ...stepsOf('scaleCluster').filter((step) => !BEFORE_SCALE.includes(step))];
const BEFORE_CONNECT: readonly StepName[] = [...BEFORE_ADOPT, ...stepsOf('adoptCluster').filter((step) => !BEFORE_ADOPT.includes(step))];
/** ... then those only ScaleCluster runs, then those only AdoptCluster runs, then those only ConnectControlPlane runs. */
export const ALL_STEPS: readonly StepName[] = [...BEFORE_CONNECT, ...stepsOf('connectControlPlane').filter((step) => !BEFORE_CONNECT.includes(step))];

// ---- BackupCluster: its steps are its own (after DeleteCluster's in the stack's order) ----
export type BackupStep = StepOf<'backupCluster'>;
export const BACKUP_STEPS = stepsOf('backupCluster');

// ---- DrillRestore: its own steps plus the snapshot handoff's (after BackupCluster's in the stack's order) ----
export type DrillStep = StepOf<'drillRestore'>;
export const DRILL_STEPS = stepsOf('drillRestore');

/** The step's function description: its title and what it does. */
export function stepDescription(step: StepName): string {
  return `${STEPS[step].title}: ${STEPS[step].does}`;
}

/** Seconds one invocation of the step may run, given the stack's hostCommandTimeoutSeconds. */
export function stepTimeoutSeconds(timeout: StepTimeout, hostCommandTimeoutSeconds: number): number {
  if ('seconds' in timeout) return timeout.seconds;
  const script = timeout.hostScript === 'configured' ? hostCommandTimeoutSeconds : timeout.hostScript;
  return SSM_DELIVERY_TIMEOUT_SECONDS + script + SSM_DEADLINE_MARGIN_SECONDS + HOST_STEP_SLACK_SECONDS;
}

/** The largest hostCommandTimeoutSeconds whose host steps still fit in one Lambda invocation. */
export const MAX_HOST_COMMAND_TIMEOUT_SECONDS =
  LAMBDA_MAX_TIMEOUT_SECONDS - SSM_DELIVERY_TIMEOUT_SECONDS - SSM_DEADLINE_MARGIN_SECONDS - HOST_STEP_SLACK_SECONDS;

/** The scheduled health probe: a Lambda function of its own, in no workflow (lib/health-probe.ts). */
export const HEALTH_PROBE = {
  title: 'Health Probe',
  does: 'asks every recorded member over mTLS; starts ReplaceMember for one silent for the grace period',
  // Besides states:StartExecution on ReplaceMember (lib/health-probe.ts).
  access: ['readRegistry', 'writeProbeState', 'describeInstances', ...TALKS_TO_ETCD],
} as const satisfies Pick<StepSpec, 'title' | 'does' | 'access'>;

// ---- RestoreCluster: its own steps come after BackupCluster's in the stack's order ----
export type RestoreStep = StepOf<'restoreCluster'>;
export const RESTORE_STEPS = stepsOf('restoreCluster');
/** The steps only RestoreCluster runs (its lock, PKI, config, start and health steps are shared). */
export type RestoreOnlyStep = Exclude<RestoreStep, ProvisionStep | ReplaceStep>;
export const RESTORE_ONLY_STEPS = RESTORE_STEPS.filter(
  (step): step is RestoreOnlyStep => !(PROVISION_STEPS as readonly string[]).includes(step) && !(REPLACE_STEPS as readonly string[]).includes(step),
);

// ---- ScaleCluster: its own steps come after RestoreCluster's in the stack's order ----
export type ScaleStep = StepOf<'scaleCluster'>;
export const SCALE_STEPS = stepsOf('scaleCluster');
/** The steps only ScaleCluster runs (the rest are ProvisionCluster's and ReplaceMember's). */
export type ScaleOnlyStep = Exclude<ScaleStep, ProvisionStep | ReplaceStep>;
export const SCALE_ONLY_STEPS = SCALE_STEPS.filter((step): step is ScaleOnlyStep => !(PROVISION_STEPS as readonly string[]).includes(step) && !(REPLACE_STEPS as readonly string[]).includes(step));

// ---- AdoptCluster: its own steps come after ScaleCluster's in the stack's order ----
export type AdoptStep = StepOf<'adoptCluster'>;
export const ADOPT_STEPS = stepsOf('adoptCluster');
/** The steps only AdoptCluster runs (the rest are ProvisionCluster's and ReplaceMember's). */
export type AdoptOnlyStep = Exclude<AdoptStep, ProvisionStep | ReplaceStep>;
export const ADOPT_ONLY_STEPS = ADOPT_STEPS.filter((step): step is AdoptOnlyStep => !(PROVISION_STEPS as readonly string[]).includes(step) && !(REPLACE_STEPS as readonly string[]).includes(step));

// ---- ConnectControlPlane: its own steps come after AdoptCluster's in the stack's order ----
export type ConnectStep = StepOf<'connectControlPlane'>;
export const CONNECT_STEPS = stepsOf('connectControlPlane');
/** The steps only ConnectControlPlane runs (its lock steps are the shared functions). */
export type ConnectOnlyStep = Exclude<ConnectStep, ProvisionStep | ReplaceStep>;
export const CONNECT_ONLY_STEPS = CONNECT_STEPS.filter((step): step is ConnectOnlyStep => !(PROVISION_STEPS as readonly string[]).includes(step) && !(REPLACE_STEPS as readonly string[]).includes(step));
