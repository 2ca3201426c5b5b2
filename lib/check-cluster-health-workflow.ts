// The CheckClusterHealth state machine: statemachines/check-cluster-health.ts as a Workflow (own log group, tracing,
// alarm on failed executions). `etcd-ha status` starts it and waits for its output.
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { WORKFLOW_TAG_VALUES } from '../lambdas/catalog/contracts';
import { HEALTH_CHECK_STEPS, checkClusterHealthDefinition, type HealthCheckStep } from '../statemachines/check-cluster-health';
import { Workflow, workflowCommonProps, type WorkflowCommonProps } from './workflow';

export interface CheckClusterHealthWorkflowProps extends WorkflowCommonProps {
  /** One function per step. */
  readonly functions: Readonly<Record<HealthCheckStep, lambda.IFunction>>;
}

export class CheckClusterHealthWorkflow extends Workflow {
  constructor(scope: Construct, id: string, props: CheckClusterHealthWorkflowProps) {
    super(scope, id, {
      ...workflowCommonProps(props),
      workflowTag: WORKFLOW_TAG_VALUES.checkClusterHealth,
      comment: "etcd-ha CheckClusterHealth: a cluster's record and every member's health over mTLS, read-only (no lock)",
      alarmDescription:
        'A CheckClusterHealth execution failed: its Health Check Failed state carries the error (the healthcheck client secret unreadable, the registry or etcd unreachable from the step). An unhealthy cluster is a successful execution.',
      functions: HEALTH_CHECK_STEPS.map((step) => props.functions[step]),
      definition: (states) => checkClusterHealthDefinition(states, { functions: props.functions }),
    });
  }
}
