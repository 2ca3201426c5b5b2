// The age of each cluster's last good backup as metric points: one per cluster (dimension Cluster) and the fleet's
// (no dimension: the oldest among the clusters), which the "no good backup for 2 intervals" alarm watches.
import { METRICS } from '../../catalog/contracts';

/**
 * The age a cluster without any good backup counts as: 10 years. Far above any alarm threshold (two intervals of
 * any schedule a stack would run, a yearly cron's included), plainly not a real age on a graph, and well inside
 * CloudWatch's value range. A number, not a missing point: a missing point would let one cluster's silence hide
 * behind the others' fresh backups in the fleet's maximum.
 */
export const NO_BACKUP_AGE_SECONDS = 10 * 365 * 24 * 3600;

export interface ClusterLastBackup {
  readonly clusterName: string;
  /** When its last good backup was taken; undefined: it has none. */
  readonly takenAt?: Date;
}

export interface BackupAgePoint {
  readonly name: string;
  readonly value: number;
  readonly unit: 'Seconds';
  readonly dimensions?: Readonly<Record<string, string>>;
}

/** Whole seconds since `takenAt` (never negative: a clock a little behind the backup's says 0). */
export function backupAgeSeconds(takenAt: Date | undefined, now: Date): number {
  if (takenAt === undefined) return NO_BACKUP_AGE_SECONDS;
  return Math.max(0, Math.floor((now.getTime() - takenAt.getTime()) / 1000));
}

/**
 * One point per cluster, then the fleet's: the oldest of them. With no cluster recorded the fleet's is 0: nothing
 * to back up is no missing backup (and the alarm treats a missing point as breaching).
 */
export function backupAgePoints(clusters: readonly ClusterLastBackup[], now: Date): BackupAgePoint[] {
  const perCluster = clusters.map((c) => ({
    name: METRICS.lastGoodBackupAge,
    value: backupAgeSeconds(c.takenAt, now),
    unit: 'Seconds' as const,
    dimensions: { Cluster: c.clusterName },
  }));
  const fleet = perCluster.reduce((oldest, p) => Math.max(oldest, p.value), 0);
  return [...perCluster, { name: METRICS.lastGoodBackupAge, value: fleet, unit: 'Seconds' }];
}
