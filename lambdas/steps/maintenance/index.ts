// The steps of SetMaintenance: Validate Maintenance Request → Acquire Lock → Set Maintenance → Release Lock. The
// flag lives in the cluster record, which only the lock holder writes: hence the lock.
import { z } from 'zod';
import { parseOrThrow } from '../../core/parse';
import { SpecValidationError } from '../../core/errors';
import { applyMaintenance, healingPausedReason, type MaintenanceState } from '../../core/maintenance';
import type { ClusterLock } from '../../ports';
import type { MaintenanceStep } from '../../catalog/steps';
import type { StepDeps, StepHandler } from '../deps';
import { makeLockSteps } from '../replace/lock-steps';


/** The execution input (the CLI's `pause` / `resume`, or StartExecution by hand). */
export const MaintenanceRequestSchema = z
  .strictObject({
    clusterName: z.string().min(1),
    action: z.enum(['pause', 'resume'], { error: 'must be "pause" or "resume"' }),
    /** Why (required to pause): shown in every execution that ends quietly meanwhile. */
    reason: z.string().trim().min(1).max(500).optional(),
    /** Who asks: an operator's name or user@host (Step Functions does not tell who started an execution). */
    by: z.string().trim().min(1).max(200),
  })
  .refine((r) => r.action !== 'pause' || r.reason !== undefined, { message: 'a pause needs a reason (what is being done, and until when)', path: ['reason'] });

export type MaintenanceRequest = z.output<typeof MaintenanceRequestSchema>;

const SetMaintenanceInputSchema = z.object({ request: MaintenanceRequestSchema, execution: z.string().min(1) });

export interface MaintenanceOutcome {
  readonly clusterName: string;
  readonly paused: boolean;
  /** "healing paused by … since …: …" or "healing resumed by …". */
  readonly message: string;
  readonly maintenance: MaintenanceState;
}

export function createMaintenanceSteps(deps: Pick<StepDeps, 'registry' | 'clock' | 'log'> & { readonly lock: ClusterLock }): Record<MaintenanceStep, StepHandler> {
  const { acquireLock, releaseLock } = makeLockSteps(deps);
  return {
    async validateMaintenanceRequest(raw: unknown): Promise<MaintenanceRequest & { request: MaintenanceRequest }> {
      const request = parseOrThrow(MaintenanceRequestSchema, (raw as { request?: unknown } | null)?.request, 'SetMaintenance input');
      if (!(await deps.registry.get(request.clusterName))) {
        throw new SpecValidationError('SetMaintenance input', [`clusterName: no cluster "${request.clusterName}" is recorded`]);
      }
      return { ...request, request };
    },
    acquireLock,
    /** Under the lock: the record with the flag changed and the change logged, written as the lock holder. */
    async setMaintenance(raw: unknown): Promise<MaintenanceOutcome> {
      const { request, execution } = parseOrThrow(SetMaintenanceInputSchema, raw, 'Set Maintenance input');
      const record = await deps.registry.get(request.clusterName);
      if (!record) throw new SpecValidationError('SetMaintenance input', [`clusterName: no cluster "${request.clusterName}" is recorded`]);
      const at = deps.clock.now().toISOString();
      const maintenance = applyMaintenance(record.maintenance, { action: request.action, by: request.by, at, execution, ...(request.reason !== undefined && { reason: request.reason }) });
      await deps.registry.put({ ...record, maintenance, updatedAt: at }, { lockOwner: execution });
      const message = healingPausedReason(maintenance) ?? `healing resumed by ${request.by} at ${at}`;
      deps.log.info(request.action === 'pause' ? 'healing paused' : 'healing resumed', { cluster: request.clusterName, by: request.by, reason: request.reason, execution });
      return { clusterName: request.clusterName, paused: maintenance.paused, message, maintenance };
    },
    releaseLock,
  };
}
