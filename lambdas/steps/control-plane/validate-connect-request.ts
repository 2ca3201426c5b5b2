// Validate Connect Request: a well-formed request for a recorded cluster, before the lock is taken.
import { SpecValidationError } from '../../core/errors';
import { parseOrThrow } from '../../core/parse';
import type { StepDeps } from '../deps';
import { ConnectRequestSchema, type ConnectRequest } from './inputs';

export function makeValidateConnectRequest(deps: Pick<StepDeps, 'registry' | 'log'>) {
  return async function validateConnectRequest(raw: unknown): Promise<{ clusterName: string; request: ConnectRequest }> {
    const request = parseOrThrow(ConnectRequestSchema, (raw as { request?: unknown } | null)?.request, 'ConnectControlPlane input');
    if (request.instanceIds?.length && request.hosts?.length) {
      throw new SpecValidationError('ConnectControlPlane input', ['instanceIds, hosts: name instances (AWS) or hosts (local mode), not both']);
    }
    if (!(await deps.registry.get(request.clusterName))) {
      throw new SpecValidationError('ConnectControlPlane input', [`clusterName: no cluster "${request.clusterName}" is recorded; provision or adopt it first`]);
    }
    deps.log.info('control plane connection asked', { cluster: request.clusterName, instances: request.instanceIds ?? [], hosts: (request.hosts ?? []).map((h) => h.name) });
    return { clusterName: request.clusterName, request };
  };
}
