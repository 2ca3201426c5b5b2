// Backups on this machine: `<dir>/<cluster>/<name>.db` (written by DirSnapshotStore: renamed into place only once
// its stream ended) and its manifest `<name>.json` beside it, both 0600; the last good backup of each cluster in
// `<dir>/<cluster>.last-good.json`. The local stand-in for the bucket's backup prefix and the `backup#` item.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackupMetadataSchema, takenAtOfName, type BackupMetadata } from '../../core/backup/metadata';
import type { BackupStore, LastBackupStore, ListedBackup } from '../../ports';
import { DirSnapshotStore } from './dir-snapshot-store';

const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const BACKUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function checkNames(clusterName: string, name?: string): void {
  if (!CLUSTER_NAME.test(clusterName)) throw new RangeError(`clusterName must be a DNS-1123 label, got "${clusterName}"`);
  if (name !== undefined && !BACKUP_NAME.test(name)) throw new RangeError(`name must be letters, digits, ".", "_" and "-", got "${name}"`);
}

function writeJsonAtomically(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

export class DirBackupStore implements BackupStore, LastBackupStore {
  private readonly snapshots: DirSnapshotStore;

  constructor(private readonly props: { readonly dir: string }) {
    if (!props.dir.startsWith('/')) throw new RangeError(`dir must be an absolute path, got "${props.dir}"`);
    this.snapshots = new DirSnapshotStore({ dir: props.dir });
  }

  save(clusterName: string, name: string, chunks: AsyncIterable<Uint8Array>): Promise<{ location: string; bytes: number }> {
    checkNames(clusterName, name);
    return this.snapshots.save(clusterName, name, chunks);
  }

  async describe(metadata: BackupMetadata): Promise<void> {
    checkNames(metadata.clusterName, metadata.name);
    writeJsonAtomically(this.pathOf(metadata.clusterName, metadata.name, 'json'), BackupMetadataSchema.parse(metadata));
  }

  async list(clusterName: string): Promise<ListedBackup[]> {
    checkNames(clusterName);
    const dir = join(this.props.dir, clusterName);
    if (!existsSync(dir)) return [];
    const files = new Set(readdirSync(dir));
    return [...files]
      .filter((f) => f.endsWith('.db'))
      .map((f) => f.slice(0, -'.db'.length))
      .flatMap((name) => {
        const takenAt = takenAtOfName(name);
        return takenAt ? [{ name, takenAt, complete: files.has(`${name}.json`) }] : [];
      })
      .sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime());
  }

  async read(clusterName: string, name: string): Promise<BackupMetadata | undefined> {
    checkNames(clusterName, name);
    const path = this.pathOf(clusterName, name, 'json');
    return existsSync(path) ? BackupMetadataSchema.parse(JSON.parse(readFileSync(path, 'utf8'))) : undefined;
  }

  async remove(clusterName: string, name: string): Promise<void> {
    checkNames(clusterName, name);
    // The manifest first: a half-removed backup is never listed as complete.
    rmSync(this.pathOf(clusterName, name, 'json'), { force: true });
    rmSync(this.pathOf(clusterName, name, 'db'), { force: true });
  }

  async get(clusterName: string): Promise<BackupMetadata | undefined> {
    checkNames(clusterName);
    const path = join(this.props.dir, `${clusterName}.last-good.json`);
    return existsSync(path) ? BackupMetadataSchema.parse(JSON.parse(readFileSync(path, 'utf8'))) : undefined;
  }

  async put(metadata: BackupMetadata): Promise<void> {
    checkNames(metadata.clusterName);
    mkdirSync(this.props.dir, { recursive: true, mode: 0o700 });
    writeJsonAtomically(join(this.props.dir, `${metadata.clusterName}.last-good.json`), BackupMetadataSchema.parse(metadata));
  }

  private pathOf(clusterName: string, name: string, ext: 'db' | 'json'): string {
    return join(this.props.dir, clusterName, `${name}.${ext}`);
  }
}
