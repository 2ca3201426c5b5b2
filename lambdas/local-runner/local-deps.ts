// The local composition root: the same steps over adapters that keep everything on this machine —
// secrets in 0600 files, hosts as directories on loopback addresses, etcd started by the host scripts.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ReplaceDeps } from '../steps/replace';
import type { Logger, MetricsPublisher, PkiUploadSlots, RecordDeletion, SecretDeletion, SnapshotHandoff } from '../ports';
import { FileUploadSlots } from '../adapters/local/file-upload-slots';
import { FileSecretStore } from '../adapters/local/file-secret-store';
import { LoopbackHostDirectory } from '../adapters/local/loopback-host-directory';
import { LocalHostRunner, localScriptsPaths } from '../adapters/local/local-host-runner';
import { FileClusterRegistry } from '../adapters/local/file-cluster-registry';
import { FileClusterLock } from '../adapters/local/file-cluster-lock';
import { ProcessExecutionLiveness } from '../adapters/local/process-execution-liveness';
import { DirSnapshotStore } from '../adapters/local/dir-snapshot-store';
import { LocalMachinePower } from '../adapters/local/local-machine-power';
import { Etcd3AdminFactory } from '../adapters/etcd/etcd3-admin';
import { prepareLocalHome, type LocalHome } from './local-home';
import { localEtcdBinary } from './etcd-binaries';
import { localSpecPolicy } from './local-spec-policy';
import { DirBackupStore } from '../adapters/local/dir-backup-store';
import { DEFAULT_RETENTION, type RetentionPolicy } from '../core/backup/retention';
import type { BackupDeps } from '../steps/backup';
import { DirSnapshotHandoff } from '../adapters/local/dir-snapshot-handoff';
import { FileMetrics } from '../adapters/local/file-metrics';
import { FileMembershipEvents } from '../adapters/local/file-membership-events';
import { METRICS } from '../catalog/contracts';
import { join } from 'node:path';
import { HostsMapNames } from '../adapters/local/hosts-map-names';
import type { DrillDeps } from '../steps/drill';
import type { ControlPlaneDirectory, Host } from '../ports';
import { LocalControlPlaneDirectory } from '../adapters/local/local-control-plane-directory';

export interface LocalDepsOptions {
  readonly firstAddress?: string;
  readonly hostCommandTimeoutSeconds?: number;
  /**
   * The etcd shipped on each simulated host at the spec's default binaryPath (LocalHostRunnerProps.etcdBinary).
   * @default - localEtcdBinary(): ETCD_BIN_DIR, else the project's etcd 3.5, else etcd on the PATH
   */
  readonly etcdBinary?: string;
}

/** Step logs go to a file: the terminal shows the workflow's progress instead. */
function fileLogger(path: string): Logger {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const write = (level: string, message: string, fields?: Record<string, unknown>) =>
    appendFileSync(path, `${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`, { mode: 0o600 });
  return { info: (m, f) => write('info', m, f), warn: (m, f) => write('warn', m, f) };
}

export function localDeps(home: LocalHome, options: LocalDepsOptions = {}): ReplaceDeps {
  // Created here with its marker (before the step log below creates the directory unmarked).
  prepareLocalHome(home);
  const scripts = localScriptsPaths();
  const etcdBinary = options.etcdBinary ?? localEtcdBinary();
  // A local execution runs in the process that started it: its lock is taken over only once that process is gone.
  const lock = new FileClusterLock({ dir: home.locksDir, liveness: new ProcessExecutionLiveness() });
  return {
    secrets: new FileSecretStore({ dir: home.secretsDir }),
    runner: new LocalHostRunner({
      serviceCtl: scripts.serviceCtl,
      secretFetch: scripts.readSecret,
      secretDir: home.secretsDir,
      ...(etcdBinary !== undefined && { etcdBinary }),
    }),
    directory: new LoopbackHostDirectory({ hostsDir: home.hostsDir, ...(options.firstAddress && { firstAddress: options.firstAddress }) }),
    etcd: new Etcd3AdminFactory(),
    registry: new FileClusterRegistry({ dir: home.registryDir, lock }),
    lock,
    snapshots: new DirSnapshotStore({ dir: home.snapshotsDir }),
    // A simulated host is "stopped" while its marker says so (lambdas/adapters/local/local-machine-power.ts).
    machines: new LocalMachinePower({ serviceCtl: scripts.serviceCtl, ...(etcdBinary !== undefined && { etcdBinary }) }),
    clock: { now: () => new Date() },
    log: fileLogger(home.stepLog),
    hostCommandTimeoutSeconds: options.hostCommandTimeoutSeconds ?? 60,
    maxAppliedIndexLag: 50,
    // Validate Spec: the defaults plus the project's own etcd binaries (.etcd).
    specPolicy: localSpecPolicy(),
    // Stable names in the home's hosts maps (any spec.dnsZone): local clients resolve them with HostsMapResolver.
    names: new HostsMapNames({ dir: home.dnsDir }),
    // What EventBridge would receive: one line per membership event.
    membershipEvents: new FileMembershipEvents({ path: home.eventsFile }),
  };
}

/** AdoptCluster's upload slots in the home's secret store (a grant file beside each slot names the one host root that may write it). */
export function localUploadSlots(home: LocalHome): PkiUploadSlots {
  return new FileUploadSlots(new FileSecretStore({ dir: home.secretsDir }));
}

/**
 * DeleteCluster's local adapters: the secret files and the record file of `home`, the record deleted under the
 * lock the given deps hold (FileClusterLock), or a new one over the home's locks dir.
 */
export function localDeletion(home: LocalHome, deps: Pick<ReplaceDeps, 'lock'>): { secretDeletion: SecretDeletion; recordDeletion: RecordDeletion } {
  const lock = deps.lock instanceof FileClusterLock ? deps.lock : new FileClusterLock({ dir: home.locksDir, liveness: new ProcessExecutionLiveness() });
  return { secretDeletion: new FileSecretStore({ dir: home.secretsDir }), recordDeletion: new FileClusterRegistry({ dir: home.registryDir, lock }) };
}

/**
 * BackupCluster's local adapters: backups and the last good one under the home's backups dir, its own lock files
 * (locks/backup: never a cluster lock), the default retention unless one is given.
 */
export function localBackups(
  home: LocalHome,
  retention: RetentionPolicy = DEFAULT_RETENTION,
): Pick<BackupDeps, 'backups' | 'lastBackup' | 'backupLock' | 'backupRetention'> & { readonly handoff: SnapshotHandoff; readonly metrics: MetricsPublisher } {
  const store = new DirBackupStore({ dir: home.backupsDir });
  return {
    backups: store,
    lastBackup: store,
    backupLock: new FileClusterLock({ dir: home.backupLocksDir, liveness: new ProcessExecutionLiveness() }),
    backupRetention: retention,
    handoff: new DirSnapshotHandoff(),
    metrics: new FileMetrics({ path: home.metricsFile, namespace: METRICS.namespace }),
  };
}

/**
 * DrillRestore's local adapters: the last good backups under the home's backups dir, its own lock files (locks/drill:
 * never a cluster lock, never the backup lock), the metrics file, the backup file itself as the staged snapshot, and
 * the temporary etcd on the simulated host's own loopback address (each host has one; AWS hosts use 127.0.0.1).
 */
export function localDrills(home: LocalHome): Pick<DrillDeps, 'lastBackup' | 'drillLock' | 'metrics' | 'drillAddressOf'> & { readonly handoff: SnapshotHandoff } {
  const { lastBackup, handoff, metrics } = localBackups(home);
  return {
    lastBackup,
    handoff,
    metrics,
    drillLock: new FileClusterLock({ dir: join(home.locksDir, 'drill'), liveness: new ProcessExecutionLiveness() }),
    drillAddressOf: (host) => host.address,
  };
}

/**
 * ConnectControlPlane's local adapters: simulated control-plane hosts under the home's hosts dir, each API server
 * stand-in's health endpoint on its own loopback address (http, port 6443: local-kube-apiserver.mjs).
 */
export function localControlPlane(home: LocalHome): { readonly controlPlane: ControlPlaneDirectory; readonly apiServerLivezUrl: (host: Host) => string } {
  return { controlPlane: new LocalControlPlaneDirectory({ hostsDir: home.hostsDir }), apiServerLivezUrl: (host) => `http://${host.address}:6443/livez` };
}
