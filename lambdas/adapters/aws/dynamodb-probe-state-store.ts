// ProbeStateStore on AWS: one item per cluster in the registry table, pk = "probe#<cluster>", with the probe's
// state as JSON and a version number. A write is conditional on the version read (or on no item), so of two
// probes of one cluster only one writes, and only the one that wrote starts replacements.
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ProbeState } from '../../core/health-probe';
import type { ProbeStateStore, StoredProbeState } from '../../ports';
import { PROBE_KEY_PREFIX, REGISTRY_TABLE_KEY } from '../../catalog/contracts';

/** Start of the key of every probe item; the probe's IAM policy allows only such keys for its writes (lambdas/catalog/contracts.ts). */
export { PROBE_KEY_PREFIX };

const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export class DynamoDbProbeStateStore implements ProbeStateStore {
  constructor(private readonly props: { readonly client: DynamoDBClient; readonly tableName: string }) {}

  static keyOf(clusterName: string): string {
    if (!CLUSTER_NAME.test(clusterName)) throw new RangeError(`clusterName must be a DNS-1123 label, got "${clusterName}"`);
    return `${PROBE_KEY_PREFIX}${clusterName}`;
  }

  async get(clusterName: string): Promise<StoredProbeState | undefined> {
    const answer = await this.props.client.send(
      new GetItemCommand({ TableName: this.props.tableName, Key: { [REGISTRY_TABLE_KEY.partitionKey]: { S: DynamoDbProbeStateStore.keyOf(clusterName) } }, ConsistentRead: true }),
    );
    const item = answer.Item;
    if (item?.state?.S === undefined) return undefined;
    return { state: JSON.parse(item.state.S) as ProbeState, version: Number(item.version?.N ?? '0') };
  }

  async put(clusterName: string, state: ProbeState, readVersion: number | undefined): Promise<boolean> {
    try {
      await this.props.client.send(
        new PutItemCommand({
          TableName: this.props.tableName,
          Item: {
            [REGISTRY_TABLE_KEY.partitionKey]: { S: DynamoDbProbeStateStore.keyOf(clusterName) },
            clusterName: { S: clusterName },
            state: { S: JSON.stringify(state) },
            version: { N: String((readVersion ?? 0) + 1) },
          },
          ...(readVersion === undefined
            ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': REGISTRY_TABLE_KEY.partitionKey } }
            : { ConditionExpression: '#version = :read', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':read': { N: String(readVersion) } } }),
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}
