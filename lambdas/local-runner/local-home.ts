// Where local mode keeps its state: one directory per machine user, overridable for tests.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface LocalHome {
  readonly dir: string;
  readonly secretsDir: string;
  readonly hostsDir: string;
  readonly registryDir: string;
  /** Client certificate files for etcdctl (`etcd-ha local env`). */
  readonly clientDir: string;
  readonly stepLog: string;
  readonly locksDir: string;
  readonly snapshotsDir: string;
  /** The health probe's memory per cluster (FileProbeStateStore). */
  readonly probesDir: string;
}

export function localHome(env: NodeJS.ProcessEnv = process.env): LocalHome {
  const dir = resolve(env.ETCD_HA_HOME ?? join(homedir(), '.etcd-ha', 'local'));
  return {
    dir,
    secretsDir: join(dir, 'secrets'),
    hostsDir: join(dir, 'hosts'),
    registryDir: join(dir, 'registry'),
    clientDir: join(dir, 'client'),
    stepLog: join(dir, 'steps.log'),
    locksDir: join(dir, 'locks'),
    snapshotsDir: join(dir, 'snapshots'),
    probesDir: join(dir, 'probes'),
  };
}
