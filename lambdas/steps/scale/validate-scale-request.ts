// Validate Scale Request: a well-formed request for a recorded, running cluster and an allowed size, before the lock
// is taken. Nothing else is derived here: the members are read under the lock (Plan Next Change).
import { SpecValidationError } from '../../core/errors';
import { parseOrThrow } from '../../core/parse';
import { targetSizeProblems } from '../../core/scale-plan';
import { bootstrappingReason, isBootstrapping } from '../../core/cluster-status';
import type { StepDeps } from '../deps';
import { ScaleRequestSchema, type ScaleRequest } from './inputs';

export function makeValidateScaleRequest(deps: Pick<StepDeps, 'registry' | 'log'>) {
  return async function validateScaleRequest(raw: unknown): Promise<{ clusterName: string; request: ScaleRequest }> {
    const request = parseOrThrow(ScaleRequestSchema, (raw as { request?: unknown } | null)?.request, 'ScaleCluster input');
    const problems = targetSizeProblems(request.members, request.allowSingleMember);
    if (problems.length > 0) throw new SpecValidationError('ScaleCluster input', problems);
    const record = await deps.registry.get(request.clusterName);
    if (!record) throw new SpecValidationError('ScaleCluster input', [`clusterName: no cluster "${request.clusterName}" is recorded; provision it first`]);
    if (isBootstrapping(record)) throw new SpecValidationError('ScaleCluster input', [`clusterName: ${bootstrappingReason(request.clusterName)}`]);
    deps.log.info('scale requested', { cluster: request.clusterName, members: request.members });
    return { clusterName: request.clusterName, request };
  };
}
