// The ScaleCluster state machine: statemachines/adopt-cluster.ts as a Workflow (own log group, tracing, alarm on
// failed executions). `etcd-ha scale --cluster NAME --members N [--instance ID ...]` starts it.
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { ADOPT_STEPS, adoptClusterDefinition, type AdoptStep } from '../statemachines/adopt-cluster';
import { WORKFLOW_TAG_VALUES } from '../lambdas/catalog/contracts';
import { Workflow, workflowCommonProps, type WorkflowCommonProps } from './workflow';

export interface AdoptClusterWorkflowProps extends WorkflowCommonProps {
  /** One function per step (the lock, snapshot, health and record steps: the shared functions). */
  readonly functions: Readonly<Record<AdoptStep, lambda.IFunction>>;
  /** @default 5 */
  readonly healthCheckIntervalSeconds?: number;
  /** @default 60 */
  readonly healthCheckAttempts?: number;
}

export class AdoptClusterWorkflow extends Workflow {
  constructor(scope: Construct, id: string, props: AdoptClusterWorkflowProps) {
    super(scope, id, {
      ...workflowCommonProps(props),
      workflowTag: WORKFLOW_TAG_VALUES.adoptCluster,
      comment: 'etcd-ha ScaleCluster: a cluster grown or shrunk to an odd size under its lock, one member at a time (learner, promote, record; or leadership moved, remove, stop, revoke, record)',
      alarmDescription:
        'A ScaleCluster execution failed: its Scale Failed state names the cause; each change made before it is recorded (the record matches etcd), a learner it added and could not promote is removed again.',
      functions: ADOPT_STEPS.map((step) => props.functions[step]),
      definition: (states) =>
        adoptClusterDefinition(states, {
          functions: props.functions,
          ...(props.healthCheckIntervalSeconds !== undefined && { healthCheckIntervalSeconds: props.healthCheckIntervalSeconds }),
          ...(props.healthCheckAttempts !== undefined && { healthCheckAttempts: props.healthCheckAttempts }),
        }),
    });
  }
}
