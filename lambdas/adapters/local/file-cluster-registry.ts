// ClusterRegistry on one machine: one JSON file per cluster, <dir>/<clusterName>.json, replaced atomically
// (written to a temp file in the same dir, then renamed), so that a reader never sees half a record. A record
// written for a lock owner is written under the FileClusterLock's guard, after checking that it holds the lock.
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { isAbsolute, join, resolve } from 'node:path';
import { ClusterLockLostError, EtcdHaError, SpecValidationError } from '../../core/errors';
import type { ClusterRecord, ClusterRegistry, RecordDeletion, RegistryPutOptions } from '../../ports';
import type { FileClusterLock } from './file-cluster-lock';

export interface FileClusterRegistryProps {
  /** Directory of the records; created 0700 on the first put. */
  readonly dir: string;
  /**
   * The clusters' lock, whose holder alone may write a record with `lockOwner`.
   * @default - none: a put with `lockOwner` throws (only unconditional writes, as provisioning does)
   */
  readonly lock?: FileClusterLock;
}

const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export class FileClusterRegistry implements ClusterRegistry, RecordDeletion {
  private readonly dir: string;
  private readonly lock: FileClusterLock | undefined;

  constructor(props: FileClusterRegistryProps) {
    if (!isAbsolute(props.dir)) throw new RangeError(`dir must be an absolute path, got "${props.dir}"`);
    this.dir = resolve(props.dir);
    this.lock = props.lock;
  }

  /** The file of `clusterName`'s record. */
  pathOf(clusterName: string): string {
    if (!CLUSTER_NAME.test(clusterName)) {
      throw new SpecValidationError('cluster name', [`"${clusterName}" must be a DNS-1123 label (lower-case letters, digits, "-")`]);
    }
    return join(this.dir, `${clusterName}.json`);
  }

  async get(clusterName: string): Promise<ClusterRecord | undefined> {
    const path = this.pathOf(clusterName);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    let record: ClusterRecord;
    try {
      record = JSON.parse(text) as ClusterRecord;
    } catch (error) {
      throw new EtcdHaError(`the cluster record ${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
    if (record?.clusterName !== clusterName) {
      throw new EtcdHaError(`the cluster record ${path} is for cluster "${String(record?.clusterName)}", not "${clusterName}"`);
    }
    return record;
  }

  async list(): Promise<ClusterRecord[]> {
    if (!existsSync(this.dir)) return [];
    const names = readdirSync(this.dir).filter((f) => f.endsWith('.json') && !f.startsWith('.')).map((f) => f.slice(0, -'.json'.length)).sort();
    const records = await Promise.all(names.map((name) => this.get(name)));
    return records.filter((r): r is ClusterRecord => r !== undefined);
  }

  async findByInstanceId(instanceId: string): Promise<ClusterRecord | undefined> {
    if (!existsSync(this.dir)) return undefined;
    for (const file of readdirSync(this.dir).filter((f) => f.endsWith('.json') && !f.startsWith('.'))) {
      const record = await this.get(file.slice(0, -'.json'.length));
      // A removed member awaiting its replacement still names its cluster.
      if (record && [...record.members, ...(record.removed ?? [])].some((m) => m.instanceId === instanceId)) return record;
    }
    return undefined;
  }

  /**
   * Replaces the record. With `lockOwner`, only while that owner holds the cluster's lock: the check and the
   * write happen under the lock's guard, so no acquire or release comes in between.
   */
  async put(record: ClusterRecord, options: RegistryPutOptions = {}): Promise<void> {
    const path = this.pathOf(record.clusterName);
    const { lockOwner } = options;
    if (lockOwner === undefined) {
      this.write(path, record);
      return;
    }
    if (lockOwner === '') throw new RangeError('lockOwner must name the execution holding the lock, got ""');
    if (this.lock === undefined) throw new RangeError(`a record written for lock owner ${lockOwner} needs the registry's lock (props.lock)`);
    try {
      await this.lock.whileHeldBy(record.clusterName, lockOwner, () => this.write(path, record));
    } catch (error) {
      if (!(error instanceof ClusterLockLostError)) throw error;
      throw new ClusterLockLostError(`${error.message}: the record was not written`, { cause: error });
    }
  }

  /** DeleteCluster: removes the record file under the lock's guard, only while `lockOwner` holds the lock. */
  async deleteRecord(clusterName: string, lockOwner: string): Promise<{ deleted: boolean }> {
    const path = this.pathOf(clusterName);
    if (lockOwner === '') throw new RangeError('lockOwner must name the execution holding the lock, got ""');
    if (this.lock === undefined) throw new RangeError(`deleting a record for lock owner ${lockOwner} needs the registry's lock (props.lock)`);
    try {
      return await this.lock.whileHeldBy(clusterName, lockOwner, () => {
        if (!existsSync(path)) return { deleted: false };
        rmSync(path);
        return { deleted: true };
      });
    } catch (error) {
      if (!(error instanceof ClusterLockLostError)) throw error;
      throw new ClusterLockLostError(`${error.message}: the record was not deleted`, { cause: error });
    }
  }

  private write(path: string, record: ClusterRecord): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = join(this.dir, `.${record.clusterName}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      chmodSync(tmp, 0o600);
      renameSync(tmp, path);
    } catch (error) {
      rmSync(tmp, { force: true });
      throw error;
    }
  }
}
