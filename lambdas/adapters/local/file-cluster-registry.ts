// ClusterRegistry on one machine: one JSON file per cluster, <dir>/<clusterName>.json, replaced atomically
// (written to a temp file in the same dir, then renamed), so that a reader never sees half a record.
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { isAbsolute, join, resolve } from 'node:path';
import { EtcdHaError, SpecValidationError } from '../../core/errors';
import type { ClusterRecord, ClusterRegistry } from '../../ports';

export interface FileClusterRegistryProps {
  /** Directory of the records; created 0700 on the first put. */
  readonly dir: string;
}

const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export class FileClusterRegistry implements ClusterRegistry {
  private readonly dir: string;

  constructor(props: FileClusterRegistryProps) {
    if (!isAbsolute(props.dir)) throw new RangeError(`dir must be an absolute path, got "${props.dir}"`);
    this.dir = resolve(props.dir);
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

  async findByInstanceId(instanceId: string): Promise<ClusterRecord | undefined> {
    if (!existsSync(this.dir)) return undefined;
    for (const file of readdirSync(this.dir).filter((f) => f.endsWith('.json') && !f.startsWith('.'))) {
      const record = await this.get(file.slice(0, -'.json'.length));
      if (record?.members.some((m) => m.instanceId === instanceId)) return record;
    }
    return undefined;
  }

  async put(record: ClusterRecord): Promise<void> {
    const path = this.pathOf(record.clusterName);
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
