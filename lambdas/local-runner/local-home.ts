// Where local mode keeps its state: one directory per machine user, overridable for tests. A home etcd-ha created
// carries a marker file, and `local down` deletes only a directory that carries it: ETCD_HA_HOME pointing at, say,
// one's own home directory is refused there, never emptied.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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
  /** BackupCluster's backups (`<cluster>/<name>.db` and `.json`) and each cluster's last good one (DirBackupStore). */
  readonly backupsDir: string;
  /** BackupCluster's own locks, apart from the cluster locks. */
  readonly backupLocksDir: string;
  /** What CloudWatch would receive (FileMetrics): one JSON line per metric point. */
  readonly metricsFile: string;
  /** The clusters' stable names, one hosts map per cluster (HostsMapNames); never the machine's resolver. */
  readonly dnsDir: string;
  /** What EventBridge would receive (FileMembershipEvents): one JSON line per membership event. */
  readonly eventsFile: string;
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
    backupsDir: join(dir, 'backups'),
    backupLocksDir: join(dir, 'locks', 'backup'),
    metricsFile: join(dir, 'metrics.jsonl'),
    dnsDir: join(dir, 'dns'),
    eventsFile: join(dir, 'events.jsonl'),
  };
}

/** The marker file of a local home etcd-ha created (its first line is MARKER_TEXT). */
export const LOCAL_HOME_MARKER = '.etcd-ha-local-home';
const MARKER_TEXT = 'etcd-ha local home: created by etcd-ha; `etcd-ha local down` stops its members and deletes this directory';

/**
 * Creates the home (0700) with its marker when it does not exist yet, or marks it when it is an empty directory.
 * A directory that already holds anything else is used as it is, unmarked: `local down` will refuse to delete it.
 */
export function prepareLocalHome(home: LocalHome): void {
  if (!existsSync(home.dir)) mkdirSync(home.dir, { recursive: true, mode: 0o700 });
  if (isMarkedLocalHome(home.dir)) return;
  if (statSync(home.dir).isDirectory() && readdirSync(home.dir).length === 0) {
    chmodSync(home.dir, 0o700);
    writeFileSync(markerPath(home.dir), `${MARKER_TEXT}\n`, { mode: 0o600, flag: 'wx' });
  }
}

/** Whether `dir` carries etcd-ha's marker (a regular file with the marker's text): only such a directory is deleted. */
export function isMarkedLocalHome(dir: string): boolean {
  const path = markerPath(dir);
  try {
    return statSync(path).isFile() && readFileSync(path, 'utf8').split('\n', 1)[0] === MARKER_TEXT;
  } catch {
    return false;
  }
}

function markerPath(dir: string): string {
  return join(dir, LOCAL_HOME_MARKER);
}
