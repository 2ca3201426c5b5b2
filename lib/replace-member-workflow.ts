// The ReplaceMember state machine: the definition statemachines/replace-member.ts builds (the same chain the
// local runner renders), as a Workflow (lib/workflow.ts: own log group, tracing, alarm on failed executions).
// An instance that is no member ends in Nothing To Replace, a success: EventBridge's state changes of every
// instance in the account raise no alarm.
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { REPLACE_STEPS, replaceMemberDefinition, type ReplaceStep } from '../statemachines/replace-member';
import { WORKFLOW_TAG_VALUES } from '../lambdas/catalog/contracts';
import { Workflow, workflowCommonProps, type WorkflowCommonProps } from './workflow';

export interface ReplaceMemberWorkflowProps extends WorkflowCommonProps {
  /** One function per step (the steps shared with ProvisionCluster: its functions). */
  readonly functions: Readonly<Record<ReplaceStep, lambda.IFunction>>;
  /** @default 10 (statemachines/replace-member.ts) */
  readonly lockWaitAttempts?: number;
  /** @default 5 (statemachines/replace-member.ts) */
  readonly healthCheckIntervalSeconds?: number;
  /** @default 60 (statemachines/replace-member.ts) */
  readonly healthCheckAttempts?: number;
  /** @default 30 (statemachines/replace-member.ts) */
  readonly promotionBudgetMinutes?: number;
  /** @default 600 (statemachines/replace-member.ts) */
  readonly stopGracePeriodSeconds?: number;
}

export class ReplaceMemberWorkflow extends Workflow {
  constructor(scope: Construct, id: string, props: ReplaceMemberWorkflowProps) {
    super(scope, id, {
      ...workflowCommonProps(props),
      workflowTag: WORKFLOW_TAG_VALUES.replaceMember,
      comment: "etcd-ha ReplaceMember: etcd's runtime reconfiguration runbook (remove, add as learner, promote) as a workflow",
      alarmDescription:
        'A ReplaceMember execution failed: its Report Failure state carries the error; Remove Unpromoted Learner and Release Lock After Failure ran before it.',
      functions: REPLACE_STEPS.map((step) => props.functions[step]),
      definition: (states) =>
        replaceMemberDefinition(states, {
          functions: props.functions,
          ...(props.lockWaitAttempts !== undefined && { lockWaitAttempts: props.lockWaitAttempts }),
          ...(props.healthCheckIntervalSeconds !== undefined && { healthCheckIntervalSeconds: props.healthCheckIntervalSeconds }),
          ...(props.healthCheckAttempts !== undefined && { healthCheckAttempts: props.healthCheckAttempts }),
          ...(props.promotionBudgetMinutes !== undefined && { promotionBudgetMinutes: props.promotionBudgetMinutes }),
          ...(props.stopGracePeriodSeconds !== undefined && { stopGracePeriodSeconds: props.stopGracePeriodSeconds }),
        }),
    });
  }
}
