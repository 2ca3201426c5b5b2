// Remove Dead Members: etcd refuses every `member add` while the member asked is not connected to every
// voter (strict reconfiguration check), so a replacement can only join once no dead voter is left. This
// step removes the failed member and every other voter that is dead — it did not answer when Read Cluster
// asked, nor now — one at a time, by its recorded member ID, never below quorum, and records each removal
// right away (as the lock holder). A removed member the execution was not asked about stays in the record
// as awaiting its replacement, which its own execution then adds.
import { z } from 'zod';
import { parseOrThrow } from '../../core/parse';
import { hexId } from '../../core/health';
import { peerUrl } from '../../core/etcd-flags';
import { quorumOf } from '../../core/quorum';
import type { ClusterMember, ClusterRecord, EtcdAdmin, Host } from '../../ports';
import type { ClusterSpec } from '../../core/spec';
import type { StepDeps } from '../deps';
import { HostSchema } from '../inputs';
import { LockRefSchema, ReplaceStateSchema } from './inputs';
import { endpointsOf, withAdmin } from './membership';
import { QuorumLostError } from '../../core/errors';

const RemoveDeadInputSchema = ReplaceStateSchema.extend({
  /** The membership after the change as Choose Replacement Host saw it: the others and the joining host. */
  joining: z.object({ hosts: z.array(HostSchema).min(1), host: HostSchema }).loose(),
  lock: LockRefSchema,
});

export interface DeadMembersRemoved {
  /** Names removed by this run (a re-run finds them gone and removes nothing). */
  readonly removed: string[];
  /** The membership the new member joins: the joining host and every member still recorded. */
  readonly hosts: Host[];
}

export function makeRemoveDeadMembers(deps: Pick<StepDeps, 'secrets' | 'etcd' | 'log' | 'registry' | 'clock'>) {
  return async function removeDeadMembers(raw: unknown): Promise<DeadMembersRemoved> {
    const { spec, hosts, failed, down, memberIds, pki, joining, lock } = parseOrThrow(RemoveDeadInputSchema, raw, 'Remove Dead Members input');
    const removedNames: string[] = [];
    await withAdmin(deps, pki, async (admin) => {
      const endpoints = endpointsOf(hosts, spec, failed.name);
      const view = await admin.inspect(endpoints);
      const answered = new Set(view.statuses.filter((s) => s.ok).map((s) => s.endpoint));
      const isDead = (h: Host) => down.includes(h.name) && !endpointsOf([h], spec).some((url) => answered.has(url));
      // The failed member goes whatever its state (force may have been given); the others only when dead twice over.
      const targets = hosts.filter((h) => h.name === failed.name || isDead(h));
      let voters = view.members.filter((m) => !m.isLearner);
      const live = voters.filter((m) => m.clientURLs.some((url) => answered.has(url))).length;
      for (const host of targets) {
        const member = listedAs(voters, host, spec, memberIds[host.name] || undefined);
        if (!member) continue;
        // Removing a dead voter never costs quorum; removing the (forced) failed one may: ask each time.
        if (live < quorumOf(voters.length - 1)) {
          throw new QuorumLostError(`removing ${host.name} would leave ${live} live of ${voters.length - 1} voters, below quorum ${quorumOf(voters.length - 1)}`);
        }
        await admin.memberRemove(endpoints, member.id);
        voters = voters.filter((m) => m.id !== member.id);
        removedNames.push(host.name);
        deps.log.info('dead member removed', { cluster: spec.clusterName, member: host.name, id: hexId(member.id), failed: host.name === failed.name });
        await recordRemoval(deps, spec.clusterName, host.name, lock.owner);
      }
    });
    const gone = new Set([failed.name, ...removedNames]);
    // Members already removed by an earlier run are not recorded members any more: the record decides.
    const record = await deps.registry.get(spec.clusterName);
    const recorded = new Set(record?.members.map((m) => m.name) ?? hosts.map((h) => h.name));
    return { removed: removedNames, hosts: joining.hosts.filter((h) => h.name === joining.host.name || (!gone.has(h.name) && recorded.has(h.name))) };
  };
}

/** How long two looks at a silent voter are apart before it counts as dead. */
const SECOND_LOOK_MS = 1000;

/**
 * A voter that died while this replacement was under way (after Remove Dead Members) blocks every `member add`
 * ("unhealthy cluster"): the recorded members that are voters and stay silent over two looks are removed the
 * same way, quorum permitting, each recorded at once. Gives the names removed.
 */
export async function removeVotersThatStayDown(
  deps: Pick<StepDeps, 'log' | 'registry' | 'clock'>,
  admin: EtcdAdmin,
  request: { spec: ClusterSpec; hosts: readonly Host[]; memberIds: Readonly<Record<string, string>>; owner: string },
): Promise<string[]> {
  const { spec, hosts, memberIds, owner } = request;
  const endpoints = endpointsOf(hosts, spec);
  const silentIn = async () => {
    const view = await admin.inspect(endpoints);
    const answered = new Set(view.statuses.filter((s) => s.ok).map((s) => s.endpoint));
    return { view, silent: new Set(hosts.filter((h) => !endpointsOf([h], spec).some((url) => answered.has(url))).map((h) => h.name)) };
  };
  const first = await silentIn();
  if (first.silent.size === 0) return [];
  await new Promise((resolve) => setTimeout(resolve, SECOND_LOOK_MS));
  const { view, silent } = await silentIn();
  let voters = view.members.filter((m) => !m.isLearner);
  const answeredEndpoints = new Set(view.statuses.filter((s) => s.ok).map((s) => s.endpoint));
  const live = voters.filter((m) => m.clientURLs.some((url) => answeredEndpoints.has(url))).length;
  const removed: string[] = [];
  for (const host of hosts.filter((h) => first.silent.has(h.name) && silent.has(h.name))) {
    const member = listedAs(voters, host, spec, memberIds[host.name] || undefined);
    if (!member || live < quorumOf(voters.length - 1)) continue;
    await admin.memberRemove(endpoints, member.id);
    voters = voters.filter((m) => m.id !== member.id);
    removed.push(host.name);
    deps.log.warn('a voter that died during the replacement removed', { cluster: spec.clusterName, member: host.name, id: hexId(member.id) });
    await recordRemoval(deps, spec.clusterName, host.name, owner);
  }
  return removed;
}

/** The voter etcd lists for a recorded host: by its recorded ID, else by its peer URL. */
function listedAs(voters: readonly ClusterMember[], host: Host, spec: Parameters<typeof peerUrl>[1], id: string | undefined): ClusterMember | undefined {
  return voters.find((m) => id !== undefined && hexId(m.id) === id) ?? voters.find((m) => m.peerURLs.includes(peerUrl(host.address, spec)));
}

/**
 * The record with the promoted member among its members (its ID as etcd gave it) and the member it replaces no
 * longer awaiting a replacement: written as the lock holder, right after the promotion. Record Cluster rewrites
 * it once the cluster is healthy.
 */
export async function recordPromotion(
  deps: Pick<StepDeps, 'registry' | 'clock'>,
  clusterName: string,
  joined: { readonly name: string; readonly id: string; readonly address: string; readonly instanceId?: string; readonly placement?: Host['placement'] },
  replaced: string | undefined,
  owner: string,
): Promise<void> {
  const record = await deps.registry.get(clusterName);
  if (!record) return;
  const now = deps.clock.now().toISOString();
  const { removed: awaiting = [], ...rest } = record;
  const removed = awaiting.filter((m) => m.name !== replaced);
  const updated: ClusterRecord = {
    ...rest,
    members: [...record.members.filter((m) => m.name !== joined.name && m.name !== replaced), joined],
    ...(removed.length > 0 && { removed }),
    updatedAt: now,
  };
  await deps.registry.put(updated, { lockOwner: owner });
}

/** The record without `name` among its members, and with it among the removed ones: written as the lock holder only. */
async function recordRemoval(deps: Pick<StepDeps, 'registry' | 'clock'>, clusterName: string, name: string, owner: string): Promise<void> {
  const record = await deps.registry.get(clusterName);
  const member = record?.members.find((m) => m.name === name);
  if (!record || !member) return;
  const updated: ClusterRecord = {
    ...record,
    members: record.members.filter((m) => m.name !== name),
    removed: [...(record.removed ?? []).filter((m) => m.name !== name), { ...member, removedAt: deps.clock.now().toISOString(), removedBy: owner }],
    updatedAt: deps.clock.now().toISOString(),
  };
  await deps.registry.put(updated, { lockOwner: owner });
}
