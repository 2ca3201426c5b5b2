// Inspect Member: under the lock, what the control-plane host runs (inspect-adoptable-etcd.sh, read-only: its static
// pod manifest, etcd's own member list, status and version, the data dir's size, the certificates' expiry) and what
// adopting it takes (core/adopt/plan.ts). A dry run ends with this; a refusal ends the run with its reasons.
import type { MemberRef } from '../../core/membership-event';
import { hexId } from '../../core/health';
import { parseOrThrow } from '../../core/parse';
import { parseAdoptFacts } from '../../core/adopt/facts';
import { planAdoption, type AdoptionPlan } from '../../core/adopt/plan';
import { buildHostCommand } from '../../host-scripts';
import type { Host } from '../../ports';
import type { StepDeps } from '../deps';
import { describeHost, runOnHost } from '../run-on-host';
import { InspectInputSchema } from './inputs';

export interface InspectedMember extends Omit<AdoptionPlan, 'refusals'> {
  readonly host: Host;
  /** The same host as a list, for the steps that take the cluster's hosts. */
  readonly hosts: readonly Host[];
  /** The etcd member found on the host (none: no etcd answered), as the membership event's old members. */
  readonly membersBefore: readonly MemberRef[];
  /** Why it cannot be adopted as it is, in one message (the Fail state's cause); absent when it can. */
  readonly refusal?: string;
}

export function makeInspectAdoptableMember(deps: Pick<StepDeps, 'directory' | 'runner' | 'log' | 'clock' | 'hostCommandTimeoutSeconds'>) {
  return async function inspectAdoptableMember(raw: unknown): Promise<InspectedMember> {
    const { clusterName, request } = parseOrThrow(InspectInputSchema, raw, 'Inspect Member input');
    const [host] = await deps.directory.resolve(clusterName, [
      { name: request.member.name, ...(request.member.address && { address: request.member.address }), ...(request.member.instanceId && { instanceId: request.member.instanceId }) },
    ]);
    const result = await runOnHost(deps, 'Inspect Member', host!, buildHostCommand('inspect-adoptable-etcd', {}));
    const facts = parseAdoptFacts(result.stdoutTail);
    const { refusals, ...plan } = planAdoption({ clusterName, member: { name: request.member.name, address: host!.address, ...(host!.instanceId && { instanceId: host!.instanceId }) }, runtime: request.runtime }, facts, deps.clock.now());
    const { found } = plan;
    deps.log.info('member inspected', { cluster: clusterName, host: host!.name, version: found.etcdVersion, memberId: found.memberId, peerUrls: found.peerUrls, refusals: refusals.length, restart: plan.peerUrlFix !== undefined });
    const refusal =
      refusals.length === 0
        ? undefined
        : `cannot adopt the etcd on ${describeHost(host!)} (etcd ${found.etcdVersion}, member ${found.memberName || '?'} ${found.memberId ? hexId(found.memberId) : ''}, peer ${found.peerUrls.join(',') || '-'}); nothing changed:\n  - ${refusals.join('\n  - ')}`;
    // The member as found, under the name etcd-ha gives it: the old members of the membership event the run ends with.
    const membersBefore = found.memberId ? [{ name: request.member.name, id: found.memberId, address: host!.address }] : [];
    return { ...plan, host: host!, hosts: [host!], membersBefore, ...(refusal && { refusal }) };
  };
}
