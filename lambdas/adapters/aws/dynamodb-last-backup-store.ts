// LastBackupStore on AWS: one item per cluster in the registry table, pk = "backup#<cluster>", beside the cluster's
// record and never in it (the record is written only by the cluster-lock holder, and a backup never takes that lock).
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LAST_BACKUP_KEY_PREFIX, REGISTRY_TABLE_KEY } from '../../catalog/contracts';
import { BackupMetadataSchema, type BackupMetadata } from '../../core/backup/metadata';
import type { LastBackupStore } from '../../ports';

const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export class DynamoDbLastBackupStore implements LastBackupStore {
  constructor(private readonly props: { readonly client: DynamoDBClient; readonly tableName: string }) {}

  static keyOf(clusterName: string): string {
    if (!CLUSTER_NAME.test(clusterName)) throw new RangeError(`clusterName must be a DNS-1123 label, got "${clusterName}"`);
    return `${LAST_BACKUP_KEY_PREFIX}${clusterName}`;
  }

  async get(clusterName: string): Promise<BackupMetadata | undefined> {
    const answer = await this.props.client.send(
      new GetItemCommand({ TableName: this.props.tableName, Key: { [REGISTRY_TABLE_KEY.partitionKey]: { S: DynamoDbLastBackupStore.keyOf(clusterName) } }, ConsistentRead: true }),
    );
    const backup = answer.Item?.backup?.S;
    return backup === undefined ? undefined : BackupMetadataSchema.parse(JSON.parse(backup));
  }

  async put(metadata: BackupMetadata): Promise<void> {
    await this.props.client.send(
      new PutItemCommand({
        TableName: this.props.tableName,
        Item: {
          [REGISTRY_TABLE_KEY.partitionKey]: { S: DynamoDbLastBackupStore.keyOf(metadata.clusterName) },
          clusterName: { S: metadata.clusterName },
          takenAt: { S: metadata.takenAt },
          backup: { S: JSON.stringify(BackupMetadataSchema.parse(metadata)) },
        },
      }),
    );
  }
}
