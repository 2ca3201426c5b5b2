// What a RestoreCluster execution ends with: the dry run's plan, or the restored cluster. Shared by the steps that
// produce them and the command line that prints them, so that neither imports the other.
import type { NamesOutcome } from '../names';
import type { RestorePlan } from './plan';

/** The dry run's output: what a confirmed restore would do; nothing was changed. */
export interface RestoreDryRun {
  readonly clusterName: string;
  readonly dryRun: true;
  readonly plan: RestorePlan;
  /** describeRestorePlan's sentences. */
  readonly message: string[];
}

/** A confirmed restore's output. */
export interface RestoreOutcome {
  readonly clusterName: string;
  readonly dryRun: false;
  readonly restored: true;
  readonly clusterId: string;
  readonly previousClusterId: string;
  /** The revision a member answered with right after the restore (3.5: past the backup's by the bump). */
  readonly revision: number | null;
  readonly plan: RestorePlan;
  readonly members: ReadonlyArray<{ name: string; id: string; endpoint: string; leader: boolean }>;
  /** Each host's old data dir, moved aside (never deleted). */
  readonly movedAside: ReadonlyArray<{ host: string; to: string }>;
  readonly message: string;
  /** The cluster's stable names, now pointing at the restored members (lambdas/core/names.ts). */
  readonly names?: NamesOutcome;
}

export function isRestoreAnswer(value: unknown): value is RestoreDryRun | RestoreOutcome {
  const answer = value as { clusterName?: unknown; dryRun?: unknown; plan?: unknown } | null | undefined;
  return answer !== null && typeof answer === 'object' && typeof answer.clusterName === 'string' && typeof answer.dryRun === 'boolean' && typeof answer.plan === 'object';
}
