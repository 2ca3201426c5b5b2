// Check Host Agent: one look at a launched replacement host. The workflow's Wait loop calls it until the
// instance runs, its SSM agent is online (host scripts go through SSM) and its boot is over (cloud-init done:
// user data may install what etcd needs); it fails the replacement, before any membership change, when the
// instance died, never came online or its user data failed.
import { z } from 'zod';
import { HostAgentOfflineError, HostNotFoundError, HostScriptFailedError, HostUnreachableError, ReplacementHostsUnsupportedError } from '../../core/errors';
import { parseOrThrow } from '../../core/parse';
import { buildHostCommand } from '../../host-scripts';
import type { Host, HostAgentStatus, ReplacementHosts } from '../../ports';
import type { StepDeps } from '../deps';
import { HostSchema } from '../inputs';
import { describeHost, failureMessage } from '../run-on-host';

const CheckAgentInputSchema = z.object({
  host: HostSchema.extend({ instanceId: z.string().min(1) }),
  /** Checks made before this one. */
  attempt: z.number().int().min(0),
  /** The check that finds the host still not ready fails the replacement. */
  maxAttempts: z.number().int().min(1),
});

export interface HostAgentCheck extends HostAgentStatus {
  /** What boot-status.sh said once the agent was online: none (no cloud-init), done, running, … */
  readonly boot?: string;
  readonly ready: boolean;
  readonly attempt: number;
}

const DEAD = new Set(['stopping', 'stopped', 'shutting-down', 'terminated']);

/** Boot states in which the host is ready for host scripts. */
const BOOTED = new Set(['none', 'done', 'disabled']);

/** Looks during which EC2 may not describe an instance it just launched (eventual consistency). */
export const NOT_FOUND_GRACE_LOOKS = 3;

/** boot-status.sh answers at once; SSM may take a few seconds to deliver. */
const BOOT_STATUS_TIMEOUT_SECONDS = 30;

const TITLE = 'Check Host Agent';

export type CheckHostAgentDeps = Pick<StepDeps, 'log' | 'runner'> & { readonly replacementHosts?: ReplacementHosts };

export function makeCheckHostAgent(deps: CheckHostAgentDeps) {
  return async function checkHostAgent(raw: unknown): Promise<HostAgentCheck> {
    const { host, attempt, maxAttempts } = parseOrThrow(CheckAgentInputSchema, raw, 'Check Host Agent input');
    const instanceId = host.instanceId;
    if (!deps.replacementHosts) {
      // Only a clone is waited on, and only the AWS composition root launches clones.
      throw new ReplacementHostsUnsupportedError(`Check Host Agent: this runner launches no replacement hosts (asked about ${instanceId})`);
    }
    const status = await deps.replacementHosts.agentStatus(instanceId);
    const checks = attempt + 1;
    if (status.state === 'not found' && checks > NOT_FOUND_GRACE_LOOKS) {
      throw new HostNotFoundError(`replacement instance ${instanceId} is not known to EC2 after ${checks} checks. Membership is unchanged; a re-run launches a new clone.`);
    }
    if (DEAD.has(status.state)) {
      throw new HostNotFoundError(
        `replacement instance ${instanceId} is ${status.state}${status.stateReason ? ` (${status.stateReason})` : ''}: it will never run host scripts. ` +
          `Membership is unchanged; a re-run launches a new clone.`,
      );
    }
    const online = status.state === 'running' && status.agent === 'Online';
    const boot = online ? await bootStatus(deps, host) : undefined;
    const ready = boot !== undefined && BOOTED.has(boot);
    deps.log.info('replacement host agent', { instanceId, ...status, ...(boot && { boot }), attempt: checks, ready });
    if (boot === 'error') {
      throw new HostScriptFailedError(
        `replacement instance ${instanceId} booted with errors (cloud-init status: error): its user data failed; see /var/log/cloud-init-output.log ` +
          'on the instance. Membership is unchanged; the instance is left running for inspection (tagged etcd-ha:replaces), and a re-run waits on it again.',
      );
    }
    if (!ready && checks >= maxAttempts) {
      const why = online
        ? `its SSM agent is online but its boot is not over (cloud-init: ${boot ?? 'no answer'})`
        : `its SSM agent is ${status.agent}. Check that its instance profile allows SSM (AmazonSSMManagedInstanceCore), that it reaches the SSM endpoints, and that its AMI runs the SSM agent`;
      throw new HostAgentOfflineError(
        `replacement instance ${instanceId} is ${status.state} but ${why} after ${checks} checks. ` +
          'Membership is unchanged; the instance is left running for inspection (tagged etcd-ha:replaces), and a re-run waits on it again.',
      );
    }
    return { ...status, ...(boot && { boot }), ready, attempt: checks };
  };
}

/** boot-status.sh's answer ("none", "done", "running", …), or undefined when SSM could not deliver it yet. */
async function bootStatus(deps: CheckHostAgentDeps, host: Host): Promise<string | undefined> {
  try {
    const [result] = await deps.runner.run([host], { title: TITLE, text: buildHostCommand('boot-status', {}), timeoutSeconds: BOOT_STATUS_TIMEOUT_SECONDS });
    if (result === undefined) throw new HostScriptFailedError(`${TITLE}: the host runner returned no result for ${describeHost(host)}`);
    if (result.exitCode !== 0) throw new HostScriptFailedError(failureMessage(TITLE, host, result));
    return /^boot: (.+)$/m.exec(result.stdoutTail)?.[1]?.trim() ?? 'unknown';
  } catch (error) {
    // An agent that just registered may not take commands for a moment: look again next time.
    if (error instanceof HostUnreachableError) return undefined;
    throw error;
  }
}
