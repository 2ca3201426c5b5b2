// The policy to attach to the instance role of the etcd member hosts ("host policy"). During Push
// Certificates a host fetches its own member secret with its own credentials (fetch-member-pki.sh): this
// lets it read only member secrets (`<prefix>/<cluster>/member/<name>`, never the CA or a client secret,
// whatever their tags say), and of those only one whose `etcd-ha:instance-arn` tag names the very instance that
// asks (`ec2:SourceInstanceARN`), and use the secrets' KMS key only through Secrets Manager. During a restore
// (fetch-snapshot.sh) it reads a staged snapshot under `restores/` of the snapshot bucket only when the object's
// `etcd-ha:instance-arn` tag names the very instance that asks, and decrypts it only through S3; never a backup.
// During AdoptCluster (upload-adopted-pki.sh) it puts its own PKI into an upload slot, `<prefix>/<cluster>/adopt/<member>`,
// only one whose `etcd-ha:instance-arn` tag names the very instance that asks, with a data key of the stack's key made
// through Secrets Manager for an `adopt/` secret only; it may never read a slot, nor put into any other secret.
// Nothing else: the SSM agent's own permissions (e.g. AmazonSSMManagedInstanceCore) are the instance role's business.
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Aws, type CfnElement, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { acknowledge } from './nag';
import { ADOPT_UPLOAD_ITEM, INSTANCE_ARN_TAG, RESTORE_KEY_PREFIX } from '../lambdas/catalog/contracts';
import { ADOPT_UPLOAD_SLOTS_PATTERN, secretsArnPattern, viaSecretsManager } from './step-access';

/** The secret tag the policy compares with the requesting instance's ARN (set by lambdas/entry/aws.ts). */
export { INSTANCE_ARN_TAG };

/** Every cluster's member secrets (lambdas/steps/pki-secrets.ts SECRET_ITEMS.member), below the prefix. */
export const MEMBER_SECRETS_PATTERN = '*/member/*';

export interface MemberHostPolicyProps {
  /** First segment of the secret names (`<prefix>/<cluster>/member/<name>`). */
  readonly secretPrefix: string;
  /** The key that encrypts the secrets (and the snapshot bucket). */
  readonly secretsKey: kms.IKey;
  /**
   * The bucket RestoreCluster stages snapshots in (`restores/`): a host may read a staged copy tagged with its own
   * instance ARN.
   * @default - none: no snapshot is readable by a host
   */
  readonly snapshotBucket?: s3.IBucket;
}

export class MemberHostPolicy extends Construct {
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: MemberHostPolicyProps) {
    super(scope, id);
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: 'etcd-ha member hosts: read only a member secret tagged with this instance ARN',
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadOwnMemberSecret',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [secretsArnPattern(this, props.secretPrefix, MEMBER_SECRETS_PATTERN)],
          conditions: { StringEquals: { [`aws:ResourceTag/${INSTANCE_ARN_TAG}`]: '${ec2:SourceInstanceARN}' } },
        }),
        new iam.PolicyStatement({
          sid: 'DecryptViaSecretsManager',
          actions: ['kms:Decrypt'],
          resources: [props.secretsKey.keyArn],
          conditions: viaSecretsManager(),
        }),
        ...(props.snapshotBucket ? stagedSnapshotStatements(props.snapshotBucket, props.secretsKey) : []),
        ...adoptUploadStatements(this, props.secretPrefix, props.secretsKey),
      ],
    });
    acknowledge(
      this.policy,
      'AwsSolutions-IAM5',
      `A host may read only member secrets ("${props.secretPrefix}/<cluster>/member/<name>", created per cluster at run time), and of those only one whose ${INSTANCE_ARN_TAG} tag equals its own ec2:SourceInstanceARN (condition); the CA and client secrets are outside the pattern.`,
      [`Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${props.secretPrefix}/${MEMBER_SECRETS_PATTERN}`],
    );
    acknowledge(
      this.policy,
      'AwsSolutions-IAM5',
      `AdoptCluster's host puts its own PKI into the upload slot Receive Member PKI opened for it ("${props.secretPrefix}/<cluster>/${ADOPT_UPLOAD_ITEM('<member>')}", created and deleted at run time), and only into one whose ${INSTANCE_ARN_TAG} tag equals its own ec2:SourceInstanceARN (condition); it may not read a slot, and the data key is made only through Secrets Manager for an adopt/ secret (kms:EncryptionContext:SecretARN).`,
      [`Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${props.secretPrefix}/${ADOPT_UPLOAD_SLOTS_PATTERN}`],
    );
    if (props.snapshotBucket) {
      acknowledge(
        this.policy,
        'AwsSolutions-IAM5',
        `Restore Member's host reads the copy Stage Snapshot made for it ("${RESTORE_KEY_PREFIX}<cluster>/<execution>/<instance-id>.db", named at run time), and only one whose ${INSTANCE_ARN_TAG} object tag equals its own ec2:SourceInstanceARN (condition); backups and Snapshot Before Change's snapshots are outside the prefix.`,
        [`Resource::<${Stack.of(this).getLogicalId(props.snapshotBucket.node.defaultChild as CfnElement)}.Arn>/${RESTORE_KEY_PREFIX}*`],
      );
    }
  }
}

/** A staged snapshot, only the copy tagged with the asking instance's ARN; its KMS key only through S3. */
function stagedSnapshotStatements(bucket: s3.IBucket, key: kms.IKey): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'ReadOwnStagedSnapshot',
      actions: ['s3:GetObject'],
      resources: [bucket.arnForObjects(`${RESTORE_KEY_PREFIX}*`)],
      conditions: { StringEquals: { [`s3:ExistingObjectTag/${INSTANCE_ARN_TAG}`]: '${ec2:SourceInstanceARN}' } },
    }),
    new iam.PolicyStatement({
      sid: 'DecryptStagedSnapshotViaS3',
      actions: ['kms:Decrypt'],
      resources: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } },
    }),
  ];
}

/**
 * AdoptCluster's one-time upload: PutSecretValue only into an upload slot tagged with the asking instance's ARN (the
 * slot exists only while Receive Member PKI runs). PutSecretValue makes Secrets Manager call kms:GenerateDataKey for
 * the new version, with the secret's ARN as encryption context: granted through Secrets Manager and for `adopt/`
 * secrets only. No kms:Decrypt and no GetSecretValue here: the host writes, the step reads.
 */
function adoptUploadStatements(scope: Construct, secretPrefix: string, key: kms.IKey): iam.PolicyStatement[] {
  const slots = secretsArnPattern(scope, secretPrefix, ADOPT_UPLOAD_SLOTS_PATTERN);
  return [
    new iam.PolicyStatement({
      sid: 'PutOwnAdoptUpload',
      actions: ['secretsmanager:PutSecretValue'],
      resources: [slots],
      conditions: { StringEquals: { [`aws:ResourceTag/${INSTANCE_ARN_TAG}`]: '${ec2:SourceInstanceARN}' } },
    }),
    new iam.PolicyStatement({
      sid: 'EncryptAdoptUploadViaSecretsManager',
      actions: ['kms:GenerateDataKey'],
      resources: [key.keyArn],
      conditions: { ...viaSecretsManager(), StringLike: { 'kms:EncryptionContext:SecretARN': slots } },
    }),
  ];
}
