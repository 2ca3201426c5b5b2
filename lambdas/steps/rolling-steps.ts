// The rolling part of ProvisionCluster on a running cluster: Choose Next Member (followers first, the leader
// last) and Check Restart Is Safe (only when Write Etcd Config says a restart is pending, and only while the
// other voters keep a quorum). Each asks etcd as it is now: leadership and health change as members restart.
import { z } from 'zod';
import { parseOrThrow } from '../core/parse';
import { judgeClusterHealth } from '../core/health';
import { judgeRestart, nextMemberToRoll } from '../core/provision-plan';
import { RestartWouldLoseQuorumError } from '../core/errors';
import { ClusterSpecSchema } from '../core/spec';
import type { Host } from '../ports';
import type { StepDeps } from './deps';
import { HostSchema, PkiRefsSchema } from './inputs';
import { endpointsOf, withAdmin } from './replace/membership';

type RollingDeps = Pick<StepDeps, 'secrets' | 'etcd' | 'log' | 'maxAppliedIndexLag'>;

const ClusterInputSchema = z.object({ spec: ClusterSpecSchema, hosts: z.array(HostSchema).min(1), pki: PkiRefsSchema });
const ChooseInputSchema = ClusterInputSchema.extend({ rolled: z.array(z.string()).default([]) });
const SafetyInputSchema = ClusterInputSchema.extend({ host: HostSchema, restartNeeded: z.boolean() });

export type RollState = { readonly done: true; readonly rolled: string[] } | { readonly done: false; readonly rolled: string[]; readonly host: Host; readonly leader: string | null };

async function judge(deps: RollingDeps, input: z.output<typeof ClusterInputSchema>) {
  const { spec, hosts, pki } = input;
  const view = await withAdmin(deps, pki, (admin) => admin.inspect(endpointsOf(hosts, spec)));
  return judgeClusterHealth(view, { members: hosts, clientPort: spec.etcd.clientPort, peerPort: spec.etcd.peerPort }, { maxAppliedIndexLag: deps.maxAppliedIndexLag, tolerateDown: true });
}

export function makeRollingSteps(deps: RollingDeps) {
  return {
    async chooseNextMember(raw: unknown): Promise<RollState> {
      const input = parseOrThrow(ChooseInputSchema, raw, 'Choose Next Member input');
      const left = input.hosts.filter((h) => !input.rolled.includes(h.name));
      if (left.length === 0) return { done: true, rolled: input.rolled };
      const leader = (await judge(deps, input)).leaderName;
      const next = nextMemberToRoll(input.hosts.map((h) => h.name), input.rolled, leader)!;
      deps.log.info('next member to roll', { cluster: input.spec.clusterName, member: next, leader: leader ?? null, rolled: input.rolled });
      return { done: false, rolled: [...input.rolled, next], host: input.hosts.find((h) => h.name === next)!, leader: leader ?? null };
    },
    async checkRestartSafety(raw: unknown): Promise<{ safe: true; why: string }> {
      const input = parseOrThrow(SafetyInputSchema, raw, 'Check Restart Is Safe input');
      const member = input.host.name;
      if (!input.restartNeeded) return { safe: true, why: `nothing to restart on ${member}: its settings are applied` };
      const verdict = judgeRestart(member, (await judge(deps, input)).members.filter((m) => !m.learner));
      deps.log.info(verdict.safe ? 'restart is safe' : 'restart would lose quorum', { cluster: input.spec.clusterName, member, why: verdict.why });
      if (!verdict.safe) throw new RestartWouldLoseQuorumError(verdict.why);
      return verdict;
    },
  };
}
