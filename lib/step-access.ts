// What each Lambda step may do on AWS, as data: a step gets exactly the access kinds listed for it, and each
// kind is a few IAM statements on the narrowest resources the service supports. The two statements on "*"
// (ec2:DescribeInstances, ssm:GetCommandInvocation) are there because those actions have no resource-level
// permissions; their cdk-nag suppressions say so.
import { Arn, ArnFormat, Aws, type CfnElement, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { CONTROL_PLANE_TAG } from '../lambdas/catalog/contracts';
import { ADOPT_UPLOAD_ITEM, BACKUP_KEY_PREFIX, BACKUP_LOCK_KEY_PREFIX, RESTORE_KEY_PREFIX, LAST_BACKUP_KEY_PREFIX, DRILL_LOCK_KEY_PREFIX, METRICS, CLUSTER_TAG, INSTANCE_ARN_TAG, LOCK_KEY_PREFIX, MEMBER_TAG, PROBE_KEY_PREFIX, RECORD_KEY_PREFIX, REPLACED_BY_TAG, RUN_SHELL_SCRIPT_DOCUMENT } from '../lambdas/catalog/contracts';
import { HEALTH_PROBE, MAINTENANCE_ONLY_STEPS, PROVISION_STEPS, REPLACE_ONLY_STEPS, STEP_SPECS, type StepAccess, type StepName } from '../lambdas/catalog/steps';
import { acknowledge } from './nag';
import { MEMBERSHIP_EVENT_SOURCE } from '../lambdas/core/membership-event';

/** The access kinds and each step's list of them are data in the catalog (lambdas/catalog/steps.ts). */
export type { StepAccess };

/** A record of the catalog's access lists, for the given steps. */
function accessOf<Step extends StepName>(steps: readonly Step[]): Readonly<Record<Step, readonly StepAccess[]>> {
  return Object.fromEntries(steps.map((step) => [step, STEP_SPECS[step].access])) as Record<Step, readonly StepAccess[]>;
}

/** The access of each ProvisionCluster step. Nothing else is granted. */
export const PROVISION_STEP_ACCESS = accessOf(PROVISION_STEPS);
/** The access of each step only ReplaceMember runs (the shared ones run in ProvisionCluster's functions). */
export const REPLACE_STEP_ACCESS = accessOf(REPLACE_ONLY_STEPS);
/** The access of the steps only SetMaintenance runs (its lock steps are the shared functions). */
export const MAINTENANCE_STEP_ACCESS = accessOf(MAINTENANCE_ONLY_STEPS);

/** The health probe (lib/health-probe.ts adds states:StartExecution on ReplaceMember). */
export const HEALTH_PROBE_ACCESS: readonly StepAccess[] = HEALTH_PROBE.access;
/** The instance tag that marks an EC2 instance as an etcd member host that the steps may run commands on; the only SSM document the steps run. */
export { CLUSTER_TAG, RUN_SHELL_SCRIPT_DOCUMENT };

/**
 * `arn:<partition>:secretsmanager:<region>:<account>:secret:<prefix>/<pattern>`; the default pattern `*` is
 * every secret of every cluster. Secrets Manager appends "-" and 6 random characters to a secret's name in its ARN.
 */
export function secretsArnPattern(scope: Construct, prefix: string, pattern = '*'): string {
  return Stack.of(scope).formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: `${prefix}/${pattern}`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** The item name of the healthcheck client secret (lambdas/steps/pki-secrets.ts SECRET_ITEMS). */
export const HEALTHCHECK_CLIENT_ITEM = 'healthcheck-client';

/** Every cluster's healthcheck client secret: `<prefix>/<cluster>/healthcheck-client-XXXXXX`. */
export const HEALTHCHECK_CLIENT_PATTERN = `*/${HEALTHCHECK_CLIENT_ITEM}-??????`;
/** The revocation ledger's secret (lambdas/steps/pki-secrets.ts SECRET_ITEMS.revocation). */
export const REVOCATION_LEDGER_ITEM = 'revocation';
export const REVOCATION_LEDGER_PATTERN = `*/${REVOCATION_LEDGER_ITEM}-??????`;

export interface StepAccessResources {
  readonly secretPrefix: string;
  readonly secretsKey: kms.IKey;
  readonly registryTable: dynamodb.ITable;
  /** The snapshot bucket ('writeSnapshots'). */
  readonly snapshotBucket?: s3.IBucket;
  /** Start of the snapshot keys: the grant is on `<prefix>*` ('writeSnapshots'). */
  readonly snapshotPrefix?: string;
  /** The Auto Scaling groups whose lifecycle actions may be completed ('completeLifecycleActions'); none: no grant. */
  readonly autoScalingGroupNames?: readonly string[];
  /** What a clone may carry, use and go to ('launchReplacementInstances'); required by that kind. */
  readonly clones?: CloneLimits;
  /** The bus membership events go to ('publishMembershipEvents'). @default - the account's default bus in the stack's region */
  readonly membershipEventBusArn?: string;
  /** The stable names' private hosted zone ('publishNames'); none: no grant (the steps publish no names). */
  readonly names?: NamesZone;
}

/** The Route 53 private hosted zone of the stable names: its ID and name. */
export interface NamesZone {
  readonly hostedZoneId: string;
  readonly zoneName: string;
}

/** The limits of a clone: the stack's memberInstanceRoleArns, memberVpcIds, cloneImageIds and cloneLaunchTemplateIds. */
export interface CloneLimits {
  /** The only roles that may be passed to a clone (at least one). */
  readonly roleArns: readonly string[];
  /** The only VPCs of a clone's subnet, security groups and network interface (at least one). */
  readonly vpcIds: readonly string[];
  /** AMIs of other accounts a clone may be launched from, besides the account's own. */
  readonly imageIds: readonly string[];
  /** The only launch templates a clone may be launched from. */
  readonly launchTemplateIds: readonly string[];
}

/**
 * A step's access when the stack launches no replacement instances: Choose Replacement Host only resolves the
 * instance a request names, and Check Host Agent (which only looks at a launched instance) never runs.
 */
export function withoutLaunches(access: readonly StepAccess[]): readonly StepAccess[] {
  if (access.includes('readHostAgents')) return [];
  return access.filter((kind) => kind !== 'launchReplacementInstances');
}

/** The ARN of an Auto Scaling group by name: its ID (a UUID) is unknown before it exists, hence the "*". */
export function autoScalingGroupArnPattern(scope: Construct, name: string): string {
  return Stack.of(scope).formatArn({
    service: 'autoscaling',
    resource: 'autoScalingGroup',
    resourceName: `*:autoScalingGroupName/${name}`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** Every Step Functions execution of the stack's account and region: `arn:<partition>:states:<region>:<account>:execution:*`. */
function lockHolderExecutionsArn(scope: Construct): string {
  return Stack.of(scope).formatArn({ service: 'states', resource: 'execution', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

/** The lock items of the registry table only: every key the request touches starts with "lock#". */
function lockItemsOnly(): Record<string, Record<string, string[]>> {
  return { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${LOCK_KEY_PREFIX}*`] } };
}

/** The cluster records of the registry table only: every key the request touches starts with "cluster#". */
function recordItemsOnly(): Record<string, Record<string, string[]>> {
  return { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${RECORD_KEY_PREFIX}*`] } };
}

/** The probe items of the registry table only: every key the request touches starts with "probe#". */
function probeItemsOnly(): Record<string, Record<string, string[]>> {
  return { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${PROBE_KEY_PREFIX}*`] } };
}

/** kms:ViaService for Secrets Manager in the stack's region: the key is usable only through Secrets Manager. */
export function viaSecretsManager(): Record<string, Record<string, string>> {
  return { StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` } };
}

/** Adds to `role` the statements of `access`, with cdk-nag suppressions that say why each wildcard is there. */
export function grantStepAccess(role: iam.Role, access: readonly StepAccess[], resources: StepAccessResources): void {
  const add = (statement: iam.PolicyStatementProps) => role.addToPrincipalPolicy(new iam.PolicyStatement(statement));
  const reasons: Array<{ appliesTo: string; reason: string }> = [];

  if (access.includes('describeInstances')) {
    add({ sid: 'ResolveMemberInstances', actions: ['ec2:DescribeInstances'], resources: ['*'] });
    reasons.push({ appliesTo: 'Resource::*', reason: 'ec2:DescribeInstances supports no resource-level permissions (Describe* actions act on "*" only).' });
  }
  if (access.includes('runCommand')) {
    add({
      sid: 'RunShellScriptDocument',
      actions: ['ssm:SendCommand'],
      resources: [Arn.format({ service: 'ssm', account: '', resource: 'document', resourceName: RUN_SHELL_SCRIPT_DOCUMENT }, Stack.of(role))],
    });
    add({
      sid: 'RunCommandOnMemberHosts',
      actions: ['ssm:SendCommand'],
      resources: [Stack.of(role).formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' })],
      // Any instance that carries a non-empty etcd-ha:cluster tag; an untagged instance is refused.
      conditions: { StringLike: { [`ssm:resourceTag/${CLUSTER_TAG}`]: '?*' } },
    });
    add({ sid: 'ReadCommandResults', actions: ['ssm:GetCommandInvocation'], resources: ['*'] });
    reasons.push(
      {
        appliesTo: 'Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*',
        reason: `ssm:SendCommand on instances is limited by condition to those tagged ${CLUSTER_TAG} (ssm:resourceTag), and to the AWS-RunShellScript document; the instance IDs come from each execution's record or spec, and the steps refuse an instance whose tag is not that cluster's (IAM cannot compare a tag with an execution's input).`,
      },
      { appliesTo: 'Resource::*', reason: 'ssm:GetCommandInvocation supports no resource-level permissions; it only reads the status and output of commands.' },
    );
  }
  // ---- ConnectControlPlane ----
  if (access.includes('runControlPlaneCommand')) {
    add({
      sid: 'RunShellScriptOnControlPlane',
      actions: ['ssm:SendCommand'],
      resources: [Arn.format({ service: 'ssm', account: '', resource: 'document', resourceName: RUN_SHELL_SCRIPT_DOCUMENT }, Stack.of(role))],
    });
    add({
      sid: 'RunCommandOnControlPlaneHosts',
      actions: ['ssm:SendCommand'],
      resources: [Stack.of(role).formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' })],
      // Any instance that carries a non-empty etcd-ha:control-plane tag; the step resolves only this cluster's.
      conditions: { StringLike: { [`ssm:resourceTag/${CONTROL_PLANE_TAG}`]: '?*' } },
    });
    add({ sid: 'ReadControlPlaneCommandResults', actions: ['ssm:GetCommandInvocation'], resources: ['*'] });
    reasons.push(
      {
        appliesTo: 'Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*',
        reason: `ssm:SendCommand on instances is limited by condition to those tagged ${CONTROL_PLANE_TAG} (ssm:resourceTag), and to the AWS-RunShellScript document; Resolve Control-Plane Hosts refuses an instance whose tag is not the cluster's.`,
      },
      { appliesTo: 'Resource::*', reason: 'ssm:GetCommandInvocation supports no resource-level permissions; it only reads the status and output of commands.' },
    );
  }
  if (access.includes('writeSecrets')) {
    // Only secrets in our own shape (lambdas/core/secret-ownership.ts checks existing ones before use): created
    // with the stack's key and the cluster tag, never given a resource policy (PutResourcePolicy is not granted).
    add({
      sid: 'CreateClusterSecrets',
      actions: ['secretsmanager:CreateSecret'],
      resources: [secretsArnPattern(role, resources.secretPrefix)],
      conditions: {
        StringEquals: { 'secretsmanager:KmsKeyArn': resources.secretsKey.keyArn },
        StringLike: { [`aws:RequestTag/${CLUSTER_TAG}`]: '?*' },
      },
    });
    add({
      sid: 'ReadWriteClusterSecrets',
      actions: [
        'secretsmanager:GetSecretValue',
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetResourcePolicy',
        'secretsmanager:PutSecretValue',
        'secretsmanager:TagResource',
        'secretsmanager:UntagResource',
      ],
      resources: [secretsArnPattern(role, resources.secretPrefix)],
    });
    // The store updates only the description; a request that names a key may name only the stack's.
    add({
      sid: 'UpdateClusterSecrets',
      actions: ['secretsmanager:UpdateSecret'],
      resources: [secretsArnPattern(role, resources.secretPrefix)],
      conditions: { StringEqualsIfExists: { 'secretsmanager:KmsKeyArn': resources.secretsKey.keyArn } },
    });
    // CreateSecret/PutSecretValue need GenerateDataKey, GetSecretValue needs Decrypt; only through Secrets Manager.
    add({
      sid: 'EncryptDecryptClusterSecrets',
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: [resources.secretsKey.keyArn],
      conditions: viaSecretsManager(),
    });
    reasons.push({
      appliesTo: `Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${resources.secretPrefix}/*`,
      reason:
        `Generate PKI creates each cluster's secrets at run time under "${resources.secretPrefix}/<cluster>/..." (Secrets Manager appends a random suffix to each ARN): the prefix is the narrowest fixed resource. ` +
        `CreateSecret is allowed only with the stack's KMS key (secretsmanager:KmsKeyArn) and an ${CLUSTER_TAG} tag (aws:RequestTag), UpdateSecret may not switch the key, and no resource policy may be put.`,
    });
  }
  if (access.includes('readHealthcheckClient')) {
    // DescribeSecret and GetResourcePolicy: the store checks that the secret is ours before it reads it.
    add({
      sid: 'ReadHealthcheckClientSecrets',
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:GetResourcePolicy'],
      resources: [secretsArnPattern(role, resources.secretPrefix, HEALTHCHECK_CLIENT_PATTERN)],
    });
    add({
      sid: 'DecryptClusterSecrets',
      actions: ['kms:Decrypt'],
      resources: [resources.secretsKey.keyArn],
      conditions: viaSecretsManager(),
    });
    reasons.push({
      appliesTo: `Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${resources.secretPrefix}/${HEALTHCHECK_CLIENT_PATTERN}`,
      reason: `Only the healthcheck client secret of each cluster ("${resources.secretPrefix}/<cluster>/${HEALTHCHECK_CLIENT_ITEM}" plus the random suffix Secrets Manager appends), read and described; the cluster comes from the execution.`,
    });
  }
  if (access.includes('readRevocationLedger')) {
    // Plan Next Change: the names of every member ever issued a certificate (public serials and names, no key).
    add({
      sid: 'ReadRevocationLedgers',
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:GetResourcePolicy'],
      resources: [secretsArnPattern(role, resources.secretPrefix, REVOCATION_LEDGER_PATTERN)],
    });
    if (!access.includes('readHealthcheckClient')) {
      add({ sid: 'DecryptClusterSecrets', actions: ['kms:Decrypt'], resources: [resources.secretsKey.keyArn], conditions: viaSecretsManager() });
    }
    reasons.push({
      appliesTo: `Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${resources.secretPrefix}/${REVOCATION_LEDGER_PATTERN}`,
      reason: `Only the revocation ledger of each cluster ("${resources.secretPrefix}/<cluster>/${REVOCATION_LEDGER_ITEM}" plus the random suffix), read and described: member names and certificate serials, no key; the cluster comes from the execution.`,
    });
  }
  if (access.includes('writeRegistry')) {
    // Records only: never a lock or probe item (the lock kinds and the probe have their own grants).
    add({ sid: 'WriteClusterRecord', actions: ['dynamodb:PutItem'], resources: [resources.registryTable.tableArn], conditions: recordItemsOnly() });
    // A record written under the lock: TransactWriteItems with a ConditionCheck on the lock item and the Put.
    add({ sid: 'CheckClusterLockOnWrite', actions: ['dynamodb:ConditionCheckItem'], resources: [resources.registryTable.tableArn], conditions: lockItemsOnly() });
  }
  if (access.includes('readRegistry')) {
    add({ sid: 'ReadClusterRecords', actions: ['dynamodb:GetItem', 'dynamodb:Scan'], resources: [resources.registryTable.tableArn] });
  }
  if (access.includes('acquireClusterLock')) {
    add({
      sid: 'AcquireClusterLock',
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resources: [resources.registryTable.tableArn],
      conditions: lockItemsOnly(),
    });
    // The holder of a lock is a ReplaceMember execution of this stack, but that state machine's ARN cannot be named
    // here: the state machine is built after the step functions and refers to them, and each function depends on
    // its role's policy, so a reference back would be a dependency cycle (and its generated name is not known
    // before it exists). Hence every execution of the account in this region.
    add({ sid: 'AskLockHolders', actions: ['states:DescribeExecution'], resources: [lockHolderExecutionsArn(role)] });
    reasons.push({
      appliesTo: 'Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:*',
      reason:
        "Acquire Lock asks whether an expired lock's holder, an execution of one of this stack's workflows named by its ARN in the lock item, still runs (states:DescribeExecution); it only reads. Those state machines' ARNs cannot be referenced from the lock step's role without a dependency cycle, and their generated names are unknown before deployment.",
    });
  }
  if (access.includes('renewClusterLock')) {
    add({ sid: 'RenewClusterLock', actions: ['dynamodb:UpdateItem'], resources: [resources.registryTable.tableArn], conditions: lockItemsOnly() });
  }
  if (access.includes('releaseClusterLock')) {
    add({ sid: 'ReleaseClusterLock', actions: ['dynamodb:DeleteItem'], resources: [resources.registryTable.tableArn], conditions: lockItemsOnly() });
  }
  if (access.includes('writeSnapshots')) {
    const bucket = resources.snapshotBucket;
    const prefix = resources.snapshotPrefix;
    if (bucket === undefined || prefix === undefined) throw new Error('writeSnapshots needs the snapshot bucket and prefix');
    // A multipart upload's Create/UploadPart/Complete are s3:PutObject; a failed one is aborted.
    add({ sid: 'WriteSnapshots', actions: ['s3:PutObject', 's3:AbortMultipartUpload'], resources: [bucket.arnForObjects(`${prefix}*`)] });
    // SSE-KMS: a data key per object, and Decrypt, which S3 needs to complete a multipart upload; only through S3.
    add({
      sid: 'EncryptSnapshots',
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [resources.secretsKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } },
    });
    const cfnBucket = bucket.node.defaultChild as CfnElement | undefined;
    const bucketArn = cfnBucket ? `<${Stack.of(role).getLogicalId(cfnBucket)}.Arn>` : bucket.bucketArn;
    reasons.push({
      appliesTo: `Resource::${bucketArn}/${prefix}*`,
      reason: `Snapshot Before Change names each snapshot at run time ("${prefix}<cluster>/before-replace-<member>-<time>.db"): the prefix is the narrowest fixed resource; the role may only put (and abort) objects there, not read or delete them.`,
    });
  }
  if (access.includes('completeLifecycleActions') && (resources.autoScalingGroupNames ?? []).length > 0) {
    const arns = resources.autoScalingGroupNames!.map((name) => autoScalingGroupArnPattern(role, name));
    add({ sid: 'CompleteLifecycleActions', actions: ['autoscaling:CompleteLifecycleAction'], resources: arns });
    for (const name of resources.autoScalingGroupNames!) {
      reasons.push({
        appliesTo: `Resource::arn:<AWS::Partition>:autoscaling:<AWS::Region>:<AWS::AccountId>:autoScalingGroup:*:autoScalingGroupName/${name}`,
        reason: `The Auto Scaling group "${name}" is named in the stack's props; the "*" stands for its ID (a UUID in its ARN), which is not known before the group exists.`,
      });
    }
  }

  if (access.includes('launchReplacementInstances')) {
    if (resources.clones === undefined) throw new Error('launchReplacementInstances needs the clone limits (memberInstanceRoleArns and the VPCs)');
    grantLaunchReplacementInstances(role, resources.clones, add, reasons);
  }
  if (access.includes('readHostAgents')) {
    add({ sid: 'ReadHostAgents', actions: ['ssm:DescribeInstanceInformation'], resources: ['*'] });
    reasons.push({ appliesTo: 'Resource::*', reason: 'ssm:DescribeInstanceInformation supports no resource-level permissions; it only reads whether an agent is online.' });
  }

  if (access.includes('writeProbeState')) {
    add({ sid: 'ReadWriteProbeState', actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], resources: [resources.registryTable.tableArn], conditions: probeItemsOnly() });
  }
  if (access.includes('retireMemberInstances')) {
    const instances = Stack.of(role).formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' });
    const memberInstance = { StringLike: { [`ec2:ResourceTag/${CLUSTER_TAG}`]: '?*' } };
    // Order matters (lambdas/adapters/aws/ec2-machine-power.ts): tag and stop while the cluster tag is there, then remove it.
    add({
      sid: 'TagReplacedInstances',
      actions: ['ec2:CreateTags'],
      resources: [instances],
      conditions: { ...memberInstance, 'ForAllValues:StringEquals': { 'aws:TagKeys': [REPLACED_BY_TAG] } },
    });
    add({ sid: 'StopReplacedInstances', actions: ['ec2:StopInstances'], resources: [instances], conditions: memberInstance });
    add({
      sid: 'UntagReplacedInstances',
      actions: ['ec2:DeleteTags'],
      resources: [instances],
      conditions: { ...memberInstance, 'ForAllValues:StringEquals': { 'aws:TagKeys': [CLUSTER_TAG] } },
    });
    reasons.push({
      appliesTo: 'Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*',
      reason: `Retire Replaced Host stops, and tags ${REPLACED_BY_TAG} / untags ${CLUSTER_TAG} on, the instance of the member it replaced, known at run time: only instances tagged ${CLUSTER_TAG} (ec2:ResourceTag), only those tag keys (aws:TagKeys); it may not terminate anything.`,
    });
  }

  // ---- Stable names ----
  if (access.includes('publishNames') && resources.names !== undefined) {
    const zone = Arn.format({ service: 'route53', region: '', account: '', resource: 'hostedzone', resourceName: resources.names.hostedZoneId }, Stack.of(role));
    add({ sid: 'ListMemberNames', actions: ['route53:ListResourceRecordSets'], resources: [zone] });
    add({
      sid: 'ChangeMemberNames',
      actions: ['route53:ChangeResourceRecordSets'],
      resources: [zone],
      // Only A records of names under the zone (`<member>.<cluster>.<zone>`, `etcd.<cluster>.<zone>`), only UPSERT and
      // DELETE: never the zone's own SOA/NS records, never another record type. Normalized names: lower case, no final dot.
      conditions: {
        'ForAllValues:StringLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': [`*.${resources.names.zoneName.replace(/\.$/, '').toLowerCase()}`] },
        'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsRecordTypes': ['A'], 'route53:ChangeResourceRecordSetsActions': ['UPSERT', 'DELETE'] },
      },
    });
  }

  // ---- DeleteCluster ----
  if (access.includes('listSecrets')) {
    add({ sid: 'ListClusterSecrets', actions: ['secretsmanager:ListSecrets'], resources: ['*'] });
    reasons.push({
      appliesTo: 'Resource::*',
      reason:
        "secretsmanager:ListSecrets supports no resource-level permissions; DeleteCluster reads the names and tags (never a value) of the secrets under the cluster's prefix, those of members replaced long ago included.",
    });
  }
  if (access.includes('deleteSecrets')) {
    add({
      sid: 'DeleteClusterSecrets',
      actions: ['secretsmanager:DeleteSecret'],
      resources: [secretsArnPattern(role, resources.secretPrefix)],
      // Only secrets the steps made: every one carries the etcd-ha:cluster tag (the step checks its value too).
      conditions: { StringLike: { [`aws:ResourceTag/${CLUSTER_TAG}`]: '?*' } },
    });
    reasons.push({
      appliesTo: `Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${resources.secretPrefix}/*`,
      reason: `DeleteCluster deletes the secrets of the cluster an execution names, under "${resources.secretPrefix}/<cluster>/..." (the cluster is known at run time only), and only those tagged ${CLUSTER_TAG} (aws:ResourceTag).`,
    });
  }
  if (access.includes('deleteRecord')) {
    // A transaction: a ConditionCheck that the execution holds the lock item, and the Delete of the record.
    add({
      sid: 'DeleteClusterRecord',
      actions: ['dynamodb:DeleteItem'],
      resources: [resources.registryTable.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${RECORD_KEY_PREFIX}*`] } },
    });
    add({ sid: 'CheckClusterLockOnDelete', actions: ['dynamodb:ConditionCheckItem'], resources: [resources.registryTable.tableArn], conditions: lockItemsOnly() });
  }

  grantBackupAccess(role, access, resources, add, reasons);
  grantPublishMetrics(access, add, reasons);
  grantPublishMembershipEvents(role, access, resources, add);
  grantDrillAccess(role, access, resources, add, reasons);
  grantAdoptUploadSlots(role, access, resources, add, reasons);

  // One acknowledgment per finding; two kinds that share a finding ("Resource::*") share one reason.
  const byFinding = new Map<string, string[]>();
  for (const { appliesTo, reason } of reasons) byFinding.set(appliesTo, [...(byFinding.get(appliesTo) ?? []), reason]);
  for (const [finding, why] of byFinding) acknowledge(role, 'AwsSolutions-IAM5', why.join(' '), [finding]);
}

type Reason = { appliesTo: string; reason: string };

/**
 * RunInstances touches several resource types, each limited as far as IAM can express it: the instance must carry
 * the `etcd-ha:cluster` tag (the tag that also lets the host steps run commands on it) and is tagged at launch
 * only; its subnet, security groups and network interface must be in the members' VPCs (ec2:Vpc); its image must be
 * the account's own (ec2:Owner) or named; a launch template only when named; the role passed only a member role.
 * Which cluster's tag the source carries, and which role its instance profile holds, the step checks
 * (lambdas/adapters/aws/clone-source-checks.ts): the cluster is known only at run time.
 */
function grantLaunchReplacementInstances(role: iam.Role, limits: CloneLimits, add: (s: iam.PolicyStatementProps) => void, reasons: Reason[]): void {
  if (limits.roleArns.length === 0 || limits.vpcIds.length === 0) throw new Error('launchReplacementInstances needs at least one member role and one VPC');
  const stack = Stack.of(role);
  const ec2 = (resource: string, inAccount = true, name = '*') => stack.formatArn({ service: 'ec2', resource, resourceName: name, ...(!inAccount && { account: '' }) });
  const finding = (resource: string, inAccount = true) => `Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:${inAccount ? '<AWS::AccountId>' : ''}:${resource}/*`;
  const onCreatedResources = ['instance', 'volume', 'network-interface'];
  const inVpcResources = ['subnet', 'security-group', 'network-interface'];

  add({ sid: 'DescribeFailedInstances', actions: ['ec2:DescribeVolumes', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups'], resources: ['*'] });
  add({
    sid: 'ReadFailedInstanceUserData',
    actions: ['ec2:DescribeInstanceAttribute'],
    resources: [ec2('instance')],
    conditions: { StringLike: { [`ec2:ResourceTag/${CLUSTER_TAG}`]: '?*' } },
  });
  // Which role a clone's instance profile carries: the step refuses any but the member roles.
  add({ sid: 'ReadCloneInstanceProfiles', actions: ['iam:GetInstanceProfile'], resources: [stack.formatArn({ service: 'iam', region: '', resource: 'instance-profile', resourceName: '*' })] });
  add({
    sid: 'LaunchTaggedClones',
    actions: ['ec2:RunInstances'],
    resources: [ec2('instance')],
    conditions: { StringLike: { [`aws:RequestTag/${CLUSTER_TAG}`]: '?*' } },
  });
  add({
    sid: 'LaunchInTheMembersVpcs',
    actions: ['ec2:RunInstances'],
    resources: inVpcResources.map((r) => ec2(r)),
    conditions: { StringEquals: { 'ec2:Vpc': limits.vpcIds.map((id) => ec2('vpc', true, id)) } },
  });
  add({ sid: 'LaunchFromOwnImages', actions: ['ec2:RunInstances'], resources: [ec2('image', false)], conditions: { StringEquals: { 'ec2:Owner': Aws.ACCOUNT_ID } } });
  if (limits.imageIds.length > 0) {
    add({ sid: 'LaunchFromNamedImages', actions: ['ec2:RunInstances'], resources: limits.imageIds.map((id) => ec2('image', false, id)) });
  }
  if (limits.launchTemplateIds.length > 0) {
    add({ sid: 'LaunchFromNamedTemplates', actions: ['ec2:RunInstances'], resources: limits.launchTemplateIds.map((id) => ec2('launch-template', true, id)) });
  }
  add({ sid: 'LaunchWithVolumesAndKeyPairs', actions: ['ec2:RunInstances'], resources: [ec2('volume'), ec2('snapshot', false), ec2('key-pair')] });
  add({
    sid: 'TagClonesAtLaunch',
    actions: ['ec2:CreateTags'],
    resources: onCreatedResources.map((r) => ec2(r)),
    conditions: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
  });
  add({
    sid: 'PassMemberInstanceRole',
    actions: ['iam:PassRole'],
    resources: [...limits.roleArns],
    conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
  });

  reasons.push(
    {
      appliesTo: 'Resource::*',
      reason:
        'ec2:DescribeVolumes, DescribeSubnets and DescribeSecurityGroups support no resource-level permissions; they read the failed instance\'s volume sizes ' +
        'and types, the AZs of the cluster\'s subnets and the VPC of its security groups.',
    },
    {
      appliesTo: finding('instance'),
      reason: `Instances are launched (RunInstances), tagged at launch (CreateTags with ec2:CreateAction = RunInstances) and have their user data read only when tagged ${CLUSTER_TAG} (aws:RequestTag / ec2:ResourceTag); their IDs are unknown before launch.`,
    },
    {
      appliesTo: finding('volume'),
      reason: `A clone's volumes are created by RunInstances with the instance (whose ${CLUSTER_TAG} tag is required) and tagged at launch only; their IDs are unknown before launch.`,
    },
    {
      appliesTo: finding('network-interface'),
      reason: `A clone's network interface is created by RunInstances in one of the members' VPCs (ec2:Vpc) and tagged at launch only; its ID is unknown before launch.`,
    },
    ...['subnet', 'security-group'].map((r) => ({
      appliesTo: finding(r),
      reason: `The clone uses the failed member's ${r} (only read by RunInstances), known at run time, and only one in the members' VPCs (ec2:Vpc).`,
    })),
    { appliesTo: finding('image', false), reason: 'The clone uses the failed member\'s AMI, known at run time: only an image the account owns (ec2:Owner); other accounts\' AMIs only by ID (cloneImageIds).' },
    {
      appliesTo: finding('snapshot', false),
      reason: "RunInstances reads the snapshots behind the AMI's block device mappings (the clone's own mappings name no snapshot); the AMI itself is limited by ec2:Owner or by ID.",
    },
    { appliesTo: finding('key-pair'), reason: "The clone uses the failed member's key pair (only read by RunInstances), known at run time." },
    {
      appliesTo: 'Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:instance-profile/*',
      reason: "iam:GetInstanceProfile reads which role the failed instance's profile carries (known at run time): the step refuses any role outside memberInstanceRoleArns.",
    },
  );
}

// ---- BackupCluster: its own lock items, the backup prefix of the snapshot bucket, the last-good-backup items ----
function grantBackupAccess(
  role: iam.Role,
  access: readonly StepAccess[],
  resources: StepAccessResources,
  add: (statement: iam.PolicyStatementProps) => void,
  reasons: Array<{ appliesTo: string; reason: string }>,
): void {
  const table = resources.registryTable.tableArn;
  const itemsStartingWith = (prefix: string) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${prefix}*`] } });
  if (access.includes('releaseBackupLock')) {
    add({ sid: 'ReleaseBackupLock', actions: ['dynamodb:DeleteItem'], resources: [table], conditions: itemsStartingWith(BACKUP_LOCK_KEY_PREFIX) });
  }
  if (access.includes('acquireBackupLock')) {
    add({
      sid: 'AcquireBackupLock',
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resources: [table],
      conditions: itemsStartingWith(BACKUP_LOCK_KEY_PREFIX),
    });
    add({ sid: 'AskBackupLockHolders', actions: ['states:DescribeExecution'], resources: [lockHolderExecutionsArn(role)] });
    reasons.push({
      appliesTo: 'Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:*',
      reason: "Acquire Backup Lock asks whether an expired backup lock's holder (a BackupCluster execution named in the lock item) still runs; it only reads, and the state machine's ARN cannot be referenced without a dependency cycle.",
    });
  }
  if (access.includes('readLastBackup')) {
    // Publish Backup Metrics, Find Last Good Backup and Plan Restore read the last good backup; they never write it.
    add({ sid: 'ReadLastGoodBackup', actions: ['dynamodb:GetItem'], resources: [table], conditions: itemsStartingWith(LAST_BACKUP_KEY_PREFIX) });
  }
  if (access.includes('writeLastBackup')) {
    add({ sid: 'LastGoodBackup', actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], resources: [table], conditions: itemsStartingWith(LAST_BACKUP_KEY_PREFIX) });
  }
  const wantsBucket = access.some((k) => k === 'writeBackups' || k === 'readBackups' || k === 'deleteBackups' || k === 'stageSnapshots');
  if (!wantsBucket) return;
  const bucket = resources.snapshotBucket;
  if (bucket === undefined) throw new Error('the backup access kinds need the snapshot bucket');
  const objects = bucket.arnForObjects(`${BACKUP_KEY_PREFIX}*`);
  const viaS3 = { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } };
  if (access.includes('writeBackups')) {
    add({ sid: 'WriteBackups', actions: ['s3:PutObject', 's3:AbortMultipartUpload'], resources: [objects] });
    add({ sid: 'EncryptBackups', actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [resources.secretsKey.keyArn], conditions: viaS3 });
  }
  if (access.includes('readBackups')) {
    add({ sid: 'ReadBackupManifests', actions: ['s3:GetObject'], resources: [objects] });
    add({ sid: 'ListBackups', actions: ['s3:ListBucket'], resources: [bucket.bucketArn], conditions: { StringLike: { 's3:prefix': [`${BACKUP_KEY_PREFIX}*`] } } });
    add({ sid: 'DecryptBackupManifests', actions: ['kms:Decrypt'], resources: [resources.secretsKey.keyArn], conditions: viaS3 });
  }
  if (access.includes('deleteBackups')) {
    add({ sid: 'DeleteBackups', actions: ['s3:DeleteObject'], resources: [objects] });
  }
  if (access.includes('stageSnapshots')) {
    // CopyObject reads the backup and writes the tagged copy inside S3; the copy is encrypted like the backups.
    const staged = bucket.arnForObjects(`${RESTORE_KEY_PREFIX}*`);
    add({ sid: 'ReadBackupsToStage', actions: ['s3:GetObject'], resources: [objects] });
    add({ sid: 'StageSnapshots', actions: ['s3:PutObject', 's3:PutObjectTagging', 's3:AbortMultipartUpload', 's3:DeleteObject'], resources: [staged] });
    add({ sid: 'ListStagedSnapshots', actions: ['s3:ListBucket'], resources: [bucket.bucketArn], conditions: { StringLike: { 's3:prefix': [`${RESTORE_KEY_PREFIX}*`] } } });
    add({ sid: 'EncryptStagedSnapshots', actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [resources.secretsKey.keyArn], conditions: viaS3 });
  }
  const cfnBucket = bucket.node.defaultChild as CfnElement | undefined;
  const bucketArn = cfnBucket ? `<${Stack.of(role).getLogicalId(cfnBucket)}.Arn>` : bucket.bucketArn;
  reasons.push({
    appliesTo: `Resource::${bucketArn}/${BACKUP_KEY_PREFIX}*`,
    reason: `BackupCluster names each backup at run time ("${BACKUP_KEY_PREFIX}<cluster>/<time>.db" and its ".json" manifest): the backup prefix is the narrowest fixed resource; nothing outside it (Snapshot Before Change's snapshots included) is granted.`,
  });
  if (access.includes('stageSnapshots')) {
    reasons.push({
      appliesTo: `Resource::${bucketArn}/${RESTORE_KEY_PREFIX}*`,
      reason: `Stage Snapshot names each host's copy at run time ("${RESTORE_KEY_PREFIX}<cluster>/<execution>/<instance-id>.db"): the staging prefix is the narrowest fixed resource.`,
    });
  }
}

// ---- Metrics: PutMetricData into etcd-ha's namespace only ----
/**
 * One statement, the same for every step that publishes (Publish Backup Metrics, the drill's): PutMetricData supports
 * no resource-level permissions, so the resource is "*" and the `cloudwatch:namespace` condition is the limit.
 */
function grantPublishMetrics(access: readonly StepAccess[], add: (statement: iam.PolicyStatementProps) => void, reasons: Reason[]): void {
  if (!access.includes('publishMetrics')) return;
  add({ sid: 'PublishMetrics', actions: ['cloudwatch:PutMetricData'], resources: ['*'], conditions: { StringEquals: { 'cloudwatch:namespace': METRICS.namespace } } });
  reasons.push({
    appliesTo: 'Resource::*',
    reason: `cloudwatch:PutMetricData supports no resource-level permissions; the cloudwatch:namespace condition limits it to etcd-ha's namespace ("${METRICS.namespace}").`,
  });
}

/**
 * events:PutEvents on the membership event bus only (the account's default bus unless the stack was given one), and
 * only events whose source is etcd-ha (the `events:source` condition): the step cannot pose as another service.
 * events:source is multivalued (one per entry of the request): every entry's source must be etcd-ha
 * (ForAllValues), and the key must be there (Null false), since ForAllValues alone is true of an empty set.
 */
function grantPublishMembershipEvents(role: iam.Role, access: readonly StepAccess[], resources: StepAccessResources, add: (statement: iam.PolicyStatementProps) => void): void {
  if (!access.includes('publishMembershipEvents')) return;
  const bus = resources.membershipEventBusArn ?? Stack.of(role).formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' });
  add({ sid: 'PublishMembershipEvents', actions: ['events:PutEvents'], resources: [bus], conditions: { 'ForAllValues:StringEquals': { 'events:source': [MEMBERSHIP_EVENT_SOURCE] }, Null: { 'events:source': 'false' } } });
}

// ---- DrillRestore: its own lock items (the last good backup and the metric: readLastBackup, publishMetrics above) ----
function grantDrillAccess(
  role: iam.Role,
  access: readonly StepAccess[],
  resources: StepAccessResources,
  add: (statement: iam.PolicyStatementProps) => void,
  reasons: Array<{ appliesTo: string; reason: string }>,
): void {
  const table = resources.registryTable.tableArn;
  const itemsStartingWith = (prefix: string) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${prefix}*`] } });
  if (access.includes('releaseDrillLock')) {
    add({ sid: 'ReleaseDrillLock', actions: ['dynamodb:DeleteItem'], resources: [table], conditions: itemsStartingWith(DRILL_LOCK_KEY_PREFIX) });
  }
  if (access.includes('acquireDrillLock')) {
    add({
      sid: 'AcquireDrillLock',
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resources: [table],
      conditions: itemsStartingWith(DRILL_LOCK_KEY_PREFIX),
    });
    add({ sid: 'AskDrillLockHolders', actions: ['states:DescribeExecution'], resources: [lockHolderExecutionsArn(role)] });
    reasons.push({
      appliesTo: 'Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:*',
      reason: "Acquire Drill Lock asks whether an expired drill lock's holder (a DrillRestore execution named in the lock item) still runs; it only reads, and the state machine's ARN cannot be referenced without a dependency cycle.",
    });
  }
}

// ---- AdoptCluster: the upload slots (lambdas/adapters/aws/secrets-manager-upload-slots.ts) ----
/** Every cluster's upload slots, below the prefix (lib/member-host-policy.ts lets a host put into its own). */
export const ADOPT_UPLOAD_SLOTS_PATTERN = `*/${ADOPT_UPLOAD_ITEM('*')}`;

/**
 * Receive Member PKI opens a slot (CreateSecret without a value: only with the stack's key and the cluster and
 * instance tags, no other tag key), reads it after checking it is ours (DescribeSecret, GetResourcePolicy,
 * GetSecretValue) and deletes it; only `adopt/` secrets, never a CA, client or member secret, never PutSecretValue
 * (the host writes) nor a resource policy. Its KMS key only through Secrets Manager, for an `adopt/` secret only.
 */
function grantAdoptUploadSlots(role: iam.Role, access: readonly StepAccess[], resources: StepAccessResources, add: (s: iam.PolicyStatementProps) => void, reasons: Reason[]): void {
  if (!access.includes('adoptUploadSlots')) return;
  const slots = secretsArnPattern(role, resources.secretPrefix, ADOPT_UPLOAD_SLOTS_PATTERN);
  add({
    sid: 'CreateAdoptUploadSlots',
    actions: ['secretsmanager:CreateSecret'],
    resources: [slots],
    conditions: {
      StringEquals: { 'secretsmanager:KmsKeyArn': resources.secretsKey.keyArn },
      StringLike: { [`aws:RequestTag/${CLUSTER_TAG}`]: '?*', [`aws:RequestTag/${INSTANCE_ARN_TAG}`]: '?*' },
    },
  });
  // CreateSecret with tags also needs TagResource: our three tag keys only.
  add({
    sid: 'TagAdoptUploadSlots',
    actions: ['secretsmanager:TagResource'],
    resources: [slots],
    conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [CLUSTER_TAG, MEMBER_TAG, INSTANCE_ARN_TAG] } },
  });
  add({
    sid: 'ReadAdoptUploadSlots',
    actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:GetResourcePolicy'],
    resources: [slots],
  });
  add({
    sid: 'DeleteAdoptUploadSlots',
    actions: ['secretsmanager:DeleteSecret'],
    resources: [slots],
    conditions: { StringLike: { [`aws:ResourceTag/${CLUSTER_TAG}`]: '?*' } },
  });
  // GetSecretValue needs Decrypt; AWS lists GenerateDataKey and Decrypt for CreateSecret with a customer managed key.
  add({
    sid: 'EncryptDecryptAdoptUploadSlots',
    actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
    resources: [resources.secretsKey.keyArn],
    conditions: { ...viaSecretsManager(), StringLike: { 'kms:EncryptionContext:SecretARN': slots } },
  });
  reasons.push({
    appliesTo: `Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${resources.secretPrefix}/${ADOPT_UPLOAD_SLOTS_PATTERN}`,
    reason: `Receive Member PKI opens, reads and deletes the upload slot of the member an execution adopts ("${resources.secretPrefix}/<cluster>/${ADOPT_UPLOAD_ITEM('<member>')}", known at run time): created only with the stack's KMS key (secretsmanager:KmsKeyArn) and the ${CLUSTER_TAG} and ${INSTANCE_ARN_TAG} tags (aws:RequestTag), tagged with those keys only (aws:TagKeys), deleted only when tagged ${CLUSTER_TAG}; nothing outside adopt/.`,
  });
}
