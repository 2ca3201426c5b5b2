// The ProvisionCluster state machine: the definition statemachines/provision-cluster.ts builds, as a
// Workflow (lib/workflow.ts: own log group, tracing, alarm on failed executions).
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { PROVISION_STEPS, provisionClusterDefinition, type ProvisionStep } from '../statemachines/provision-cluster';
import { WORKFLOW_TAG_VALUES } from '../lambdas/catalog/contracts';
import { Workflow, workflowCommonProps, type WorkflowCommonProps } from './workflow';

export interface ProvisionClusterWorkflowProps extends WorkflowCommonProps {
  /** One function per step. */
  readonly functions: Readonly<Record<ProvisionStep, lambda.IFunction>>;
  /** @default 5 (statemachines/provision-cluster.ts) */
  readonly healthCheckIntervalSeconds?: number;
  /** @default 60 (statemachines/provision-cluster.ts) */
  readonly healthCheckAttempts?: number;
}

export class ProvisionClusterWorkflow extends Workflow {
  constructor(scope: Construct, id: string, props: ProvisionClusterWorkflowProps) {
    super(scope, id, {
      ...workflowCommonProps(props),
      workflowTag: WORKFLOW_TAG_VALUES.provisionCluster,
      comment: 'etcd-ha ProvisionCluster: the kubeadm HA etcd guide as a workflow',
      alarmDescription: 'A ProvisionCluster execution failed: its Provision Failed state carries the error and what to look at.',
      functions: PROVISION_STEPS.map((step) => props.functions[step]),
      definition: (states) =>
        provisionClusterDefinition(states, {
          functions: props.functions,
          ...(props.healthCheckIntervalSeconds !== undefined && { healthCheckIntervalSeconds: props.healthCheckIntervalSeconds }),
          ...(props.healthCheckAttempts !== undefined && { healthCheckAttempts: props.healthCheckAttempts }),
        }),
    });
  }
}
