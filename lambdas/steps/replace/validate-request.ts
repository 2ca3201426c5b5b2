// Validate Request: who failed, in which cluster, and who replaces it. An instance that is not a
// member (EventBridge sees every instance) or a member already replaced ends the execution quietly.
// A lifecycle action in the request is carried through, whatever the answer: the workflow completes it at its end.
import { parseOrThrow } from '../../core/parse';
import { parseClusterSpec, type ClusterSpec } from '../../core/spec';
import { replacementName } from '../../core/quorum';
import { SpecValidationError } from '../../core/errors';
import type { Host, LifecycleAction } from '../../ports';
import type { StepDeps } from '../deps';
import type { PkiRefs } from '../inputs';
import { pkiRefs } from '../pki-secrets';
import { ReplaceRequestSchema, type FailedMember } from './inputs';

/** Present only when the request named a lifecycle action (the lifecycle rule sets one). */
type Carried = { readonly lifecycle?: LifecycleAction };

export type ValidatedRequest = Carried &
  (
    | { readonly isMember: false; readonly reason: string }
    | {
        readonly isMember: true;
        readonly spec: ClusterSpec;
        readonly hosts: Host[];
        readonly failed: FailedMember;
        readonly replacement: { name: string; address?: string; instanceId?: string };
        readonly pki: PkiRefs;
        readonly force: boolean;
      }
  );

export function makeValidateRequest(deps: Pick<StepDeps, 'registry' | 'secrets' | 'log'>) {
  return async function validateRequest(raw: unknown): Promise<ValidatedRequest> {
    // The state passes the execution input as { request }.
    const request = parseOrThrow(ReplaceRequestSchema, (raw as { request?: unknown } | null)?.request, 'ReplaceMember input');
    const carried: Carried = request.lifecycle ? { lifecycle: request.lifecycle } : {};
    const record = request.clusterName ? await deps.registry.get(request.clusterName) : await deps.registry.findByInstanceId(request.failedInstanceId!);
    if (!record) {
      if (request.clusterName) throw new SpecValidationError('ReplaceMember input', [`clusterName: no cluster "${request.clusterName}" is recorded; provision it first`]);
      return { isMember: false, reason: `instance ${request.failedInstanceId} is not a member of any etcd-ha cluster`, ...carried };
    }
    const failed = record.members.find((m) =>
      request.failedMember !== undefined ? m.name === request.failedMember : m.instanceId === request.failedInstanceId,
    );
    if (!failed) {
      const who = request.failedMember ?? request.failedInstanceId;
      return { isMember: false, reason: `${who} is no longer a member of ${record.clusterName} (already replaced?): nothing to do`, ...carried };
    }
    const names = record.members.map((m) => m.name);
    const name = request.replacement.name ?? replacementName(failed.name, names);
    if (names.includes(name)) {
      throw new SpecValidationError('ReplaceMember input', [`replacement.name: "${name}" is already a member of ${record.clusterName}`]);
    }
    deps.log.info('replacement requested', { cluster: record.clusterName, failed: failed.name, replacement: name, trigger: request.trigger ?? 'manual' });
    return {
      isMember: true,
      spec: parseClusterSpec(record.spec),
      hosts: record.members.map((m) => ({
        name: m.name,
        address: m.address,
        ...(m.instanceId && { instanceId: m.instanceId }),
        ...(m.placement && { placement: m.placement }),
      })),
      failed: {
        name: failed.name,
        id: failed.id,
        address: failed.address,
        ...(failed.instanceId && { instanceId: failed.instanceId }),
        ...(failed.placement && { placement: failed.placement }),
      },
      replacement: { ...request.replacement, name },
      pki: pkiRefs(deps.secrets, record.clusterName, names),
      force: request.force,
      ...carried,
    };
  };
}
