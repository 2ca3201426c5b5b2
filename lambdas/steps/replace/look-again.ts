// Look Again: after the stop grace period, is the member's instance still stopped (or gone) and does its member
// still not answer? Only then is it replaced: an instance stopped to resize it and started again within the grace
// period costs no member. A running instance whose etcd does not answer is left to the health probe (which has
// its own grace period), and a paused cluster is not healed. Read-only: the lock path reads everything again.
import { z } from 'zod';
import { parseOrThrow } from '../../core/parse';
import { healingPausedReason, isAutomaticTrigger } from '../../core/maintenance';
import type { MachinePower } from '../../ports';
import type { StepDeps } from '../deps';
import { memberAnswers } from '../member-answers';
import { ReplaceRequestSchema } from './inputs';

const LookAgainInputSchema = z.object({
  state: z.object({ clusterName: z.string().min(1), request: ReplaceRequestSchema }).loose(),
  graceSeconds: z.number().int().min(0),
});

/** States in which the instance's etcd may come back by itself: not replaced by the stop path. */
const COMING_BACK = new Set(['pending', 'running']);

export function makeLookAgain(deps: Pick<StepDeps, 'registry' | 'secrets' | 'etcd' | 'directory' | 'log'> & { readonly machines: MachinePower }) {
  return async function lookAgain(raw: unknown): Promise<Record<string, unknown>> {
    const { state, graceSeconds } = parseOrThrow(LookAgainInputSchema, raw, 'Look Again input');
    const verdict = await look(state.clusterName, state.request, graceSeconds);
    deps.log.info('looked again after the stop grace period', { cluster: state.clusterName, instance: state.request.failedInstanceId, ...verdict });
    return { ...state, ...verdict };
  };

  async function look(clusterName: string, request: z.output<typeof ReplaceRequestSchema>, graceSeconds: number): Promise<{ stillDown: boolean; reason: string; instanceState?: string }> {
    const record = await deps.registry.get(clusterName);
    if (!record) return { stillDown: false, reason: `no cluster "${clusterName}" is recorded any more` };
    const paused = isAutomaticTrigger(request.trigger) ? healingPausedReason(record.maintenance) : undefined;
    if (paused) return { stillDown: false, reason: paused };
    const member = record.members.find((m) => (request.failedMember !== undefined ? m.name === request.failedMember : m.instanceId === request.failedInstanceId));
    const who = request.failedMember ?? request.failedInstanceId;
    if (!member) return { stillDown: false, reason: `${who} is no longer a member of ${clusterName} (already replaced?): nothing to do` };
    const [machine] = deps.directory.recorded(clusterName, [member]);
    const instanceState = await deps.machines.stateOf(machine!);
    const instance = member.instanceId ?? member.name;
    if (COMING_BACK.has(instanceState)) {
      return { stillDown: false, instanceState, reason: `instance ${instance} of ${member.name} is ${instanceState} again after the ${graceSeconds} s grace period: not replaced (a stop is not a death)` };
    }
    const answers = (await memberAnswers(deps, record)).get(member.name) ?? false;
    if (answers) return { stillDown: false, instanceState, reason: `${member.name} answers over etcd after the ${graceSeconds} s grace period: not replaced` };
    return { stillDown: true, instanceState, reason: `instance ${instance} of ${member.name} is still ${instanceState} after the ${graceSeconds} s grace period and its member does not answer` };
  }
}
