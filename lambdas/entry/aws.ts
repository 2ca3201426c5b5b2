// The AWS composition root: the workflows' steps over the AWS adapters, one Lambda handler per step of the catalog
// (lambdas/catalog/steps.ts: `validateSpec`, `resolveHosts`, …, `acquireLock`, …), reached through the one export
// `handler` by the step name the stack sets on each function (the steps several workflows share have one handler
// and one function). The SDK clients are
// created once per module; the adapters are built from the environment the stack sets, on the first
// invocation. A handler rethrows whatever the step threw, unchanged: Step Functions matches Retry and
// Catch on the error's name (see lambdas/core/errors.ts; the bundle keeps class names for that).
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { AutoScalingLifecycleActions } from '../adapters/aws/autoscaling-lifecycle-actions';
import { DynamoDbClusterLock, DynamoDbClusterRegistry } from '../adapters/aws/dynamodb-registry';
import { Ec2HostDirectory, instanceArn } from '../adapters/aws/ec2-host-directory';
import { Ec2ReplacementHosts } from '../adapters/aws/ec2-replacement-hosts';
import { EventBridgeMemberRules, type MemberRuleFamily } from '../adapters/aws/eventbridge-member-rules';
import { makeSyncMemberRules } from '../steps/member-rules/sync-member-rules';
import { Ec2MachinePower } from '../adapters/aws/ec2-machine-power';
import { DynamoDbProbeStateStore } from '../adapters/aws/dynamodb-probe-state-store';
import { SfnReplacementStarter } from '../adapters/aws/sfn-replacement-starter';
import { S3SnapshotStore } from '../adapters/aws/s3-snapshot-store';
import { SecretsManagerSecretStore } from '../adapters/aws/secrets-manager-store';
import { SfnExecutionLiveness } from '../adapters/aws/sfn-execution-liveness';
import { SsmHostRunner } from '../adapters/aws/ssm-host-runner';
import { Etcd3AdminFactory } from '../adapters/etcd/etcd3-admin';
import type { Logger, MemberNames, SecretStore } from '../ports';
import { DEFAULT_SPEC_POLICY, SpecPolicySchema, type SpecPolicy } from '../core/spec-policy';
import { createProvisionSteps, type ProvisionDeps } from '../steps';
import type { StepDeps, StepHandler } from '../steps/deps';
import { Route53Client } from '@aws-sdk/client-route-53';
import { Route53MemberNames } from '../adapters/aws/route53-member-names';
import { createReplaceSteps, type ReplaceDeps } from '../steps/replace';
import { createMaintenanceSteps } from '../steps/maintenance';
import { createHealthCheckSteps } from '../steps/health-check';
import { createDeleteSteps, type DeleteDeps } from '../steps/delete';
import { makeHealthProbe } from '../steps/probe/health-probe';
import { createBackupSteps, type BackupDeps } from '../steps/backup';
import { S3BackupStore } from '../adapters/aws/s3-backup-store';
import { DynamoDbLastBackupStore } from '../adapters/aws/dynamodb-last-backup-store';
import { CloudWatchMetricsPublisher } from '../adapters/aws/cloudwatch-metrics';
import { EventBridgeMembershipEvents } from '../adapters/aws/eventbridge-membership-events';
import { parseRetention } from '../core/backup/retention';
import { BACKUP_LOCK_KEY_PREFIX } from '../catalog/contracts';
import { BACKUP_STEPS, type BackupStep } from '../catalog/steps';
import { createDrillSteps, type DrillDeps, type DrillOwnStep } from '../steps/drill';
import { S3SnapshotHandoff } from '../adapters/aws/s3-snapshot-handoff';
import { DRILL_LOCK_KEY_PREFIX } from '../catalog/contracts';
import { DRILL_STEPS } from '../catalog/steps';
import { RESTORE_ONLY_STEPS, type RestoreOnlyStep } from '../catalog/steps';
import { createRestoreSteps, type RestoreDeps } from '../steps/restore';
import { createScaleSteps } from '../steps/scale';
import { createAdoptSteps, type AdoptDeps } from '../steps/adopt';
import { createConnectSteps, type ConnectDeps } from '../steps/control-plane';
import { Ec2ControlPlaneDirectory } from '../adapters/aws/ec2-control-plane-directory';
import { SecretsManagerUploadSlots } from '../adapters/aws/secrets-manager-upload-slots';
import { ADOPT_ONLY_STEPS, SCALE_ONLY_STEPS, type AdoptOnlyStep, type ScaleOnlyStep } from '../catalog/steps';
import { CONNECT_ONLY_STEPS, type ConnectOnlyStep } from '../catalog/steps';
import { DEFAULT_SECRET_PREFIX, ENV, INSTANCE_ARN_TAG, INSTANCE_ID_TAG } from '../catalog/contracts';
import { ALL_STEPS, DELETE_ONLY_STEPS, HEALTH_CHECK_STEPS, PROVISION_STEPS, REPLACE_STEPS, type DeleteOnlyStep, type HealthCheckStep, type MaintenanceOnlyStep, type ProvisionStep, type ReplaceOnlyStep, type ReplaceStep, type StepName } from '../catalog/steps';

// The environment the stack sets and the tags the host policy names: shared with lib/ (lambdas/catalog/contracts.ts).
export { ENV, INSTANCE_ARN_TAG, INSTANCE_ID_TAG };

/** The environment is not what the stack sets: a deployment problem, named as such. */
export class EnvironmentConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvironmentConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new EnvironmentConfigError(`environment variable ${name} is not set`);
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new EnvironmentConfigError(`environment variable ${name} must be a whole number from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

/** "true" or "false"; unset is false. */
function flag(env: Env, name: string): boolean {
  const text = env[name];
  if (text === undefined || text === '' || text === 'false') return false;
  if (text === 'true') return true;
  throw new EnvironmentConfigError(`environment variable ${name} must be "true" or "false", got "${text}"`);
}

/** The deployment's spec policy (SPEC_POLICY, JSON); unset: the default. A malformed one is a deployment problem. */
export function specPolicyFrom(env: Env): SpecPolicy {
  const text = env[ENV.specPolicy];
  if (text === undefined || text === '') return DEFAULT_SPEC_POLICY;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new EnvironmentConfigError(`environment variable ${ENV.specPolicy} must be JSON, got "${text}"`);
  }
  const result = SpecPolicySchema.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new EnvironmentConfigError(`environment variable ${ENV.specPolicy} is not a spec policy: ${problems}`);
  }
  return result.data;
}

/** One JSON object per line on stdout (CloudWatch Logs keeps each as an event); `base` keys go on every line. */
export function jsonLogger(base: () => Record<string, unknown>, write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  const emit = (level: string, message: string, fields?: Record<string, unknown>) =>
    write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...base(), ...fields })}\n`);
  return { info: (message, fields) => emit('info', message, fields), warn: (message, fields) => emit('warn', message, fields) };
}

/**
 * Adds the `etcd-ha:instance-arn` tag to a member secret (one the steps tag with `etcd-ha:instance-id`), so
 * that the host policy's `secretsmanager:ResourceTag/etcd-ha:instance-arn = ${ec2:SourceInstanceARN}` lets
 * exactly that instance read it. AWS-only, so it lives here rather than in the steps.
 */
export function withInstanceArnTags(store: SecretStore, region: string, account: string): SecretStore {
  return {
    nameFor: (clusterName, item) => store.nameFor(clusterName, item),
    get: (name) => store.get(name),
    put: (name, value, options) => {
      const instanceId = options.tags?.[INSTANCE_ID_TAG];
      if (instanceId === undefined) return store.put(name, value, options);
      return store.put(name, value, { ...options, tags: { ...options.tags, [INSTANCE_ARN_TAG]: instanceArn(region, account, instanceId) } });
    },
  };
}

export interface AwsClients {
  readonly secrets: SecretsManagerClient;
  readonly ssm: SSMClient;
  readonly ec2: EC2Client;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly autoScaling: AutoScalingClient;
  /** Asks whether a lock holder's execution still runs (DescribeExecution). */
  readonly sfn: SFNClient;
  /** Which role a clone's instance profile carries (GetInstanceProfile). */
  readonly iam: IAMClient;
  /** Sync Member Rules: the EC2 rules' patterns (DescribeRule, PutRule); Publish Membership Event (PutEvents). */
  readonly events: EventBridgeClient;
  /** Publish Backup Metrics (PutMetricData into etcd-ha's namespace). */
  readonly cloudwatch: CloudWatchClient;
  /** The stable names (ListResourceRecordSets, ChangeResourceRecordSets in the stack's private hosted zone). */
  readonly route53: Route53Client;
}

/**
 * The stable names' Route 53 zone from HOSTED_ZONE_ID and DNS_ZONE_NAME, or none when neither is set (the stack
 * has no hosted zone: the steps publish no names and say so).
 * @throws EnvironmentConfigError when only one of the two is set
 */
export function memberNamesFrom(env: Env, client: Route53Client): MemberNames | undefined {
  const hostedZoneId = env[ENV.hostedZoneId] || undefined;
  const zoneName = env[ENV.dnsZoneName] || undefined;
  if (hostedZoneId === undefined && zoneName === undefined) return undefined;
  if (hostedZoneId === undefined || zoneName === undefined) {
    throw new EnvironmentConfigError(`environment variables ${ENV.hostedZoneId} and ${ENV.dnsZoneName} are set together or not at all; only ${hostedZoneId ? ENV.hostedZoneId : ENV.dnsZoneName} is set`);
  }
  return new Route53MemberNames({ client, hostedZoneId, zoneName });
}

/** The step dependencies on AWS, from the stack's environment variables. */
export function awsDeps(env: Env, clients: AwsClients, log: Logger): StepDeps {
  const region = required(env, 'AWS_REGION');
  const secretStore = new SecretsManagerSecretStore({
    client: clients.secrets,
    kmsKeyId: required(env, ENV.kmsKeyId),
    prefix: env[ENV.secretPrefix] || DEFAULT_SECRET_PREFIX,
  });
  return {
    secrets: withInstanceArnTags(secretStore, region, required(env, ENV.accountId)),
    runner: new SsmHostRunner({
      ssm: clients.ssm,
      deliveryTimeoutSeconds: integer(env, ENV.ssmDeliveryTimeoutSeconds, 120, 30, 600),
    }),
    directory: new Ec2HostDirectory({ ec2: clients.ec2 }),
    etcd: new Etcd3AdminFactory(),
    registry: new DynamoDbClusterRegistry({ client: clients.dynamodb, tableName: required(env, ENV.registryTable) }),
    clock: { now: () => new Date() },
    log,
    hostCommandTimeoutSeconds: integer(env, ENV.hostCommandTimeoutSeconds, 600, 1, 172_800),
    secretRegion: region,
    maxAppliedIndexLag: integer(env, ENV.maxAppliedIndexLag, 50, 0, 1_000_000),
    ...withNames(memberNamesFrom(env, clients.route53)),
  };
}

function withNames(names: MemberNames | undefined): { names?: MemberNames } {
  return names ? { names } : {};
}

/** ProvisionCluster's dependencies on AWS: the step dependencies plus the cluster lock (an item of the registry table). */
export function awsProvisionDeps(env: Env, clients: AwsClients, log: Logger): ProvisionDeps {
  const tableName = required(env, ENV.registryTable);
  return {
    ...awsDeps(env, clients, log),
    lock: new DynamoDbClusterLock({ client: clients.dynamodb, tableName, liveness: new SfnExecutionLiveness({ client: clients.sfn }) }),
    // Set on the Validate Spec function only (lib/parts/steps.ts); the other steps never read it.
    specPolicy: specPolicyFrom(env),
    // MEMBERSHIP_EVENT_BUS is set on Publish Membership Event's function; unset: the default bus.
    membershipEvents: new EventBridgeMembershipEvents({ client: clients.events, ...(env[ENV.membershipEventBus] && { eventBusName: env[ENV.membershipEventBus] }) }),
  };
}

/**
 * ReplaceMember's dependencies on AWS: the step dependencies plus the cluster lock (an item of the registry
 * table, taken over only from an execution Step Functions says has ended), the snapshot bucket (SSE-KMS with the secrets' key), Auto Scaling's lifecycle actions and, unless
 * the stack turned it off, clones of failed instances.
 */
export function awsReplaceDeps(env: Env, clients: AwsClients, log: Logger): ReplaceDeps {
  return {
    ...awsProvisionDeps(env, clients, log),
    snapshots: new S3SnapshotStore({
      client: clients.s3,
      bucket: required(env, ENV.snapshotBucket),
      prefix: env[ENV.snapshotPrefix] ?? '',
      kmsKeyId: required(env, ENV.kmsKeyId),
    }),
    lifecycle: new AutoScalingLifecycleActions({ client: clients.autoScaling }),
    machines: new Ec2MachinePower({ ec2: clients.ec2 }),
    ...cloning(env, clients, log),
  };
}

/** ConnectControlPlane's dependencies on AWS: ProvisionCluster's (the lock) plus the control-plane instances (EC2 tags). */
export function awsConnectDeps(env: Env, clients: AwsClients, log: Logger): ConnectDeps {
  return { ...awsProvisionDeps(env, clients, log), controlPlane: new Ec2ControlPlaneDirectory({ ec2: clients.ec2 }) };
}

/**
 * AdoptCluster's dependencies on AWS: ReplaceMember's, plus the one-time upload slots (Secrets Manager secrets
 * `<prefix>/<cluster>/adopt/<member>` tagged with the host's instance ARN, the stack's KMS key).
 */
export function awsAdoptDeps(env: Env, clients: AwsClients, log: Logger): AdoptDeps {
  return {
    ...awsReplaceDeps(env, clients, log),
    uploadSlots: new SecretsManagerUploadSlots({
      client: clients.secrets,
      kmsKeyId: required(env, ENV.kmsKeyId),
      prefix: env[ENV.secretPrefix] || DEFAULT_SECRET_PREFIX,
      region: required(env, 'AWS_REGION'),
      account: required(env, ENV.accountId),
    }),
  };
}

/**
 * DeleteCluster's dependencies on AWS: ProvisionCluster's (the lock, the host runner), plus the secrets found and
 * deleted for good (Secrets Manager) and the record deleted as the lock holder (the registry table).
 */
export function awsDeleteDeps(env: Env, clients: AwsClients, log: Logger): DeleteDeps {
  return {
    ...awsProvisionDeps(env, clients, log),
    secretDeletion: new SecretsManagerSecretStore({ client: clients.secrets, kmsKeyId: required(env, ENV.kmsKeyId), prefix: env[ENV.secretPrefix] || DEFAULT_SECRET_PREFIX }),
    recordDeletion: new DynamoDbClusterRegistry({ client: clients.dynamodb, tableName: required(env, ENV.registryTable) }),
  };
}

/**
 * BackupCluster's dependencies on AWS: the step dependencies, the backup prefix of the snapshot bucket, the last
 * good backup items, its own lock (backup-lock# items, never the cluster lock) and the retention tiers
 * (BACKUP_RETENTION, on Prune Old Backups' function only; a malformed one is a deployment problem).
 */
export function awsBackupDeps(env: Env, clients: AwsClients, log: Logger): BackupDeps {
  const tableName = required(env, ENV.registryTable);
  let backupRetention;
  try {
    backupRetention = parseRetention(env[ENV.backupRetention] || undefined, `environment variable ${ENV.backupRetention}`);
  } catch (error) {
    throw new EnvironmentConfigError((error as Error).message);
  }
  return {
    ...awsDeps(env, clients, log),
    backups: new S3BackupStore({ client: clients.s3, bucket: required(env, ENV.snapshotBucket), kmsKeyId: required(env, ENV.kmsKeyId) }),
    lastBackup: new DynamoDbLastBackupStore({ client: clients.dynamodb, tableName }),
    backupLock: new DynamoDbClusterLock({ client: clients.dynamodb, tableName, liveness: new SfnExecutionLiveness({ client: clients.sfn }), keyPrefix: BACKUP_LOCK_KEY_PREFIX }),
    backupRetention,
    metrics: new CloudWatchMetricsPublisher({ client: clients.cloudwatch }),
  };
}

/**
 * DrillRestore's own steps' dependencies on AWS: the step dependencies, the last good backup items, its own lock
 * (drill-lock# items, never the cluster lock) and the metrics publisher. The snapshot handoff's steps it shares with
 * RestoreCluster are built with RestoreCluster's (awsRestoreDeps).
 */
export function awsDrillDeps(env: Env, clients: AwsClients, log: Logger): DrillDeps {
  const tableName = required(env, ENV.registryTable);
  return {
    ...awsDeps(env, clients, log),
    lastBackup: new DynamoDbLastBackupStore({ client: clients.dynamodb, tableName }),
    drillLock: new DynamoDbClusterLock({ client: clients.dynamodb, tableName, liveness: new SfnExecutionLiveness({ client: clients.sfn }), keyPrefix: DRILL_LOCK_KEY_PREFIX }),
    metrics: new CloudWatchMetricsPublisher({ client: clients.cloudwatch }),
  };
}

/**
 * RestoreCluster's dependencies on AWS: ProvisionCluster's (the lock, the host runner), the backups and the last good
 * one (read only), and the handoff that stages a backup under `restores/` for one instance at a time.
 */
export function awsRestoreDeps(env: Env, clients: AwsClients, log: Logger): RestoreDeps {
  const bucket = required(env, ENV.snapshotBucket);
  const kmsKeyId = required(env, ENV.kmsKeyId);
  return {
    ...awsProvisionDeps(env, clients, log),
    backups: new S3BackupStore({ client: clients.s3, bucket, kmsKeyId }),
    lastBackup: new DynamoDbLastBackupStore({ client: clients.dynamodb, tableName: required(env, ENV.registryTable) }),
    handoff: new S3SnapshotHandoff({ client: clients.s3, bucket, kmsKeyId, region: required(env, 'AWS_REGION'), account: required(env, ENV.accountId) }),
  };
}

/**
 * Clones of failed instances, only when the stack turned them on and named the roles a clone may carry
 * (memberInstanceRoleArns); otherwise why not, which Choose Replacement Host tells a request that names no host.
 */
function cloning(env: Env, clients: AwsClients, log: Logger): Pick<ReplaceDeps, 'replacementHosts' | 'cloningOff'> {
  if (!flag(env, ENV.launchReplacementInstances)) {
    return { cloningOff: 'automatic cloning is off (the stack was deployed with launchReplacementInstances false, or without memberInstanceRoleArns)' };
  }
  const memberInstanceRoleArns = commaList(env, ENV.memberInstanceRoleArns);
  if (memberInstanceRoleArns.length === 0) {
    throw new EnvironmentConfigError(`environment variable ${ENV.memberInstanceRoleArns} must name the roles a clone may carry when ${ENV.launchReplacementInstances} is "true"`);
  }
  const launchTemplateIds = commaList(env, ENV.cloneLaunchTemplateIds);
  return { replacementHosts: new Ec2ReplacementHosts({ ec2: clients.ec2, ssm: clients.ssm, iam: clients.iam, memberInstanceRoleArns, launchTemplateIds, log }) };
}

/** A comma-separated list; unset or empty is none. */
function commaList(env: Env, name: string): string[] {
  return (env[name] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** The health probe's dependencies on AWS: the registry, etcd, EC2, its own probe items, and ReplaceMember. */
export function awsHealthProbeDeps(env: Env, clients: AwsClients, log: Logger) {
  const deps = awsDeps(env, clients, log);
  return {
    ...deps,
    probeStates: new DynamoDbProbeStateStore({ client: clients.dynamodb, tableName: required(env, ENV.registryTable) }),
    machines: new Ec2MachinePower({ ec2: clients.ec2 }),
    starter: new SfnReplacementStarter({ client: clients.sfn, stateMachineArn: required(env, ENV.replaceStateMachineArn) }),
    graceSeconds: integer(env, ENV.probeGraceSeconds, 600, 0, 86_400),
  };
}

/** Sync Member Rules' dependencies on AWS: the registry and the EC2 rules named in MEMBER_RULES. */
export function awsSyncMemberRulesDeps(env: Env, clients: AwsClients, log: Logger) {
  const text = required(env, ENV.memberRules);
  let families: MemberRuleFamily[];
  try {
    families = JSON.parse(text) as MemberRuleFamily[];
  } catch {
    throw new EnvironmentConfigError(`environment variable ${ENV.memberRules} must be JSON [{"ruleNames": [...], "states": [...]}], got "${text}"`);
  }
  return {
    registry: new DynamoDbClusterRegistry({ client: clients.dynamodb, tableName: required(env, ENV.registryTable) }),
    rules: new EventBridgeMemberRules({ client: clients.events, families }),
    log,
  };
}

// Once per module (per Lambda execution environment).
const clients: AwsClients = {
  secrets: new SecretsManagerClient({}),
  ssm: new SSMClient({}),
  ec2: new EC2Client({}),
  dynamodb: new DynamoDBClient({}),
  s3: new S3Client({}),
  autoScaling: new AutoScalingClient({}),
  sfn: new SFNClient({}),
  iam: new IAMClient({}),
  events: new EventBridgeClient({}),
  cloudwatch: new CloudWatchClient({}),
  route53: new Route53Client({}),
};

/** Every step a Lambda function runs: the catalog's (lambdas/catalog/steps.ts), and the health probe. */
export type AwsStep = StepName | 'healthProbe' | 'syncMemberRules';

/** What the current invocation is, for the log lines. */
const current: { step?: AwsStep; requestId?: string } = {};
const log = jsonLogger(() => ({ ...(current.step && { step: current.step }), ...(current.requestId && { requestId: current.requestId }) }));

let provisionSteps: Record<ProvisionStep, StepHandler> | undefined;
let replaceSteps: Record<ReplaceStep, StepHandler> | undefined;
let maintenanceSteps: ReturnType<typeof createMaintenanceSteps> | undefined;
let healthCheckSteps: ReturnType<typeof createHealthCheckSteps> | undefined;
let deleteSteps: ReturnType<typeof createDeleteSteps> | undefined;
let backupSteps: ReturnType<typeof createBackupSteps> | undefined;
let drillSteps: Record<DrillOwnStep, StepHandler> | undefined;
let restoreSteps: ReturnType<typeof createRestoreSteps> | undefined;
let scaleSteps: ReturnType<typeof createScaleSteps> | undefined;
let adoptSteps: ReturnType<typeof createAdoptSteps> | undefined;
let connectSteps: ReturnType<typeof createConnectSteps> | undefined;
let healthProbeHandler: StepHandler | undefined;
let syncMemberRulesHandler: StepHandler | undefined;

/** The subset of the Lambda context the handlers read. */
export interface InvocationContext {
  readonly awsRequestId?: string;
}

export type LambdaHandler = (event: unknown, context?: InvocationContext) => Promise<unknown>;

function loggingHandler(step: AwsStep, build: () => StepHandler): LambdaHandler {
  return async (event, context) => {
    current.step = step;
    current.requestId = context?.awsRequestId;
    try {
      return await build()(event);
    } catch (error) {
      const { name, message } = error instanceof Error ? error : { name: typeof error, message: String(error) };
      log.warn('step failed', { error: name, reason: message.split('\n', 1)[0] });
      throw error;
    }
  };
}

/**
 * A step's handler, from the step set of the first workflow the catalog says runs it: ProvisionCluster's for its
 * steps (ReplaceMember and SetMaintenance run the shared ones in the same function, with the same handler), else
 * ReplaceMember's, else CheckClusterHealth's (its own), else DeleteCluster's (those only it runs), else SetMaintenance's (its lock steps are the shared ones).
 * Each set is built on first use.
 */
function stepHandler(step: StepName): StepHandler {
  if ((PROVISION_STEPS as readonly StepName[]).includes(step)) {
    return (provisionSteps ??= createProvisionSteps(awsProvisionDeps(process.env, clients, log)))[step as ProvisionStep];
  }
  if ((REPLACE_STEPS as readonly StepName[]).includes(step)) {
    return (replaceSteps ??= createReplaceSteps(awsReplaceDeps(process.env, clients, log)))[step as ReplaceOnlyStep];
  }
  if ((HEALTH_CHECK_STEPS as readonly StepName[]).includes(step)) {
    // Read-only: the registry, the healthcheck client secret and etcd; no lock.
    return (healthCheckSteps ??= createHealthCheckSteps(awsDeps(process.env, clients, log)))[step as HealthCheckStep];
  }
  if ((DELETE_ONLY_STEPS as readonly StepName[]).includes(step)) {
    return (deleteSteps ??= createDeleteSteps(awsDeleteDeps(process.env, clients, log)))[step as DeleteOnlyStep];
  }
  if ((BACKUP_STEPS as readonly StepName[]).includes(step)) {
    return (backupSteps ??= createBackupSteps(awsBackupDeps(process.env, clients, log)))[step as BackupStep];
  }
  // The snapshot handoff's steps serve DrillRestore and RestoreCluster: RestoreCluster's version renews the cluster lock
  // when the input carries it (RestoreCluster's states), and does nothing more without one (DrillRestore's).
  if ((RESTORE_ONLY_STEPS as readonly StepName[]).includes(step)) {
    return (restoreSteps ??= createRestoreSteps(awsRestoreDeps(process.env, clients, log)))[step as RestoreOnlyStep];
  }
  // ScaleCluster's own steps (its shared ones are ProvisionCluster's and ReplaceMember's): ReplaceMember's adapters.
  if ((SCALE_ONLY_STEPS as readonly StepName[]).includes(step)) {
    return (scaleSteps ??= createScaleSteps(awsReplaceDeps(process.env, clients, log)))[step as ScaleOnlyStep];
  }
  // AdoptCluster's own steps (its shared ones are ProvisionCluster's and ReplaceMember's): ReplaceMember's adapters and the upload slots.
  if ((ADOPT_ONLY_STEPS as readonly StepName[]).includes(step)) {
    return (adoptSteps ??= createAdoptSteps(awsAdoptDeps(process.env, clients, log)))[step as AdoptOnlyStep];
  }
  // ConnectControlPlane's own steps (its lock steps are the shared ones): the control-plane instances by tag.
  if ((CONNECT_ONLY_STEPS as readonly StepName[]).includes(step)) {
    return (connectSteps ??= createConnectSteps(awsConnectDeps(process.env, clients, log)))[step as ConnectOnlyStep];
  }
  if ((DRILL_STEPS as readonly StepName[]).includes(step)) {
    return (drillSteps ??= createDrillSteps(awsDrillDeps(process.env, clients, log)))[step as DrillOwnStep];
  }
  return (maintenanceSteps ??= createMaintenanceSteps(awsReplaceDeps(process.env, clients, log)))[step as MaintenanceOnlyStep];
}

/** Every handler by step: one per step of the catalog, and the scheduled health probe (EventBridge → its function; no state machine). */
export const HANDLERS: Readonly<Record<AwsStep, LambdaHandler>> = {
  ...(Object.fromEntries(ALL_STEPS.map((step) => [step, loggingHandler(step, () => stepHandler(step))])) as Record<StepName, LambdaHandler>),
  healthProbe: loggingHandler('healthProbe', () => (healthProbeHandler ??= makeHealthProbe(awsHealthProbeDeps(process.env, clients, log)))),
  syncMemberRules: loggingHandler('syncMemberRules', () => (syncMemberRulesHandler ??= makeSyncMemberRules(awsSyncMemberRulesDeps(process.env, clients, log)))),
};

/**
 * The one handler every function points at (`app/index.handler`): it runs the step its function was made for,
 * named by ETCD_HA_STEP (lib/step-function.ts sets it from the catalog). A new step in the catalog needs no new
 * export here.
 */
export const handler: LambdaHandler = (event, context) => handlerFor(process.env)(event, context);

/** The step named by the environment; a name that is no step is a deployment problem, named as such. */
export function handlerFor(env: Env): LambdaHandler {
  const step = required(env, ENV.step);
  if (!Object.hasOwn(HANDLERS, step)) {
    throw new EnvironmentConfigError(`environment variable ${ENV.step} must name a step of the catalog (lambdas/catalog/steps.ts) or healthProbe, got "${step}"`);
  }
  return HANDLERS[step as AwsStep];
}
