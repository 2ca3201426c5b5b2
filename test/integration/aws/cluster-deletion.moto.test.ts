// DeleteCluster's AWS adapters against moto_server: the cluster's secrets found by name prefix and etcd-ha:cluster tag
// (not another cluster's whose name starts alike, not an untagged one someone made under the prefix) and deleted
// without a recovery window, so that the name can be created again at once; the record deleted only by the lock
// holder, in one transaction with the lock check, the lock item left for Release Lock.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerSecretStore } from '../../../lambdas/adapters/aws/secrets-manager-store';
import { DynamoDbClusterLock, DynamoDbClusterRegistry, REGISTRY_TABLE_KEY } from '../../../lambdas/adapters/aws/dynamodb-registry';
import { ClusterLockLostError } from '../../../lambdas/core/errors';
import type { ClusterRecord } from '../../../lambdas/ports';
import { FakeLiveness } from '../../support/cluster-lock-cases';
import { startMoto, type Moto } from '../../support/moto';

const TABLE = 'etcd-ha-registry';
const record = (clusterName: string): ClusterRecord => ({ clusterName, runtime: 'systemd', members: [], secrets: {}, updatedAt: '2026-12-05T00:00:00.000Z', spec: {} });

describe('DeleteCluster adapters against moto_server', () => {
  let moto: Moto | undefined;
  let secrets: SecretsManagerClient;
  let dynamodb: DynamoDBClient;
  let store: SecretsManagerSecretStore;

  before(async () => {
    moto = await startMoto();
    secrets = new SecretsManagerClient(moto.clientConfig);
    dynamodb = new DynamoDBClient(moto.clientConfig);
    const kms = new KMSClient(moto.clientConfig);
    try {
      const key = await kms.send(new CreateKeyCommand({ Description: 'etcd-ha secrets' }));
      store = new SecretsManagerSecretStore({ client: secrets, kmsKeyId: key.KeyMetadata!.Arn! });
    } finally {
      kms.destroy();
    }
    await dynamodb.send(
      new CreateTableCommand({
        TableName: TABLE,
        KeySchema: [{ AttributeName: REGISTRY_TABLE_KEY.partitionKey, KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: REGISTRY_TABLE_KEY.partitionKey, AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  });

  after(async () => {
    secrets?.destroy();
    dynamodb?.destroy();
    await moto?.stop();
  });

  it('finds only the cluster\'s own tagged secrets, deletes them at once, and the names can be created again', async () => {
    const put = (cluster: string, item: string) => store.put(store.nameFor(cluster, item), `{"v":"${item}"}`, { description: item, tags: { 'etcd-ha:cluster': cluster } });
    await put('prod', 'ca');
    await put('prod', 'member/infra0');
    await put('prod2', 'ca'); // another cluster whose name starts alike
    await secrets.send(new CreateSecretCommand({ Name: 'etcd-ha/prod/planted', SecretString: 'x' })); // not ours: no tag
    assert.deepEqual(await store.secretsOf('prod'), ['etcd-ha/prod/ca', 'etcd-ha/prod/member/infra0']);

    assert.deepEqual(await store.deleteNow('etcd-ha/prod/ca'), { deleted: true });
    // Gone already: safe to run again (moto answers a forced delete of a missing secret with success).
    await store.deleteNow('etcd-ha/prod/ca');
    assert.deepEqual(await store.deleteNow('etcd-ha/prod/member/infra0'), { deleted: true });
    assert.deepEqual(await store.secretsOf('prod'), []);
    assert.deepEqual(await store.secretsOf('prod2'), ['etcd-ha/prod2/ca']);
    // No recovery window: the name is free again now.
    const again = await put('prod', 'ca');
    assert.equal(again.changed, true);
    assert.equal(await store.get('etcd-ha/prod/ca'), '{"v":"ca"}');
  });

  it('deletes the record only as the lock holder, leaving the lock item; without the lock nothing is deleted', async () => {
    const registry = new DynamoDbClusterRegistry({ client: dynamodb, tableName: TABLE });
    const lock = new DynamoDbClusterLock({ client: dynamodb, tableName: TABLE, liveness: new FakeLiveness() });
    await registry.put(record('prod'));
    await assert.rejects(registry.deleteRecord('prod', 'delete-1'), (e: Error) => e instanceof ClusterLockLostError && /the record was not deleted/.test(e.message));
    assert.ok(await registry.get('prod'), 'still there');
    assert.equal((await lock.acquire('prod', { owner: 'delete-1', ref: 'arn:aws:states:eu-west-1:123456789012:execution:x:delete-1' }, 900)).acquired, true);
    await assert.rejects(registry.deleteRecord('prod', 'someone-else'), ClusterLockLostError);
    assert.deepEqual(await registry.deleteRecord('prod', 'delete-1'), { deleted: true });
    assert.equal(await registry.get('prod'), undefined);
    assert.deepEqual(await registry.deleteRecord('prod', 'delete-1'), { deleted: false }, 'gone already: safe to run again');
    // The lock is still held: Release Lock removes it last.
    assert.equal((await lock.acquire('prod', { owner: 'other', ref: 'arn:aws:states:eu-west-1:123456789012:execution:x:other' }, 900)).acquired, false);
  });
});
