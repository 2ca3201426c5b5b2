// The stack's store: the KMS key of the clusters' secrets and snapshots, the registry table (cluster records,
// locks, the probe's state) and the snapshot bucket. Created in the stack's own scope: their construct IDs are
// their logical IDs, never renamed.
import { Duration, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { BACKUP_KEY_PREFIX, RESTORE_KEY_PREFIX, REGISTRY_TABLE_KEY, REGISTRY_TABLE_TTL_ATTRIBUTE, SNAPSHOT_KEY_PREFIX } from '../../lambdas/catalog/contracts';
import { acknowledge } from '../nag';

export interface Store {
  readonly secretsKey: kms.Key;
  readonly registryTable: dynamodb.Table;
  readonly snapshotBucket: s3.Bucket;
}

export interface StoreProps {
  readonly removalPolicy: RemovalPolicy;
  readonly snapshotRetentionDays: number;
}

export function addStore(stack: Stack, props: StoreProps): Store {
  const { removalPolicy } = props;
  const secretsKey = new kms.Key(stack, 'SecretsKey', {
    description: "etcd-ha: encrypts the etcd clusters' PKI secrets in Secrets Manager and their snapshots in S3",
    enableKeyRotation: true,
    removalPolicy,
    ...(removalPolicy === RemovalPolicy.DESTROY && { pendingWindow: Duration.days(7) }),
  });
  const registryTable = new dynamodb.Table(stack, 'RegistryTable', {
    partitionKey: { name: REGISTRY_TABLE_KEY.partitionKey, type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: REGISTRY_TABLE_TTL_ATTRIBUTE,
    deletionProtection: removalPolicy !== RemovalPolicy.DESTROY,
    removalPolicy,
  });
  const retentionDays = props.snapshotRetentionDays;
  const snapshotBucket = new s3.Bucket(stack, 'SnapshotBucket', {
    encryption: s3.BucketEncryption.KMS,
    encryptionKey: secretsKey,
    bucketKeyEnabled: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    versioned: true,
    lifecycleRules: [
      {
        id: 'ExpireSnapshots',
        // Snapshot Before Change's only: the backups have a retention of their own (Prune Old Backups).
        prefix: SNAPSHOT_KEY_PREFIX,
        expiration: Duration.days(retentionDays),
        noncurrentVersionExpiration: Duration.days(retentionDays),
        abortIncompleteMultipartUploadAfter: Duration.days(1),
      },
      {
        // BackupCluster: Prune Old Backups deletes by the tiers; in a versioned bucket that leaves a delete marker and
        // a noncurrent version, which go a day later.
        id: 'ExpirePrunedBackups',
        prefix: BACKUP_KEY_PREFIX,
        noncurrentVersionExpiration: Duration.days(1),
        expiredObjectDeleteMarker: true,
        abortIncompleteMultipartUploadAfter: Duration.days(1),
      },
      {
        // RestoreCluster's staged copies: Unstage Snapshots removes them; this is the backstop for a run that died.
        id: 'ExpireStagedSnapshots',
        prefix: RESTORE_KEY_PREFIX,
        expiration: Duration.days(1),
        noncurrentVersionExpiration: Duration.days(1),
        abortIncompleteMultipartUploadAfter: Duration.days(1),
      },
    ],
    removalPolicy,
  });
  acknowledge(
    snapshotBucket,
    'AwsSolutions-S1',
    "Only Snapshot Before Change writes here (its role may put objects under the snapshot prefix, nothing else) and it logs each snapshot's location and size; server access logs would need a second bucket, itself without access logs. Use CloudTrail S3 data events for an object-level audit.",
  );
  return { secretsKey, registryTable, snapshotBucket };
}
