// S3SnapshotHandoff against moto_server: Verify reads a backup whole and refuses one whose bytes or trailer differ
// from its manifest; Stage copies it inside S3 to `restores/<cluster>/<execution>/<instance-id>.db`, SSE-KMS, tagged
// with that instance's ARN (the host policy's condition), in one CopyObject or in ranged parts; Unstage removes every
// copy of that execution and no other; all three are safe to repeat.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { S3SnapshotHandoff } from '../../../lambdas/adapters/aws/s3-snapshot-handoff';
import { INSTANCE_ARN_TAG } from '../../../lambdas/catalog/contracts';
import type { BackupMetadata } from '../../../lambdas/core/backup/metadata';
import { SnapshotCorruptError } from '../../../lambdas/core/errors';
import { startMoto, type Moto } from '../../support/moto';

const BUCKET = 'etcd-ha-snapshots';
const INSTANCE = 'i-0123456789abcdef0';
const OTHER = 'i-0fedcba9876543210';

function snapshotBytes(size: number): Buffer {
  const backend = randomBytes(size);
  return Buffer.concat([backend, createHash('sha256').update(backend).digest()]);
}

function metadataOf(key: string, data: Buffer, overrides: Partial<BackupMetadata> = {}): BackupMetadata {
  return {
    clusterName: 'prod',
    name: '2026-12-05T10-00-00-000Z',
    takenAt: '2026-12-05T10:00:00.000Z',
    location: `s3://${BUCKET}/${key}`,
    revision: 42,
    clusterId: 'cdf818194e3a8c32',
    members: [],
    etcdVersion: '3.5.16',
    from: 'https://127.0.0.11:2379',
    bytes: data.length,
    sha256: data.subarray(data.length - 32).toString('hex'),
    execution: 'scheduled-1',
    ...overrides,
  };
}

describe('S3SnapshotHandoff against moto_server', () => {
  let moto: Moto | undefined;
  let s3: S3Client;
  let keyArn: string;
  let handoff: S3SnapshotHandoff;

  before(async () => {
    moto = await startMoto();
    s3 = new S3Client({ ...moto.clientConfig, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const kms = new KMSClient(moto.clientConfig);
    try {
      keyArn = (await kms.send(new CreateKeyCommand({ Description: 'etcd-ha' }))).KeyMetadata!.Arn!;
    } finally {
      kms.destroy();
    }
    handoff = new S3SnapshotHandoff({ client: s3, bucket: BUCKET, kmsKeyId: keyArn, region: 'us-east-1', account: '123456789012' });
  });

  after(async () => {
    s3?.destroy();
    await moto?.stop();
  });

  const put = async (key: string, data: Buffer) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: data }));
  const keysUnder = async (prefix: string) => ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents ?? []).map((o) => o.Key).sort();

  it('verifies a backup that matches its manifest, and refuses a flipped byte, another size or another trailer by name', async () => {
    const data = snapshotBytes(70_000);
    await put('backups/prod/a.db', data);
    const good = metadataOf('backups/prod/a.db', data);
    await handoff.verify(good);

    const flipped = Buffer.from(data);
    flipped[1000]! ^= 0x01;
    await put('backups/prod/flipped.db', flipped);
    await assert.rejects(handoff.verify(metadataOf('backups/prod/flipped.db', data)), (e: Error) => e instanceof SnapshotCorruptError && /is corrupt: the SHA-256 of its \d+ backend bytes/.test(e.message));
    await assert.rejects(handoff.verify({ ...good, bytes: data.length + 1 }), (e: Error) => e instanceof SnapshotCorruptError && /has 70032 bytes, its manifest says 70033/.test(e.message));
    await assert.rejects(handoff.verify({ ...good, sha256: 'b'.repeat(64) }), (e: Error) => e instanceof SnapshotCorruptError && /its manifest says b{64}/.test(e.message));
  });

  it('stages a tagged, encrypted copy per host, again without harm, and unstages only that execution', async () => {
    const data = snapshotBytes(10_000);
    await put('backups/prod/b.db', data);
    const backup = metadataOf('backups/prod/b.db', data);
    const staged = await handoff.stage(backup, { instanceId: INSTANCE }, 'restore-run-1');
    assert.deepEqual(staged, { uri: `s3://${BUCKET}/restores/prod/restore-run-1/${INSTANCE}.db`, bytes: data.length, sha256: backup.sha256 });
    await handoff.stage(backup, { instanceId: INSTANCE }, 'restore-run-1');
    await handoff.stage(backup, { instanceId: OTHER }, 'restore-run-1');
    await handoff.stage(backup, { instanceId: OTHER }, 'drill-run-2');

    const key = `restores/prod/restore-run-1/${INSTANCE}.db`;
    const tags = (await s3.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: key }))).TagSet;
    assert.deepEqual(tags, [{ Key: INSTANCE_ARN_TAG, Value: `arn:aws:ec2:us-east-1:123456789012:instance/${INSTANCE}` }]);
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    assert.equal(head.ServerSideEncryption, 'aws:kms');
    assert.equal(head.SSEKMSKeyId, keyArn);
    assert.deepEqual(Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToByteArray()), data);

    await handoff.unstage('prod', 'restore-run-1');
    await handoff.unstage('prod', 'restore-run-1');
    assert.deepEqual(await keysUnder('restores/'), [`restores/prod/drill-run-2/${OTHER}.db`]);
    assert.deepEqual(await keysUnder('backups/prod/b.db'), ['backups/prod/b.db'], 'the backup itself stays');
  });

  it('copies a snapshot above the single-copy limit in ranged parts, byte for byte, tagged', async () => {
    const data = snapshotBytes(12 * 1024 * 1024);
    await put('backups/prod/big.db', data);
    const parted = new S3SnapshotHandoff({ client: s3, bucket: BUCKET, kmsKeyId: keyArn, region: 'us-east-1', account: '123456789012', multipartFromBytes: 1024, copyPartBytes: 5 * 1024 * 1024 });
    await parted.stage(metadataOf('backups/prod/big.db', data), { instanceId: INSTANCE }, 'restore-run-3');
    const key = `restores/prod/restore-run-3/${INSTANCE}.db`;
    const copied = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToByteArray());
    assert.equal(copied.length, data.length);
    assert.ok(copied.equals(data));
    const tags = (await s3.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: key }))).TagSet;
    assert.equal(tags?.[0]?.Value, `arn:aws:ec2:us-east-1:123456789012:instance/${INSTANCE}`);
  });

  it('refuses an instance ID or an execution name that is not a key segment, staging nothing', async () => {
    const data = snapshotBytes(100);
    const backup = metadataOf('backups/prod/a.db', data);
    await assert.rejects(handoff.stage(backup, { instanceId: '../i-1' }, 'run'), /instanceId must be an EC2 instance ID/);
    await assert.rejects(handoff.stage(backup, { instanceId: INSTANCE }, '../x'), /purpose must be letters, digits/);
    assert.deepEqual(await keysUnder('restores/prod/run/'), []);
  });
});
