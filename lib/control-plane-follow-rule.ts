// Keeps the control plane's client certificates current without an operator: an EventBridge rule on the membership
// events (source `etcd-ha`, `Membership Changed`) starts ConnectControlPlane for the cluster that changed. Those
// workflows are where Generate PKI renews a pair nearing its expiry, so a renewed apiserver-etcd-client pair reaches
// every control-plane host right after; an unchanged pair and manifest restart nothing (ConnectControlPlane is
// idempotent). Opt-in (`connectControlPlaneOnChange`): a cluster without tagged control-plane hosts would fail the run.
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { MEMBERSHIP_DETAIL_TYPES, MEMBERSHIP_EVENT_SOURCE } from '../lambdas/core/membership-event';

export interface ControlPlaneFollowRuleProps {
  readonly connectControlPlane: sfn.IStateMachine;
  /** The bus the membership events go to. @default - the account's default bus */
  readonly eventBus?: events.IEventBus;
}

export class ControlPlaneFollowRule extends Construct {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: ControlPlaneFollowRuleProps) {
    super(scope, id);
    this.rule = new events.Rule(this, 'Rule', {
      description: 'etcd-ha: after each completed membership change, ConnectControlPlane re-pushes the control plane\'s etcd client certificates (renewed ones included)',
      ...(props.eventBus && { eventBus: props.eventBus }),
      eventPattern: { source: [MEMBERSHIP_EVENT_SOURCE], detailType: [MEMBERSHIP_DETAIL_TYPES.changed] },
      targets: [
        new targets.SfnStateMachine(props.connectControlPlane, {
          input: events.RuleTargetInput.fromObject({ clusterName: events.EventField.fromPath('$.detail.cluster') }),
        }),
      ],
    });
  }
}
