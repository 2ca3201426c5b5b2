// Which etcd local mode starts. ETCD_BIN_DIR, when set, names the folder of etcd (and etcdctl/etcdutl);
// otherwise the project's own etcd 3.5 — the version kubeadm runs, fetched by scripts/ensure-etcd.mjs
// into .etcd/3.5 — when it is there; otherwise the etcd on the PATH.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EtcdHaError } from '../core/errors';

/** The project's own etcd versions (gitignored), fetched by scripts/ensure-etcd.mjs. */
export const PROJECT_ETCD_DIR = join(__dirname, '..', '..', '.etcd');
export const PROJECT_ETCD_BIN_DIR = join(PROJECT_ETCD_DIR, '3.5', 'usr', 'bin');

/** The etcd binary to start, or undefined for the one on the PATH. */
export function localEtcdBinary(env: NodeJS.ProcessEnv = process.env, projectBinDir = PROJECT_ETCD_BIN_DIR): string | undefined {
  if (env.ETCD_BIN_DIR) {
    const binary = join(resolve(env.ETCD_BIN_DIR), 'etcd');
    if (!existsSync(binary)) throw new EtcdHaError(`ETCD_BIN_DIR: expected a folder holding an etcd binary, but ${binary} does not exist`);
    return binary;
  }
  const project = join(projectBinDir, 'etcd');
  return existsSync(project) ? project : undefined;
}

/** "3.5.16" for `binary` (or the etcd on the PATH), or undefined when it does not run. */
export function etcdVersionOf(binary = 'etcd'): string | undefined {
  const run = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return /etcd Version: (\S+)/.exec(run.stdout ?? '')?.[1];
}
