// SnapshotStore on AWS: the backend snapshot streamed into S3 as it comes from etcd. @aws-sdk/lib-storage's
// Upload cuts the stream into parts and sends them as a multipart upload (a single PutObject when the whole
// snapshot fits in one part), so at most `partSizeBytes × (queueSize + 1)` of a multi-GB snapshot is ever in
// the function's memory. Each object is encrypted with SSE-KMS under the stack's key. A stream that fails
// half-way aborts the upload: no partial snapshot, and no parts left behind to pay for.
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { SnapshotStore } from '../../ports';

/** S3's smallest part (all but the last) of a multipart upload. */
export const MIN_PART_SIZE_BYTES = 5 * 1024 * 1024;
/** S3's largest part. */
export const MAX_PART_SIZE_BYTES = 5 * 1024 * 1024 * 1024;

export interface S3SnapshotStoreProps {
  /** The S3 client, created once per module by the composition root. */
  readonly client: S3Client;
  /** The snapshot bucket. */
  readonly bucket: string;
  /**
   * Start of every key: `<prefix><cluster>/<name>.db`. The stack grants s3:PutObject on `<prefix>*` only.
   * @default '' (keys start with the cluster name)
   */
  readonly prefix?: string;
  /** KMS key (ARN, ID or alias) each object is encrypted with (SSE-KMS). */
  readonly kmsKeyId: string;
  /**
   * Size of one part, in bytes (5 MiB to 5 GiB). S3 takes at most 10,000 parts: the default allows
   * snapshots up to 160 GiB (etcd's storage quota is at most 8 GiB).
   * @default 16 MiB
   */
  readonly partSizeBytes?: number;
  /**
   * Parts uploaded at once (1 to 16).
   * @default 4
   */
  readonly queueSize?: number;
}

export class S3SnapshotStore implements SnapshotStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly kmsKeyId: string;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(props: S3SnapshotStoreProps) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(props.bucket)) {
      throw new RangeError(`bucket must be an S3 bucket name (3 to 63 lower-case letters, digits, "." and "-"), got "${props.bucket}"`);
    }
    const prefix = props.prefix ?? '';
    if (prefix.startsWith('/') || prefix.length > 512) throw new RangeError(`prefix must not start with "/" and have at most 512 characters, got "${prefix}"`);
    if (props.kmsKeyId.trim() === '') throw new RangeError('kmsKeyId must name the KMS key of the snapshots, got ""');
    const partSize = props.partSizeBytes ?? 16 * 1024 * 1024;
    if (!Number.isInteger(partSize) || partSize < MIN_PART_SIZE_BYTES || partSize > MAX_PART_SIZE_BYTES) {
      throw new RangeError(`partSizeBytes must be a whole number from ${MIN_PART_SIZE_BYTES} to ${MAX_PART_SIZE_BYTES}, got ${partSize}`);
    }
    const queueSize = props.queueSize ?? 4;
    if (!Number.isInteger(queueSize) || queueSize < 1 || queueSize > 16) throw new RangeError(`queueSize must be a whole number from 1 to 16, got ${queueSize}`);
    this.client = props.client;
    this.bucket = props.bucket;
    this.prefix = prefix;
    this.kmsKeyId = props.kmsKeyId;
    this.partSize = partSize;
    this.queueSize = queueSize;
  }

  /** The object key of a snapshot. */
  keyOf(clusterName: string, name: string): string {
    for (const [what, value] of [['clusterName', clusterName], ['name', name]] as const) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(value)) throw new RangeError(`${what} must be letters, digits, ".", "_" and "-" (a key segment), got "${value}"`);
    }
    return `${this.prefix}${clusterName}/${name}.db`;
  }

  async save(clusterName: string, name: string, chunks: AsyncIterable<Uint8Array>): Promise<{ location: string; bytes: number }> {
    const key = this.keyOf(clusterName, name);
    let bytes = 0;
    const counted = Readable.from(
      (async function* count() {
        for await (const chunk of chunks) {
          bytes += chunk.length;
          yield chunk;
        }
      })(),
      { objectMode: false },
    );
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: counted,
        ContentType: 'application/octet-stream',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: this.kmsKeyId,
      },
      partSize: this.partSize,
      queueSize: this.queueSize,
      // A failed upload is aborted: its parts would cost storage and never become an object.
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } finally {
      counted.destroy();
    }
    return { location: `s3://${this.bucket}/${key}`, bytes };
  }
}
