// The etcd-ha stack: the ProvisionCluster and ReplaceMember state machines and their Lambda steps, the KMS
// key that encrypts the clusters' secrets and snapshots, the registry table (cluster records and locks), the
// snapshot bucket, the EventBridge rules that start ReplaceMember when an instance fails, the policy for the
// member hosts, and alarms on failed executions.
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { DEFAULT_SECRET_PREFIX, ENV, REGISTRY_TABLE_KEY, REGISTRY_TABLE_TTL_ATTRIBUTE, SNAPSHOT_KEY_PREFIX } from '../lambdas/catalog/contracts';
import {
  ALL_STEPS,
  MAINTENANCE_STEPS,
  MAX_HOST_COMMAND_TIMEOUT_SECONDS,
  PROVISION_STEPS,
  REPLACE_STEPS,
  SSM_DELIVERY_TIMEOUT_SECONDS,
  STEP_SPECS,
  stepDescription,
  stepTimeoutSeconds,
  type StepName,
} from '../lambdas/catalog/steps';
import { HealthProbe } from './health-probe';
import { SetMaintenanceWorkflow } from './set-maintenance-workflow';
import { MemberHostPolicy } from './member-host-policy';
import { acknowledge } from './nag';
import { ProvisionClusterWorkflow } from './provision-cluster-workflow';
import { ReplaceMemberTrigger } from './replace-member-trigger';
import { ReplaceMemberWorkflow } from './replace-member-workflow';
import { grantStepAccess, withoutLaunches, type StepAccess } from './step-access';
import { StepFunction, type EtcdNetwork } from './step-function';

export interface EtcdHaStackProps extends StackProps {
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
   * Start ReplaceMember when an EC2 instance stops or terminates (an EventBridge rule on every instance of
   * the account and region; the workflow ends in Nothing To Replace for one that is no member).
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
   * false: no launch permission; a replacement must name its instance (`etcd-ha replace --instance`).
   * @default true
   */
  readonly launchReplacementInstances?: boolean;
  /**
   * ARNs of the IAM roles in the member instances' instance profiles: the only roles Choose Replacement Host
   * may pass to a clone. 1 to 20 role ARNs.
   * @default - any role of the account, passed to EC2 only (iam:PassedToService)
   */
  readonly memberInstanceRoleArns?: readonly string[];
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
   * SNS topic the alarm notifies (in alarm and back to OK).
   * @default - no notification: the alarm shows in the CloudWatch console only
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
}

/** The largest hostCommandTimeoutSeconds (lambdas/catalog/steps.ts): host steps must fit in one Lambda invocation. */
export { MAX_HOST_COMMAND_TIMEOUT_SECONDS };
/** Largest raft applied-index lag of a healthy member (as the local runner uses). */
const MAX_APPLIED_INDEX_LAG = 50;

const SECRET_PREFIX = /^[A-Za-z0-9_+=.@-]+(\/[A-Za-z0-9_+=.@-]+)*$/;

/** Every step a Lambda function runs in a workflow: the catalog's (lambdas/catalog/steps.ts). */
export type EtcdHaStep = StepName;
export { ALL_STEPS };

/** Each step's access (lib/step-access.ts). */
export const STEP_ACCESS: Readonly<Record<EtcdHaStep, readonly StepAccess[]>> = Object.fromEntries(ALL_STEPS.map((step) => [step, STEP_SPECS[step].access])) as Record<EtcdHaStep, readonly StepAccess[]>;

/** Start of every snapshot key in the snapshot bucket (`snapshots/<cluster>/<name>.db`): lambdas/catalog/contracts.ts. */
export { SNAPSHOT_KEY_PREFIX };

/**
 * Auto Scaling group names: within Auto Scaling's 255 characters, no ARN separator, no IAM wildcard, and no
 * whitespace (CDK turns spaces in an acknowledged cdk-nag finding into "-", so the finding of a name with a
 * space could not be acknowledged).
 */
const AUTO_SCALING_GROUP_NAME = /^[^:*?\s]{1,255}$/;

const IAM_ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/** PascalCase construct IDs of the step functions (never renamed: they become logical IDs). */
export function stepConstructId(step: EtcdHaStep): string {
  return `${step[0]!.toUpperCase()}${step.slice(1)}Step`;
}

function check(ok: boolean, prop: string, limit: string, value: unknown): void {
  if (!ok) throw new Error(`${prop} must be ${limit}, got ${JSON.stringify(value)}`);
}

function validateProps(props: EtcdHaStackProps): void {
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
  if (props.memberInstanceRoleArns !== undefined) {
    const roles = props.memberInstanceRoleArns;
    check(roles.length >= 1 && roles.length <= 20, 'memberInstanceRoleArns', '1 to 20 IAM role ARNs', roles);
    for (const arn of roles) check(IAM_ROLE_ARN.test(arn), 'memberInstanceRoleArns', 'IAM role ARNs (arn:aws:iam::123456789012:role/…, no wildcards)', arn);
    check(props.launchReplacementInstances !== false, 'memberInstanceRoleArns', 'left out when launchReplacementInstances is false (nothing is launched)', roles);
  }
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
  // healthCheckIntervalSeconds / healthCheckAttempts: validated by the definition (statemachines/provision-cluster.ts).
}

export class EtcdHaStack extends Stack {
  readonly secretsKey: kms.Key;
  readonly registryTable: dynamodb.Table;
  readonly snapshotBucket: s3.Bucket;
  /** Every step's function: ProvisionCluster's, and those only ReplaceMember runs. */
  readonly steps: Readonly<Record<EtcdHaStep, StepFunction>>;
  readonly provisionCluster: ProvisionClusterWorkflow;
  readonly replaceMember: ReplaceMemberWorkflow;
  readonly setMaintenance: SetMaintenanceWorkflow;
  /** The scheduled health probe (none with healthProbe false). */
  readonly healthProbe?: HealthProbe;
  /** The EventBridge rules that start ReplaceMember (none without automaticReplacement and autoScalingGroupNames). */
  readonly replaceTrigger?: ReplaceMemberTrigger;
  readonly hostPolicy: MemberHostPolicy;

  constructor(scope: Construct, id: string, props: EtcdHaStackProps = {}) {
    super(scope, id, props);
    validateProps(props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;
    const secretPrefix = props.secretPrefix ?? DEFAULT_SECRET_PREFIX;
    const hostCommandTimeoutSeconds = props.hostCommandTimeoutSeconds ?? 600;

    this.secretsKey = new kms.Key(this, 'SecretsKey', {
      description: "etcd-ha: encrypts the etcd clusters' PKI secrets in Secrets Manager and their snapshots in S3",
      enableKeyRotation: true,
      removalPolicy,
      ...(removalPolicy === RemovalPolicy.DESTROY && { pendingWindow: Duration.days(7) }),
    });

    this.registryTable = new dynamodb.Table(this, 'RegistryTable', {
      partitionKey: { name: REGISTRY_TABLE_KEY.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: REGISTRY_TABLE_TTL_ATTRIBUTE,
      deletionProtection: removalPolicy !== RemovalPolicy.DESTROY,
      removalPolicy,
    });

    const retentionDays = props.snapshotRetentionDays ?? 30;
    this.snapshotBucket = new s3.Bucket(this, 'SnapshotBucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.secretsKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      lifecycleRules: [
        {
          id: 'ExpireSnapshots',
          expiration: Duration.days(retentionDays),
          noncurrentVersionExpiration: Duration.days(retentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy,
    });
    acknowledge(
      this.snapshotBucket,
      'AwsSolutions-S1',
      "Only Snapshot Before Change writes here (its role may put objects under the snapshot prefix, nothing else) and it logs each snapshot's location and size; server access logs would need a second bucket, itself without access logs. Use CloudTrail S3 data events for an object-level audit.",
    );

    const network = this.etcdNetwork(props);
    const launchReplacementInstances = props.launchReplacementInstances ?? true;
    const environment = {
      [ENV.secretPrefix]: secretPrefix,
      [ENV.kmsKeyId]: this.secretsKey.keyArn,
      [ENV.registryTable]: this.registryTable.tableName,
      [ENV.hostCommandTimeoutSeconds]: String(hostCommandTimeoutSeconds),
      [ENV.ssmDeliveryTimeoutSeconds]: String(SSM_DELIVERY_TIMEOUT_SECONDS),
      [ENV.maxAppliedIndexLag]: String(MAX_APPLIED_INDEX_LAG),
      [ENV.accountId]: this.account,
      [ENV.snapshotBucket]: this.snapshotBucket.bucketName,
      [ENV.snapshotPrefix]: SNAPSHOT_KEY_PREFIX,
      [ENV.launchReplacementInstances]: String(launchReplacementInstances),
    };
    const accessResources = {
      secretPrefix,
      secretsKey: this.secretsKey,
      registryTable: this.registryTable,
      snapshotBucket: this.snapshotBucket,
      snapshotPrefix: SNAPSHOT_KEY_PREFIX,
      ...(props.autoScalingGroupNames !== undefined && { autoScalingGroupNames: props.autoScalingGroupNames }),
      ...(props.memberInstanceRoleArns !== undefined && { memberInstanceRoleArns: props.memberInstanceRoleArns }),
    };

    const steps = {} as Record<EtcdHaStep, StepFunction>;
    for (const step of ALL_STEPS) {
      const access = launchReplacementInstances ? STEP_ACCESS[step] : withoutLaunches(STEP_ACCESS[step]);
      const memorySize = STEP_SPECS[step].memoryMb;
      const fn = new StepFunction(this, stepConstructId(step), {
        step,
        description: `etcd-ha ${stepDescription(step)}`,
        timeout: Duration.seconds(stepTimeoutSeconds(STEP_SPECS[step].timeout, hostCommandTimeoutSeconds)),
        ...(memorySize !== undefined && { memorySize }),
        environment,
        logRetention,
        removalPolicy,
        ...(access.includes('etcdNetwork') && network && { network }),
      });
      grantStepAccess(fn.role, access, accessResources);
      if (access.includes('etcdNetwork') && network) {
        acknowledge(
          fn.role,
          'AwsSolutions-IAM4',
          'The AWS policy Lambda documents for functions in a VPC: it manages the function\'s network interfaces, whose ec2:Describe*/Create*/Delete* actions it needs on "*".',
          ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole'],
        );
      }
      steps[step] = fn;
    }
    this.steps = steps;

    const graceMinutes = props.healingGracePeriodMinutes ?? 10;
    const workflowCommon = {
      logRetention,
      removalPolicy,
      alarmThreshold: props.alarmThreshold ?? 1,
      alarmPeriod: Duration.minutes(props.alarmPeriodMinutes ?? 5),
      ...(props.alarmTopicArn !== undefined && { alarmTopicArn: props.alarmTopicArn }),
    };
    const healthChecks = {
      ...(props.healthCheckIntervalSeconds !== undefined && { healthCheckIntervalSeconds: props.healthCheckIntervalSeconds }),
      ...(props.healthCheckAttempts !== undefined && { healthCheckAttempts: props.healthCheckAttempts }),
    };
    const functionsOf = <Step extends EtcdHaStep>(list: readonly Step[]) =>
      Object.fromEntries(list.map((step) => [step, steps[step].function])) as Record<Step, StepFunction['function']>;
    this.provisionCluster = new ProvisionClusterWorkflow(this, 'ProvisionCluster', {
      functions: functionsOf(PROVISION_STEPS),
      ...healthChecks,
      ...workflowCommon,
    });
    // The same definition the local runner renders (statemachines/replace-member.ts); the shared steps run in ProvisionCluster's functions.
    this.replaceMember = new ReplaceMemberWorkflow(this, 'ReplaceMember', {
      functions: functionsOf(REPLACE_STEPS),
      ...healthChecks,
      ...(props.promotionBudgetMinutes !== undefined && { promotionBudgetMinutes: props.promotionBudgetMinutes }),
      stopGracePeriodSeconds: graceMinutes * 60,
      ...workflowCommon,
    });
    // Pause/resume: the lock steps are ReplaceMember's functions (same handlers, same grants).
    this.setMaintenance = new SetMaintenanceWorkflow(this, 'SetMaintenance', { functions: functionsOf(MAINTENANCE_STEPS), ...workflowCommon });
    if (props.healthProbe ?? true) {
      this.healthProbe = new HealthProbe(this, 'HealthProbe', {
        replaceMember: this.replaceMember.stateMachine,
        interval: Duration.minutes(props.healthProbeIntervalMinutes ?? 1),
        grace: Duration.minutes(graceMinutes),
        environment,
        access: accessResources,
        logRetention,
        removalPolicy,
        ...(network && { network }),
      });
    }

    const automatic = props.automaticReplacement ?? true;
    if (automatic || props.autoScalingGroupNames !== undefined) {
      this.replaceTrigger = new ReplaceMemberTrigger(this, 'ReplaceMemberTrigger', {
        stateMachine: this.replaceMember.stateMachine,
        instanceStateChange: automatic,
        ...(props.autoScalingGroupNames !== undefined && { autoScalingGroupNames: props.autoScalingGroupNames }),
        removalPolicy,
        ...(props.alarmTopicArn !== undefined && { alarmTopicArn: props.alarmTopicArn }),
      });
    }

    this.hostPolicy = new MemberHostPolicy(this, 'MemberHostPolicy', { secretPrefix, secretsKey: this.secretsKey });

    new CfnOutput(this, 'ProvisionClusterStateMachineArn', {
      description: 'Start an execution with a cluster spec as input',
      value: this.provisionCluster.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'ReplaceMemberStateMachineArn', {
      description: 'Start an execution with {"clusterName", "failedMember"} (or {"failedInstanceId"}) as input; EventBridge starts it on instance failures',
      value: this.replaceMember.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'SetMaintenanceStateMachineArn', {
      description: 'Pause or resume automatic healing: {"clusterName", "action": "pause"|"resume", "reason", "by"} (etcd-ha pause|resume)',
      value: this.setMaintenance.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'SnapshotBucketName', { description: 'Snapshots taken before each membership change (SSE-KMS)', value: this.snapshotBucket.bucketName });
    new CfnOutput(this, 'MemberHostPolicyArn', {
      description: "Attach to the member hosts' instance role (with AmazonSSMManagedInstanceCore)",
      value: this.hostPolicy.policy.managedPolicyArn,
    });
    new CfnOutput(this, 'RegistryTableName', { description: 'Cluster records and locks', value: this.registryTable.tableName });
    new CfnOutput(this, 'SecretsKeyArn', { description: "KMS key of the clusters' secrets", value: this.secretsKey.keyArn });
  }

  private etcdNetwork(props: EtcdHaStackProps): EtcdNetwork | undefined {
    if (props.vpcId === undefined || props.subnetIds === undefined || props.securityGroupId === undefined) return undefined;
    return {
      vpc: ec2.Vpc.fromVpcAttributes(this, 'EtcdVpc', { vpcId: props.vpcId, availabilityZones: this.availabilityZones }),
      subnets: props.subnetIds.map((id, i) => ec2.Subnet.fromSubnetId(this, `EtcdSubnet${i}`, id)),
      securityGroup: ec2.SecurityGroup.fromSecurityGroupId(this, 'EtcdClientSecurityGroup', props.securityGroupId, { mutable: false }),
    };
  }
}
