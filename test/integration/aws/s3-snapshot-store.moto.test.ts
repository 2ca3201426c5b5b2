// S3SnapshotStore against moto_server: a snapshot of several chunks (more than one 5 MiB part) goes up as a
// multipart upload (counted by the commands the client sends) under `<prefix><cluster>/<name>.db`, SSE-KMS
// with the given key, and reads back byte for byte; a small one is a single PutObject; a stream that fails
// half-way, or at its very end as a snapshot whose SHA-256 trailer does not match, leaves neither an object
// nor an unfinished upload behind.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { MIN_PART_SIZE_BYTES, S3SnapshotStore } from '../../../lambdas/adapters/aws/s3-snapshot-store';
import { SnapshotCorruptError } from '../../../lambdas/core/errors';
import { checkedSnapshot, SNAPSHOT_TRAILER_BYTES, SnapshotHashCheck } from '../../../lambdas/core/snapshot-hash';
import { startMoto, type Moto } from '../../support/moto';

const BUCKET = 'etcd-ha-snapshots';
const PREFIX = 'snapshots/';

async function* chunksOf(buffers: readonly Buffer[], failAfter?: number): AsyncGenerator<Uint8Array> {
  for (const [i, buffer] of buffers.entries()) {
    if (failAfter !== undefined && i === failAfter) throw new Error('etcd closed the snapshot stream');
    yield buffer;
  }
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('S3SnapshotStore against moto_server', () => {
  let moto: Moto | undefined;
  let client: S3Client;
  let keyArn: string;
  /** The S3 commands the client sent, by name, since the last reset. */
  let sent: string[] = [];

  before(async () => {
    moto = await startMoto();
    // Path-style: moto takes the bucket from the path on a loopback address.
    client = new S3Client({ ...moto.clientConfig, forcePathStyle: true });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands' },
    );
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const kms = new KMSClient(moto.clientConfig);
    try {
      keyArn = (await kms.send(new CreateKeyCommand({ Description: 'etcd-ha snapshots' }))).KeyMetadata!.Arn!;
    } finally {
      kms.destroy();
    }
  });

  after(async () => {
    client?.destroy();
    await moto?.stop();
  });

  const store = () => new S3SnapshotStore({ client, bucket: BUCKET, prefix: PREFIX, kmsKeyId: keyArn, partSizeBytes: MIN_PART_SIZE_BYTES, queueSize: 2 });
  const read = async (key: string): Promise<Uint8Array> =>
    (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToByteArray();

  it('streams a snapshot of several chunks (> 5 MiB) as a multipart upload, SSE-KMS, and it reads back byte for byte', async () => {
    // 7 chunks of 1.75 MiB (etcd sends its snapshot in small blobs): 12.25 MiB, three parts of at most 5 MiB.
    const chunks = Array.from({ length: 7 }, () => randomBytes(1.75 * 1024 * 1024));
    const total = chunks.reduce((n, c) => n + c.length, 0);
    sent = [];
    const saved = await store().save('demo', 'before-replace-infra1-2024-05-01T10-00-00-000Z', chunksOf(chunks));
    const key = `${PREFIX}demo/before-replace-infra1-2024-05-01T10-00-00-000Z.db`;
    assert.deepEqual(saved, { location: `s3://${BUCKET}/${key}`, bytes: total });
    assert.deepEqual(
      sent.filter((c) => c !== 'UploadPartCommand'),
      ['CreateMultipartUploadCommand', 'CompleteMultipartUploadCommand'],
    );
    assert.equal(sent.filter((c) => c === 'UploadPartCommand').length, 3);

    const body = await read(key);
    assert.equal(body.length, total);
    assert.equal(sha256(body), sha256(Buffer.concat(chunks)));
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    assert.equal(head.ServerSideEncryption, 'aws:kms');
    assert.equal(head.SSEKMSKeyId, keyArn);
    assert.match(head.ETag ?? '', /-3"$/, 'a multipart object\'s ETag ends with its part count');
  });

  it('sends a snapshot smaller than one part with a single PutObject', async () => {
    const chunks = [randomBytes(300_000), randomBytes(200_000)];
    sent = [];
    const saved = await store().save('demo', 'small', chunksOf(chunks));
    assert.deepEqual(saved, { location: `s3://${BUCKET}/${PREFIX}demo/small.db`, bytes: 500_000 });
    assert.deepEqual(sent, ['PutObjectCommand']);
    assert.equal(sha256(await read(`${PREFIX}demo/small.db`)), sha256(Buffer.concat(chunks)));
    assert.equal((await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}demo/small.db` }))).ServerSideEncryption, 'aws:kms');
  });

  it('aborts the upload when the snapshot stream fails half-way: the stream\'s error, no object, no unfinished upload', async () => {
    const chunks = Array.from({ length: 6 }, () => randomBytes(2 * 1024 * 1024));
    sent = [];
    await assert.rejects(store().save('demo', 'broken', chunksOf(chunks, 4)), /etcd closed the snapshot stream/);
    assert.ok(sent.includes('CreateMultipartUploadCommand'), 'the first part had gone up');
    assert.ok(sent.includes('AbortMultipartUploadCommand'), sent.join(', '));
    const objects = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${PREFIX}demo/broken` }));
    assert.equal(objects.KeyCount ?? 0, 0);
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }));
    assert.deepEqual(uploads.Uploads ?? [], []);
  });

  it('keeps nothing of a snapshot whose SHA-256 trailer does not match (the stream fails at its very end), small or multipart', async () => {
    for (const [name, sizes] of [
      ['bad-small', [300_000, 200_000]],
      ['bad-multipart', Array<number>(6).fill(2 * 1024 * 1024)],
    ] as const) {
      const chunks = sizes.map((size) => randomBytes(size));
      chunks.push(randomBytes(SNAPSHOT_TRAILER_BYTES)); // not the SHA-256 of the rest
      sent = [];
      await assert.rejects(store().save('demo', name, checkedSnapshot(chunksOf(chunks), new SnapshotHashCheck())), (e: Error) => {
        assert.ok(e instanceof SnapshotCorruptError, `${name}: ${e.name}: ${e.message}`);
        return true;
      });
      assert.ok(!sent.includes('PutObjectCommand') && !sent.includes('CompleteMultipartUploadCommand'), `${name}: ${sent.join(', ')}`);
      const objects = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${PREFIX}demo/${name}` }));
      assert.equal(objects.KeyCount ?? 0, 0, name);
    }
    assert.ok(sent.includes('AbortMultipartUploadCommand'), 'the multipart upload was aborted');
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }));
    assert.deepEqual(uploads.Uploads ?? [], []);
  });

  it('refuses names that are not one key segment, and settings S3 would refuse', () => {
    assert.throws(() => store().keyOf('demo', '../ca'), /name must be letters, digits/);
    assert.throws(() => store().keyOf('a/b', 'x'), /clusterName must be/);
    assert.throws(() => new S3SnapshotStore({ client, bucket: 'Bad_Bucket', kmsKeyId: keyArn }), /bucket must be an S3 bucket name/);
    assert.throws(() => new S3SnapshotStore({ client, bucket: BUCKET, kmsKeyId: keyArn, partSizeBytes: 1024 }), /partSizeBytes must be a whole number from 5242880/);
    assert.equal(new S3SnapshotStore({ client, bucket: BUCKET, kmsKeyId: keyArn }).keyOf('demo', 'x'), 'demo/x.db');
  });
});
