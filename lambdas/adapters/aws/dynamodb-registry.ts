// ClusterRegistry and ClusterLock on AWS, both in one DynamoDB table keyed by a string `pk`:
//   pk = "cluster#<name>": the cluster's record, as JSON in `record` (plus clusterName and updatedAt to read by eye,
//                          and instanceIds, a string set, to find a cluster by one of its instances);
//   pk = "lock#<name>":    the cluster's lock: owner (an execution name), acquiredAt (ISO), expiresAt (epoch s).
// A lock is taken with one conditional PutItem (free, ours already, or past its expiresAt), so two executions
// never both hold it; `expiresAt` can also be the table's TTL attribute, which only tidies stale locks away.
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  type AttributeValue,
  type ConditionalCheckFailedException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { EtcdHaError, SpecValidationError } from '../../core/errors';
import type { ClusterLock, ClusterRecord, ClusterRegistry, LockOutcome } from '../../ports';

/** The table's key schema, for the CDK stack: a partition key `pk` of type string, no sort key. */
export const REGISTRY_TABLE_KEY = { partitionKey: 'pk' } as const;

/** Number attribute (epoch seconds) past which a lock is stale; the stack may make it the table's TTL attribute. */
export const REGISTRY_TABLE_TTL_ATTRIBUTE = 'expiresAt';

/** Start of the key of every lock item (`lock#<cluster>`); the lock steps' IAM policy allows only such keys. */
export const LOCK_KEY_PREFIX = 'lock#';

const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Times a lock is asked for again when it vanished between the refused write and the read of its holder. */
const ACQUIRE_ATTEMPTS = 3;

function checkClusterName(clusterName: string): void {
  if (!CLUSTER_NAME.test(clusterName)) {
    throw new SpecValidationError('cluster name', [`"${clusterName}" must be a DNS-1123 label (lower-case letters, digits, "-")`]);
  }
}

/** By name, not instanceof: the client may come from another copy of the SDK than this module's. */
function isConditionFailed(error: unknown): error is ConditionalCheckFailedException {
  return (error as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException';
}

function checkTableName(tableName: string): void {
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(tableName)) {
    throw new RangeError(`tableName must be 3 to 255 characters of letters, digits, "_", "-" and ".", got "${tableName}"`);
  }
}

export interface DynamoDbClusterRegistryProps {
  /** The DynamoDB client, created once per module by the composition root. */
  readonly client: DynamoDBClient;
  /** Table with a string partition key `pk` (REGISTRY_TABLE_KEY), shared with DynamoDbClusterLock. */
  readonly tableName: string;
}

export class DynamoDbClusterRegistry implements ClusterRegistry {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;

  constructor(props: DynamoDbClusterRegistryProps) {
    checkTableName(props.tableName);
    this.client = props.client;
    this.tableName = props.tableName;
  }

  /** The item key of `clusterName`'s record. */
  static keyOf(clusterName: string): string {
    checkClusterName(clusterName);
    return `cluster#${clusterName}`;
  }

  async get(clusterName: string): Promise<ClusterRecord | undefined> {
    const pk = DynamoDbClusterRegistry.keyOf(clusterName);
    const answer = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { [REGISTRY_TABLE_KEY.partitionKey]: { S: pk } }, ConsistentRead: true }),
    );
    if (answer.Item === undefined) return undefined;
    return this.parse(pk, answer.Item, clusterName);
  }

  /**
   * The cluster with a member on `instanceId`. A Scan (consistent, filtered on the instanceIds set): the
   * table holds two small items per cluster, and an EC2 event names only the instance.
   */
  async findByInstanceId(instanceId: string): Promise<ClusterRecord | undefined> {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const answer = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          ConsistentRead: true,
          FilterExpression: 'begins_with(#pk, :cluster) AND contains(#instanceIds, :instanceId)',
          ExpressionAttributeNames: { '#pk': REGISTRY_TABLE_KEY.partitionKey, '#instanceIds': 'instanceIds' },
          ExpressionAttributeValues: { ':cluster': { S: 'cluster#' }, ':instanceId': { S: instanceId } },
          ...(startKey && { ExclusiveStartKey: startKey }),
        }),
      );
      for (const item of answer.Items ?? []) {
        const pk = item[REGISTRY_TABLE_KEY.partitionKey]?.S ?? '';
        const record = this.parse(pk, item, pk.slice('cluster#'.length));
        if (record.members.some((m) => m.instanceId === instanceId)) return record;
      }
      startKey = answer.LastEvaluatedKey;
    } while (startKey !== undefined);
    return undefined;
  }

  private parse(pk: string, item: Record<string, AttributeValue>, clusterName: string): ClusterRecord {
    const text = item.record?.S;
    if (text === undefined) throw new EtcdHaError(`the cluster record ${pk} in table ${this.tableName} has no "record" string attribute`);
    let record: ClusterRecord;
    try {
      record = JSON.parse(text) as ClusterRecord;
    } catch (error) {
      throw new EtcdHaError(`the cluster record ${pk} in table ${this.tableName} is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
    if (record?.clusterName !== clusterName) {
      throw new EtcdHaError(`the cluster record ${pk} in table ${this.tableName} is for cluster "${String(record?.clusterName)}", not "${clusterName}"`);
    }
    return record;
  }

  /** Replaces the record (last write wins: the cluster's lock keeps two changes apart). */
  async put(record: ClusterRecord): Promise<void> {
    const pk = DynamoDbClusterRegistry.keyOf(record.clusterName);
    const instanceIds = [...new Set(record.members.flatMap((m) => (m.instanceId ? [m.instanceId] : [])))];
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          [REGISTRY_TABLE_KEY.partitionKey]: { S: pk },
          clusterName: { S: record.clusterName },
          updatedAt: { S: record.updatedAt },
          record: { S: JSON.stringify(record) },
          // A string set cannot be empty: a cluster without instances (local mode) has no such attribute.
          ...(instanceIds.length > 0 && { instanceIds: { SS: instanceIds } }),
        },
      }),
    );
  }
}

export interface DynamoDbClusterLockProps {
  /** The DynamoDB client, created once per module by the composition root. */
  readonly client: DynamoDBClient;
  /** Table with a string partition key `pk` (REGISTRY_TABLE_KEY), shared with DynamoDbClusterRegistry. */
  readonly tableName: string;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

interface LockItem {
  readonly owner: string;
  readonly acquiredAt: string;
}

function lockItem(item: Record<string, AttributeValue> | undefined): LockItem | undefined {
  if (item === undefined || item.owner?.S === undefined) return undefined;
  return { owner: item.owner.S, acquiredAt: item.acquiredAt?.S ?? '' };
}

export class DynamoDbClusterLock implements ClusterLock {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly now: () => Date;

  constructor(props: DynamoDbClusterLockProps) {
    checkTableName(props.tableName);
    this.client = props.client;
    this.tableName = props.tableName;
    this.now = props.now ?? (() => new Date());
  }

  /** The item key of `clusterName`'s lock. */
  static keyOf(clusterName: string): string {
    checkClusterName(clusterName);
    return `${LOCK_KEY_PREFIX}${clusterName}`;
  }

  /**
   * Takes the lock when it is free, already `owner`'s (its acquiredAt and expiresAt are renewed) or stale
   * (expiresAt, acquire time + ttlSeconds, is past: the previous owner comes back as `tookOverFrom`).
   */
  async acquire(clusterName: string, owner: string, ttlSeconds: number): Promise<LockOutcome> {
    const pk = DynamoDbClusterLock.keyOf(clusterName);
    if (owner === '') throw new RangeError('owner must name the execution taking the lock, got ""');
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new RangeError(`ttlSeconds must be a whole number ≥ 1, got ${ttlSeconds}`);

    for (let attempt = 1; ; attempt += 1) {
      const now = this.now();
      const nowSeconds = Math.floor(now.getTime() / 1000);
      try {
        const answer = await this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: {
              [REGISTRY_TABLE_KEY.partitionKey]: { S: pk },
              clusterName: { S: clusterName },
              owner: { S: owner },
              acquiredAt: { S: now.toISOString() },
              [REGISTRY_TABLE_TTL_ATTRIBUTE]: { N: String(Math.ceil(now.getTime() / 1000) + ttlSeconds) },
            },
            // "owner" is a DynamoDB reserved word: every attribute goes through a name placeholder.
            ConditionExpression: 'attribute_not_exists(#pk) OR #owner = :owner OR #expiresAt < :now',
            ExpressionAttributeNames: { '#pk': REGISTRY_TABLE_KEY.partitionKey, '#owner': 'owner', '#expiresAt': REGISTRY_TABLE_TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':owner': { S: owner }, ':now': { N: String(nowSeconds) } },
            ReturnValues: 'ALL_OLD',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        const previous = lockItem(answer.Attributes);
        return previous !== undefined && previous.owner !== owner ? { acquired: true, tookOverFrom: previous.owner } : { acquired: true };
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
        const holder = lockItem(error.Item) ?? (await this.read(pk));
        if (holder !== undefined) return { acquired: false, heldBy: holder.owner, since: holder.acquiredAt };
        // Released between the refused write and the read: ask again.
        if (attempt >= ACQUIRE_ATTEMPTS) throw new EtcdHaError(`the lock of cluster "${clusterName}" changed hands ${attempt} times while taking it`, { cause: error });
      }
    }
  }

  /** Deletes the lock only when `owner` holds it; otherwise (free, or someone else's) nothing happens. */
  async release(clusterName: string, owner: string): Promise<void> {
    const pk = DynamoDbClusterLock.keyOf(clusterName);
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { [REGISTRY_TABLE_KEY.partitionKey]: { S: pk } },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': { S: owner } },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }

  private async read(pk: string): Promise<LockItem | undefined> {
    const answer = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { [REGISTRY_TABLE_KEY.partitionKey]: { S: pk } }, ConsistentRead: true }),
    );
    return lockItem(answer.Item);
  }
}
