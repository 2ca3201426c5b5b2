// The steps of SetMaintenance: Validate Maintenance Request → Acquire Lock → Set Maintenance → Release Lock. The
// flag lives in the cluster record, which only the lock holder writes: hence the lock.
import { z } from 'zod';
import { parseOrThrow } from '../../core/parse';
import { SpecValidationError } from '../../core/errors';
import { applyMaintenance, healingPausedReason } from '../../core/maintenance';
import { MaintenanceRequestSchema, type MaintenanceOutcome, type MaintenanceRequest } from '../../core/workflow-io';
import type { ClusterLock } from '../../ports';
import type { MaintenanceStep } from '../../catalog/steps';
import type { StepDeps, StepHandler } from '../deps';
import { makeLockSteps } from '../replace/lock-steps';


const SetMaintenanceInputSchema = z.object({ request: MaintenanceRequestSchema, execution: z.string().min(1) });


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
