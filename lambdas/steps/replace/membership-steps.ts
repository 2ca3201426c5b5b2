// The membership changes after Remove Dead Members, in etcd's safe order: Remove Stray Learners →
// Add Member As Learner → (start it) → Promote Learner. Each is a no-op when already done.
import { parseOrThrow } from '../../core/parse';
import { hexId } from '../../core/health';
import { peerUrl } from '../../core/etcd-flags';
import { EtcdNotReadyError } from '../../core/errors';
import type { StepDeps } from '../deps';
import { z } from 'zod';
import { ClusterSpecSchema } from '../../core/spec';
import { HostSchema, PkiRefsSchema } from '../inputs';
import { JoiningSchema, LockRefSchema } from './inputs';
import { removeVotersThatStayDown } from './remove-dead-members';

const AddLearnerSchema = JoiningSchema.extend({ memberIds: z.record(z.string(), z.string()).default({}), lock: LockRefSchema });

/** The recorded members and this execution's joining host (absent when the failure came before one was chosen). */
const RollbackSchema = z.object({ spec: ClusterSpecSchema, hosts: z.array(HostSchema).min(1), pki: PkiRefsSchema, host: HostSchema.optional() });
import { endpointsOf, memberAt, withAdmin } from './membership';

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

    async addMemberAsLearner(raw: unknown): Promise<{ id: string; added: boolean; learner: boolean; removedDead?: string[] }> {
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
        const { member, added } = outcome;
        deps.log.info(added ? 'member added as learner' : 'member was already added', { cluster: spec.clusterName, member: host.name });
        return { id: hexId(member.id), added, learner: member.isLearner, ...(removedDead.length > 0 && { removedDead }) };
      });
    },

    /** etcd refuses until the learner has caught up ("not in sync"): that EtcdNotReadyError is retried by the workflow. */
    async promoteLearner(raw: unknown): Promise<{ id: string; promoted: boolean }> {
      const { spec, hosts, host, pki } = parseOrThrow(JoiningSchema, raw, 'Promote Learner input');
      return withAdmin(deps, pki, async (admin) => {
        const endpoints = endpointsOf(hosts, spec);
        const { members } = await admin.inspect(endpoints);
        const member = memberAt(members, host.address, spec);
        if (!member) throw new EtcdNotReadyError(`${host.name} is not in the member list yet`);
        const { promoted } = await admin.memberPromote(endpoints, member.id);
        deps.log.info(promoted ? 'learner promoted' : 'member was already a voter', { cluster: spec.clusterName, member: host.name });
        return { id: hexId(member.id), promoted };
      });
    },
  };
}
