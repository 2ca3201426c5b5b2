// Publish Drill Result: the verdict (core/drill/verdict.ts: the restored revision and keys against the manifest),
// or the failure a step on the way ended with, published as RestoreDrillSucceeded 1 or 0, per cluster (the Cluster
// dimension) and fleet-wide (none: what the alarms watch). Every drill that got its lock ends here.
import { z } from 'zod';
import { BackupMetadataSchema } from '../../core/backup/metadata';
import { judgeDrill } from '../../core/drill/verdict';
import type { DrillOutcome } from '../../core/drill/workflow-io';
import { parseOrThrow } from '../../core/parse';
import { METRICS } from '../../catalog/contracts';
import type { MetricsPublisher } from '../../ports';
import type { StepDeps } from '../deps';

const FailureSchema = z.object({ Error: z.string(), Cause: z.string().optional() });
// The whole per-cluster state: other fields (lock, staged, …) pass unread.
const InputSchema = z.object({
  drill: z.object({
    clusterName: z.string().min(1),
    backup: BackupMetadataSchema.optional(),
    drillHost: z.object({ host: z.object({ name: z.string() }) }).optional(),
    restored: z
      .object({
        keys: z.number().int().nonnegative(),
        revision: z.number().int().nonnegative(),
        keysAtBackupRevision: z.union([z.number().int().nonnegative(), z.literal('compacted')]).optional(),
        etcdVersion: z.string().optional(),
      })
      .optional(),
    failure: FailureSchema.optional(),
    unstageFailure: FailureSchema.optional(),
  }),
});

export function makePublishDrillResult(deps: Pick<StepDeps, 'log'> & { readonly metrics: MetricsPublisher }) {
  return async function publishDrillResult(raw: unknown): Promise<{ passed: boolean; outcome: DrillOutcome }> {
    const { drill } = parseOrThrow(InputSchema, raw, 'Publish Drill Result input');
    const { clusterName, backup, restored, failure } = drill;
    let outcome: DrillOutcome;
    if (failure) {
      outcome = { clusterName, outcome: 'failed', ...(backup && { backup: backup.name }), error: failure.Error, cause: failure.Cause ?? '' };
    } else if (backup && restored && drill.drillHost) {
      const verdict = judgeDrill(backup, restored);
      outcome = verdict.passed
        ? { clusterName, outcome: 'passed', backup: backup.name, host: drill.drillHost.host.name, keys: restored.keys, revision: restored.revision }
        : { clusterName, outcome: 'failed', backup: backup.name, error: 'RestoreDrillMismatchError', cause: verdict.summary };
    } else {
      outcome = { clusterName, outcome: 'failed', error: 'RestoreDrillIncompleteError', cause: 'the drill ended without a restore result or a failure' };
    }
    if (drill.unstageFailure) deps.log.warn('the staged snapshot was not removed', { cluster: clusterName, error: drill.unstageFailure.Error, cause: drill.unstageFailure.Cause });
    const value = outcome.outcome === 'passed' ? 1 : 0;
    const point = { name: METRICS.restoreDrillSucceeded, value, unit: 'None' as const };
    await deps.metrics.publish([{ ...point, dimensions: { Cluster: clusterName } }, point]);
    deps.log.info('drill result published', { cluster: clusterName, ...outcome });
    return { passed: value === 1, outcome };
  };
}
