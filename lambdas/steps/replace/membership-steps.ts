// The membership changes after Remove Dead Members, in etcd's safe order: Remove Stray Learners →
// Add Member As Learner → (start it) → Promote Learner. Each is a no-op when already done.
import { parseOrThrow } from '../../core/parse';
import { hexId } from '../../core/health';
import { peerUrl } from '../../core/etcd-flags';
import { EtcdNotReadyError, LearnerNotInSyncError } from '../../core/errors';
import type { ClusterView, Host } from '../../ports';
import type { StepDeps } from '../deps';
import { z } from 'zod';
import { ClusterSpecSchema } from '../../core/spec';
import { HostSchema, PkiRefsSchema } from '../inputs';
import { JoiningSchema, LockRefSchema } from './inputs';
import { recordPromotion, removeVotersThatStayDown } from './remove-dead-members';
import { endpointsOf, memberAt, withAdmin } from './membership';

const PromoteSchema = JoiningSchema.extend({
  /** Looks so far, and how many the promotion budget allows. */
  attempt: z.number().int().min(0).default(0),
  maxAttempts: z.number().int().min(1).default(30),
  /** Recording the promotion right away, as the lock holder: the member it replaces and the lock. */
  replaced: z.string().optional(),
  lock: LockRefSchema.optional(),
});

export interface PromotionLook {
  readonly id: string;
  readonly promoted: boolean;
  readonly attempt: number;
  /** While not in sync: how far the learner got, e.g. "applied 1200 of the leader's 1500 raft entries (80%)". */
  readonly progress?: string;
}

/** The learner's applied raft index against the leader's committed one, from one inspect. */
function learnerProgress(view: ClusterView, learnerEndpoint: string): string {
  const learner = view.statuses.find((s) => s.endpoint === learnerEndpoint);
  const leader = view.statuses.find((s) => s.ok && s.memberId !== undefined && s.memberId === s.leaderId);
  if (!learner?.ok) return `the learner does not answer (${learner?.error ?? 'not asked'})`;
  if (leader?.raftIndex === undefined || learner.raftAppliedIndex === undefined) return 'the leader did not report its raft index';
  const percent = leader.raftIndex > 0 ? Math.floor((learner.raftAppliedIndex / leader.raftIndex) * 100) : 100;
  return `applied ${learner.raftAppliedIndex} of the leader's ${leader.raftIndex} raft entries (${percent}%)`;
}

const AddLearnerSchema = JoiningSchema.extend({ memberIds: z.record(z.string(), z.string()).default({}), lock: LockRefSchema });

/** The recorded members and this execution's joining host (absent when the failure came before one was chosen). */
const RollbackSchema = z.object({ spec: ClusterSpecSchema, hosts: z.array(HostSchema).min(1), pki: PkiRefsSchema, host: HostSchema.optional() });

type Deps = Pick<StepDeps, 'secrets' | 'etcd' | 'log' | 'registry' | 'clock'>;

export function makeMembershipSteps(deps: Deps) {
  return {
    /** A learner added but never started (an execution that died mid-way) would block every later join. */
    async removeStrayLearners(raw: unknown): Promise<{ removed: string[] }> {
      const { spec, hosts, host, pki } = parseOrThrow(JoiningSchema, raw, 'Remove Stray Learners input');
      return withAdmin(deps, pki, async (admin) => {
        const endpoints = endpointsOf(hosts, spec, host.name);
        const { members } = await admin.inspect(endpoints);
        const ours = peerUrl(host.address, spec);
        const removed: string[] = [];
        for (const stray of members.filter((m) => m.isLearner && !m.peerURLs.includes(ours))) {
          await admin.memberRemove(endpoints, stray.id);
          removed.push(`${hexId(stray.id)} ${stray.peerURLs.join(',')}`);
        }
        if (removed.length > 0) deps.log.warn('stray learners removed', { cluster: spec.clusterName, removed });
        return { removed };
      });
    },

    /**
     * On the failure path: the learner THIS change added (at its joining host's peer URL) but could not promote
     * is taken out again. Another execution's learner is not ours to remove (Remove Stray Learners handles
     * one whose execution died).
     */
    async removeLearners(raw: unknown): Promise<{ removed: string[]; resetHost: boolean }> {
      const { spec, hosts, pki, host } = parseOrThrow(RollbackSchema, raw, 'Remove Unpromoted Learner input');
      if (!host) return { removed: [], resetHost: false };
      const ours = peerUrl(host.address, spec);
      return withAdmin(deps, pki, async (admin) => {
        const endpoints = endpointsOf(hosts, spec, host.name);
        const { members } = await admin.inspect(endpoints);
        const removed: string[] = [];
        for (const learner of members.filter((m) => m.isLearner && m.peerURLs.includes(ours))) {
          await admin.memberRemove(endpoints, learner.id);
          removed.push(`${hexId(learner.id)} ${learner.peerURLs.join(',')}`);
        }
        if (removed.length > 0) deps.log.warn('unpromoted learners removed after a failure', { cluster: spec.clusterName, removed });
        // The joining host is reset (etcd stopped, data dir aside) only when etcd's list says it holds no voter:
        // a promoted member keeps its data, and without a member list nothing is touched.
        const resetHost = members.length > 0 && !members.some((m) => !m.isLearner && m.peerURLs.includes(ours));
        return { removed, resetHost };
      });
    },

    async addMemberAsLearner(raw: unknown): Promise<{ id: string; added: boolean; learner: boolean; hosts: Host[]; removedDead?: string[] }> {
      const { spec, hosts, host, pki, memberIds, lock } = parseOrThrow(AddLearnerSchema, raw, 'Add Member As Learner input');
      return withAdmin(deps, pki, async (admin) => {
        const add = () => admin.memberAdd(endpointsOf(hosts, spec, host.name), peerUrl(host.address, spec), true);
        let removedDead: string[] = [];
        let outcome;
        try {
          outcome = await add();
        } catch (error) {
          // etcd refuses every add while the member asked is not connected to every voter: a voter that died since
          // Remove Dead Members ran is removed too (quorum permitting), then the add is tried again.
          if (!(error instanceof EtcdNotReadyError && /unhealthy cluster/.test(error.message))) throw error;
          const others = hosts.filter((h) => h.name !== host.name);
          removedDead = await removeVotersThatStayDown(deps, admin, { spec, hosts: others, memberIds, owner: lock.owner });
          if (removedDead.length === 0) throw error;
          outcome = await add();
        }
        const { member, members: listed, added } = outcome;
        deps.log.info(added ? 'member added as learner' : 'member was already added', { cluster: spec.clusterName, member: host.name });
        // The membership from here on is etcd's, as the add left it: the joining member's initial-cluster must list
        // exactly etcd's members or etcd refuses to start ("member count is unequal"), and a voter removed by this
        // step, or by an earlier attempt of it, is in the hosts this step was given.
        const inEtcd = (h: Host) => h.name === host.name || listed.some((m) => m.peerURLs.includes(peerUrl(h.address, spec)));
        const members = hosts.filter((h) => inEtcd(h) && !removedDead.includes(h.name));
        return { id: hexId(member.id), added, learner: member.isLearner, hosts: members, ...(removedDead.length > 0 && { removedDead }) };
      });
    },

    /** etcd refuses until the learner has caught up ("not in sync"): that EtcdNotReadyError is retried by the workflow. */
    /**
     * One look of the Wait Learner In Sync loop: promotes the learner once etcd says it is in sync, else reports
     * its progress (its applied raft index against the leader's), until the attempts of the budget are spent.
     */
    async promoteLearner(raw: unknown): Promise<PromotionLook> {
      const { spec, hosts, host, pki, attempt, maxAttempts, replaced, lock } = parseOrThrow(PromoteSchema, raw, 'Promote Learner input');
      return withAdmin(deps, pki, async (admin) => {
        const endpoints = endpointsOf(hosts, spec);
        const view = await admin.inspect(endpoints);
        const member = memberAt(view.members, host.address, spec);
        if (!member) throw new EtcdNotReadyError(`${host.name} is not in the member list yet`);
        try {
          const { promoted } = await admin.memberPromote(endpoints, member.id);
          deps.log.info(promoted ? 'learner promoted' : 'member was already a voter', { cluster: spec.clusterName, member: host.name });
          // A voter now: the record says so at once (a later failure keeps it, it is no learner to roll back).
          if (lock) {
            const joined = { name: host.name, id: hexId(member.id), address: host.address, ...(host.instanceId && { instanceId: host.instanceId }), ...(host.placement && { placement: host.placement }) };
            await recordPromotion(deps, spec.clusterName, joined, replaced, lock.owner);
          }
          return { id: hexId(member.id), promoted: true, attempt: attempt + 1 };
        } catch (error) {
          if (!(error instanceof EtcdNotReadyError && /in sync with leader/.test(error.message))) throw error;
          const progress = learnerProgress(view, endpointsOf([host], spec)[0]!);
          if (attempt + 1 >= maxAttempts) {
            throw new LearnerNotInSyncError(`${host.name} is not in sync with the leader after ${attempt + 1} looks (the promotion budget): ${progress}`);
          }
          deps.log.info('learner not in sync yet', { cluster: spec.clusterName, member: host.name, progress });
          return { id: hexId(member.id), promoted: false, attempt: attempt + 1, progress };
        }
      });
    },
  };
}
