// SnapshotHandoff on AWS. Member hosts may not read the backup prefix (every cluster's backups are there); for a
// restore or a drill each host gets its own copy, `restores/<cluster>/<execution>/<instance-id>.db`, tagged with its
// instance ARN (INSTANCE_ARN_TAG): the host policy lets an instance read a `restores/` object only when that tag equals
// its own `ec2:SourceInstanceARN`. The copy is made inside S3 (CopyObject, or UploadPartCopy above 5 GiB), never
// through the Lambda. A lifecycle rule on `restores/` expires copies that a failed run did not remove.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { INSTANCE_ARN_TAG, RESTORE_KEY_PREFIX } from '../../catalog/contracts';
import type { BackupMetadata } from '../../core/backup/metadata';
import { SnapshotCorruptError } from '../../core/errors';
import { SnapshotHashCheck } from '../../core/snapshot-hash';
import type { SnapshotHandoff, StagedSnapshot } from '../../ports';
import { instanceArn } from './ec2-host-directory';

/** CopyObject's largest source; above it the copy is a multipart upload of ranges (UploadPartCopy). */
export const MAX_SINGLE_COPY_BYTES = 5 * 1024 * 1024 * 1024;

export interface S3SnapshotHandoffProps {
  readonly client: S3Client;
  /** The snapshot bucket: backups are read from it and staged copies written into it. */
  readonly bucket: string;
  /** KMS key each staged copy is encrypted with (SSE-KMS). */
  readonly kmsKeyId: string;
  /** Region and account of the member instances (their ARNs tag the copies). */
  readonly region: string;
  readonly account: string;
  /** Bytes from which a copy is made in parts, and the size of each part. @default MAX_SINGLE_COPY_BYTES, 1 GiB */
  readonly multipartFromBytes?: number;
  readonly copyPartBytes?: number;
}

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Bucket and key of an `s3://bucket/key` location. */
export function parseS3Location(location: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
  if (!match) throw new RangeError(`backup location must be s3://bucket/key, got "${location}"`);
  return { bucket: match[1]!, key: match[2]! };
}

export class S3SnapshotHandoff implements SnapshotHandoff {
  constructor(private readonly props: S3SnapshotHandoffProps) {}

  async verify(backup: BackupMetadata): Promise<void> {
    const { bucket, key } = parseS3Location(backup.location);
    const answer = await this.props.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const check = new SnapshotHashCheck();
    for await (const chunk of answer.Body as AsyncIterable<Uint8Array>) check.update(chunk);
    matchManifest(check.finish(), backup);
  }

  async stage(backup: BackupMetadata, host: { readonly instanceId: string }, purpose: string): Promise<StagedSnapshot> {
    if (!INSTANCE_ID.test(host.instanceId)) throw new RangeError(`instanceId must be an EC2 instance ID (i-...), got "${host.instanceId}"`);
    const source = parseS3Location(backup.location);
    const key = `${this.prefixOf(backup.clusterName, purpose)}${host.instanceId}.db`;
    const tag = `${encodeURIComponent(INSTANCE_ARN_TAG)}=${encodeURIComponent(instanceArn(this.props.region, this.props.account, host.instanceId))}`;
    // A repeated copy writes the same object again: staging converges.
    if (backup.bytes <= (this.props.multipartFromBytes ?? MAX_SINGLE_COPY_BYTES)) {
      await this.props.client.send(
        new CopyObjectCommand({
          Bucket: this.props.bucket,
          Key: key,
          CopySource: `${source.bucket}/${encodeURI(source.key)}`,
          TaggingDirective: 'REPLACE',
          Tagging: tag,
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: this.props.kmsKeyId,
        }),
      );
    } else {
      await this.copyInParts(source, key, tag, backup.bytes);
    }
    return { uri: `s3://${this.props.bucket}/${key}`, bytes: backup.bytes, sha256: backup.sha256 };
  }

  async unstage(clusterName: string, purpose: string): Promise<void> {
    const prefix = this.prefixOf(clusterName, purpose);
    let token: string | undefined;
    do {
      const page = await this.props.client.send(new ListObjectsV2Command({ Bucket: this.props.bucket, Prefix: prefix, ...(token && { ContinuationToken: token }) }));
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (keys.length > 0) {
        const answer = await this.props.client.send(new DeleteObjectsCommand({ Bucket: this.props.bucket, Delete: { Objects: keys, Quiet: true } }));
        const failed = answer.Errors ?? [];
        if (failed.length > 0) throw new Error(`could not delete staged snapshots: ${failed.map((e) => `${e.Key}: ${e.Code}`).join(', ')}`);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private prefixOf(clusterName: string, purpose: string): string {
    for (const [field, value] of [['clusterName', clusterName], ['purpose', purpose]] as const) {
      if (!SEGMENT.test(value)) throw new RangeError(`${field} must be letters, digits, ".", "_" and "-" (a key segment), got "${value}"`);
    }
    return `${RESTORE_KEY_PREFIX}${clusterName}/${purpose}/`;
  }

  private async copyInParts(source: { bucket: string; key: string }, key: string, tag: string, bytes: number): Promise<void> {
    const { client, bucket } = this.props;
    const partBytes = this.props.copyPartBytes ?? 1024 * 1024 * 1024;
    const upload = await client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, Tagging: tag, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: this.props.kmsKeyId }),
    );
    try {
      const parts: { ETag: string; PartNumber: number }[] = [];
      for (let start = 0, part = 1; start < bytes; start += partBytes, part++) {
        const end = Math.min(start + partBytes, bytes) - 1;
        const copied = await client.send(
          new UploadPartCopyCommand({
            Bucket: bucket,
            Key: key,
            UploadId: upload.UploadId,
            PartNumber: part,
            CopySource: `${source.bucket}/${encodeURI(source.key)}`,
            CopySourceRange: `bytes=${start}-${end}`,
          }),
        );
        parts.push({ ETag: copied.CopyPartResult!.ETag!, PartNumber: part });
      }
      await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: upload.UploadId, MultipartUpload: { Parts: parts } }));
    } catch (error) {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: upload.UploadId })).catch(() => undefined);
      throw error;
    }
  }
}

/** The snapshot read now must be the one its manifest describes (same size, same trailer). */
export function matchManifest(read: { readonly bytes: number; readonly sha256: string }, backup: BackupMetadata): void {
  if (read.bytes !== backup.bytes) {
    throw new SnapshotCorruptError(`backup ${backup.clusterName}/${backup.name} has ${read.bytes} bytes, its manifest says ${backup.bytes}`);
  }
  if (read.sha256 !== backup.sha256) {
    throw new SnapshotCorruptError(`backup ${backup.clusterName}/${backup.name} ends with the SHA-256 ${read.sha256}, its manifest says ${backup.sha256}`);
  }
}
