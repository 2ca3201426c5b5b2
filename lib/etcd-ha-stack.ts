// The etcd-ha stack: its props (validated here) and a constructor of a few lines over the parts in lib/parts —
// the store (KMS key, registry table, snapshot bucket), the step functions, the workflows (ProvisionCluster,
// ReplaceMember, SetMaintenance, CheckClusterHealth, with their alarms), the triggers (EventBridge rules, the health
// probe), the member hosts' policy and the outputs. Every part creates its resources in the stack's own scope, so their
// construct IDs, and with them the logical IDs, are the same as before the split.
import { ControlPlaneFollowRule } from './control-plane-follow-rule';
import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { DEFAULT_SECRET_PREFIX, SNAPSHOT_KEY_PREFIX } from '../lambdas/catalog/contracts';
import { ALL_STEPS, MAX_HOST_COMMAND_TIMEOUT_SECONDS, type StepName } from '../lambdas/catalog/steps';
import type { HealthProbe } from './health-probe';
import type { SetMaintenanceWorkflow } from './set-maintenance-workflow';
import type { CheckClusterHealthWorkflow } from './check-cluster-health-workflow';
import type { DeleteClusterWorkflow } from './delete-cluster-workflow';
import { DEFAULT_BACKUP_SCHEDULE, type BackupClusterWorkflow } from './backup-cluster-workflow';
import type { DrillRestoreWorkflow } from './drill-restore-workflow';
import { parseRetention, type RetentionPolicy } from '../lambdas/core/backup/retention';
import { MemberHostPolicy } from './member-host-policy';
import { ControlPlaneHostPolicy } from './control-plane-host-policy';
import type { ConnectControlPlaneWorkflow } from './connect-control-plane-workflow';
import type { RestoreClusterWorkflow } from './restore-cluster-workflow';
import type { ScaleClusterWorkflow } from './scale-cluster-workflow';
import type { AdoptClusterWorkflow } from './adopt-cluster-workflow';
import type { ProvisionClusterWorkflow } from './provision-cluster-workflow';
import type { ReplaceMemberTrigger } from './replace-member-trigger';
import type { ReplaceMemberWorkflow } from './replace-member-workflow';
import type { StepFunction } from './step-function';
import { addAlarms } from './parts/alarms';
import { addOutputs } from './parts/outputs';
import { addStepFunctions } from './parts/steps';
import { addStore } from './parts/store';
import { addTriggers } from './parts/triggers';
import { addWorkflows } from './parts/workflows';
import { addNamesZone } from './parts/names';
import { specPolicyFromProps, type SpecPolicyProps } from './spec-policy-props';

/** The spec policy props (allowedImageRepositories, allowedBinaryDirectories, allowedEtcdSecurityFlags): lib/spec-policy-props.ts. */
export interface EtcdHaStackProps extends StackProps, SpecPolicyProps {
  /**
   * VPC of the etcd members. With `subnetIds` and `securityGroupId`, the functions that talk to etcd (Check
   * Health, and ReplaceMember's Check Quorum, Snapshot Before Change and membership steps) run in it. All
   * three or none.
   * @default - those functions run outside any VPC: the members' client port (2379) must then be reachable from the Lambda service's network
   */
  readonly vpcId?: string;
  /**
   * Subnets (in `vpcId`) for the functions that talk to etcd; they need a route to the members and to the
   * Secrets Manager endpoint (NAT or interface endpoint), and for ReplaceMember also to DynamoDB (Check
   * Quorum reads the registry) and S3 (Snapshot Before Change): NAT or gateway endpoints.
   * @default - outside any VPC (see `vpcId`)
   */
  readonly subnetIds?: readonly string[];
  /**
   * Security group for the functions that talk to etcd; the members must admit it on their client port.
   * @default - outside any VPC (see `vpcId`)
   */
  readonly securityGroupId?: string;
  /**
   * An existing Route 53 private hosted zone for the stable names (`<member>.<cluster>.<zone>`, `etcd.<cluster>.<zone>`),
   * with `dnsZoneName` (its name). The functions may change only A records under it.
   * @default - the stack's own private zone in `vpcId`; without `vpcId` no names are published (the certificates carry them anyway)
   */
  readonly hostedZoneId?: string;
  /**
   * The name of the stable names' zone: `hostedZoneId`'s, or the one the stack creates in `vpcId`. A spec's dnsZone
   * must equal it for its names to be published.
   * @default 'etcd-ha.internal'
   */
  readonly dnsZoneName?: string;
  /**
   * Seconds between two health checks while waiting for the cluster (1 to 300).
   * @default 5
   */
  readonly healthCheckIntervalSeconds?: number;
  /**
   * Health checks before an execution gives up and fails with the members' logs (1 to 1000).
   * @default 60
   */
  readonly healthCheckAttempts?: number;
  /**
   * Minutes a replacement's learner may take to catch up with the leader before ReplaceMember gives up and
   * removes it again (1 to 1440): a large database takes a while to stream.
   * @default 30
   */
  readonly promotionBudgetMinutes?: number;
  /**
   * How long one host script may run (AWS-RunShellScript executionTimeout), in seconds. The host steps'
   * Lambda timeout is this plus SSM's delivery timeout (120 s) and a margin, within Lambda's 900 s.
   * @default 600 (kubeadm may pull the etcd image first)
   */
  readonly hostCommandTimeoutSeconds?: number;
  /**
   * Days the functions' and the state machine's log events are kept.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * First segment of every secret name, `<prefix>/<cluster>/<item>`. The functions and the host policy are
   * granted on `<prefix>/*` only.
   * @default 'etcd-ha'
   */
  readonly secretPrefix?: string;
  /**
   * Start ReplaceMember when a member's EC2 instance stops or terminates: EventBridge rules whose patterns list the
   * recorded members' instances (rewritten every minute by Sync Member Rules; other instances' events match nothing).
   * @default true
   */
  readonly automaticReplacement?: boolean;
  /**
   * How long automatic healing waits before it replaces a member that may come back (1 to 1440 minutes): an EC2
   * rule execution for a `stopping`/`stopped` instance waits this long, then replaces the member only if the instance
   * is still stopped (or gone) and the member still does not answer; the health probe replaces a member that has not
   * answered for this long. `terminated`/`shutting-down` instances are replaced at once.
   * @default 10
   */
  readonly healingGracePeriodMinutes?: number;
  /**
   * Run the scheduled health probe, which replaces a member whose etcd has not answered for the grace period while
   * its instance runs (no EC2 event comes for that).
   * @default true
   */
  readonly healthProbe?: boolean;
  /**
   * Minutes between two health probes (1 to 1440).
   * @default 1
   */
  readonly healthProbeIntervalMinutes?: number;
  /**
   * Auto Scaling groups of member instances with a terminate lifecycle hook (the groups and hooks are not
   * part of this stack). Their "EC2 Instance-terminate Lifecycle Action" events start ReplaceMember, which
   * replaces the member while the instance is held and then completes the lifecycle action (CONTINUE), on
   * success and on failure. 1 to 50 names.
   * @default - no lifecycle rule, and Complete Lifecycle Action may complete nothing
   */
  readonly autoScalingGroupNames?: readonly string[];
  /**
   * When a replacement names no instance (every automatic one), Choose Replacement Host launches a clone of
   * the failed member's instance: same launch template or AMI, type, subnet, security groups, instance
   * profile, user data, EBS volume sizes and tags. Its role may launch instances tagged `etcd-ha:cluster` only.
   * Cloning needs `memberInstanceRoleArns` (and a VPC: `memberVpcIds` or `vpcId`); without them it is off.
   * false: no launch permission; a replacement must name its instance (`etcd-ha replace --instance`).
   * @default true when memberInstanceRoleArns is given, else false
   */
  readonly launchReplacementInstances?: boolean;
  // --- Cloning without escalation (issue 13, item 3): what a clone may be and where it may go. ---
  /**
   * ARNs of the IAM roles in the member instances' instance profiles: the only roles Choose Replacement Host
   * may pass to a clone (iam:PassRole), and the only ones a clone's instance profile may carry (checked by the
   * step, whatever the instance or its placement record says). 1 to 20 role ARNs.
   * @default - no clones: the stack grants no PassRole or RunInstances, and a replacement must name its instance
   */
  readonly memberInstanceRoleArns?: readonly string[];
  /**
   * VPCs a clone may be launched into (its subnet, security groups and network interface: ec2:Vpc). 1 to 5 VPC IDs.
   * @default - [vpcId]; cloning without either is refused
   */
  readonly memberVpcIds?: readonly string[];
  /**
   * AMIs of other accounts (a public Ubuntu AMI, say) a clone may be launched from, besides the account's own
   * images (ec2:Owner). 1 to 20 AMI IDs.
   * @default - only images the account owns
   */
  readonly cloneImageIds?: readonly string[];
  /**
   * Launch templates a clone may be launched from (an instance launched from another template is not cloned).
   * 1 to 20 launch template IDs.
   * @default - none: only instances launched without a template are cloned
   */
  readonly cloneLaunchTemplateIds?: readonly string[];
  /**
   * Days a snapshot (and a deleted snapshot's noncurrent version) is kept in the snapshot bucket (1 to 3650).
   * @default 30
   */
  readonly snapshotRetentionDays?: number;
  /**
   * Failed executions (of each workflow) within one alarm period that raise its alarm.
   * @default 1
   */
  readonly alarmThreshold?: number;
  /**
   * Length of one alarm period, in minutes (1 to 1440).
   * @default 5
   */
  readonly alarmPeriodMinutes?: number;
  /**
   * SNS topic every alarm of the stack notifies (in alarm and back to OK): the workflows' failed executions, the
   * dead-letter queue, "no good backup for 2 intervals" and the restore drills.
   * @default - the stack creates a topic (AlarmTopic, encrypted with a key of its own that CloudWatch may use) and outputs its ARN
   */
  readonly alarmTopicArn?: string;
  /**
   * What happens to the KMS key, the registry table, the snapshot bucket, the dead-letter queue and the log
   * groups when they leave the stack. RETAIN keeps the clusters' records, their snapshots and the key their
   * secrets are encrypted with; DESTROY (tests) deletes the table, the queue and the bucket (only when empty:
   * CloudFormation deletes no objects) and schedules the key's deletion.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * BackupCluster's schedule: an EventBridge schedule expression that backs up every recorded cluster, or 'off'.
   * @default 'rate(15 minutes)'
   */
  readonly backupSchedule?: string;
  /**
   * Which backups Prune Old Backups keeps (lambdas/core/backup/retention.ts).
   * @default - all from the last 24 h, the newest of each hour for 7 days, of each day for 90 days
   */
  readonly backupRetention?: RetentionPolicy;
  /**
   * DrillRestore's schedule: an EventBridge schedule expression that drills every recorded cluster's last good
   * backup, or 'off' (no "no drill succeeded in 2 days" alarm then).
   * @default 'rate(1 day)'
   */
  readonly restoreDrillSchedule?: string;
  /**
   * The EventBridge bus every completed or failed membership change is published on (source `etcd-ha`, detail-type
   * `Membership Changed` / `Membership Change Failed`; lambdas/core/membership-event.ts). Route them with a rule there.
   * @default - the account's default bus in the stack's region
   */
  readonly membershipEventBus?: events.IEventBus;
  /**
   * Start ConnectControlPlane for a cluster after each of its completed membership changes (an EventBridge rule on the
   * membership events), so that a renewed apiserver-etcd-client pair reaches every control-plane host. Turn it on once
   * each cluster's control-plane instances are tagged `etcd-ha:control-plane=<cluster>`.
   * @default false
   */
  readonly connectControlPlaneOnChange?: boolean;
}

/** The largest hostCommandTimeoutSeconds (lambdas/catalog/steps.ts): host steps must fit in one Lambda invocation. */
export { MAX_HOST_COMMAND_TIMEOUT_SECONDS };
const SECRET_PREFIX = /^[A-Za-z0-9_+=.@-]+(\/[A-Za-z0-9_+=.@-]+)*$/;

/** Every step a Lambda function runs in a workflow: the catalog's (lambdas/catalog/steps.ts). */
export type EtcdHaStep = StepName;
export { ALL_STEPS };

export { STEP_ACCESS, stepConstructId } from './parts/steps';

/** Start of every snapshot key in the snapshot bucket (`snapshots/<cluster>/<name>.db`): lambdas/catalog/contracts.ts. */
export { SNAPSHOT_KEY_PREFIX };

/**
 * Auto Scaling group names: within Auto Scaling's 255 characters, no ARN separator, no IAM wildcard, and no
 * whitespace (CDK turns spaces in an acknowledged cdk-nag finding into "-", so the finding of a name with a
 * space could not be acknowledged).
 */
const AUTO_SCALING_GROUP_NAME = /^[^:*?\s]{1,255}$/;

const IAM_ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

function check(ok: boolean, prop: string, limit: string, value: unknown): void {
  if (!ok) throw new Error(`${prop} must be ${limit}, got ${JSON.stringify(value)}`);
}

/** The stable names' zone: an existing one needs its name; a name alone needs a zone to go into. */
function validateNamesProps(props: EtcdHaStackProps): void {
  if (props.hostedZoneId !== undefined) {
    check(/^Z[A-Z0-9]{1,32}$/.test(props.hostedZoneId), 'hostedZoneId', 'a Route 53 hosted zone ID (Z…)', props.hostedZoneId);
    check(props.dnsZoneName !== undefined, 'dnsZoneName', "given with hostedZoneId (the zone's name)", props.dnsZoneName);
  }
  if (props.dnsZoneName !== undefined) {
    check(
      /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(props.dnsZoneName) && props.dnsZoneName.length <= 200,
      'dnsZoneName',
      'a lower-case DNS name of at most 200 characters',
      props.dnsZoneName,
    );
    check(props.hostedZoneId !== undefined || props.vpcId !== undefined, 'dnsZoneName', 'given with hostedZoneId or vpcId (a zone to publish the names in)', props.dnsZoneName);
  }
}

function validateProps(props: EtcdHaStackProps): void {
  validateBackupProps(props);
  const network = [props.vpcId, props.subnetIds, props.securityGroupId];
  const given = network.filter((v) => v !== undefined).length;
  check(
    given === 0 || given === 3,
    'vpcId, subnetIds and securityGroupId',
    'given all three or none',
    { vpcId: props.vpcId, subnetIds: props.subnetIds, securityGroupId: props.securityGroupId },
  );
  if (props.vpcId !== undefined) check(/^vpc-[0-9a-f]{8,17}$/.test(props.vpcId), 'vpcId', 'a VPC ID (vpc-…)', props.vpcId);
  if (props.subnetIds !== undefined) {
    check(props.subnetIds.length >= 1 && props.subnetIds.length <= 16, 'subnetIds', '1 to 16 subnet IDs', props.subnetIds);
    for (const id of props.subnetIds) check(/^subnet-[0-9a-f]{8,17}$/.test(id), 'subnetIds', 'subnet IDs (subnet-…)', id);
    check(new Set(props.subnetIds).size === props.subnetIds.length, 'subnetIds', 'distinct', props.subnetIds);
  }
  if (props.securityGroupId !== undefined) {
    check(/^sg-[0-9a-f]{8,17}$/.test(props.securityGroupId), 'securityGroupId', 'a security group ID (sg-…)', props.securityGroupId);
  }
  validateNamesProps(props);
  const hostTimeout = props.hostCommandTimeoutSeconds;
  if (hostTimeout !== undefined) {
    check(
      Number.isInteger(hostTimeout) && hostTimeout >= 30 && hostTimeout <= MAX_HOST_COMMAND_TIMEOUT_SECONDS,
      'hostCommandTimeoutSeconds',
      `a whole number from 30 to ${MAX_HOST_COMMAND_TIMEOUT_SECONDS} (Lambda's 900 s less SSM delivery and margins)`,
      hostTimeout,
    );
  }
  if (props.logRetention !== undefined) {
    check(Object.values(logs.RetentionDays).includes(props.logRetention), 'logRetention', 'one of logs.RetentionDays', props.logRetention);
  }
  if (props.secretPrefix !== undefined) {
    check(
      SECRET_PREFIX.test(props.secretPrefix) && props.secretPrefix.length <= 64,
      'secretPrefix',
      'at most 64 characters of "/"-separated segments of letters, digits and _+=.@-',
      props.secretPrefix,
    );
  }
  if (props.autoScalingGroupNames !== undefined) {
    const groups = props.autoScalingGroupNames;
    check(groups.length >= 1 && groups.length <= 50, 'autoScalingGroupNames', '1 to 50 Auto Scaling group names', groups);
    for (const name of groups) {
      check(AUTO_SCALING_GROUP_NAME.test(name), 'autoScalingGroupNames', 'Auto Scaling group names (1 to 255 characters without whitespace, ":", "*" or "?")', name);
    }
    check(new Set(groups).size === groups.length, 'autoScalingGroupNames', 'distinct', groups);
  }
  validateCloningProps(props);
  if (props.snapshotRetentionDays !== undefined) {
    const days = props.snapshotRetentionDays;
    check(Number.isInteger(days) && days >= 1 && days <= 3650, 'snapshotRetentionDays', 'a whole number from 1 to 3650', days);
  }
  if (props.healingGracePeriodMinutes !== undefined) {
    const minutes = props.healingGracePeriodMinutes;
    check(Number.isInteger(minutes) && minutes >= 1 && minutes <= 1440, 'healingGracePeriodMinutes', 'a whole number from 1 to 1440', minutes);
  }
  if (props.healthProbeIntervalMinutes !== undefined) {
    const minutes = props.healthProbeIntervalMinutes;
    check(Number.isInteger(minutes) && minutes >= 1 && minutes <= 1440, 'healthProbeIntervalMinutes', 'a whole number from 1 to 1440', minutes);
    check(props.healthProbe !== false, 'healthProbeIntervalMinutes', 'left out when healthProbe is false (no probe runs)', minutes);
  }
  if (props.alarmThreshold !== undefined) {
    check(Number.isInteger(props.alarmThreshold) && props.alarmThreshold >= 1, 'alarmThreshold', 'a whole number >= 1', props.alarmThreshold);
  }
  if (props.alarmPeriodMinutes !== undefined) {
    const minutes = props.alarmPeriodMinutes;
    check(Number.isInteger(minutes) && minutes >= 1 && minutes <= 1440, 'alarmPeriodMinutes', 'a whole number from 1 to 1440', minutes);
  }
  if (props.alarmTopicArn !== undefined) {
    check(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+(\.fifo)?$/.test(props.alarmTopicArn), 'alarmTopicArn', 'an SNS topic ARN', props.alarmTopicArn);
  }
  specPolicyFromProps(props);
  // healthCheckIntervalSeconds / healthCheckAttempts: validated by the definition (statemachines/provision-cluster.ts).
}

/** The IDs a list prop of cloning may hold: 1 to `max`, distinct, each matching `pattern`. */
function checkIds(prop: string, ids: readonly string[] | undefined, max: number, pattern: RegExp, what: string): void {
  if (ids === undefined) return;
  check(ids.length >= 1 && ids.length <= max, prop, `1 to ${max} ${what}`, ids);
  for (const id of ids) check(pattern.test(id), prop, what, id);
  check(new Set(ids).size === ids.length, prop, 'distinct', ids);
}

/** Cloning is on only with the roles a clone may carry and a VPC it may go to; its other props only with it. */
// ---- BackupCluster ----
function validateBackupProps(props: EtcdHaStackProps): void {
  if (props.backupSchedule !== undefined) {
    check(props.backupSchedule === 'off' || /^(rate|cron)\(.+\)$/.test(props.backupSchedule), 'backupSchedule', 'an EventBridge schedule expression ("rate(15 minutes)", "cron(…)") or "off"', props.backupSchedule);
  }
  if (props.restoreDrillSchedule !== undefined) {
    check(props.restoreDrillSchedule === 'off' || /^(rate|cron)\(.+\)$/.test(props.restoreDrillSchedule), 'restoreDrillSchedule', 'an EventBridge schedule expression ("rate(1 day)", "cron(…)") or "off"', props.restoreDrillSchedule);
  }
  // parseRetention names the field and what it expects.
  if (props.backupRetention !== undefined) parseRetention(props.backupRetention, 'backupRetention');
}

function validateCloningProps(props: EtcdHaStackProps): void {
  const roles = props.memberInstanceRoleArns;
  checkIds('memberInstanceRoleArns', roles, 20, IAM_ROLE_ARN, 'IAM role ARNs (arn:aws:iam::123456789012:role/…, no wildcards)');
  checkIds('memberVpcIds', props.memberVpcIds, 5, /^vpc-[0-9a-f]{8,17}$/, 'VPC IDs (vpc-…)');
  checkIds('cloneImageIds', props.cloneImageIds, 20, /^ami-[0-9a-f]{8,17}$/, 'AMI IDs (ami-…)');
  checkIds('cloneLaunchTemplateIds', props.cloneLaunchTemplateIds, 20, /^lt-[0-9a-f]{8,17}$/, 'launch template IDs (lt-…)');
  if (roles !== undefined) {
    check(props.launchReplacementInstances !== false, 'memberInstanceRoleArns', 'left out when launchReplacementInstances is false (nothing is launched)', roles);
    check(props.memberVpcIds !== undefined || props.vpcId !== undefined, 'memberVpcIds (or vpcId)', 'given with memberInstanceRoleArns: a clone is launched only into the members\' VPCs', props.memberVpcIds);
  } else {
    check(props.launchReplacementInstances !== true, 'memberInstanceRoleArns', 'given when launchReplacementInstances is true (a clone may carry only those roles)', roles);
    for (const prop of ['memberVpcIds', 'cloneImageIds', 'cloneLaunchTemplateIds'] as const) {
      check(props[prop] === undefined, prop, 'left out without memberInstanceRoleArns (no clones are launched)', props[prop]);
    }
  }
}

/** Whether Choose Replacement Host launches clones: asked for (or by default) and given the roles they may carry. */
export function launchesClones(props: EtcdHaStackProps): boolean {
  return props.launchReplacementInstances !== false && props.memberInstanceRoleArns !== undefined;
}

export class EtcdHaStack extends Stack {
  readonly secretsKey: kms.Key;
  readonly registryTable: dynamodb.Table;
  readonly snapshotBucket: s3.Bucket;
  /** Every step's function: one per step of the catalog (a step several workflows run is one function). */
  readonly steps: Readonly<Record<EtcdHaStep, StepFunction>>;
  readonly provisionCluster: ProvisionClusterWorkflow;
  readonly replaceMember: ReplaceMemberWorkflow;
  readonly setMaintenance: SetMaintenanceWorkflow;
  /** `etcd-ha status`: a cluster's record and live health, read-only. */
  readonly checkClusterHealth: CheckClusterHealthWorkflow;
  /** `etcd-ha delete`: stops a cluster, deletes its secrets and record (a dry run without confirm). */
  readonly deleteCluster: DeleteClusterWorkflow;
  readonly backupCluster: BackupClusterWorkflow;
  /** `etcd-ha drill`: restores the last good backup on one member host into a temporary etcd, then removes it. */
  readonly drillRestore: DrillRestoreWorkflow;
  /** `etcd-ha restore`: a cluster brought back from a backup (a dry run without confirm). */
  readonly restoreCluster: RestoreClusterWorkflow;
  /** `etcd-ha scale`: grows or shrinks a cluster one member at a time. */
  readonly scaleCluster: ScaleClusterWorkflow;
  readonly adoptCluster: AdoptClusterWorkflow;
  /** `etcd-ha connect-control-plane`: the control plane's etcd client files pushed, its API servers pointed at etcd one at a time. */
  readonly connectControlPlane: ConnectControlPlaneWorkflow;
  /** The rule that starts ConnectControlPlane after each membership change (connectControlPlaneOnChange). */
  readonly controlPlaneFollowRule?: ControlPlaneFollowRule;
  /** Attach to the control-plane hosts' instance role: read only their own control-plane bundle. */
  readonly controlPlaneHostPolicy: ControlPlaneHostPolicy;
  /** The scheduled health probe (none with healthProbe false). */
  readonly healthProbe?: HealthProbe;
  /** The EventBridge rules that start ReplaceMember (none without automaticReplacement and autoScalingGroupNames). */
  readonly replaceTrigger?: ReplaceMemberTrigger;
  readonly hostPolicy: MemberHostPolicy;
  /** Where every alarm of the stack goes: alarmTopicArn's topic, or the one the stack created. */
  readonly alarmTopic: sns.ITopic;

  /** Store → step functions → workflows → triggers → the hosts' policy → outputs, each part in lib/parts. */
  constructor(scope: Construct, id: string, props: EtcdHaStackProps = {}) {
    super(scope, id, props);
    validateProps(props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;
    const secretPrefix = props.secretPrefix ?? DEFAULT_SECRET_PREFIX;
    const healingGracePeriodMinutes = props.healingGracePeriodMinutes ?? 10;

    const store = addStore(this, { removalPolicy, snapshotRetentionDays: props.snapshotRetentionDays ?? 30 });
    // The alarm topic first: every part's alarms notify it.
    const alarms = addAlarms(this, { ...props, backupSchedule: props.backupSchedule ?? DEFAULT_BACKUP_SCHEDULE, removalPolicy });
    const alarmTopicArn = alarms.alarmTopic.topicArn;
    const names = addNamesZone(this, { ...props, removalPolicy });
    const stepFunctions = addStepFunctions(this, {
      ...props,
      ...(names && { names }),
      store,
      secretPrefix,
      hostCommandTimeoutSeconds: props.hostCommandTimeoutSeconds ?? 600,
      launchReplacementInstances: launchesClones(props),
      ...(props.vpcId !== undefined && props.memberVpcIds === undefined && { memberVpcIds: [props.vpcId] }),
      logRetention,
      removalPolicy,
    });
    const workflows = addWorkflows(this, { ...props, alarmTopicArn, steps: stepFunctions.steps, logRetention, removalPolicy, healingGracePeriodMinutes });
    const triggers = addTriggers(this, {
      ...props,
      alarmTopicArn,
      replaceMember: workflows.replaceMember.stateMachine,
      stepFunctions,
      automaticReplacement: props.automaticReplacement ?? true,
      healthProbe: props.healthProbe ?? true,
      healthProbeIntervalMinutes: props.healthProbeIntervalMinutes ?? 1,
      healingGracePeriodMinutes,
      logRetention,
      removalPolicy,
    });
    this.hostPolicy = new MemberHostPolicy(this, 'MemberHostPolicy', { secretPrefix, secretsKey: store.secretsKey, snapshotBucket: store.snapshotBucket });
    this.controlPlaneHostPolicy = new ControlPlaneHostPolicy(this, 'ControlPlaneHostPolicy', { secretPrefix, secretsKey: store.secretsKey });
    addOutputs(this, { store, workflows, hostPolicy: this.hostPolicy, controlPlaneHostPolicy: this.controlPlaneHostPolicy, alarms });
    this.alarmTopic = alarms.alarmTopic;

    ({ secretsKey: this.secretsKey, registryTable: this.registryTable, snapshotBucket: this.snapshotBucket } = store);
    this.steps = stepFunctions.steps;
    ({ provisionCluster: this.provisionCluster, replaceMember: this.replaceMember, setMaintenance: this.setMaintenance, checkClusterHealth: this.checkClusterHealth, deleteCluster: this.deleteCluster, backupCluster: this.backupCluster } = workflows);
    this.drillRestore = workflows.drillRestore;
    this.restoreCluster = workflows.restoreCluster;
    this.scaleCluster = workflows.scaleCluster;
    this.adoptCluster = workflows.adoptCluster;
    this.connectControlPlane = workflows.connectControlPlane;
    if (props.connectControlPlaneOnChange) {
      this.controlPlaneFollowRule = new ControlPlaneFollowRule(this, 'ControlPlaneFollowRule', {
        connectControlPlane: workflows.connectControlPlane.stateMachine,
        ...(props.membershipEventBus && { eventBus: props.membershipEventBus }),
      });
    }
    if (triggers.healthProbe) this.healthProbe = triggers.healthProbe;
    if (triggers.replaceTrigger) this.replaceTrigger = triggers.replaceTrigger;
  }
}
