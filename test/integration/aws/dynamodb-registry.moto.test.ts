// DynamoDbClusterRegistry and DynamoDbClusterLock against moto_server: one table keyed by `pk` holds both,
// as the stack creates it (REGISTRY_TABLE_KEY). The lock, with the registry writing under it, runs the cases
// shared with the local file lock (with a fake ExecutionLiveness: SfnExecutionLiveness has its own moto test).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDbClusterLock, DynamoDbClusterRegistry, REGISTRY_TABLE_KEY } from '../../../lambdas/adapters/aws/dynamodb-registry';
import { DynamoDbProbeStateStore } from '../../../lambdas/adapters/aws/dynamodb-probe-state-store';
import { SpecValidationError } from '../../../lambdas/core/errors';
import type { ClusterRecord, LockHolder } from '../../../lambdas/ports';
import { CLUSTER_LOCK_CASES, FakeLiveness, ManualClock } from '../../support/cluster-lock-cases';
import { startMoto, type Moto } from '../../support/moto';

const TABLE = 'etcd-ha-registry';
const A: LockHolder = { owner: 'exec-a', ref: 'arn:aws:states:us-east-1:123456789012:execution:ReplaceMember:exec-a' };

const record = (clusterName: string, updatedAt: string, instanceIds: readonly string[] = ['i-0aaaaaaaaaaaaaaa0']): ClusterRecord => ({
  clusterName,
  runtime: 'kubeadm',
  members: instanceIds.map((instanceId, i) => ({ name: `infra${i}`, id: String(1000 + i), address: `10.0.0.${10 + i}`, instanceId })),
  secrets: { ca: `etcd-ha/${clusterName}/ca` },
  updatedAt,
  spec: { clusterName, members: instanceIds.map((instanceId, i) => ({ name: `infra${i}`, instanceId })) },
});

describe('DynamoDB registry and lock against moto_server', () => {
  let moto: Moto | undefined;
  let client: DynamoDBClient;

  before(async () => {
    moto = await startMoto();
    client = new DynamoDBClient(moto.clientConfig);
    await client.send(
      new CreateTableCommand({
        TableName: TABLE,
        KeySchema: [{ AttributeName: REGISTRY_TABLE_KEY.partitionKey, KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: REGISTRY_TABLE_KEY.partitionKey, AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  });

  after(async () => {
    client?.destroy();
    await moto?.stop();
  });

  describe('DynamoDbClusterRegistry', () => {
    const registry = () => new DynamoDbClusterRegistry({ client, tableName: TABLE });

    it('get of an unknown cluster is undefined', async () => {
      assert.equal(await registry().get('nothing-here'), undefined);
    });

    it('put then get round-trips the record; a second put replaces it', async () => {
      await registry().put(record('demo', '2025-01-01T00:00:00.000Z'));
      assert.deepEqual(await registry().get('demo'), record('demo', '2025-01-01T00:00:00.000Z'));
      await registry().put(record('demo', '2025-01-02T00:00:00.000Z'));
      assert.deepEqual(await registry().get('demo'), record('demo', '2025-01-02T00:00:00.000Z'));

      const item = (await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'cluster#demo' } } }))).Item;
      assert.equal(item?.clusterName?.S, 'demo');
      assert.equal(item?.updatedAt?.S, '2025-01-02T00:00:00.000Z');
      assert.deepEqual(item?.instanceIds?.SS, ['i-0aaaaaaaaaaaaaaa0']);
    });

    it('finds a cluster by the instance of one of its members, and a record without instances has no set', async () => {
      await registry().put(record('east', 'x', ['i-0e00000000000000a', 'i-0e00000000000000b']));
      await registry().put(record('west', 'x', ['i-0f00000000000000a']));
      await registry().put(record('local', 'x', []));
      assert.equal((await registry().findByInstanceId('i-0e00000000000000b'))?.clusterName, 'east');
      assert.equal((await registry().findByInstanceId('i-0f00000000000000a'))?.clusterName, 'west');
      assert.equal(await registry().findByInstanceId('i-0000000000000dead'), undefined);
      const local = (await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'cluster#local' } } }))).Item;
      assert.equal(local?.instanceIds, undefined);
    });

    it('pages through a Scan that stops at its 1 MB limit', async () => {
      // ~40 KB records: the matching one sits past the first page of moto's 1 MB Scan.
      const bulky = (name: string, instanceId: string): ClusterRecord => ({ ...record(name, 'x', [instanceId]), spec: { padding: 'p'.repeat(40_000) } });
      for (let i = 0; i < 40; i += 1) await registry().put(bulky(`bulk${i}`, `i-0b${String(i).padStart(15, '0')}`));
      const firstPage = await client.send(new ScanCommand({ TableName: TABLE }));
      assert.ok(firstPage.LastEvaluatedKey, 'the table no longer fits one Scan page');
      const found = await Promise.all(
        Array.from({ length: 40 }, (_, i) => registry().findByInstanceId(`i-0b${String(i).padStart(15, '0')}`)),
      );
      assert.deepEqual(found.map((r) => r?.clusterName), Array.from({ length: 40 }, (_, i) => `bulk${i}`));
    });

    it('a record that is not valid JSON or is for another cluster is an error naming its key', async () => {
      await client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'cluster#broken' }, record: { S: '{not json' } } }));
      await assert.rejects(() => registry().get('broken'), /cluster#broken in table etcd-ha-registry is not valid JSON/);
      await client.send(
        new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'cluster#other' }, record: { S: JSON.stringify(record('demo', 'x')) } } }),
      );
      await assert.rejects(() => registry().get('other'), /is for cluster "demo", not "other"/);
    });

    it('refuses a cluster name that is not a DNS-1123 label, and a table name DynamoDB would refuse', async () => {
      await assert.rejects(() => registry().get('../x'), SpecValidationError);
      await assert.rejects(() => registry().put({ ...record('demo', 'x'), clusterName: 'a/b' }), SpecValidationError);
      assert.throws(() => new DynamoDbClusterRegistry({ client, tableName: 'a b' }), /tableName must be .* got "a b"/);
    });
  });

  describe('DynamoDbClusterLock', () => {
    CLUSTER_LOCK_CASES.forEach((c, i) => {
      it(c.title, async () => {
        const clock = new ManualClock();
        const liveness = new FakeLiveness(c.answerOnceAsked);
        const lock = new DynamoDbClusterLock({ client, tableName: TABLE, liveness, now: clock.now });
        await c.run({ lock, registry: new DynamoDbClusterRegistry({ client, tableName: TABLE }), clock, liveness, cluster: `lock${i}` });
      });
    });

    it('keeps the lock as one item beside the record, with owner, holderRef, acquiredAt and expiresAt (epoch s)', async () => {
      const clock = new ManualClock('2025-06-01T12:00:00.000Z');
      const lock = new DynamoDbClusterLock({ client, tableName: TABLE, liveness: new FakeLiveness(), now: clock.now });
      await lock.acquire('demo', A, 600);
      const item = (await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'lock#demo' } } }))).Item;
      assert.deepEqual(item, {
        pk: { S: 'lock#demo' },
        clusterName: { S: 'demo' },
        owner: { S: 'exec-a' },
        holderRef: { S: A.ref },
        acquiredAt: { S: '2025-06-01T12:00:00.000Z' },
        expiresAt: { N: String(Date.parse('2025-06-01T12:00:00.000Z') / 1000 + 600) },
      });
      await lock.release('demo', 'exec-a');
      assert.equal((await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'lock#demo' } } }))).Item, undefined);
      assert.ok(await new DynamoDbClusterRegistry({ client, tableName: TABLE }).get('demo'), 'the record stays');
    });

    it('an expired lock taken before holder references were recorded is taken over without asking', async () => {
      await client.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: { pk: { S: 'lock#older' }, clusterName: { S: 'older' }, owner: { S: 'exec-old' }, acquiredAt: { S: '2025-06-01T10:00:00.000Z' }, expiresAt: { N: String(Date.parse('2025-06-01T11:00:00.000Z') / 1000) } },
        }),
      );
      const liveness = new FakeLiveness();
      const lock = new DynamoDbClusterLock({ client, tableName: TABLE, liveness, now: () => new Date('2025-06-01T12:00:00.000Z') });
      assert.deepEqual(await lock.acquire('older', A, 60), { acquired: true, tookOverFrom: 'exec-old' });
      assert.deepEqual(liveness.asked, []);
    });

    it('refuses to be built without an ExecutionLiveness', () => {
      assert.throws(() => new DynamoDbClusterLock({ client, tableName: TABLE } as never), /liveness is required/);
    });

    it('of 8 concurrent acquires of one lock, exactly one succeeds and the others name it', async () => {
      const lock = new DynamoDbClusterLock({ client, tableName: TABLE, liveness: new FakeLiveness() });
      const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => lock.acquire('race', { owner: `exec-${i}`, ref: `ref-${i}` }, 60)));
      const winners = outcomes.filter((o) => o.acquired);
      assert.equal(winners.length, 1, JSON.stringify(outcomes));
      const winner = outcomes.findIndex((o) => o.acquired);
      assert.ok(outcomes.every((o) => o.acquired || o.heldBy === `exec-${winner}`), JSON.stringify(outcomes));
    });
  });
});

describe('DynamoDbProbeStateStore and the registry listing against moto_server', () => {
  let moto: Moto | undefined;
  let client: DynamoDBClient;
  before(async () => {
    moto = await startMoto();
    client = new DynamoDBClient(moto.clientConfig);
    await client.send(
      new CreateTableCommand({
        TableName: TABLE,
        KeySchema: [{ AttributeName: REGISTRY_TABLE_KEY.partitionKey, KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: REGISTRY_TABLE_KEY.partitionKey, AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  });
  after(async () => {
    client?.destroy();
    await moto?.stop();
  });

  it('writes only over the version it read: of two probes, one writes', async () => {
    const store = new DynamoDbProbeStateStore({ client, tableName: TABLE });
    assert.equal(await store.get('demo'), undefined);
    const first = { down: { infra1: { since: '2025-01-01T00:00:00.000Z' } } };
    assert.equal(await store.put('demo', first, undefined), true);
    assert.equal(await store.put('demo', first, undefined), false, 'a second "first" write is refused');
    const stored = await store.get('demo');
    assert.deepEqual(stored, { state: first, version: 1 });
    assert.equal(await store.put('demo', { down: {} }, 1), true);
    assert.equal(await store.put('demo', first, 1), false, 'a probe that read version 1 lost the race');
    assert.deepEqual(await store.get('demo'), { state: { down: {} }, version: 2 });
  });

  it('lists every cluster record, and neither probe nor lock items', async () => {
    const registry = new DynamoDbClusterRegistry({ client, tableName: TABLE });
    await registry.put(record('west', 'x', ['i-0f00000000000000a']));
    await registry.put(record('east', 'x', ['i-0e00000000000000a']));
    assert.deepEqual((await registry.list()).map((r) => r.clusterName), ['east', 'west']);
  });
});
