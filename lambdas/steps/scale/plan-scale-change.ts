// Read Cluster / Plan Next Change: under the lock, from the record and etcd's own member list as they are now, the
// next single change towards the size asked (core/scale-plan.ts): grow (the new member's name, never used before in
// the cluster, and its host), shrink (the member leaving, newest first) or done. Refuses, changing nothing, while
// fewer than a quorum of the voters are healthy or a learner is left over.
import { peerUrl } from '../../core/etcd-flags';
import { ScaleRefusedError, SpecValidationError } from '../../core/errors';
import { parseOrThrow } from '../../core/parse';
import { newMemberName, nextScaleChange, type ScaleChange, type ScaleMemberFact } from '../../core/scale-plan';
import type { ClusterSpec } from '../../core/spec';
import type { Host } from '../../ports';
import type { StepDeps } from '../deps';
import type { PkiRefs } from '../inputs';
import { pkiRefs } from '../pki-secrets';
import { recordedSpec } from '../recorded-spec';
import { loadLedger } from '../revocation-ledger';
import { memberRef, type MemberRef } from '../../core/membership-event';
import { endpointsOf, withAdmin } from '../replace/membership';
import { PlanInputSchema, type ScaleRequest } from './inputs';

export interface ScalePlan {
  readonly spec: ClusterSpec;
  /** The members now (the record's, oldest first). */
  readonly hosts: Host[];
  /** The members once this change is made. */
  readonly after: Host[];
  readonly pki: PkiRefs;
  readonly memberIds: Record<string, string>;
  /** The record's members as this look found them (the first look's are the membership event's old members). */
  readonly membersBefore: MemberRef[];
  readonly change: ScaleChange;
  /** Grow: the new member's host; shrink: the leaving member's. */
  readonly host?: Host;
  readonly voters: number;
  readonly target: number;
}

export function makePlanScaleChange(deps: Pick<StepDeps, 'registry' | 'secrets' | 'etcd' | 'directory' | 'log'>) {
  return async function planScaleChange(raw: unknown): Promise<ScalePlan> {
    const { clusterName, request } = parseOrThrow(PlanInputSchema, raw, 'Plan Next Change input');
    const record = await deps.registry.get(clusterName);
    if (!record) throw new SpecValidationError('ScaleCluster input', [`clusterName: no cluster "${clusterName}" is recorded; provision it first`]);
    const recorded = recordedSpec(record);
    // Shrinking to one member, asked for with allowSingleMember, records that the cluster accepts it.
    const spec = request.members === 1 && request.allowSingleMember ? { ...recorded, allowSingleMember: true } : recorded;
    const hosts = deps.directory.recorded(clusterName, record.members);
    const pki = pkiRefs(deps.secrets, clusterName, hosts.map((h) => h.name));
    const view = await withAdmin(deps, pki, (admin) => admin.inspect(endpointsOf(hosts, spec)));
    if (view.members.length === 0) throw new ScaleRefusedError(`${clusterName}: no member answered with the member list: quorum is not healthy, nothing changed`);
    const answered = new Map(view.statuses.filter((s) => s.ok).map((s) => [s.endpoint, s]));
    const leaderId = [...answered.values()].find((s) => s.leaderId !== undefined)?.leaderId;
    // Facts in the record's order (oldest first), members etcd lists that the record lacks after them.
    const hostOf = (peerURLs: readonly string[]) => hosts.find((h) => peerURLs.includes(peerUrl(h.address, spec)));
    const facts = view.members
      .map((m) => {
        const host = hostOf(m.peerURLs);
        return {
          order: host ? hosts.indexOf(host) : hosts.length,
          fact: { name: host?.name ?? m.name, learner: m.isLearner, leader: leaderId !== undefined && m.id === leaderId, healthy: m.clientURLs.some((url) => answered.has(url)) } satisfies ScaleMemberFact,
        };
      })
      .sort((a, b) => a.order - b.order)
      .map((f) => f.fact);
    const unrecorded = facts.filter((f) => !f.learner && !hosts.some((h) => h.name === f.name));
    if (unrecorded.length > 0) {
      throw new ScaleRefusedError(`${clusterName}: etcd lists voters the record does not (${unrecorded.map((f) => f.name || '(unnamed)').join(', ')}): run \`etcd-ha replace\` or restore before scaling`);
    }
    const ledger = await loadLedger(deps.secrets, clusterName);
    const taken = [...hosts.map((h) => h.name), ...(record.removed ?? []).map((m) => m.name), ...view.members.map((m) => m.name).filter(Boolean), ...Object.keys(ledger.issued), ...ledger.revoked.map((r) => r.member)];
    const change = nextScaleChange(facts, request.members, () => newMemberName(taken));
    const voters = facts.filter((f) => !f.learner).length;
    const base = { spec, hosts, memberIds: Object.fromEntries(record.members.map((m) => [m.name, m.id])), membersBefore: record.members.map(memberRef), change, voters, target: request.members };
    deps.log.info('next scale change', { cluster: clusterName, voters, target: request.members, change });
    switch (change.action) {
      case 'refuse':
        throw new ScaleRefusedError(`${clusterName}: ${change.reason}; nothing changed`);
      case 'done':
        return { ...base, after: hosts, pki };
      case 'grow': {
        const host = await newHost(deps, clusterName, change.name, hosts, request);
        return { ...base, after: [...hosts, host], pki, host };
      }
      case 'shrink': {
        const host = hosts.find((h) => h.name === change.member)!;
        const after = hosts.filter((h) => h !== host);
        return { ...base, after, pki: pkiRefs(deps.secrets, clusterName, after.map((h) => h.name)), host };
      }
    }
  };
}

/** The new member's host: the next instance of the request no member runs on (AWS), else the directory's next free one (locally). */
async function newHost(deps: Pick<StepDeps, 'directory'>, clusterName: string, name: string, hosts: readonly Host[], request: ScaleRequest): Promise<Host> {
  const usedInstances = new Set(hosts.map((h) => h.instanceId).filter(Boolean));
  const instanceId = request.instances.find((id) => !usedInstances.has(id));
  if (request.instances.length > 0 && instanceId === undefined) {
    throw new SpecValidationError('ScaleCluster input', [`instances: every instance given already runs a member of ${clusterName}; name one more instance per member to add`]);
  }
  const [host] = await deps.directory.resolve(clusterName, [{ name, ...(instanceId && { instanceId }) }], { addressesInUse: hosts.map((h) => h.address) });
  return host!;
}
