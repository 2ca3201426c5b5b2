// The AWS composition root: the ProvisionCluster and ReplaceMember steps over the AWS adapters, one exported
// Lambda handler per step (`validateSpec`, `resolveHosts`, …, `acquireLock`, …; the stack points each function
// at its own; the steps the two workflows share have one handler and one function). The SDK clients are
// created once per module; the adapters are built from the environment the stack sets, on the first
// invocation. A handler rethrows whatever the step threw, unchanged: Step Functions matches Retry and
// Catch on the error's name (see lambdas/core/errors.ts; the bundle keeps class names for that).
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
// Types only: a value import would pull aws-cdk-lib into the bundle.
import type { ProvisionStep } from '../../statemachines/provision-cluster';
import type { ReplaceOnlyStep, ReplaceStep } from '../../statemachines/replace-member';
import type { MaintenanceOnlyStep } from '../../statemachines/set-maintenance';
import { AutoScalingLifecycleActions } from '../adapters/aws/autoscaling-lifecycle-actions';
import { DynamoDbClusterLock, DynamoDbClusterRegistry } from '../adapters/aws/dynamodb-registry';
import { Ec2HostDirectory, instanceArn } from '../adapters/aws/ec2-host-directory';
import { Ec2ReplacementHosts } from '../adapters/aws/ec2-replacement-hosts';
import { Ec2MachinePower } from '../adapters/aws/ec2-machine-power';
import { DynamoDbProbeStateStore } from '../adapters/aws/dynamodb-probe-state-store';
import { SfnReplacementStarter } from '../adapters/aws/sfn-replacement-starter';
import { S3SnapshotStore } from '../adapters/aws/s3-snapshot-store';
import { SecretsManagerSecretStore } from '../adapters/aws/secrets-manager-store';
import { SfnExecutionLiveness } from '../adapters/aws/sfn-execution-liveness';
import { SsmHostRunner } from '../adapters/aws/ssm-host-runner';
import { Etcd3AdminFactory } from '../adapters/etcd/etcd3-admin';
import type { Logger, SecretStore } from '../ports';
import { createProvisionSteps, type ProvisionDeps } from '../steps';
import type { StepDeps, StepHandler } from '../steps/deps';
import { createReplaceSteps, type ReplaceDeps } from '../steps/replace';
import { createMaintenanceSteps } from '../steps/maintenance';
import { makeHealthProbe } from '../steps/probe/health-probe';
import { DEFAULT_SECRET_PREFIX, ENV, INSTANCE_ARN_TAG, INSTANCE_ID_TAG } from '../catalog/contracts';

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
  };
}

/** ProvisionCluster's dependencies on AWS: the step dependencies plus the cluster lock (an item of the registry table). */
export function awsProvisionDeps(env: Env, clients: AwsClients, log: Logger): ProvisionDeps {
  const tableName = required(env, ENV.registryTable);
  return {
    ...awsDeps(env, clients, log),
    lock: new DynamoDbClusterLock({ client: clients.dynamodb, tableName, liveness: new SfnExecutionLiveness({ client: clients.sfn }) }),
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
    ...(flag(env, ENV.launchReplacementInstances) && { replacementHosts: new Ec2ReplacementHosts({ ec2: clients.ec2, ssm: clients.ssm, log }) }),
  };
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

// Once per module (per Lambda execution environment).
const clients: AwsClients = {
  secrets: new SecretsManagerClient({}),
  ssm: new SSMClient({}),
  ec2: new EC2Client({}),
  dynamodb: new DynamoDBClient({}),
  s3: new S3Client({}),
  autoScaling: new AutoScalingClient({}),
  sfn: new SFNClient({}),
};

/** Every step a Lambda function runs: ProvisionCluster's, ReplaceMember's and SetMaintenance's (the shared ones once), and the health probe. */
export type AwsStep = ProvisionStep | ReplaceStep | MaintenanceOnlyStep | 'healthProbe';

/** What the current invocation is, for the log lines. */
const current: { step?: AwsStep; requestId?: string } = {};
const log = jsonLogger(() => ({ ...(current.step && { step: current.step }), ...(current.requestId && { requestId: current.requestId }) }));

let provisionSteps: Record<ProvisionStep, StepHandler> | undefined;
let replaceSteps: Record<ReplaceStep, StepHandler> | undefined;
let maintenanceSteps: ReturnType<typeof createMaintenanceSteps> | undefined;
let healthProbeHandler: StepHandler | undefined;

/** The subset of the Lambda context the handlers read. */
export interface InvocationContext {
  readonly awsRequestId?: string;
}

export type LambdaHandler = (event: unknown, context?: InvocationContext) => Promise<unknown>;

function handler(step: AwsStep, build: () => StepHandler): LambdaHandler {
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

/** A step of ProvisionCluster (ReplaceMember runs some of them too: the same function, the same handler). */
function handlerFor(step: ProvisionStep): LambdaHandler {
  return handler(step, () => (provisionSteps ??= createProvisionSteps(awsProvisionDeps(process.env, clients, log)))[step]);
}

/** A step only ReplaceMember runs. */
function replaceHandlerFor(step: ReplaceOnlyStep): LambdaHandler {
  return handler(step, () => (replaceSteps ??= createReplaceSteps(awsReplaceDeps(process.env, clients, log)))[step]);
}

/** A step only SetMaintenance runs (its lock steps are ReplaceMember's). */
function maintenanceHandlerFor(step: MaintenanceOnlyStep): LambdaHandler {
  return handler(step, () => (maintenanceSteps ??= createMaintenanceSteps(awsReplaceDeps(process.env, clients, log)))[step]);
}

export const validateSpec = handlerFor('validateSpec');
export const resolveHosts = handlerFor('resolveHosts');
export const generatePki = handlerFor('generatePki');
export const configureKubelet = handlerFor('configureKubelet');
export const pushCertificates = handlerFor('pushCertificates');
export const writeEtcdConfig = handlerFor('writeEtcdConfig');
export const startEtcd = handlerFor('startEtcd');
export const checkHealth = handlerFor('checkHealth');
export const collectMemberLogs = handlerFor('collectMemberLogs');
export const recordCluster = handlerFor('recordCluster');
export const acquireLock = handlerFor('acquireLock');
export const planProvision = handlerFor('planProvision');
export const chooseNextMember = handlerFor('chooseNextMember');
export const checkRestartSafety = handlerFor('checkRestartSafety');
export const releaseLock = handlerFor('releaseLock');

export const validateRequest = replaceHandlerFor('validateRequest');
export const readCluster = replaceHandlerFor('readCluster');
export const checkQuorum = replaceHandlerFor('checkQuorum');
export const snapshotBeforeChange = replaceHandlerFor('snapshotBeforeChange');
export const removeFailedMember = replaceHandlerFor('removeFailedMember');
export const chooseReplacementHost = replaceHandlerFor('chooseReplacementHost');
export const checkHostAgent = replaceHandlerFor('checkHostAgent');
export const resetJoiningHost = replaceHandlerFor('resetJoiningHost');
export const removeStrayLearners = replaceHandlerFor('removeStrayLearners');
export const addMemberAsLearner = replaceHandlerFor('addMemberAsLearner');
export const promoteLearner = replaceHandlerFor('promoteLearner');
export const removeLearners = replaceHandlerFor('removeLearners');
export const completeLifecycleAction = replaceHandlerFor('completeLifecycleAction');
export const lookAgain = replaceHandlerFor('lookAgain');
export const retireReplacedHost = replaceHandlerFor('retireReplacedHost');
export const validateMaintenanceRequest = maintenanceHandlerFor('validateMaintenanceRequest');
export const setMaintenance = maintenanceHandlerFor('setMaintenance');
/** The scheduled health probe (EventBridge Scheduler → this function; no state machine). */
export const healthProbe = handler('healthProbe', () => (healthProbeHandler ??= makeHealthProbe(awsHealthProbeDeps(process.env, clients, log))));

/** Every handler by step: the type makes sure each of PROVISION_STEPS and REPLACE_STEPS has one. */
export const HANDLERS: Readonly<Record<AwsStep, LambdaHandler>> = {
  validateSpec,
  resolveHosts,
  generatePki,
  configureKubelet,
  pushCertificates,
  writeEtcdConfig,
  startEtcd,
  checkHealth,
  collectMemberLogs,
  recordCluster,
  planProvision,
  chooseNextMember,
  checkRestartSafety,
  validateRequest,
  acquireLock,
  readCluster,
  checkQuorum,
  snapshotBeforeChange,
  removeFailedMember,
  chooseReplacementHost,
  checkHostAgent,
  resetJoiningHost,
  removeStrayLearners,
  addMemberAsLearner,
  promoteLearner,
  removeLearners,
  releaseLock,
  completeLifecycleAction,
  lookAgain,
  retireReplacedHost,
  validateMaintenanceRequest,
  setMaintenance,
  healthProbe,
};
