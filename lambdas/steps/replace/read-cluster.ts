// Read Cluster: the first step under the cluster's lock. Everything the change needs is derived here, from
// the record and etcd's own member list as they are now: the recorded members, the failed one (still a
// member, or already removed by an execution that removed every dead voter), who is down, the new member's
// name and the secrets' names. Nothing read before the lock is trusted.
import { z } from 'zod';
import { parseOrThrow } from '../../core/parse';
import type { ClusterSpec } from '../../core/spec';
import { recordedSpec } from '../recorded-spec';
import { replacementName } from '../../core/quorum';
import { SpecValidationError } from '../../core/errors';
import { healingPausedReason, isAutomaticTrigger } from '../../core/maintenance';
import { bootstrappingReason, isBootstrapping } from '../../core/cluster-status';
import { memberRef, type MemberRef } from '../../core/membership-event';
import type { Host, RecordedMember } from '../../ports';
import type { StepDeps } from '../deps';
import type { PkiRefs } from '../inputs';
import { pkiRefs } from '../pki-secrets';
import { ReplaceRequestSchema, type FailedMember } from './inputs';
import { endpointsOf, withAdmin } from './membership';

/** The whole state (Validate Request's answer plus the lock), as { state }: this step adds to it. */
const ReadClusterInputSchema = z.object({ state: z.object({ clusterName: z.string().min(1), request: ReplaceRequestSchema }).loose() });

export type ClusterAsRead =
  | { readonly stillNeeded: false; readonly reason: string }
  | {
      readonly stillNeeded: true;
      readonly spec: ClusterSpec;
      /** The recorded members (the failed one included while it is one). */
      readonly hosts: Host[];
      readonly failed: FailedMember;
      readonly replacement: { name: string; address?: string; instanceId?: string };
      readonly pki: PkiRefs;
      readonly force: boolean;
      /** Recorded members that did not answer their status. */
      readonly down: string[];
      readonly memberIds: Record<string, string>;
      readonly membersBefore: MemberRef[];
    };

export function makeReadCluster(deps: Pick<StepDeps, 'registry' | 'secrets' | 'etcd' | 'log'>) {
  return async function readCluster(raw: unknown): Promise<Record<string, unknown>> {
    const { state } = parseOrThrow(ReadClusterInputSchema, raw, 'Read Cluster input');
    return { ...state, ...(await read(deps, state.clusterName, state.request)) };
  };
}

async function read(deps: Pick<StepDeps, 'registry' | 'secrets' | 'etcd' | 'log'>, clusterName: string, request: z.output<typeof ReplaceRequestSchema>): Promise<ClusterAsRead> {
  const record = await deps.registry.get(clusterName);
  if (!record) throw new SpecValidationError('ReplaceMember input', [`clusterName: no cluster "${clusterName}" is recorded; provision it first`]);
  if (isBootstrapping(record)) {
    deps.log.info('cluster still bootstrapping: nothing to replace', { cluster: clusterName });
    return { stillNeeded: false, reason: bootstrappingReason(clusterName) };
  }
  // Under the lock, the flag as it is now: a pause set since Validate Request still stops an automatic replacement.
  const paused = isAutomaticTrigger(request.trigger) ? healingPausedReason(record.maintenance) : undefined;
  if (paused) {
    deps.log.info('healing paused: not replacing', { cluster: clusterName, trigger: request.trigger });
    return { stillNeeded: false, reason: paused };
  }
  const isFailed = (m: RecordedMember) => (request.failedMember !== undefined ? m.name === request.failedMember : m.instanceId === request.failedInstanceId);
  const current = record.members.find(isFailed);
  const removed = (record.removed ?? []).find(isFailed);
  const failed = current ?? removed;
  if (!failed) {
    const who = request.failedMember ?? request.failedInstanceId;
    deps.log.info('member already replaced', { cluster: clusterName, member: who });
    return { stillNeeded: false, reason: `${who} is no longer a member of ${clusterName} (already replaced?): nothing to do` };
  }
  const spec = recordedSpec(record);
  const hosts: Host[] = record.members.map((m) => ({
    name: m.name,
    address: m.address,
    ...(m.instanceId && { instanceId: m.instanceId }),
    ...(m.placement && { placement: m.placement }),
  }));
  const pki = pkiRefs(deps.secrets, clusterName, record.members.map((m) => m.name));
  const view = await withAdmin(deps, pki, (admin) => admin.inspect(endpointsOf(hosts, spec)));
  const answered = new Set(view.statuses.filter((s) => s.ok).map((s) => s.endpoint));
  const down = hosts.filter((h) => !endpointsOf([h], spec).some((url) => answered.has(url))).map((h) => h.name);
  // A name is taken by a recorded member, a removed one awaiting its replacement, or anyone etcd lists.
  const taken = [...record.members, ...(record.removed ?? [])].map((m) => m.name).concat(view.members.map((m) => m.name).filter(Boolean));
  const name = request.replacement.name ?? replacementName(failed.name, taken);
  if (taken.includes(name)) throw new SpecValidationError('ReplaceMember input', [`replacement.name: "${name}" is already a member of ${clusterName}`]);
  deps.log.info('cluster read under the lock', { cluster: clusterName, failed: failed.name, alreadyRemoved: !current, replacement: name, down });
  return {
    stillNeeded: true,
    spec,
    hosts,
    failed: {
      name: failed.name,
      id: failed.id,
      address: failed.address,
      ...(failed.instanceId && { instanceId: failed.instanceId }),
      ...(failed.placement && { placement: failed.placement }),
      removed: !current,
    },
    replacement: { ...request.replacement, name },
    pki,
    force: request.force,
    down,
    memberIds: Object.fromEntries(record.members.map((m) => [m.name, m.id])),
    // The old members of the membership event this run ends with.
    membersBefore: record.members.map(memberRef),
  };
}
