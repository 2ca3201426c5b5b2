// LifecycleActions on AWS: CompleteLifecycleAction for the terminate hook that holds a member's instance.
// Safe to repeat: an action that is no longer pending (completed already, or past its heartbeat timeout,
// when the group applied the hook's default result by itself) is reported, not thrown.
import { CompleteLifecycleActionCommand, type AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { LifecycleAction, LifecycleActions } from '../../ports';

/** Auto Scaling's answer for a token or instance without a pending action (a ValidationError). */
const NOT_PENDING = /No active Lifecycle Action found/i;

export interface AutoScalingLifecycleActionsProps {
  /** The Auto Scaling client, created once per module by the composition root. */
  readonly client: AutoScalingClient;
}

export class AutoScalingLifecycleActions implements LifecycleActions {
  private readonly client: AutoScalingClient;

  constructor(props: AutoScalingLifecycleActionsProps) {
    this.client = props.client;
  }

  async complete(action: LifecycleAction, result: 'CONTINUE' | 'ABANDON'): Promise<{ completed: boolean; reason?: string }> {
    try {
      await this.client.send(
        new CompleteLifecycleActionCommand({
          LifecycleHookName: action.lifecycleHookName,
          AutoScalingGroupName: action.autoScalingGroupName,
          LifecycleActionToken: action.lifecycleActionToken,
          InstanceId: action.instanceId,
          LifecycleActionResult: result,
        }),
      );
      return { completed: true };
    } catch (error) {
      const { name, message } = error as { name?: string; message?: string };
      if (name === 'ValidationError' && NOT_PENDING.test(message ?? '')) return { completed: false, reason: message! };
      throw error;
    }
  }
}
