// ProbeStateStore on one machine: <dir>/<cluster>.json holding { version, state }. The conditional write is a
// check of the version under an exclusive lock file (O_EXCL), so two probes of one cluster never both write.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProbeState } from '../../core/health-probe';
import type { ProbeStateStore, StoredProbeState } from '../../ports';

const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export class FileProbeStateStore implements ProbeStateStore {
  constructor(private readonly props: { readonly dir: string }) {
    if (!props.dir.startsWith('/')) throw new RangeError(`dir must be an absolute path, got "${props.dir}"`);
  }

  async get(clusterName: string): Promise<StoredProbeState | undefined> {
    const path = this.pathOf(clusterName);
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as StoredProbeState) : undefined;
  }

  async put(clusterName: string, state: ProbeState, readVersion: number | undefined): Promise<boolean> {
    const path = this.pathOf(clusterName);
    mkdirSync(this.props.dir, { recursive: true, mode: 0o700 });
    const guard = `${path}.lock`;
    let fd: number;
    try {
      fd = openSync(guard, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
    try {
      const stored = await this.get(clusterName);
      if (stored?.version !== readVersion) return false;
      const tmp = `${path}.tmp`;
      writeFileSync(tmp, `${JSON.stringify({ version: (readVersion ?? 0) + 1, state }, null, 2)}\n`, { mode: 0o600 });
      renameSync(tmp, path);
      return true;
    } finally {
      closeSync(fd);
      rmSync(guard, { force: true });
    }
  }

  private pathOf(clusterName: string): string {
    if (!CLUSTER_NAME.test(clusterName)) throw new RangeError(`clusterName must be a DNS-1123 label, got "${clusterName}"`);
    return join(this.props.dir, `${clusterName}.json`);
  }
}
