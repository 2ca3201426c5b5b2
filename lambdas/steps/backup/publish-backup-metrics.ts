// Publish Backup Metrics, the last state of every BackupCluster execution (also when a backup failed, or there was
// nothing to back up): the age of each recorded cluster's last good backup, and the fleet's oldest, which the
// "no good backup for 2 intervals" alarm watches. It reads what Record Last Good Backup kept, not this execution's
// outcome, so a run that backed up one cluster still reports every cluster.
import { isBootstrapping } from '../../core/cluster-status';
import { backupAgePoints, NO_BACKUP_AGE_SECONDS } from '../../core/backup/backup-age';
import type { ClusterRegistry, Clock, LastBackupStore, Logger, MetricsPublisher } from '../../ports';

export interface PublishBackupMetricsDeps {
  readonly registry: Pick<ClusterRegistry, 'list'>;
  readonly lastBackup: Pick<LastBackupStore, 'get'>;
  readonly metrics: MetricsPublisher;
  readonly clock: Clock;
  readonly log: Logger;
}

export interface PublishBackupMetricsOutput {
  /** Seconds since each cluster's last good backup (NO_BACKUP_AGE_SECONDS: none yet). */
  readonly clusters: ReadonlyArray<{ readonly clusterName: string; readonly lastGoodBackupAgeSeconds: number }>;
  /** The oldest of them (0 with no cluster recorded): the figure the alarm watches. */
  readonly fleetLastGoodBackupAgeSeconds: number;
  readonly published: number;
}

export function makePublishBackupMetrics(deps: PublishBackupMetricsDeps) {
  // The state sends nothing the step needs: what it publishes comes from the registry and the last good backups.
  return async function publishBackupMetrics(_raw: unknown): Promise<PublishBackupMetricsOutput> {
    const now = deps.clock.now();
    const recorded = (await deps.registry.list()).filter((r) => !isBootstrapping(r));
    const clusters = await Promise.all(
      recorded.map(async (r) => {
        const last = await deps.lastBackup.get(r.clusterName);
        return { clusterName: r.clusterName, ...(last && { takenAt: new Date(last.takenAt) }) };
      }),
    );
    const points = backupAgePoints(clusters, now);
    await deps.metrics.publish(points);
    const perCluster = points.filter((p) => p.dimensions !== undefined).map((p) => ({ clusterName: p.dimensions!.Cluster!, lastGoodBackupAgeSeconds: p.value }));
    const fleet = points.find((p) => p.dimensions === undefined)!.value;
    const never = perCluster.filter((c) => c.lastGoodBackupAgeSeconds === NO_BACKUP_AGE_SECONDS).map((c) => c.clusterName);
    deps.log.info('backup metrics published', { fleetLastGoodBackupAgeSeconds: fleet, clusters: perCluster.length, ...(never.length > 0 && { withoutGoodBackup: never }) });
    return { clusters: perCluster, fleetLastGoodBackupAgeSeconds: fleet, published: points.length };
  };
}
