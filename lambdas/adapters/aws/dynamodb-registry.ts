// ClusterRegistry and ClusterLock on AWS, both in one DynamoDB table keyed by a string `pk`:
//   pk = "cluster#<name>": the cluster's record, as JSON in `record` (plus clusterName and updatedAt to read by eye,
//                          and instanceIds, a string set, to find a cluster by one of its instances);
//   pk = "lock#<name>":    the cluster's lock: owner (an execution name), holderRef (its execution ARN),
//                          acquiredAt (ISO) and expiresAt (epoch s).
// A lock is taken with a conditional write (free, or ours already), so two executions never both hold it. One
// past its expiresAt is taken over only once ExecutionLiveness says its holder has ended, with a write
// conditioned on the very owner and expiresAt that were read: of two takers, one wins. The holder pushes
// expiresAt out (extend) while it works. A record written under the lock is one transaction with a
// ConditionCheck on the lock item: only the holder writes. `expiresAt` can also be the table's TTL attribute,
// which only tidies long-dead locks away.
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
  type ConditionalCheckFailedException,
  type DynamoDBClient,
  type TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { ClusterLockLostError, EtcdHaError, SpecValidationError } from '../../core/errors';
import type { ClusterLock, ClusterRecord, ClusterRegistry, ExecutionLiveness, LockHolder, LockOutcome, RecordDeletion, RegistryPutOptions } from '../../ports';

import { LOCK_KEY_PREFIX, RECORD_KEY_PREFIX, REGISTRY_TABLE_KEY, REGISTRY_TABLE_TTL_ATTRIBUTE } from '../../catalog/contracts';

// The table's key schema, TTL attribute and lock key prefix are shared with the stack (lambdas/catalog/contracts.ts).
export { LOCK_KEY_PREFIX, REGISTRY_TABLE_KEY, REGISTRY_TABLE_TTL_ATTRIBUTE };

const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Times a lock is asked for again when it changed between the refused write and what followed (released before
 * its holder was read; renewed, released or taken by someone else before an expired one was taken over).
 */
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

/** A transaction cancelled because the condition of its item number `index` failed (and nothing else). */
function isTransactionConditionFailed(error: unknown, index: number): error is TransactionCanceledException {
  if ((error as { name?: string } | undefined)?.name !== 'TransactionCanceledException') return false;
  return (error as TransactionCanceledException).CancellationReasons?.[index]?.Code === 'ConditionalCheckFailed';
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

export class DynamoDbClusterRegistry implements ClusterRegistry, RecordDeletion {
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
    return `${RECORD_KEY_PREFIX}${clusterName}`;
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
    const filter = { expression: 'contains(#instanceIds, :instanceId)', names: { '#instanceIds': 'instanceIds' }, values: { ':instanceId': { S: instanceId } } };
    for await (const record of this.scanClusters(filter)) {
      // A removed member awaiting its replacement still names its cluster (its own EC2 event may come later).
      if ([...record.members, ...(record.removed ?? [])].some((m) => m.instanceId === instanceId)) return record;
    }
    return undefined;
  }

  /** Every cluster record (a consistent Scan of the `cluster#` items). */
  async list(): Promise<ClusterRecord[]> {
    const records: ClusterRecord[] = [];
    for await (const record of this.scanClusters()) records.push(record);
    return records.sort((a, b) => a.clusterName.localeCompare(b.clusterName));
  }

  /** The `cluster#` items a consistent Scan finds, page by page, narrowed by `filter` when given. */
  private async *scanClusters(filter?: {
    readonly expression: string;
    readonly names: Record<string, string>;
    readonly values: Record<string, AttributeValue>;
  }): AsyncGenerator<ClusterRecord> {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const answer = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          ConsistentRead: true,
          FilterExpression: `begins_with(#pk, :cluster)${filter ? ` AND ${filter.expression}` : ''}`,
          ExpressionAttributeNames: { '#pk': REGISTRY_TABLE_KEY.partitionKey, ...filter?.names },
          ExpressionAttributeValues: { ':cluster': { S: 'cluster#' }, ...filter?.values },
          ...(startKey && { ExclusiveStartKey: startKey }),
        }),
      );
      for (const item of answer.Items ?? []) {
        const pk = item[REGISTRY_TABLE_KEY.partitionKey]?.S ?? '';
        yield this.parse(pk, item, pk.slice('cluster#'.length));
      }
      startKey = answer.LastEvaluatedKey;
    } while (startKey !== undefined);
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

  /**
   * Replaces the record. With `lockOwner`, one transaction checks that the owner holds the cluster's lock
   * (the lock item's owner) and writes the record: either both or neither. Without, last write wins.
   */
  async put(record: ClusterRecord, options: RegistryPutOptions = {}): Promise<void> {
    const pk = DynamoDbClusterRegistry.keyOf(record.clusterName);
    const instanceIds = [...new Set([...record.members, ...(record.removed ?? [])].flatMap((m) => (m.instanceId ? [m.instanceId] : [])))];
    const item: Record<string, AttributeValue> = {
      [REGISTRY_TABLE_KEY.partitionKey]: { S: pk },
      clusterName: { S: record.clusterName },
      updatedAt: { S: record.updatedAt },
      record: { S: JSON.stringify(record) },
      // A string set cannot be empty: a cluster without instances (local mode) has no such attribute.
      ...(instanceIds.length > 0 && { instanceIds: { SS: instanceIds } }),
    };
    const { lockOwner } = options;
    if (lockOwner === undefined) {
      await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: item }));
      return;
    }
    if (lockOwner === '') throw new RangeError('lockOwner must name the execution holding the lock, got ""');
    try {
      await this.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              ConditionCheck: {
                TableName: this.tableName,
                Key: { [REGISTRY_TABLE_KEY.partitionKey]: { S: DynamoDbClusterLock.keyOf(record.clusterName) } },
                ConditionExpression: '#owner = :owner',
                ExpressionAttributeNames: { '#owner': 'owner' },
                ExpressionAttributeValues: { ':owner': { S: lockOwner } },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            { Put: { TableName: this.tableName, Item: item } },
          ],
        }),
      );
    } catch (error) {
      if (!isTransactionConditionFailed(error, 0)) throw error;
      const holder = lockItem(error.CancellationReasons?.[0]?.Item);
      throw new ClusterLockLostError(`${lockLost(record.clusterName, lockOwner, holder)}: the record was not written`, { cause: error });
    }
  }

  /**
   * DeleteCluster: one transaction checks that `lockOwner` holds the cluster's lock and deletes the record (the lock
   * item stays: Release Lock deletes it last). Whether there was a record comes back as the Delete's old item.
   */
  async deleteRecord(clusterName: string, lockOwner: string): Promise<{ deleted: boolean }> {
    const pk = DynamoDbClusterRegistry.keyOf(clusterName);
    if (lockOwner === '') throw new RangeError('lockOwner must name the execution holding the lock, got ""');
    const existed = await this.get(clusterName);
    try {
      await this.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              ConditionCheck: {
                TableName: this.tableName,
                Key: { [REGISTRY_TABLE_KEY.partitionKey]: { S: DynamoDbClusterLock.keyOf(clusterName) } },
                ConditionExpression: '#owner = :owner',
                ExpressionAttributeNames: { '#owner': 'owner' },
                ExpressionAttributeValues: { ':owner': { S: lockOwner } },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            { Delete: { TableName: this.tableName, Key: { [REGISTRY_TABLE_KEY.partitionKey]: { S: pk } } } },
          ],
        }),
      );
    } catch (error) {
      if (!isTransactionConditionFailed(error, 0)) throw error;
      const holder = lockItem(error.CancellationReasons?.[0]?.Item);
      throw new ClusterLockLostError(`${lockLost(clusterName, lockOwner, holder)}: the record was not deleted`, { cause: error });
    }
    return { deleted: existed !== undefined };
  }
}

export interface DynamoDbClusterLockProps {
  /** The DynamoDB client, created once per module by the composition root. */
  readonly client: DynamoDBClient;
  /** Table with a string partition key `pk` (REGISTRY_TABLE_KEY), shared with DynamoDbClusterRegistry. */
  readonly tableName: string;
  /** Asked, before an expired lock is taken over, whether its holder's execution has ended (SfnExecutionLiveness). */
  readonly liveness: ExecutionLiveness;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /**
   * Start of the lock items' keys: BackupCluster's own lock (BACKUP_LOCK_KEY_PREFIX) is this class over other keys.
   * @default LOCK_KEY_PREFIX (the cluster's lock)
   */
  readonly keyPrefix?: string;
}

interface LockItem {
  readonly owner: string;
  /** Absent in a lock taken before holder references were recorded. */
  readonly ref?: string;
  readonly acquiredAt: string;
  /** Epoch seconds, as stored (compared as read in the takeover's condition). */
  readonly expiresAt: string;
}

function lockItem(item: Record<string, AttributeValue> | undefined): LockItem | undefined {
  if (item === undefined || item.owner?.S === undefined) return undefined;
  return {
    owner: item.owner.S,
    ...(item.holderRef?.S !== undefined && { ref: item.holderRef.S }),
    acquiredAt: item.acquiredAt?.S ?? '',
    expiresAt: item[REGISTRY_TABLE_TTL_ATTRIBUTE]?.N ?? '0',
  };
}

function refused(held: LockItem, expired: boolean): LockOutcome {
  return {
    acquired: false,
    heldBy: held.owner,
    since: held.acquiredAt,
    expiresAt: new Date(Number(held.expiresAt) * 1000).toISOString(),
    expired,
    ...(held.ref !== undefined && { holderRef: held.ref }),
  };
}

function checkHolder(holder: LockHolder): void {
  if (holder.owner === '') throw new RangeError('owner must name the execution taking the lock, got ""');
  if (holder.ref === '') throw new RangeError(`ref must tell how to ask whether execution ${holder.owner} still runs, got ""`);
}

function checkTtl(ttlSeconds: number): void {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new RangeError(`ttlSeconds must be a whole number ≥ 1, got ${ttlSeconds}`);
}

export class DynamoDbClusterLock implements ClusterLock {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly liveness: ExecutionLiveness;
  private readonly now: () => Date;
  private readonly keyPrefix: string;

  constructor(props: DynamoDbClusterLockProps) {
    checkTableName(props.tableName);
    this.keyPrefix = props.keyPrefix ?? LOCK_KEY_PREFIX;
    if (props.liveness === undefined) throw new RangeError('liveness is required: an expired lock is taken over only once its holder has ended');
    this.client = props.client;
    this.tableName = props.tableName;
    this.liveness = props.liveness;
    this.now = props.now ?? (() => new Date());
  }

  /** The item key of `clusterName`'s lock. */
  static keyOf(clusterName: string): string {
    checkClusterName(clusterName);
    return `${LOCK_KEY_PREFIX}${clusterName}`;
  }

  /** This lock's item key of `clusterName` (keyOf's checks, this lock's prefix). */
  private itemKey(clusterName: string): string {
    return `${this.keyPrefix}${DynamoDbClusterLock.keyOf(clusterName).slice(LOCK_KEY_PREFIX.length)}`;
  }

  /**
   * Takes the lock when it is free (a conditional PutItem) or already `holder.owner`'s (a conditional UpdateItem
   * pushes expiresAt out and keeps acquiredAt), or, once past its expiresAt, when its holder's execution has
   * ended (the previous owner comes back as `tookOverFrom`). The takeover is conditioned on the owner and
   * expiresAt that were read, so of two takers one wins, and a holder that renewed in between keeps its lock.
   */
  async acquire(clusterName: string, holder: LockHolder, ttlSeconds: number): Promise<LockOutcome> {
    const pk = this.itemKey(clusterName);
    checkHolder(holder);
    checkTtl(ttlSeconds);
    const key = { [REGISTRY_TABLE_KEY.partitionKey]: { S: pk } };
    // "owner" is a DynamoDB reserved word: every attribute goes through a name placeholder.
    const names = { '#owner': 'owner', '#expiresAt': REGISTRY_TABLE_TTL_ATTRIBUTE };

    for (let attempt = 1; ; attempt += 1) {
      const now = this.now();
      const nowSeconds = Math.floor(now.getTime() / 1000);
      const expiresAt = String(Math.ceil(now.getTime() / 1000) + ttlSeconds);
      const fresh = {
        ...key,
        clusterName: { S: clusterName },
        owner: { S: holder.owner },
        holderRef: { S: holder.ref },
        acquiredAt: { S: now.toISOString() },
        [REGISTRY_TABLE_TTL_ATTRIBUTE]: { N: expiresAt },
      };
      // A free lock: one conditional PutItem (also what several executions starting at once race on).
      let held: LockItem | undefined;
      try {
        await this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: fresh,
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': REGISTRY_TABLE_KEY.partitionKey },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { acquired: true };
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
        held = lockItem(error.Item) ?? (await this.read(pk));
      }

      if (held?.owner === holder.owner) {
        // Ours already (a retried step): push the expiry out, keep acquiredAt, as long as it is still ours.
        try {
          await this.client.send(
            new UpdateItemCommand({
              TableName: this.tableName,
              Key: key,
              UpdateExpression: 'SET holderRef = :ref, #expiresAt = :expiresAt',
              ConditionExpression: '#owner = :owner',
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: { ':owner': { S: holder.owner }, ':ref': { S: holder.ref }, ':expiresAt': { N: expiresAt } },
            }),
          );
          return { acquired: true };
        } catch (error) {
          if (!isConditionFailed(error)) throw error;
        }
      } else if (held !== undefined) {
        if (Number(held.expiresAt) >= nowSeconds) return refused(held, false);
        // Expired. A lock taken before references were recorded cannot be asked about: expiry alone decides, as it did then.
        if (held.ref !== undefined && !(await this.liveness.hasEnded(held.ref))) return refused(held, true);
        try {
          await this.client.send(
            new PutItemCommand({
              TableName: this.tableName,
              Item: fresh,
              ConditionExpression: '#owner = :oldOwner AND #expiresAt = :oldExpiresAt',
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: { ':oldOwner': { S: held.owner }, ':oldExpiresAt': { N: held.expiresAt } },
            }),
          );
          return { acquired: true, tookOverFrom: held.owner };
        } catch (error) {
          if (!isConditionFailed(error)) throw error;
        }
      }
      // Released before its holder was read, or changed before it was renewed or taken over: ask again.
      if (attempt >= ACQUIRE_ATTEMPTS) throw new EtcdHaError(`the lock of cluster "${clusterName}" changed hands ${attempt} times while taking it`);
    }
  }

  /** Pushes expiresAt out to now + ttlSeconds while `owner` holds the lock (expired or not). */
  async extend(clusterName: string, owner: string, ttlSeconds: number): Promise<void> {
    const pk = this.itemKey(clusterName);
    checkTtl(ttlSeconds);
    const now = this.now();
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [REGISTRY_TABLE_KEY.partitionKey]: { S: pk } },
          UpdateExpression: 'SET #expiresAt = :expiresAt',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner', '#expiresAt': REGISTRY_TABLE_TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':owner': { S: owner }, ':expiresAt': { N: String(Math.ceil(now.getTime() / 1000) + ttlSeconds) } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      throw new ClusterLockLostError(lockLost(clusterName, owner, lockItem(error.Item)), { cause: error });
    }
  }

  /** Deletes the lock only when `owner` holds it; otherwise (free, or someone else's) nothing happens. */
  async release(clusterName: string, owner: string): Promise<void> {
    const pk = this.itemKey(clusterName);
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

/** "execution X does not hold the lock of cluster C (execution Y holds it since T)", for ClusterLockLostError. */
function lockLost(clusterName: string, owner: string, holder: LockItem | undefined): string {
  return `execution ${owner} does not hold the lock of cluster ${clusterName} (${holder ? `execution ${holder.owner} holds it since ${holder.acquiredAt}` : 'nobody holds it'})`;
}
