// BackupStore on AWS: under the snapshot bucket's backup prefix, `backups/<cluster>/<name>.db` (streamed in by
// S3SnapshotStore: multipart, SSE-KMS, aborted when the stream fails) and its manifest `<name>.json` (SSE-KMS too).
// The manifest is a second object because the size and SHA-256 are known only once the stream has ended, after
// S3 has fixed the snapshot object's own metadata; the snapshot object carries none, and a snapshot without its
// manifest is not a backup (listed as incomplete).
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { BACKUP_KEY_PREFIX } from '../../catalog/contracts';
import { BackupMetadataSchema, takenAtOfName, type BackupMetadata } from '../../core/backup/metadata';
import type { BackupStore, ListedBackup } from '../../ports';
import { S3SnapshotStore, type S3SnapshotStoreProps } from './s3-snapshot-store';

export type S3BackupStoreProps = Omit<S3SnapshotStoreProps, 'prefix'>;

export class S3BackupStore implements BackupStore {
  private readonly snapshots: S3SnapshotStore;

  constructor(private readonly props: S3BackupStoreProps) {
    this.snapshots = new S3SnapshotStore({ ...props, prefix: BACKUP_KEY_PREFIX });
  }

  save(clusterName: string, name: string, chunks: AsyncIterable<Uint8Array>): Promise<{ location: string; bytes: number }> {
    return this.snapshots.save(clusterName, name, chunks);
  }

  async describe(metadata: BackupMetadata): Promise<void> {
    await this.props.client.send(
      new PutObjectCommand({
        Bucket: this.props.bucket,
        Key: this.manifestKey(metadata.clusterName, metadata.name),
        Body: JSON.stringify(BackupMetadataSchema.parse(metadata)),
        ContentType: 'application/json',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: this.props.kmsKeyId,
      }),
    );
  }

  async list(clusterName: string): Promise<ListedBackup[]> {
    const prefix = `${BACKUP_KEY_PREFIX}${clusterName}/`;
    this.snapshots.keyOf(clusterName, 'x'); // checks the cluster name as a key segment
    const keys = new Set<string>();
    let token: string | undefined;
    do {
      const page = await this.props.client.send(new ListObjectsV2Command({ Bucket: this.props.bucket, Prefix: prefix, ...(token && { ContinuationToken: token }) }));
      for (const object of page.Contents ?? []) if (object.Key) keys.add(object.Key.slice(prefix.length));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return [...keys]
      .filter((k) => k.endsWith('.db'))
      .map((k) => k.slice(0, -'.db'.length))
      .flatMap((name) => {
        const takenAt = takenAtOfName(name);
        return takenAt ? [{ name, takenAt, complete: keys.has(`${name}.json`) }] : [];
      })
      .sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime());
  }

  async read(clusterName: string, name: string): Promise<BackupMetadata | undefined> {
    try {
      const answer = await this.props.client.send(new GetObjectCommand({ Bucket: this.props.bucket, Key: this.manifestKey(clusterName, name) }));
      return BackupMetadataSchema.parse(JSON.parse(await answer.Body!.transformToString()));
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async remove(clusterName: string, name: string): Promise<void> {
    // Deleting a missing key succeeds: a repeated prune converges.
    const answer = await this.props.client.send(
      new DeleteObjectsCommand({
        Bucket: this.props.bucket,
        Delete: { Objects: [{ Key: this.manifestKey(clusterName, name) }, { Key: this.snapshots.keyOf(clusterName, name) }], Quiet: true },
      }),
    );
    const failed = answer.Errors ?? [];
    if (failed.length > 0) throw new Error(`could not delete backup ${clusterName}/${name}: ${failed.map((e) => `${e.Key}: ${e.Code}`).join(', ')}`);
  }

  private manifestKey(clusterName: string, name: string): string {
    return this.snapshots.keyOf(clusterName, name).replace(/\.db$/, '.json');
  }
}
