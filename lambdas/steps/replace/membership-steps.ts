// The membership changes, in etcd's safe order: Remove Failed Member → Remove Stray Learners →
// Add Member As Learner → (start it) → Promote Learner. Each is a no-op when already done.
import { parseOrThrow } from '../../core/parse';
import { hexId } from '../../core/health';
import { peerUrl } from '../../core/etcd-flags';
import { EtcdNotReadyError } from '../../core/errors';
import type { StepDeps } from '../deps';
import { z } from 'zod';
import { ClusterSpecSchema } from '../../core/spec';
import { HostSchema, PkiRefsSchema } from '../inputs';
import { JoiningSchema, ReplaceStateSchema } from './inputs';

const CurrentMembersSchema = z.object({ spec: ClusterSpecSchema, hosts: z.array(HostSchema).min(1), pki: PkiRefsSchema });
import { endpointsOf, memberAt, withAdmin } from './membership';

type Deps = Pick<StepDeps, 'secrets' | 'etcd' | 'log'>;

export function makeMembershipSteps(deps: Deps) {
  return {
    async removeFailedMember(raw: unknown): Promise<{ removed: boolean; id?: string }> {
      const { spec, hosts, failed, pki } = parseOrThrow(ReplaceStateSchema, raw, 'Remove Failed Member input');
      return withAdmin(deps, pki, async (admin) => {
        const endpoints = endpointsOf(hosts, spec, failed.name);
        const { members } = await admin.inspect(endpoints);
        const member = memberAt(members, failed.address, spec);
        if (!member) return { removed: false };
        const { removed } = await admin.memberRemove(endpoints, member.id);
        deps.log.info(removed ? 'failed member removed' : 'failed member was already removed', { cluster: spec.clusterName, member: failed.name });
        return { removed, id: hexId(member.id) };
      });
    },

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

    /** On the failure path: a learner this change added but could not promote is taken out again. */
    async removeLearners(raw: unknown): Promise<{ removed: string[] }> {
      const { spec, hosts, pki } = parseOrThrow(CurrentMembersSchema, raw, 'Remove Unpromoted Learner input');
      return withAdmin(deps, pki, async (admin) => {
        const endpoints = endpointsOf(hosts, spec);
        const { members } = await admin.inspect(endpoints);
        const removed: string[] = [];
        for (const learner of members.filter((m) => m.isLearner)) {
          await admin.memberRemove(endpoints, learner.id);
          removed.push(`${hexId(learner.id)} ${learner.peerURLs.join(',')}`);
        }
        if (removed.length > 0) deps.log.warn('unpromoted learners removed after a failure', { cluster: spec.clusterName, removed });
        return { removed };
      });
    },

    async addMemberAsLearner(raw: unknown): Promise<{ id: string; added: boolean; learner: boolean }> {
      const { spec, hosts, host, pki } = parseOrThrow(JoiningSchema, raw, 'Add Member As Learner input');
      return withAdmin(deps, pki, async (admin) => {
        const { member, added } = await admin.memberAdd(endpointsOf(hosts, spec, host.name), peerUrl(host.address, spec), true);
        deps.log.info(added ? 'member added as learner' : 'member was already added', { cluster: spec.clusterName, member: host.name });
        return { id: hexId(member.id), added, learner: member.isLearner };
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
