// Remove Member: one member out of etcd's membership, the way etcd's runtime-reconfiguration guide says: quorum
// checked first (a quorum of the remaining voters must be healthy); a member that leads hands leadership to a healthy
// voter that stays first (MoveLeader, asked of the leader). Already gone: success.
import { EtcdNotReadyError, QuorumLostError, SpecValidationError } from '../../core/errors';
import { hexId } from '../../core/health';
import { clientUrl } from '../../core/etcd-flags';
import { parseOrThrow } from '../../core/parse';
import { quorumOf } from '../../core/quorum';
import type { StepDeps } from '../deps';
import { endpointsOf, memberAt, withAdmin } from '../replace/membership';
import { RemoveInputSchema } from './inputs';

export function makeRemoveScaledMember(deps: Pick<StepDeps, 'secrets' | 'etcd' | 'log'>) {
  return async function removeScaledMember(raw: unknown): Promise<{ member: string; removed: boolean; movedLeaderTo?: string }> {
    const { spec, hosts, host, pki, change } = parseOrThrow(RemoveInputSchema, raw, 'Remove Member input');
    return withAdmin(deps, pki, async (admin) => {
      const view = await admin.inspect(endpointsOf(hosts, spec));
      if (change.member !== host.name) throw new SpecValidationError('Remove Member input', [`host.name: ${host.name} is not the member planned to leave (${change.member})`]);
      const member = memberAt(view.members, host.address, spec);
      if (!member) {
        deps.log.info('member already removed', { cluster: spec.clusterName, member: host.name });
        return { member: host.name, removed: false };
      }
      const staying = hosts.filter((h) => h.name !== host.name);
      const healthy = (address: string) => view.statuses.some((s) => s.ok && s.endpoint === clientUrl(address, spec));
      const voters = view.members.filter((m) => !m.isLearner).length;
      const healthyStaying = staying.filter((h) => healthy(h.address)).length;
      if (healthyStaying < quorumOf(voters - 1)) {
        throw new QuorumLostError(`removing ${host.name} would leave ${healthyStaying} healthy of ${voters - 1} voters, fewer than a quorum (${quorumOf(voters - 1)}); nothing changed`);
      }
      let movedLeaderTo: string | undefined;
      const own = view.statuses.find((s) => s.ok && s.endpoint === clientUrl(host.address, spec));
      if (own?.memberId !== undefined && own.memberId === own.leaderId) {
        const heir = [...staying.filter((h) => h.name === change.moveLeaderTo), ...staying].find((h) => healthy(h.address) && memberAt(view.members, h.address, spec));
        if (!heir) throw new EtcdNotReadyError(`${host.name} leads and no healthy member that stays can take over`);
        const heirId = memberAt(view.members, heir.address, spec)!.id;
        await admin.moveLeader(clientUrl(host.address, spec), heirId);
        movedLeaderTo = heir.name;
        deps.log.info('leadership moved before the removal', { cluster: spec.clusterName, from: host.name, to: heir.name });
      }
      // Asked of the members that stay: the leaving one may be stopping.
      const { removed } = await admin.memberRemove(endpointsOf(staying, spec), member.id);
      deps.log.info(removed ? 'member removed' : 'member already removed', { cluster: spec.clusterName, member: host.name, id: hexId(member.id) });
      return { member: host.name, removed, ...(movedLeaderTo && { movedLeaderTo }) };
    });
  };
}
