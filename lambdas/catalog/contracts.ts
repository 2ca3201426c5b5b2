// The names the stack and the Lambda code must agree on: the environment the stack sets on every function, the
// tags the steps put on secrets and instances (which the IAM policies name in their conditions), the registry
// table's key schema and item prefixes, the snapshot key prefix, the secret prefix. Plain data: no AWS SDK, no
// CDK, so that lib/ (the stack), lambdas/entry/ (the Lambda composition root) and the AWS adapters all import it.

/** Environment variables the stack sets on every step function (lib/step-function.ts); lambdas/entry/aws.ts reads them. */
export const ENV = {
  /** Which step (or `healthProbe`) the function runs: the Lambda entry's one handler dispatches on it. */
  step: 'ETCD_HA_STEP',
  /** First segment of every secret name; the IAM policies grant on `<prefix>/*`. */
  secretPrefix: 'SECRET_PREFIX',
  /** ARN of the KMS key that encrypts the secrets. */
  kmsKeyId: 'KMS_KEY_ID',
  /** DynamoDB table of the cluster registry (and locks). */
  registryTable: 'REGISTRY_TABLE',
  /** How long one host script may run (AWS-RunShellScript executionTimeout). */
  hostCommandTimeoutSeconds: 'HOST_COMMAND_TIMEOUT_SECONDS',
  /** How long SSM keeps trying to deliver a command to a host whose agent is not connected. */
  ssmDeliveryTimeoutSeconds: 'SSM_DELIVERY_TIMEOUT_SECONDS',
  /** Largest raft applied-index lag of a healthy member. */
  maxAppliedIndexLag: 'MAX_APPLIED_INDEX_LAG',
  /** The account of the member instances (the stack's), for the `etcd-ha:instance-arn` secret tag. */
  accountId: 'ACCOUNT_ID',
  /** S3 bucket of the snapshots Snapshot Before Change takes (encrypted with KMS_KEY_ID). */
  snapshotBucket: 'SNAPSHOT_BUCKET',
  /** Start of every snapshot key (`<prefix><cluster>/<name>.db`); the IAM policy grants on `<prefix>*`. */
  snapshotPrefix: 'SNAPSHOT_PREFIX',
  /** "true": Choose Replacement Host launches a clone of the failed instance when a request names none. */
  launchReplacementInstances: 'LAUNCH_REPLACEMENT_INSTANCES',
  /** Clones only: the IAM roles (ARNs, comma-separated) a clone's instance profile may carry; the stack's memberInstanceRoleArns. */
  memberInstanceRoleArns: 'MEMBER_INSTANCE_ROLE_ARNS',
  /** Clones only: the launch templates (IDs, comma-separated) a clone may be launched from; the stack's cloneLaunchTemplateIds. */
  cloneLaunchTemplateIds: 'CLONE_LAUNCH_TEMPLATE_IDS',
  /** Sync Member Rules only: the EC2 rules it rewrites, as JSON `[{"ruleNames": [...], "states": [...]}]`. */
  memberRules: 'MEMBER_RULES',
  /** The health probe only: the ReplaceMember state machine it starts. */
  replaceStateMachineArn: 'REPLACE_STATE_MACHINE_ARN',
  /** The health probe only: seconds a member may stay silent before it is replaced. */
  probeGraceSeconds: 'PROBE_GRACE_SECONDS',
  /**
   * Validate Spec only: what a spec may run on the hosts, as JSON `{ imageRepositories, binaryDirectories,
   * etcdSecurityFlags }` (lambdas/core/spec-policy.ts); unset: DEFAULT_SPEC_POLICY.
   */
  specPolicy: 'SPEC_POLICY',
  /** Prune Old Backups only: the retention tiers as JSON `{ keepAllHours, hourlyDays, dailyDays }` (lambdas/core/backup/retention.ts). */
  backupRetention: 'BACKUP_RETENTION',
  // ---- Stable names (lambdas/core/names.ts): both set, or neither (no names published) ----
  /** Record Cluster, Record Restored Cluster, Delete Record: the Route 53 private hosted zone of the stable names. */
  hostedZoneId: 'HOSTED_ZONE_ID',
  /** Its name (`etcd-ha.internal`): names are published only for specs whose dnsZone it is. */
  dnsZoneName: 'DNS_ZONE_NAME',
  /** Publish Membership Event only: the EventBridge bus (name) its events go to; unset: the account's default bus. */
  membershipEventBus: 'MEMBERSHIP_EVENT_BUS',
} as const;

/** First segment of every secret name (`<prefix>/<cluster>/<item>`) unless the stack is given another. */
export const DEFAULT_SECRET_PREFIX = 'etcd-ha';

/** Tag keys the steps and adapters own on secrets (a put removes those of them it does not set). */
export const MANAGED_TAG_PREFIX = 'etcd-ha:';
/**
 * The cluster an instance serves. The host steps may run commands only on instances that carry it, a clone is
 * launched only with it, and a member secret carries it too.
 */
export const CLUSTER_TAG = 'etcd-ha:cluster';
/** The member an instance (or a member secret) serves. */
export const MEMBER_TAG = 'etcd-ha:member';
/** On a clone: the failed instance it replaces. With the two tags above, how a retry finds an earlier clone. */
export const REPLACES_TAG = 'etcd-ha:replaces';
/** The tag a retired instance carries: the ReplaceMember execution that replaced its member. */
export const REPLACED_BY_TAG = 'etcd-ha:replaced-by';
/** Tag a member secret carries so that the host policy lets only that instance read it (`ec2:SourceInstanceARN`). */
export const INSTANCE_ARN_TAG = 'etcd-ha:instance-arn';
/** Tag the steps put on a member secret with the member's instance ID (lambdas/steps/pki-secrets.ts). */
export const INSTANCE_ID_TAG = 'etcd-ha:instance-id';

/**
 * On the secret of a member that left etcd (its certificates revoked, its instance tags removed so that no host can
 * read it): when it was revoked. The secret is kept, never scheduled for deletion, until the cluster is deleted.
 */
export const REVOKED_TAG = 'etcd-ha:revoked';

/** The registry table's key schema: a partition key `pk` of type string, no sort key. */
export const REGISTRY_TABLE_KEY = { partitionKey: 'pk' } as const;
/** Number attribute (epoch seconds) past which a lock is stale; the stack makes it the table's TTL attribute. */
export const REGISTRY_TABLE_TTL_ATTRIBUTE = 'expiresAt';
/** Start of the key of every cluster record (`cluster#<cluster>`): Record Cluster's IAM policy writes, and DeleteCluster's deletes, only such keys. */
export const RECORD_KEY_PREFIX = 'cluster#';
/** Start of the key of every lock item (`lock#<cluster>`); the lock steps' IAM policy allows only such keys. */
export const LOCK_KEY_PREFIX = 'lock#';
/** Start of the key of every health probe item (`probe#<cluster>`); the probe's IAM policy allows only such keys for its writes. */
export const PROBE_KEY_PREFIX = 'probe#';

/** Start of every snapshot key in the snapshot bucket (`snapshots/<cluster>/<name>.db`). */
export const SNAPSHOT_KEY_PREFIX = 'snapshots/';

/**
 * What an EC2 rule's pattern lists while no member instance is known (the stack's placeholder, an empty slot): no
 * instance ID looks like it, so the rule matches nothing. Sync Member Rules replaces it (lambdas/core/member-event-patterns.ts).
 */
export const NO_MEMBER_INSTANCE = 'etcd-ha:no-member';

/** The only SSM document the steps run. */
export const RUN_SHELL_SCRIPT_DOCUMENT = 'AWS-RunShellScript';

/**
 * The tag on each state machine the stack creates; its value names the workflow (WORKFLOW_TAG_VALUES). The command
 * line finds the state machines by it when no `--state-machine` or environment variable names one, whether etcd-ha
 * is a stack of its own or part of a bigger one.
 */
export const WORKFLOW_TAG = 'etcd-ha:workflow';
/** The value of WORKFLOW_TAG on each workflow's state machine (the workflow's construct ID). */
export const WORKFLOW_TAG_VALUES = {
  provisionCluster: 'ProvisionCluster',
  replaceMember: 'ReplaceMember',
  setMaintenance: 'SetMaintenance',
  checkClusterHealth: 'CheckClusterHealth',
  deleteCluster: 'DeleteCluster',
  backupCluster: 'BackupCluster',
  drillRestore: 'DrillRestore',
  restoreCluster: 'RestoreCluster',
  scaleCluster: 'ScaleCluster',
  adoptCluster: 'AdoptCluster',
  connectControlPlane: 'ConnectControlPlane',
} as const;

// ---- BackupCluster ----
/** Start of every backup key in the snapshot bucket (`backups/<cluster>/<name>.db` and its manifest `<name>.json`). */
export const BACKUP_KEY_PREFIX = 'backups/';
/** Start of the key of each cluster's backup lock (`backup-lock#<cluster>`): its own, never the cluster's lock. */
export const BACKUP_LOCK_KEY_PREFIX = 'backup-lock#';
/** Start of the key of each cluster's last good backup (`backup#<cluster>`), beside its record, never in it. */
export const LAST_BACKUP_KEY_PREFIX = 'backup#';

// ---- RestoreCluster, restore drills ----
/**
 * Start of every staged snapshot key (`restores/<cluster>/<execution>/<instance-id>.db`): a copy of a backup that only
 * the instance named by its INSTANCE_ARN_TAG object tag may read. A lifecycle rule expires what a run left behind.
 */
export const RESTORE_KEY_PREFIX = 'restores/';

// ---- Metrics ----
/**
 * CloudWatch metrics: each published with the dimension `Cluster` (the cluster's own figure) and without dimensions
 * (the fleet-wide figure the alarms watch).
 */
export const METRICS = {
  namespace: 'etcd-ha',
  /** Seconds since the last good backup was taken (fleet-wide: the oldest among recorded clusters). */
  lastGoodBackupAge: 'LastGoodBackupAgeSeconds',
  /** 1 when a restore drill restored, served and matched the backup; 0 when it did not. */
  restoreDrillSucceeded: 'RestoreDrillSucceeded',
} as const;

// ---- Schedules (the stack's defaults, also the local scheduler's: no CDK needed to read them) ----
/** BackupCluster's default schedule: every 15 minutes, as etcd-manager backs up. */
export const DEFAULT_BACKUP_SCHEDULE = 'rate(15 minutes)';
/** DrillRestore's default schedule: a restore drill of every cluster's last good backup once a day. */
export const DEFAULT_DRILL_SCHEDULE = 'rate(1 day)';
// ---- DrillRestore ----
/** Start of the key of each cluster's drill lock (`drill-lock#<cluster>`): its own, never the cluster's lock. */
export const DRILL_LOCK_KEY_PREFIX = 'drill-lock#';

/** AdoptCluster's upload slot for one member: `<prefix>/<cluster>/adopt/<member>` (lambdas/ports.ts PkiUploadSlots). */
export const ADOPT_UPLOAD_ITEM = (member: string) => `adopt/${member}`;

// ---- ConnectControlPlane ----
/**
 * The cluster a control-plane instance uses (value: the cluster's name). ConnectControlPlane runs commands only on
 * instances that carry it, and a control-plane bundle carries it too.
 */
export const CONTROL_PLANE_TAG = 'etcd-ha:control-plane';
/** A control-plane host's bundle (`<prefix>/<cluster>/control-plane/<host>`): etcd's CA certificate and the apiserver-etcd-client pair. */
export const CONTROL_PLANE_BUNDLE_ITEM = (host: string) => `control-plane/${host}`;
