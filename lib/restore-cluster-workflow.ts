// The RestoreCluster state machine: statemachines/restore-cluster.ts as a Workflow (own log group, tracing, alarm on
// failed executions). `etcd-ha restore --cluster NAME [--snapshot NAME] [--confirm NAME]` starts it; without confirm
// it is a dry run that only plans.
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { RESTORE_STEPS, restoreClusterDefinition, type RestoreStep } from '../statemachines/restore-cluster';
import { WORKFLOW_TAG_VALUES } from '../lambdas/catalog/contracts';
import { Workflow, workflowCommonProps, type WorkflowCommonProps } from './workflow';

export interface RestoreClusterWorkflowProps extends WorkflowCommonProps {
  /** One function per step (the lock, PKI, config, start and health steps: the shared functions). */
  readonly functions: Readonly<Record<RestoreStep, lambda.IFunction>>;
  /** @default 5 */
  readonly healthCheckIntervalSeconds?: number;
  /** @default 60 */
  readonly healthCheckAttempts?: number;
}

export class RestoreClusterWorkflow extends Workflow {
  constructor(scope: Construct, id: string, props: RestoreClusterWorkflowProps) {
    super(scope, id, {
      ...workflowCommonProps(props),
      workflowTag: WORKFLOW_TAG_VALUES.restoreCluster,
      comment: "etcd-ha RestoreCluster: a cluster that lost quorum brought back from a verified backup under its lock (every data dir moved aside, never deleted); a dry run without confirm",
      alarmDescription:
        'A RestoreCluster execution failed: its Restore Failed state names the cause and what the hosts hold (etcd stopped, data dirs moved aside); a refused request (no backup, a corrupt snapshot, a wrong confirm) changed nothing.',
      functions: RESTORE_STEPS.map((step) => props.functions[step]),
      definition: (states) =>
        restoreClusterDefinition(states, {
          functions: props.functions,
          ...(props.healthCheckIntervalSeconds !== undefined && { healthCheckIntervalSeconds: props.healthCheckIntervalSeconds }),
          ...(props.healthCheckAttempts !== undefined && { healthCheckAttempts: props.healthCheckAttempts }),
        }),
    });
  }
}
