// SnapshotHandoff on this machine: every simulated host is this user, so the backup file itself is what a host
// fetches (fetch-snapshot.sh copies it below the host's root with ETCD_HA_SNAPSHOT_FETCH="cp --"); nothing is staged.
import { createReadStream } from 'node:fs';
import type { BackupMetadata } from '../../core/backup/metadata';
import { SnapshotHashCheck } from '../../core/snapshot-hash';
import type { SnapshotHandoff, StagedSnapshot } from '../../ports';
import { matchManifest } from '../aws/s3-snapshot-handoff';

export class DirSnapshotHandoff implements SnapshotHandoff {
  async verify(backup: BackupMetadata): Promise<void> {
    if (!backup.location.startsWith('/')) throw new RangeError(`a local backup's location must be an absolute path, got "${backup.location}"`);
    const check = new SnapshotHashCheck();
    for await (const chunk of createReadStream(backup.location)) check.update(chunk as Buffer);
    matchManifest(check.finish(), backup);
  }

  async stage(backup: BackupMetadata): Promise<StagedSnapshot> {
    return { uri: backup.location, bytes: backup.bytes, sha256: backup.sha256 };
  }

  async unstage(): Promise<void> {}
}
