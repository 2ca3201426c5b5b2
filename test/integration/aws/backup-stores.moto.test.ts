// BackupCluster's AWS stores against moto_server: S3BackupStore puts the snapshot and its manifest under
// `backups/<cluster>/` (SSE-KMS with the given key), the manifest reads back with revision, cluster ID, members, etcd
// version, size and SHA-256; a snapshot without a manifest is listed as incomplete; list is newest first; remove
// deletes both and is safe to repeat; a stream whose trailer does not match leaves nothing. DynamoDbLastBackupStore
// writes `backup#<cluster>` beside the record, never the record.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { CreateBucketCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { S3BackupStore } from '../../../lambdas/adapters/aws/s3-backup-store';
import { DynamoDbLastBackupStore } from '../../../lambdas/adapters/aws/dynamodb-last-backup-store';
import { DynamoDbClusterLock } from '../../../lambdas/adapters/aws/dynamodb-registry';
import { BACKUP_LOCK_KEY_PREFIX } from '../../../lambdas/catalog/contracts';
import { backupNameAt, takenAtOfName, type BackupMetadata } from '../../../lambdas/core/backup/metadata';
import { checkedSnapshot, SnapshotHashCheck } from '../../../lambdas/core/snapshot-hash';
import { SnapshotCorruptError } from '../../../lambdas/core/errors';
import { startMoto, type Moto } from '../../support/moto';

const BUCKET = 'etcd-ha-snapshots';
const TABLE = 'etcd-ha-registry';

/** A snapshot as etcd streams it: a backend, then its SHA-256. */
function snapshotBytes(size: number): Buffer {
  const backend = randomBytes(size);
  return Buffer.concat([backend, createHash('sha256').update(backend).digest()]);
}

async function* oneChunk(data: Uint8Array): AsyncGenerator<Uint8Array> {
  yield data;
}

describe('BackupCluster stores against moto_server', () => {
  let moto: Moto | undefined;
  let s3: S3Client;
  let dynamodb: DynamoDBClient;
  let keyArn: string;

  before(async () => {
    moto = await startMoto();
    s3 = new S3Client({ ...moto.clientConfig, forcePathStyle: true });
    dynamodb = new DynamoDBClient(moto.clientConfig);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await dynamodb.send(
      new CreateTableCommand({ TableName: TABLE, BillingMode: 'PAY_PER_REQUEST', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }] }),
    );
    const kms = new KMSClient(moto.clientConfig);
    try {
      keyArn = (await kms.send(new CreateKeyCommand({ Description: 'etcd-ha' }))).KeyMetadata!.Arn!;
    } finally {
      kms.destroy();
    }
  });

  after(async () => {
    s3?.destroy();
    dynamodb?.destroy();
    await moto?.stop();
  });

  it('stores a verified snapshot and its manifest under backups/, encrypted, listed newest first, removed for good', async () => {
    const store = new S3BackupStore({ client: s3, bucket: BUCKET, kmsKeyId: keyArn });
    const names = [new Date('2026-12-05T10:00:00Z'), new Date('2026-12-05T10:15:00Z')].map(backupNameAt);
    const metas: BackupMetadata[] = [];
    for (const name of names) {
      const data = snapshotBytes(4096);
      const check = new SnapshotHashCheck();
      const saved = await store.save('prod', name, checkedSnapshot(oneChunk(data), check));
      const verified = check.finish();
      const meta: BackupMetadata = {
        clusterName: 'prod',
        name,
        takenAt: takenAtOfName(name)!.toISOString(),
        location: saved.location,
        revision: 4711,
        clusterId: 'cdf818194e3a8c32',
        members: [{ name: 'infra0', id: '8e9e05c52164694d', peerURLs: ['https://10.0.0.6:2380'], isLearner: false }],
        etcdVersion: '3.5.16',
        from: 'https://10.0.0.6:2379',
        bytes: verified.bytes,
        sha256: verified.sha256,
        execution: 'scheduled-1',
      };
      await store.describe(meta);
      metas.push(meta);
    }
    assert.equal(metas[0]!.location, `s3://${BUCKET}/backups/prod/${names[0]}.db`);
    for (const ext of ['db', 'json']) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `backups/prod/${names[0]}.${ext}` }));
      assert.equal(head.ServerSideEncryption, 'aws:kms');
      assert.equal(head.SSEKMSKeyId, keyArn);
    }
    assert.deepEqual(await store.read('prod', names[1]!), metas[1]);
    assert.deepEqual((await store.list('prod')).map((b) => [b.name, b.complete]), [[names[1], true], [names[0], true]]);

    // A snapshot whose run died before its manifest: listed, as incomplete.
    const orphan = backupNameAt(new Date('2026-12-05T10:30:00Z'));
    await store.save('prod', orphan, oneChunk(snapshotBytes(100)));
    assert.deepEqual((await store.list('prod'))[0], { name: orphan, takenAt: new Date('2026-12-05T10:30:00Z'), complete: false });
    assert.equal(await store.read('prod', orphan), undefined);

    await store.remove('prod', names[0]!);
    await store.remove('prod', names[0]!);
    const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'backups/' }))).Contents ?? []).map((o) => o.Key).sort();
    assert.deepEqual(keys, [`backups/prod/${names[1]}.db`, `backups/prod/${names[1]}.json`, `backups/prod/${orphan}.db`]);
  });

  it('keeps nothing of a stream whose SHA-256 trailer does not match', async () => {
    const store = new S3BackupStore({ client: s3, bucket: BUCKET, kmsKeyId: keyArn });
    const data = snapshotBytes(4096);
    data[100]! ^= 0x01;
    const check = new SnapshotHashCheck();
    await assert.rejects(store.save('stage', backupNameAt(new Date()), checkedSnapshot(oneChunk(data), check)));
    assert.ok(check.failure instanceof SnapshotCorruptError);
    assert.deepEqual(await store.list('stage'), []);
  });

  it("the backup lock is DynamoDbClusterLock over backup-lock# keys: independent of the cluster's lock, one backup at a time", async () => {
    const liveness = { hasEnded: async () => false };
    const clusterLock = new DynamoDbClusterLock({ client: dynamodb, tableName: TABLE, liveness });
    const backupLock = new DynamoDbClusterLock({ client: dynamodb, tableName: TABLE, liveness, keyPrefix: BACKUP_LOCK_KEY_PREFIX });
    assert.deepEqual(await clusterLock.acquire('lockme', { owner: 'replace-1', ref: 'arn:r1' }, 60), { acquired: true });
    assert.deepEqual(await backupLock.acquire('lockme', { owner: 'backup-1', ref: 'arn:b1' }, 60), { acquired: true });
    const second = await backupLock.acquire('lockme', { owner: 'backup-2', ref: 'arn:b2' }, 60);
    assert.equal(second.acquired, false);
    assert.equal(!second.acquired && second.heldBy, 'backup-1');
    const keys = ((await dynamodb.send(new ScanCommand({ TableName: TABLE }))).Items ?? []).map((i) => i.pk?.S).filter((k) => k?.endsWith('#lockme')).sort();
    assert.deepEqual(keys, ['backup-lock#lockme', 'lock#lockme']);
    await backupLock.release('lockme', 'backup-1');
    await clusterLock.release('lockme', 'replace-1');
  });

  it('writes the last good backup as its own backup#<cluster> item', async () => {
    const last = new DynamoDbLastBackupStore({ client: dynamodb, tableName: TABLE });
    assert.equal(await last.get('prod'), undefined);
    const meta: BackupMetadata = {
      clusterName: 'prod',
      name: backupNameAt(new Date('2026-12-05T10:15:00Z')),
      takenAt: '2026-12-05T10:15:00.000Z',
      location: 's3://b/backups/prod/x.db',
      revision: 1,
      clusterId: 'ab',
      members: [],
      etcdVersion: '3.4.23',
      from: 'https://10.0.0.6:2379',
      bytes: 64,
      sha256: 'a'.repeat(64),
      execution: 'e',
    };
    await last.put(meta);
    assert.deepEqual(await last.get('prod'), meta);
    const items = (await dynamodb.send(new ScanCommand({ TableName: TABLE }))).Items ?? [];
    assert.deepEqual(items.map((i) => i.pk?.S).filter((k) => k?.endsWith('#prod')), ['backup#prod']);
    assert.throws(() => DynamoDbLastBackupStore.keyOf('Prod!'), /clusterName must be a DNS-1123 label/);
  });
});
