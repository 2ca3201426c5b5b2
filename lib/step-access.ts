// What each Lambda step may do on AWS, as data: a step gets exactly the access kinds listed for it, and each
// kind is a few IAM statements on the narrowest resources the service supports. The two statements on "*"
// (ec2:DescribeInstances, ssm:GetCommandInvocation) are there because those actions have no resource-level
// permissions; their cdk-nag suppressions say so.
import { Arn, ArnFormat, Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { ProvisionStep } from '../statemachines/provision-cluster';
import { acknowledge } from './nag';

export type StepAccess =
  /** Resolve Hosts: instance → private IP (EC2 DescribeInstances). */
  | 'describeInstances'
  /** Host steps: AWS-RunShellScript on instances tagged `etcd-ha:cluster`, and reading back the invocation. */
  | 'runCommand'
  /** Read the clusters' healthcheck client secrets (`<prefix>/<cluster>/healthcheck-client`) and nothing else. */
  | 'readHealthcheckClient'
  /** Read, create and update the clusters' secrets and their tags. */
  | 'writeSecrets'
  /** Write the cluster record. */
  | 'writeRegistry'
  /** Reach etcd's client port: the function runs in the members' VPC when the stack is given one. */
  | 'etcdNetwork';

/** The access of each ProvisionCluster step. Nothing else is granted. */
export const PROVISION_STEP_ACCESS: Readonly<Record<ProvisionStep, readonly StepAccess[]>> = {
  validateSpec: [],
  resolveHosts: ['describeInstances'],
  generatePki: ['writeSecrets'],
  configureKubelet: ['runCommand'],
  pushCertificates: ['runCommand'],
  writeEtcdConfig: ['runCommand'],
  startEtcd: ['runCommand'],
  checkHealth: ['readHealthcheckClient', 'etcdNetwork'],
  collectMemberLogs: ['runCommand'],
  recordCluster: ['writeRegistry'],
};

/** The instance tag that marks an EC2 instance as an etcd member host that the steps may run commands on. */
export const CLUSTER_TAG = 'etcd-ha:cluster';

/** The only SSM document the steps run. */
export const RUN_SHELL_SCRIPT_DOCUMENT = 'AWS-RunShellScript';

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

export interface StepAccessResources {
  readonly secretPrefix: string;
  readonly secretsKey: kms.IKey;
  readonly registryTable: dynamodb.ITable;
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
        reason: `ssm:SendCommand on instances is limited by condition to those tagged ${CLUSTER_TAG} (ssm:resourceTag); the instance IDs come from each execution's cluster spec.`,
      },
      { appliesTo: 'Resource::*', reason: 'ssm:GetCommandInvocation supports no resource-level permissions; it only reads the status and output of commands.' },
    );
  }
  if (access.includes('writeSecrets')) {
    add({
      sid: 'ReadWriteClusterSecrets',
      actions: [
        'secretsmanager:GetSecretValue',
        'secretsmanager:DescribeSecret',
        'secretsmanager:CreateSecret',
        'secretsmanager:PutSecretValue',
        'secretsmanager:UpdateSecret',
        'secretsmanager:TagResource',
        'secretsmanager:UntagResource',
      ],
      resources: [secretsArnPattern(role, resources.secretPrefix)],
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
      reason: `Generate PKI creates each cluster's secrets at run time under "${resources.secretPrefix}/<cluster>/..." (Secrets Manager appends a random suffix to each ARN): the prefix is the narrowest fixed resource.`,
    });
  }
  if (access.includes('readHealthcheckClient')) {
    add({
      sid: 'ReadHealthcheckClientSecrets',
      actions: ['secretsmanager:GetSecretValue'],
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
      reason: `Only the healthcheck client secret of each cluster ("${resources.secretPrefix}/<cluster>/${HEALTHCHECK_CLIENT_ITEM}" plus the random suffix Secrets Manager appends); the cluster comes from the execution.`,
    });
  }
  if (access.includes('writeRegistry')) {
    add({ sid: 'WriteClusterRecord', actions: ['dynamodb:PutItem'], resources: [resources.registryTable.tableArn] });
  }

  // One acknowledgment per finding; two kinds that share a finding ("Resource::*") share one reason.
  const byFinding = new Map<string, string[]>();
  for (const { appliesTo, reason } of reasons) byFinding.set(appliesTo, [...(byFinding.get(appliesTo) ?? []), reason]);
  for (const [finding, why] of byFinding) acknowledge(role, 'AwsSolutions-IAM5', why.join(' '), [finding]);
}
