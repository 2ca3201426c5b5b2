// Validate Adopt Request: a well-formed request, before the lock is taken. A cluster recorded under the name may only
// be this very member (a re-run converges); an instance that serves another cluster is refused. What the host runs
// is read under the lock (Inspect Member).
import { SpecValidationError } from '../../core/errors';
import { parseOrThrow } from '../../core/parse';
import type { StepDeps } from '../deps';
import { AdoptRequestSchema, type AdoptRequest } from './inputs';

export function makeValidateAdoptRequest(deps: Pick<StepDeps, 'registry' | 'log'>) {
  return async function validateAdoptRequest(raw: unknown): Promise<{ clusterName: string; request: AdoptRequest; dryRun: boolean }> {
    const request = parseOrThrow(AdoptRequestSchema, (raw as { request?: unknown } | null)?.request, 'AdoptCluster input');
    const record = await deps.registry.get(request.clusterName);
    if (record && !(record.members.length === 1 && record.members[0]!.name === request.member.name)) {
      throw new SpecValidationError('AdoptCluster input', [
        `clusterName: a cluster "${request.clusterName}" is already recorded (members ${record.members.map((m) => m.name).join(', ')}); adopt under another name`,
      ]);
    }
    if (request.member.instanceId !== undefined) {
      const serving = await deps.registry.findByInstanceId(request.member.instanceId);
      if (serving && serving.clusterName !== request.clusterName) {
        throw new SpecValidationError('AdoptCluster input', [`member.instanceId: ${request.member.instanceId} already runs a member of cluster ${serving.clusterName}`]);
      }
    }
    const dryRun = request.confirm === undefined;
    deps.log.info(dryRun ? 'adoption asked (dry run)' : 'adoption asked (confirmed)', { cluster: request.clusterName, member: request.member.name });
    return { clusterName: request.clusterName, request, dryRun };
  };
}
