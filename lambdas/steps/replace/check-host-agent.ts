// Check Host Agent: one look at a launched replacement host. The workflow's Wait loop calls it until the
// instance runs and its SSM agent is online (host scripts go through SSM), and fails the replacement, before
// any membership change, when the instance died or never came online.
import { z } from 'zod';
import { HostAgentOfflineError, HostNotFoundError, ReplacementHostsUnsupportedError } from '../../core/errors';
import { parseOrThrow } from '../../core/parse';
import type { HostAgentStatus, ReplacementHosts } from '../../ports';
import type { StepDeps } from '../deps';

const CheckAgentInputSchema = z.object({
  instanceId: z.string().min(1),
  /** Checks made before this one. */
  attempt: z.number().int().min(0),
  /** The check that finds the agent still offline fails the replacement. */
  maxAttempts: z.number().int().min(1),
});

export interface HostAgentCheck extends HostAgentStatus {
  readonly ready: boolean;
  readonly attempt: number;
}

const DEAD = new Set(['stopping', 'stopped', 'shutting-down', 'terminated']);

/** Looks during which EC2 may not describe an instance it just launched (eventual consistency). */
export const NOT_FOUND_GRACE_LOOKS = 3;

export function makeCheckHostAgent(deps: Pick<StepDeps, 'log'> & { readonly replacementHosts?: ReplacementHosts }) {
  return async function checkHostAgent(raw: unknown): Promise<HostAgentCheck> {
    const { instanceId, attempt, maxAttempts } = parseOrThrow(CheckAgentInputSchema, raw, 'Check Host Agent input');
    if (!deps.replacementHosts) {
      // Only a clone is waited on, and only the AWS composition root launches clones.
      throw new ReplacementHostsUnsupportedError(`Check Host Agent: this runner launches no replacement hosts (asked about ${instanceId})`);
    }
    const status = await deps.replacementHosts.agentStatus(instanceId);
    const checks = attempt + 1;
    const ready = status.state === 'running' && status.agent === 'Online';
    deps.log.info('replacement host agent', { instanceId, ...status, attempt: checks, ready });
    if (status.state === 'not found' && checks > NOT_FOUND_GRACE_LOOKS) {
      throw new HostNotFoundError(`replacement instance ${instanceId} is not known to EC2 after ${checks} checks. Membership is unchanged; a re-run launches a new clone.`);
    }
    if (DEAD.has(status.state)) {
      throw new HostNotFoundError(
        `replacement instance ${instanceId} is ${status.state}${status.stateReason ? ` (${status.stateReason})` : ''}: it will never run host scripts. ` +
          `Membership is unchanged; a re-run launches a new clone.`,
      );
    }
    if (!ready && checks >= maxAttempts) {
      throw new HostAgentOfflineError(
        `replacement instance ${instanceId} is ${status.state} but its SSM agent is ${status.agent} after ${checks} checks. ` +
          `Check that its instance profile allows SSM (AmazonSSMManagedInstanceCore), that it reaches the SSM endpoints, and that its AMI runs the SSM agent. ` +
          'Membership is unchanged; the instance is left running for inspection (tagged etcd-ha:replaces), and a re-run waits on it again.',
      );
    }
    return { ...status, ready, attempt: checks };
  };
}
