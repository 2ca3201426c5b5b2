// The steps of DrillRestore (`etcd-ha drill`, the schedule): Validate Drill Request → per cluster: Acquire Drill
// Lock → Find Last Good Backup → (Verify Snapshot) → Choose Drill Host → (Stage Snapshot) → Restore On Drill Host →
// (Unstage Snapshots) → Publish Drill Result → Release Drill Lock; the steps in brackets are the snapshot handoff's
// (lambdas/steps/backup/handoff-steps.ts). The drill lock is its own (`drill-lock#<cluster>`), never the cluster's:
// a drill touches no member, and a replacement must not wait for one.
import { z } from 'zod';
import { parseOrThrow } from '../../core/parse';
import { clustersToVisit } from '../clusters-to-visit';
import { DrillRequestSchema } from '../../core/drill/workflow-io';
import type { ClusterLock, Host, LastBackupStore, MetricsPublisher } from '../../ports';
import type { StepDeps, StepHandler } from '../deps';
import { makeChooseDrillHost } from './choose-drill-host';
import { makeFindLastGoodBackup } from './find-last-good-backup';
import { makePublishDrillResult } from './publish-drill-result';
import { makeRestoreOnDrillHost } from './restore-on-drill-host';

/** The drill's own steps (the handoff's three come from createHandoffSteps). */
export type DrillOwnStep = 'validateDrillRequest' | 'acquireDrillLock' | 'findLastGoodBackup' | 'chooseDrillHost' | 'restoreOnDrillHost' | 'publishDrillResult' | 'releaseDrillLock';

export interface DrillDeps extends Pick<StepDeps, 'registry' | 'secrets' | 'etcd' | 'log' | 'clock' | 'runner' | 'directory' | 'hostCommandTimeoutSeconds'> {
  readonly lastBackup: LastBackupStore;
  /** The drill lock: a ClusterLock over keys of its own (DRILL_LOCK_KEY_PREFIX, or its own directory locally). */
  readonly drillLock: ClusterLock;
  readonly metrics: MetricsPublisher;
  /**
   * The loopback address the temporary etcd listens on, on the chosen host.
   * @default - 127.0.0.1 (on AWS each host has its own loopback; locally the simulated host's own address)
   */
  readonly drillAddressOf?: (host: Host) => string;
}

/** Longer than Restore On Drill Host's longest invocation (900 s) plus the other steps: no renewal needed. */
export const DRILL_LOCK_TTL_SECONDS = 1800;

const LockInputSchema = z.object({ clusterName: z.string().min(1), owner: z.string().min(1) });
const AcquireInputSchema = LockInputSchema.extend({ holder: z.string().min(1) });

export function createDrillSteps(deps: DrillDeps): Record<DrillOwnStep, StepHandler> {
  return {
    async validateDrillRequest(raw: unknown): Promise<{ clusters: string[]; reason?: string }> {
      // The state passes the execution input as { request }.
      const request = parseOrThrow(DrillRequestSchema, (raw as { request?: unknown } | null)?.request, 'DrillRestore input');
      return clustersToVisit(deps.registry, request.clusterName);
    },

    async acquireDrillLock(raw: unknown): Promise<{ acquired: boolean; heldBy?: string }> {
      const { clusterName, owner, holder } = parseOrThrow(AcquireInputSchema, raw, 'Acquire Drill Lock input');
      const outcome = await deps.drillLock.acquire(clusterName, { owner, ref: holder }, DRILL_LOCK_TTL_SECONDS);
      if (!outcome.acquired) {
        deps.log.info('another drill is running', { cluster: clusterName, heldBy: outcome.heldBy, since: outcome.since });
        return { acquired: false, heldBy: outcome.heldBy };
      }
      return { acquired: true };
    },

    findLastGoodBackup: makeFindLastGoodBackup(deps),
    chooseDrillHost: makeChooseDrillHost(deps),
    restoreOnDrillHost: makeRestoreOnDrillHost(deps),
    publishDrillResult: makePublishDrillResult(deps),

    async releaseDrillLock(raw: unknown): Promise<{ released: true }> {
      const { clusterName, owner } = parseOrThrow(LockInputSchema, raw, 'Release Drill Lock input');
      await deps.drillLock.release(clusterName, owner);
      return { released: true };
    },
  };
}
