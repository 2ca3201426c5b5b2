// The stack's step functions: one Lambda function per step of the catalog (lambdas/catalog/steps.ts), each with
// the catalog's description, timeout, memory and grants, the environment every step reads, and — for the steps
// that talk to etcd — the members' VPC. Created in the stack's own scope (`<Step>Step`: never renamed).
import { Duration, type RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { ENV, SNAPSHOT_KEY_PREFIX } from '../../lambdas/catalog/contracts';
import { ALL_STEPS, SSM_DELIVERY_TIMEOUT_SECONDS, STEP_SPECS, stepDescription, stepTimeoutSeconds, type StepName } from '../../lambdas/catalog/steps';
import { acknowledge } from '../nag';
import { grantStepAccess, withoutLaunches, type NamesZone, type StepAccess, type StepAccessResources } from '../step-access';
import { StepFunction, type EtcdNetwork } from '../step-function';
import { specPolicyFromProps, type SpecPolicyProps } from '../spec-policy-props';
import { DEFAULT_RETENTION, type RetentionPolicy } from '../../lambdas/core/backup/retention';
import type { Store } from './store';

/** Largest raft applied-index lag of a healthy member (as the local runner uses). */
const MAX_APPLIED_INDEX_LAG = 50;

/** Each step's access (lib/step-access.ts). */
export const STEP_ACCESS: Readonly<Record<StepName, readonly StepAccess[]>> = Object.fromEntries(ALL_STEPS.map((step) => [step, STEP_SPECS[step].access])) as Record<StepName, readonly StepAccess[]>;

/** PascalCase construct IDs of the step functions (never renamed: they become logical IDs). */
export function stepConstructId(step: StepName): string {
  return `${step[0]!.toUpperCase()}${step.slice(1)}Step`;
}

export interface StepFunctionsProps extends SpecPolicyProps {
  readonly store: Store;
  readonly secretPrefix: string;
  readonly hostCommandTimeoutSeconds: number;
  readonly launchReplacementInstances: boolean;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** All three or none: the members' VPC for the steps that talk to etcd. */
  readonly vpcId?: string;
  readonly subnetIds?: readonly string[];
  readonly securityGroupId?: string;
  readonly autoScalingGroupNames?: readonly string[];
  readonly memberInstanceRoleArns?: readonly string[];
  /** Clones only (launchReplacementInstances): the VPCs, foreign AMIs and launch templates they may use. */
  readonly memberVpcIds?: readonly string[];
  readonly cloneImageIds?: readonly string[];
  readonly cloneLaunchTemplateIds?: readonly string[];
  /** Prune Old Backups' tiers. @default - DEFAULT_RETENTION */
  readonly backupRetention?: RetentionPolicy;
  /** The stable names' zone (lib/parts/names.ts). @default - none: no names published */
  readonly names?: NamesZone;
  /** Where Publish Membership Event puts its events. @default - the account's default bus */
  readonly membershipEventBus?: events.IEventBus;
}

export interface StepFunctions {
  readonly steps: Readonly<Record<StepName, StepFunction>>;
  /** What every step function gets (and the health probe). */
  readonly environment: Readonly<Record<string, string>>;
  readonly access: StepAccessResources;
  readonly network?: EtcdNetwork;
}

export function addStepFunctions(stack: Stack, props: StepFunctionsProps): StepFunctions {
  const { store } = props;
  const network = etcdNetwork(stack, props);
  const environment = {
    [ENV.secretPrefix]: props.secretPrefix,
    [ENV.kmsKeyId]: store.secretsKey.keyArn,
    [ENV.registryTable]: store.registryTable.tableName,
    [ENV.hostCommandTimeoutSeconds]: String(props.hostCommandTimeoutSeconds),
    [ENV.ssmDeliveryTimeoutSeconds]: String(SSM_DELIVERY_TIMEOUT_SECONDS),
    [ENV.maxAppliedIndexLag]: String(MAX_APPLIED_INDEX_LAG),
    [ENV.accountId]: stack.account,
    [ENV.snapshotBucket]: store.snapshotBucket.bucketName,
    [ENV.snapshotPrefix]: SNAPSHOT_KEY_PREFIX,
    [ENV.launchReplacementInstances]: String(props.launchReplacementInstances),
    // Choose Replacement Host checks a clone's instance profile and launch template against these.
    ...(props.launchReplacementInstances && {
      [ENV.memberInstanceRoleArns]: (props.memberInstanceRoleArns ?? []).join(','),
      [ENV.cloneLaunchTemplateIds]: (props.cloneLaunchTemplateIds ?? []).join(','),
    }),
  };
  const access: StepAccessResources = {
    secretPrefix: props.secretPrefix,
    secretsKey: store.secretsKey,
    registryTable: store.registryTable,
    snapshotBucket: store.snapshotBucket,
    snapshotPrefix: SNAPSHOT_KEY_PREFIX,
    ...(props.autoScalingGroupNames !== undefined && { autoScalingGroupNames: props.autoScalingGroupNames }),
    ...(props.launchReplacementInstances && {
      clones: {
        roleArns: props.memberInstanceRoleArns ?? [],
        vpcIds: props.memberVpcIds ?? [],
        imageIds: props.cloneImageIds ?? [],
        launchTemplateIds: props.cloneLaunchTemplateIds ?? [],
      },
    }),
    ...(props.names && { names: props.names }),
    ...(props.membershipEventBus && { membershipEventBusArn: props.membershipEventBus.eventBusArn }),
  };
  // Only the steps that publish the stable names learn the zone.
  const namesZone: Record<string, string> = props.names ? { [ENV.hostedZoneId]: props.names.hostedZoneId, [ENV.dnsZoneName]: props.names.zoneName } : {};
  // Only Validate Spec reads what a spec may run on the hosts: the policy goes to its function alone.
  const specPolicy = { [ENV.specPolicy]: JSON.stringify(specPolicyFromProps(props)) };
  // Only Prune Old Backups reads the retention tiers.
  const backupRetention = { [ENV.backupRetention]: JSON.stringify(props.backupRetention ?? DEFAULT_RETENTION) };
  // Only Publish Membership Event names the bus it puts its events on.
  const eventBus = { [ENV.membershipEventBus]: props.membershipEventBus?.eventBusName ?? 'default' };
  const ownEnvironment: Partial<Record<StepName, Record<string, string>>> = { validateSpec: specPolicy, pruneBackups: backupRetention, publishMembershipEvent: eventBus };
  const steps = {} as Record<StepName, StepFunction>;
  for (const step of ALL_STEPS) {
    const granted = props.launchReplacementInstances ? STEP_ACCESS[step] : withoutLaunches(STEP_ACCESS[step]);
    const memorySize = STEP_SPECS[step].memoryMb;
    const reserved = STEP_SPECS[step].reservedConcurrency;
    const fn = new StepFunction(stack, stepConstructId(step), {
      step,
      description: `etcd-ha ${stepDescription(step)}`,
      timeout: Duration.seconds(stepTimeoutSeconds(STEP_SPECS[step].timeout, props.hostCommandTimeoutSeconds)),
      ...(memorySize !== undefined && { memorySize }),
      ...(reserved !== undefined && { reservedConcurrentExecutions: reserved }),
      environment: { ...environment, ...ownEnvironment[step], ...(granted.includes('publishNames') && namesZone) },
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      ...(granted.includes('etcdNetwork') && network && { network }),
    });
    grantStepAccess(fn.role, granted, access);
    if (granted.includes('etcdNetwork') && network) {
      acknowledge(
        fn.role,
        'AwsSolutions-IAM4',
        'The AWS policy Lambda documents for functions in a VPC: it manages the function\'s network interfaces, whose ec2:Describe*/Create*/Delete* actions it needs on "*".',
        ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole'],
      );
    }
    steps[step] = fn;
  }
  return { steps, environment, access, ...(network && { network }) };
}

function etcdNetwork(stack: Stack, props: StepFunctionsProps): EtcdNetwork | undefined {
  if (props.vpcId === undefined || props.subnetIds === undefined || props.securityGroupId === undefined) return undefined;
  return {
    vpc: ec2.Vpc.fromVpcAttributes(stack, 'EtcdVpc', { vpcId: props.vpcId, availabilityZones: stack.availabilityZones }),
    subnets: props.subnetIds.map((id, i) => ec2.Subnet.fromSubnetId(stack, `EtcdSubnet${i}`, id)),
    securityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, 'EtcdClientSecurityGroup', props.securityGroupId, { mutable: false }),
  };
}
