// EtcdHaStack props from CDK context: cdk.json's "context", or `cdk deploy -c key=value` (values from the
// command line are strings; numbers and lists are parsed here). An unknown key that looks like ours, or a
// value of the wrong shape, stops the synth with the key and the value.
import { DefaultStackSynthesizer, RemovalPolicy } from 'aws-cdk-lib';
import type { Node } from 'constructs';
import type { EtcdHaStackProps } from './etcd-ha-stack';
import type { SpecPolicyProps } from './spec-policy-props';
import { parseRetention } from '../lambdas/core/backup/retention';

/** The context keys the app reads, with what each becomes. */
export const CONTEXT_KEYS = {
  vpcId: 'EtcdHaStackProps.vpcId',
  subnetIds: 'EtcdHaStackProps.subnetIds (a JSON list, or IDs separated by commas)',
  securityGroupId: 'EtcdHaStackProps.securityGroupId',
  // The stable names' zone: an existing private hosted zone (both), or the stack's own in vpcId (dnsZoneName optional).
  hostedZoneId: 'EtcdHaStackProps.hostedZoneId: an existing Route 53 private hosted zone for the stable names (with dnsZoneName)',
  dnsZoneName: "EtcdHaStackProps.dnsZoneName: the stable names' zone name (default etcd-ha.internal)",
  healthCheckIntervalSeconds: 'EtcdHaStackProps.healthCheckIntervalSeconds',
  healthCheckAttempts: 'EtcdHaStackProps.healthCheckAttempts',
  promotionBudgetMinutes: 'EtcdHaStackProps.promotionBudgetMinutes',
  hostCommandTimeoutSeconds: 'EtcdHaStackProps.hostCommandTimeoutSeconds',
  logRetentionDays: 'EtcdHaStackProps.logRetention (days, one of CloudWatch Logs\' retention values)',
  secretPrefix: 'EtcdHaStackProps.secretPrefix',
  automaticReplacement: 'EtcdHaStackProps.automaticReplacement: true (default) or false',
  autoScalingGroupNames: 'EtcdHaStackProps.autoScalingGroupNames (a JSON list, or names separated by commas)',
  launchReplacementInstances: 'EtcdHaStackProps.launchReplacementInstances: true (default with memberInstanceRoleArns) or false',
  // Cloning without escalation: without memberInstanceRoleArns no clone is launched.
  memberInstanceRoleArns: 'EtcdHaStackProps.memberInstanceRoleArns (a JSON list, or ARNs separated by commas): the only roles a clone may carry',
  memberVpcIds: 'EtcdHaStackProps.memberVpcIds (a JSON list, or IDs separated by commas; default [vpcId]): the only VPCs a clone may go to',
  cloneImageIds: "EtcdHaStackProps.cloneImageIds (a JSON list, or AMI IDs separated by commas): other accounts' AMIs a clone may use",
  cloneLaunchTemplateIds: 'EtcdHaStackProps.cloneLaunchTemplateIds (a JSON list, or IDs separated by commas): launch templates a clone may use',
  snapshotRetentionDays: 'EtcdHaStackProps.snapshotRetentionDays',
  healingGracePeriodMinutes: 'EtcdHaStackProps.healingGracePeriodMinutes (1 to 1440; default 10): stop grace period and health probe grace period',
  healthProbe: 'EtcdHaStackProps.healthProbe: true (default) or false',
  connectControlPlaneOnChange: 'EtcdHaStackProps.connectControlPlaneOnChange: true or false (default): ConnectControlPlane after each membership change',
  healthProbeIntervalMinutes: 'EtcdHaStackProps.healthProbeIntervalMinutes (1 to 1440; default 1)',
  alarmThreshold: 'EtcdHaStackProps.alarmThreshold',
  alarmPeriodMinutes: 'EtcdHaStackProps.alarmPeriodMinutes',
  alarmTopicArn: 'EtcdHaStackProps.alarmTopicArn',
  removalPolicy: 'EtcdHaStackProps.removalPolicy: "retain" (default) or "destroy"',
  // What a spec may run on the hosts (lib/spec-policy-props.ts); each list replaces its default.
  allowedImageRepositories: 'EtcdHaStackProps.allowedImageRepositories (a JSON list, or registries separated by commas; default registry.k8s.io)',
  allowedBinaryDirectories: 'EtcdHaStackProps.allowedBinaryDirectories (a JSON list, or directories separated by commas; default /usr/local/bin, /usr/bin, /opt/etcd)',
  allowedEtcdSecurityFlags: 'EtcdHaStackProps.allowedEtcdSecurityFlags (a JSON list, or flag names separated by commas; default none)',
  backupSchedule: 'EtcdHaStackProps.backupSchedule: an EventBridge schedule expression (default "rate(15 minutes)") or "off"',
  backupRetention: 'EtcdHaStackProps.backupRetention: JSON {"keepAllHours": 24, "hourlyDays": 7, "dailyDays": 90} (the default); fields left out keep theirs',
  restoreDrillSchedule: 'EtcdHaStackProps.restoreDrillSchedule: an EventBridge schedule expression (default "rate(1 day)") or "off"',
  deployForTests: 'true: no BootstrapVersion rule (moto_server keeps no bootstrap parameter); for tests only',
} as const;

export type ContextKey = keyof typeof CONTEXT_KEYS;

function fail(key: string, expected: string, value: unknown): never {
  throw new Error(`context ${key} must be ${expected}, got ${JSON.stringify(value)}`);
}

function text(node: Node, key: ContextKey): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') fail(key, 'a string', value);
  return value;
}

function integer(node: Node, key: ContextKey): number | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number)) fail(key, 'a whole number', value);
  return number;
}

/** A whole number of minutes from 1 to 1440 (a day), checked here so that the error names the context key. */
function minutes(node: Node, key: ContextKey): number | undefined {
  const value = integer(node, key);
  if (value !== undefined && (value < 1 || value > 1440)) fail(key, 'a whole number of minutes from 1 to 1440', node.tryGetContext(key));
  return value;
}

/** true or false; unset is undefined (the prop's default). */
function optionalFlag(node: Node, key: ContextKey): boolean | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  return fail(key, 'true or false', value);
}

function flag(node: Node, key: ContextKey): boolean {
  return optionalFlag(node, key) ?? false;
}

function list(node: Node, key: ContextKey): string[] | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed.startsWith('[')) {
      try {
        const parsed: unknown = JSON.parse(trimmed);
        if (Array.isArray(parsed) && parsed.every((v) => typeof v === 'string')) return parsed;
      } catch {
        // reported below
      }
      return fail(key, 'a list of strings', value);
    }
    return trimmed.split(',').map((s) => s.trim()).filter((s) => s !== '');
  }
  return fail(key, 'a list of strings', value);
}

function removalPolicy(node: Node): RemovalPolicy | undefined {
  const value = text(node, 'removalPolicy');
  if (value === undefined) return undefined;
  if (value === 'retain') return RemovalPolicy.RETAIN;
  if (value === 'destroy') return RemovalPolicy.DESTROY;
  return fail('removalPolicy', '"retain" or "destroy"', value);
}

/** The spec policy props from context: only the keys given (the stack keeps each default otherwise). */
function specPolicyFromContext(node: Node): SpecPolicyProps {
  const allowedImageRepositories = list(node, 'allowedImageRepositories');
  const allowedBinaryDirectories = list(node, 'allowedBinaryDirectories');
  const allowedEtcdSecurityFlags = list(node, 'allowedEtcdSecurityFlags');
  return {
    ...(allowedImageRepositories !== undefined && { allowedImageRepositories }),
    ...(allowedBinaryDirectories !== undefined && { allowedBinaryDirectories }),
    ...(allowedEtcdSecurityFlags !== undefined && { allowedEtcdSecurityFlags }),
  };
}

/** The stack's props from the app's context (unset keys leave the props' defaults). */
export function stackPropsFromContext(node: Node): EtcdHaStackProps {
  const subnetIds = list(node, 'subnetIds');
  const vpcId = text(node, 'vpcId');
  const securityGroupId = text(node, 'securityGroupId');
  const hostedZoneId = text(node, 'hostedZoneId');
  const dnsZoneName = text(node, 'dnsZoneName');
  const healthCheckIntervalSeconds = integer(node, 'healthCheckIntervalSeconds');
  const healthCheckAttempts = integer(node, 'healthCheckAttempts');
  const promotionBudgetMinutes = integer(node, 'promotionBudgetMinutes');
  const hostCommandTimeoutSeconds = integer(node, 'hostCommandTimeoutSeconds');
  const logRetention = integer(node, 'logRetentionDays');
  const secretPrefix = text(node, 'secretPrefix');
  const automaticReplacement = optionalFlag(node, 'automaticReplacement');
  const autoScalingGroupNames = list(node, 'autoScalingGroupNames');
  const launchReplacementInstances = optionalFlag(node, 'launchReplacementInstances');
  const memberInstanceRoleArns = list(node, 'memberInstanceRoleArns');
  const memberVpcIds = list(node, 'memberVpcIds');
  const cloneImageIds = list(node, 'cloneImageIds');
  const cloneLaunchTemplateIds = list(node, 'cloneLaunchTemplateIds');
  const snapshotRetentionDays = integer(node, 'snapshotRetentionDays');
  const healingGracePeriodMinutes = minutes(node, 'healingGracePeriodMinutes');
  const healthProbe = optionalFlag(node, 'healthProbe');
  const connectControlPlaneOnChange = optionalFlag(node, 'connectControlPlaneOnChange');
  const healthProbeIntervalMinutes = minutes(node, 'healthProbeIntervalMinutes');
  const alarmThreshold = integer(node, 'alarmThreshold');
  const alarmPeriodMinutes = integer(node, 'alarmPeriodMinutes');
  const alarmTopicArn = text(node, 'alarmTopicArn');
  const removal = removalPolicy(node);
  const backupSchedule = text(node, 'backupSchedule');
  const rawRetention: unknown = node.tryGetContext('backupRetention');
  const backupRetention = rawRetention === undefined || rawRetention === '' ? undefined : parseRetention(rawRetention, 'context backupRetention');
  const restoreDrillSchedule = text(node, 'restoreDrillSchedule');
  const specPolicy = specPolicyFromContext(node);
  return {
    ...specPolicy,
    ...(vpcId !== undefined && { vpcId }),
    ...(subnetIds !== undefined && { subnetIds }),
    ...(securityGroupId !== undefined && { securityGroupId }),
    ...(hostedZoneId !== undefined && { hostedZoneId }),
    ...(dnsZoneName !== undefined && { dnsZoneName }),
    ...(healthCheckIntervalSeconds !== undefined && { healthCheckIntervalSeconds }),
    ...(healthCheckAttempts !== undefined && { healthCheckAttempts }),
    ...(promotionBudgetMinutes !== undefined && { promotionBudgetMinutes }),
    ...(hostCommandTimeoutSeconds !== undefined && { hostCommandTimeoutSeconds }),
    ...(logRetention !== undefined && { logRetention }),
    ...(secretPrefix !== undefined && { secretPrefix }),
    ...(automaticReplacement !== undefined && { automaticReplacement }),
    ...(autoScalingGroupNames !== undefined && { autoScalingGroupNames }),
    ...(launchReplacementInstances !== undefined && { launchReplacementInstances }),
    ...(memberInstanceRoleArns !== undefined && { memberInstanceRoleArns }),
    ...(memberVpcIds !== undefined && { memberVpcIds }),
    ...(cloneImageIds !== undefined && { cloneImageIds }),
    ...(cloneLaunchTemplateIds !== undefined && { cloneLaunchTemplateIds }),
    ...(snapshotRetentionDays !== undefined && { snapshotRetentionDays }),
    ...(healingGracePeriodMinutes !== undefined && { healingGracePeriodMinutes }),
    ...(healthProbe !== undefined && { healthProbe }),
    ...(connectControlPlaneOnChange !== undefined && { connectControlPlaneOnChange }),
    ...(healthProbeIntervalMinutes !== undefined && { healthProbeIntervalMinutes }),
    ...(alarmThreshold !== undefined && { alarmThreshold }),
    ...(alarmPeriodMinutes !== undefined && { alarmPeriodMinutes }),
    ...(alarmTopicArn !== undefined && { alarmTopicArn }),
    ...(removal !== undefined && { removalPolicy: removal }),
    ...(backupSchedule !== undefined && { backupSchedule }),
    ...(backupRetention !== undefined && { backupRetention }),
    ...(restoreDrillSchedule !== undefined && { restoreDrillSchedule }),
    // moto_server keeps no /cdk-bootstrap/.../version parameter: no rule that checks it.
    ...(flag(node, 'deployForTests') && { synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }) }),
  };
}
