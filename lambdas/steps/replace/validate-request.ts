// Validate Request: is the request well formed, and which cluster does it name? Nothing else is derived
// here: hosts, names and secrets are read under the cluster's lock (Read Cluster). An instance that is no
// member of any cluster (EventBridge sees every instance) ends the execution quietly. A lifecycle action in
// the request is carried through, whatever the answer: the workflow completes it at its end.
import { parseOrThrow } from '../../core/parse';
import { SpecValidationError } from '../../core/errors';
import type { LifecycleAction } from '../../ports';
import type { StepDeps } from '../deps';
import { ReplaceRequestSchema, type ReplaceRequest } from './inputs';

/** Present only when the request named a lifecycle action (the lifecycle rule sets one). */
type Carried = { readonly lifecycle?: LifecycleAction };

export type ValidatedRequest = Carried &
  (
    | { readonly isMember: false; readonly reason: string }
    | { readonly isMember: true; readonly clusterName: string; readonly request: ReplaceRequest }
  );

export function makeValidateRequest(deps: Pick<StepDeps, 'registry' | 'log'>) {
  return async function validateRequest(raw: unknown): Promise<ValidatedRequest> {
    // The state passes the execution input as { request }.
    const request = parseOrThrow(ReplaceRequestSchema, (raw as { request?: unknown } | null)?.request, 'ReplaceMember input');
    const carried: Carried = request.lifecycle ? { lifecycle: request.lifecycle } : {};
    if (request.clusterName) {
      // Only whether the cluster exists: the lock is not ours yet, so nothing read here is trusted later.
      if (!(await deps.registry.get(request.clusterName))) {
        throw new SpecValidationError('ReplaceMember input', [`clusterName: no cluster "${request.clusterName}" is recorded; provision it first`]);
      }
      deps.log.info('replacement requested', { cluster: request.clusterName, failed: request.failedMember, trigger: request.trigger ?? 'manual' });
      return { isMember: true, clusterName: request.clusterName, request, ...carried };
    }
    const record = await deps.registry.findByInstanceId(request.failedInstanceId!);
    if (!record) return { isMember: false, reason: `instance ${request.failedInstanceId} is not a member of any etcd-ha cluster`, ...carried };
    deps.log.info('replacement requested', { cluster: record.clusterName, instance: request.failedInstanceId, trigger: request.trigger ?? 'manual' });
    return { isMember: true, clusterName: record.clusterName, request, ...carried };
  };
}
