// The steps of BackupCluster (`etcd-ha backup`, the schedule): Validate Backup Request → per cluster: Acquire Backup
// Lock → Take Backup → Record Last Good Backup → Prune Old Backups → Release Backup Lock. The backup lock is its own
// (`backup-lock#<cluster>`), never the cluster's: a snapshot changes nothing and a replacement must not wait for it;
// it only keeps two backups of one cluster from running at once. A backup that finds it held ends quietly.
// Every execution ends with Publish Backup Metrics (the last good backups' ages, for the alarm).
import { z } from 'zod';
import { parseOrThrow } from '../../core/parse';
import { SpecValidationError } from '../../core/errors';
import { clustersToVisit } from '../clusters-to-visit';
import { applyRetention, type RetentionPolicy } from '../../core/backup/retention';
import { BackupMetadataSchema } from '../../core/backup/metadata';
import { BackupRequestSchema } from '../../core/backup/workflow-io';
import type { BackupStore, ClusterLock, LastBackupStore, MetricsPublisher } from '../../ports';
import type { BackupStep } from '../../catalog/steps';
import type { StepDeps, StepHandler } from '../deps';
import { makeTakeBackup } from './take-backup';
import { makePublishBackupMetrics } from './publish-backup-metrics';

export interface BackupDeps extends Pick<StepDeps, 'registry' | 'secrets' | 'etcd' | 'log' | 'clock'> {
  readonly backups: BackupStore;
  readonly lastBackup: LastBackupStore;
  /** The backup lock: a ClusterLock over keys of its own (BACKUP_LOCK_KEY_PREFIX, or its own directory locally). */
  readonly backupLock: ClusterLock;
  readonly backupRetention: RetentionPolicy;
  /** Where Publish Backup Metrics sends the last good backups' ages (CloudWatch on AWS, `<home>/metrics.jsonl` locally). */
  readonly metrics: MetricsPublisher;
}

/**
 * How long a backup lock lasts: longer than Take Backup's longest invocation (900 s) plus the other steps, so it
 * needs no renewal; a lock past it is taken over only once its execution has ended.
 */
export const BACKUP_LOCK_TTL_SECONDS = 1800;

const LockInputSchema = z.object({ clusterName: z.string().min(1), owner: z.string().min(1) });
const AcquireInputSchema = LockInputSchema.extend({ holder: z.string().min(1) });
const RecordInputSchema = z.object({ backup: BackupMetadataSchema });
const PruneInputSchema = z.object({ clusterName: z.string().min(1) });

export function createBackupSteps(deps: BackupDeps): Record<BackupStep, StepHandler> {
  return {
    async validateBackupRequest(raw: unknown): Promise<{ clusters: string[]; reason?: string }> {
      // The state passes the execution input as { request }.
      const request = parseOrThrow(BackupRequestSchema, (raw as { request?: unknown } | null)?.request, 'BackupCluster input');
      return clustersToVisit(deps.registry, request.clusterName);
    },

    async acquireBackupLock(raw: unknown): Promise<{ acquired: boolean; heldBy?: string }> {
      const { clusterName, owner, holder } = parseOrThrow(AcquireInputSchema, raw, 'Acquire Backup Lock input');
      const outcome = await deps.backupLock.acquire(clusterName, { owner, ref: holder }, BACKUP_LOCK_TTL_SECONDS);
      if (!outcome.acquired) {
        deps.log.info('another backup is running', { cluster: clusterName, heldBy: outcome.heldBy, since: outcome.since });
        return { acquired: false, heldBy: outcome.heldBy };
      }
      return { acquired: true };
    },

    takeBackup: makeTakeBackup(deps),

    async recordLastGoodBackup(raw: unknown): Promise<{ recorded: true }> {
      const { backup } = parseOrThrow(RecordInputSchema, raw, 'Record Last Good Backup input');
      // Only a backup whose manifest is stored is a good one (Take Backup writes the manifest after the check).
      const stored = await deps.backups.read(backup.clusterName, backup.name);
      if (!stored || stored.sha256 !== backup.sha256) {
        throw new SpecValidationError('Record Last Good Backup input', [`backup: ${backup.clusterName}/${backup.name} has no stored manifest with SHA-256 ${backup.sha256}`]);
      }
      await deps.lastBackup.put(stored);
      return { recorded: true };
    },

    async pruneBackups(raw: unknown): Promise<{ kept: number; pruned: string[] }> {
      const { clusterName } = parseOrThrow(PruneInputSchema, raw, 'Prune Old Backups input');
      const now = deps.clock.now();
      const listed = await deps.backups.list(clusterName);
      const last = await deps.lastBackup.get(clusterName);
      // Incomplete ones (a run died between snapshot and manifest) go once they are an hour old: no run takes that long.
      const stale = listed.filter((b) => !b.complete && now.getTime() - b.takenAt.getTime() > 3_600_000).map((b) => b.name);
      const decision = applyRetention(listed.filter((b) => b.complete), now, deps.backupRetention);
      // The last good backup is what a restore starts from: never pruned, whatever the tiers say.
      const pruned = [...decision.prune.filter((name) => name !== last?.name), ...stale];
      for (const name of pruned) await deps.backups.remove(clusterName, name);
      if (pruned.length > 0) deps.log.info('backups pruned', { cluster: clusterName, pruned });
      return { kept: decision.keep.length, pruned };
    },

    async releaseBackupLock(raw: unknown): Promise<{ released: true }> {
      const { clusterName, owner } = parseOrThrow(LockInputSchema, raw, 'Release Backup Lock input');
      await deps.backupLock.release(clusterName, owner);
      return { released: true };
    },

    publishBackupMetrics: makePublishBackupMetrics(deps),
  };
}
