// Validate Request: is the request well formed, and which cluster does it name? Nothing else is derived
// here: hosts, names and secrets are read under the cluster's lock (Read Cluster). An instance that is no
// member of any cluster (EventBridge sees every instance) ends the execution quietly. A lifecycle action in
// the request is carried through, whatever the answer: the workflow completes it at its end. An automatic request
// (EC2 rule, Auto Scaling hook, health probe) for a cluster whose healing is paused says so (`healingPaused`), and the
// workflow ends quietly; one by hand goes on.
// A replacement name must pass the spec's member-name schema here (ReplaceRequestSchema), before anything changes:
// a name no spec could hold would be recorded, then break every later run that re-reads the spec.
import { parseOrThrow } from '../../core/parse';
import { SpecValidationError } from '../../core/errors';
import { healingPausedReason, isAutomaticTrigger } from '../../core/maintenance';
import { bootstrappingReason, isBootstrapping } from '../../core/cluster-status';
import type { ClusterRecord, LifecycleAction } from '../../ports';
import type { StepDeps } from '../deps';
import { ReplaceRequestSchema, type ReplaceRequest } from './inputs';

/** Present only when the request named a lifecycle action (the lifecycle rule sets one). */
type Carried = { readonly lifecycle?: LifecycleAction };

export type ValidatedRequest = Carried &
  (
    | { readonly isMember: false; readonly reason: string }
    | { readonly isMember: true; readonly clusterName: string; readonly request: ReplaceRequest; readonly healingPaused?: true; readonly reason?: string }
  );

export function makeValidateRequest(deps: Pick<StepDeps, 'registry' | 'log'>) {
  return async function validateRequest(raw: unknown): Promise<ValidatedRequest> {
    // The state passes the execution input as { request }.
    const request = parseOrThrow(ReplaceRequestSchema, (raw as { request?: unknown } | null)?.request, 'ReplaceMember input');
    const carried: Carried = request.lifecycle ? { lifecycle: request.lifecycle } : {};
    if (request.clusterName) {
      // Only whether the cluster exists: the lock is not ours yet, so nothing read here is trusted later.
      const named = await deps.registry.get(request.clusterName);
      if (!named) {
        throw new SpecValidationError('ReplaceMember input', [`clusterName: no cluster "${request.clusterName}" is recorded; provision it first`]);
      }
      if (isBootstrapping(named)) return { isMember: false, reason: bootstrappingReason(request.clusterName), ...carried };
      deps.log.info('replacement requested', { cluster: request.clusterName, failed: request.failedMember, trigger: request.trigger ?? 'manual' });
      return { isMember: true, clusterName: request.clusterName, request, ...paused(request, named.maintenance), ...carried };
    }
    const record = await deps.registry.findByInstanceId(request.failedInstanceId!);
    if (!record) return { isMember: false, reason: `instance ${request.failedInstanceId} is not a member of any etcd-ha cluster`, ...carried };
    if (isBootstrapping(record)) return { isMember: false, reason: bootstrappingReason(record.clusterName), ...carried };
    deps.log.info('replacement requested', { cluster: record.clusterName, instance: request.failedInstanceId, trigger: request.trigger ?? 'manual' });
    return { isMember: true, clusterName: record.clusterName, request, ...paused(request, record.maintenance), ...carried };
  };
}

/** `{ healingPaused, reason }` for an automatic request while the cluster's healing is paused; nothing otherwise. */
function paused(request: ReplaceRequest, maintenance: ClusterRecord['maintenance']): { healingPaused?: true; reason?: string } {
  const reason = isAutomaticTrigger(request.trigger) ? healingPausedReason(maintenance) : undefined;
  return reason === undefined ? {} : { healingPaused: true, reason };
}
