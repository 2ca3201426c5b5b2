// The DeleteCluster state machine: statemachines/delete-cluster.ts as a Workflow (own log group, tracing, alarm on
// failed executions). `etcd-ha delete --cluster NAME [--confirm NAME]` starts it.
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { DELETE_STEPS, deleteClusterDefinition, type DeleteStep } from '../statemachines/delete-cluster';
import { WORKFLOW_TAG_VALUES } from '../lambdas/catalog/contracts';
import { Workflow, workflowCommonProps, type WorkflowCommonProps } from './workflow';

export interface DeleteClusterWorkflowProps extends WorkflowCommonProps {
  /** One function per step (the lock steps and Stop Etcd And Set Data Aside: the shared functions). */
  readonly functions: Readonly<Record<DeleteStep, lambda.IFunction>>;
}

export class DeleteClusterWorkflow extends Workflow {
  constructor(scope: Construct, id: string, props: DeleteClusterWorkflowProps) {
    super(scope, id, {
      ...workflowCommonProps(props),
      workflowTag: WORKFLOW_TAG_VALUES.deleteCluster,
      comment: "etcd-ha DeleteCluster: stops a cluster's etcd (data dirs moved aside), deletes its secrets and record under its lock; a dry run without confirm",
      alarmDescription:
        'A DeleteCluster execution failed: its Delete Cluster Failed state carries the error (an unknown cluster, a confirm that does not match, a host script that failed, or the lock held too long by another change). A re-run finishes what it began.',
      functions: DELETE_STEPS.map((step) => props.functions[step]),
      definition: (states) => deleteClusterDefinition(states, { functions: props.functions }),
    });
  }
}
