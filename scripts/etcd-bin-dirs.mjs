// Where the test runner and the install script find each etcd version (keep in step with
// lambdas/local-runner/etcd-binaries.ts, which local mode reads).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's own etcd 3.5 (Debian trixie's packages unpacked by scripts/ensure-etcd.mjs). */
export const ETCD_35_BIN_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '.etcd', '3.5', 'usr', 'bin');

/** The folder of the etcd on the PATH (bookworm's 3.4 on Debian), or undefined. */
export function etcdOnPathDir() {
  const found = spawnSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' });
  return found.status === 0 ? dirname(found.stdout.trim()) : undefined;
}

/** "3.5.16" for the etcd in `dir`, or undefined when there is none that runs. */
export function etcdVersionIn(dir) {
  const binary = join(dir, 'etcd');
  if (!existsSync(binary)) return undefined;
  const run = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return /etcd Version: (\S+)/.exec(run.stdout ?? '')?.[1];
}
