// Retire Replaced Host: once the new member is in and recorded (still under the lock), the replaced member's old
// machine, if it still exists, is stopped (never terminated) and marked as replaced (AWS: tag etcd-ha:replaced-by,
// its etcd-ha:cluster tag removed), so that it cannot come back as a member nor read the cluster's secrets. A
// replacement onto the very same instance (by hand) retires nothing.
import { z } from 'zod';
import { parseOrThrow } from '../../core/parse';
import type { MachinePower, RetireOutcome } from '../../ports';
import type { StepDeps } from '../deps';
import { FailedMemberSchema } from './inputs';

const RetireInputSchema = z.object({
  clusterName: z.string().min(1),
  failed: FailedMemberSchema,
  /** The joining host: a replacement onto the failed member's own instance retires nothing. */
  joiningHost: z.object({ instanceId: z.string().optional() }).loose(),
  /** This execution's name: the tag value. */
  replacedBy: z.string().min(1),
});

export type RetireResult = ({ readonly retired: true } & RetireOutcome) | { readonly retired: false; readonly reason: string };

export function makeRetireReplacedHost(deps: Pick<StepDeps, 'directory' | 'log'> & { readonly machines: MachinePower }) {
  return async function retireReplacedHost(raw: unknown): Promise<RetireResult> {
    const { clusterName, failed, joiningHost, replacedBy } = parseOrThrow(RetireInputSchema, raw, 'Retire Replaced Host input');
    if (failed.instanceId !== undefined && failed.instanceId === joiningHost.instanceId) {
      return { retired: false, reason: `the replacement runs on ${failed.name}'s own instance ${failed.instanceId}` };
    }
    const [machine] = deps.directory.recorded(clusterName, [failed]);
    const outcome = await deps.machines.retire(machine!, { clusterName, replacedBy });
    deps.log.info('replaced host retired', { cluster: clusterName, member: failed.name, instance: failed.instanceId, replacedBy, ...outcome });
    return { retired: true, ...outcome };
  };
}
