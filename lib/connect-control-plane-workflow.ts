// The ConnectControlPlane state machine: statemachines/connect-control-plane.ts as a Workflow (own log group, tracing,
// alarm on failed executions). `etcd-ha connect-control-plane --cluster NAME [--instance ID ...]` starts it.
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { CONNECT_STEPS, connectControlPlaneDefinition, type ConnectStep } from '../statemachines/connect-control-plane';
import { WORKFLOW_TAG_VALUES } from '../lambdas/catalog/contracts';
import { Workflow, workflowCommonProps, type WorkflowCommonProps } from './workflow';

export interface ConnectControlPlaneWorkflowProps extends WorkflowCommonProps {
  /** One function per step (the lock steps: the shared functions). */
  readonly functions: Readonly<Record<ConnectStep, lambda.IFunction>>;
}

export class ConnectControlPlaneWorkflow extends Workflow {
  constructor(scope: Construct, id: string, props: ConnectControlPlaneWorkflowProps) {
    super(scope, id, {
      ...workflowCommonProps(props),
      workflowTag: WORKFLOW_TAG_VALUES.connectControlPlane,
      comment: "etcd-ha ConnectControlPlane: the control plane's etcd CA and client pair pushed to each control-plane host, then kube-apiserver's etcd flags changed one API server at a time, each waited for on its health endpoint",
      alarmDescription:
        'A ConnectControlPlane execution failed: its Connect Failed state names the host and the cause; hosts after the one that failed were not touched, and the lock was released.',
      functions: CONNECT_STEPS.map((step) => props.functions[step]),
      definition: (states) => connectControlPlaneDefinition(states, { functions: props.functions }),
    });
  }
}
