// The SetMaintenance state machine: statemachines/set-maintenance.ts as a Workflow (own log group, tracing,
// alarm on failed executions). `etcd-ha pause|resume` starts it.
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { MAINTENANCE_STEPS, setMaintenanceDefinition, type MaintenanceStep } from '../statemachines/set-maintenance';
import { WORKFLOW_TAG_VALUES } from '../lambdas/catalog/contracts';
import { Workflow, workflowCommonProps, type WorkflowCommonProps } from './workflow';

export interface SetMaintenanceWorkflowProps extends WorkflowCommonProps {
  /** One function per step (the lock steps: ReplaceMember's functions). */
  readonly functions: Readonly<Record<MaintenanceStep, lambda.IFunction>>;
}

export class SetMaintenanceWorkflow extends Workflow {
  constructor(scope: Construct, id: string, props: SetMaintenanceWorkflowProps) {
    super(scope, id, {
      ...workflowCommonProps(props),
      workflowTag: WORKFLOW_TAG_VALUES.setMaintenance,
      comment: "etcd-ha SetMaintenance: pauses or resumes a cluster's automatic healing, under the cluster's lock",
      alarmDescription: 'A SetMaintenance execution failed: its Set Maintenance Failed state carries the error (an unknown cluster, a pause without a reason, or the lock held too long by a replacement).',
      functions: MAINTENANCE_STEPS.map((step) => props.functions[step]),
      definition: (states) => setMaintenanceDefinition(states, { functions: props.functions }),
    });
  }
}
