// Complete Lifecycle Action: the last step of an execution started by an Auto Scaling terminate lifecycle
// hook, on success and on failure alike: the group goes on (CONTINUE) with terminating the instance, whose
// member has been replaced (or could not be, and is then left to the EC2 state-change rule).
import { z } from 'zod';
import { parseOrThrow } from '../../core/parse';
import { LifecycleActionUnsupportedError } from '../../core/errors';
import type { LifecycleActions, Logger } from '../../ports';
import { LifecycleActionSchema } from './inputs';

const CompleteInputSchema = z.object({
  lifecycle: LifecycleActionSchema,
  /** How the replacement ended ("replaced", "nothing-to-replace", "failed"), for the log. */
  outcome: z.string().optional(),
});

/** Terminating an instance is the only way on for a terminate hook: CONTINUE, also after a failure. */
export const LIFECYCLE_ACTION_RESULT = 'CONTINUE';

export function makeCompleteLifecycleAction(deps: { readonly lifecycle?: LifecycleActions; readonly log: Logger }) {
  return async function completeLifecycleAction(raw: unknown): Promise<{ completed: boolean; result: typeof LIFECYCLE_ACTION_RESULT; reason?: string }> {
    const { lifecycle, outcome } = parseOrThrow(CompleteInputSchema, raw, 'Complete Lifecycle Action input');
    if (deps.lifecycle === undefined) {
      throw new LifecycleActionUnsupportedError(
        `cannot complete the lifecycle action of ${lifecycle.instanceId} (hook ${lifecycle.lifecycleHookName}, group ${lifecycle.autoScalingGroupName}): ` +
          'no Auto Scaling adapter here; lifecycle actions exist only on AWS',
      );
    }
    const { completed, reason } = await deps.lifecycle.complete(lifecycle, LIFECYCLE_ACTION_RESULT);
    const fields = { instanceId: lifecycle.instanceId, group: lifecycle.autoScalingGroupName, hook: lifecycle.lifecycleHookName, outcome, reason };
    if (completed) deps.log.info('lifecycle action completed', fields);
    else deps.log.warn('lifecycle action was no longer pending', fields);
    return { completed, result: LIFECYCLE_ACTION_RESULT, ...(reason !== undefined && { reason }) };
  };
}
