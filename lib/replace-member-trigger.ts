// What starts ReplaceMember without an operator: EventBridge rules on the account's default event bus.
//  - InstanceStateChangeRule: every EC2 instance that terminates (shutting-down, terminated): replaced at once.
//  - InstanceStoppedRule: every EC2 instance that stops (stopping, stopped). A stop is not a death: the workflow
//    waits the grace period and replaces the member only if the instance is still stopped and the member silent.
//    EventBridge cannot filter on instance tags (EC2's events carry none), so both rules list the member instances:
//    created with a placeholder that matches no instance, rewritten every minute by Sync Member Rules
//    (lib/member-rule-sync.ts) from the registry. Validate Request still ends quietly in Nothing To Replace for an
//    instance that is no member.
//    (The scheduled health probe, lib/health-probe.ts, covers a dead etcd on a running instance.)
//  - LifecycleActionRule (given Auto Scaling group names): a terminate lifecycle hook of those groups. The
//    instance is still running (Terminating:Wait), so the request asks to replace its member even though it
//    still answers (force), and carries the lifecycle action, which the workflow completes (CONTINUE) at its end.
// Both targets start an execution with their own role (states:StartExecution on ReplaceMember only), retry,
// and send what they could not deliver to an encrypted dead-letter queue, watched by an alarm.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { STOPPED_INSTANCE_STATES } from '../statemachines/replace-member';
import { NO_MEMBER_INSTANCE } from '../lambdas/catalog/contracts';
import { acknowledge } from './nag';

/** The instance states after which the instance is gone for good: its member is replaced at once. */
export const TERMINATED_INSTANCE_STATES = ['shutting-down', 'terminated'] as const;
/** The instance states after which it may come back (a resize): the workflow waits the grace period first. */
export { STOPPED_INSTANCE_STATES };

/** `trigger` of the executions each rule (and the health probe) starts (ReplaceRequestSchema; lambdas/core/maintenance.ts). */
export const TRIGGERS = { instanceStateChange: 'ec2-state-change', lifecycleAction: 'asg-lifecycle', healthProbe: 'health-probe' } as const;

/** How long and how often EventBridge tries to start an execution before the event goes to the dead-letter queue. */
export const TARGET_RETRY_ATTEMPTS = 20;
export const TARGET_MAX_EVENT_AGE = Duration.hours(1);

export interface ReplaceMemberTriggerProps {
  /** The ReplaceMember state machine the rules start. */
  readonly stateMachine: sfn.IStateMachine;
  /** Start it when an EC2 instance terminates (at once) or stops (the workflow waits its grace period). */
  readonly instanceStateChange: boolean;
  /**
   * Auto Scaling groups whose terminate lifecycle hook (the hook itself is the group's business) starts it.
   * @default - no lifecycle rule
   */
  readonly autoScalingGroupNames?: readonly string[];
  /** What happens to the dead-letter queue when it leaves the stack. */
  readonly removalPolicy: RemovalPolicy;
  /**
   * SNS topic told when an event lands in the dead-letter queue, and when it is empty again.
   * @default - no action: the alarm shows in the console only
   */
  readonly alarmTopicArn?: string;
}

export class ReplaceMemberTrigger extends Construct {
  /** The role EventBridge assumes to start executions: states:StartExecution on the state machine, nothing else. */
  readonly role: iam.Role;
  readonly deadLetterQueue: sqs.Queue;
  readonly deadLetterAlarm: cloudwatch.Alarm;
  readonly instanceStateChangeRule?: events.Rule;
  readonly instanceStoppedRule?: events.Rule;
  readonly lifecycleActionRule?: events.Rule;

  constructor(scope: Construct, id: string, props: ReplaceMemberTriggerProps) {
    super(scope, id);
    const groups = props.autoScalingGroupNames ?? [];
    if (!props.instanceStateChange && groups.length === 0) {
      throw new Error('ReplaceMemberTrigger needs instanceStateChange or autoScalingGroupNames, got neither');
    }

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: 'etcd-ha: EventBridge starts ReplaceMember executions',
    });
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    acknowledge(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the EventBridge targets that start ReplaceMember; its alarm tells when an event lands in it.',
    );
    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLetterAlarm', {
      alarmDescription:
        'An EC2 or Auto Scaling event could not start ReplaceMember (see the message in the dead-letter queue): a failed member may be waiting for a replacement.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmTopicArn !== undefined) {
      const topic = sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn);
      this.deadLetterAlarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
      this.deadLetterAlarm.addOkAction(new cloudwatchActions.SnsAction(topic));
    }

    const target = (input: events.RuleTargetInput) =>
      new targets.SfnStateMachine(props.stateMachine, {
        role: this.role,
        input,
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: TARGET_RETRY_ATTEMPTS,
        maxEventAge: TARGET_MAX_EVENT_AGE,
      });

    if (props.instanceStateChange) {
      const stateChange = (description: string, states: readonly string[]) =>
        ({
          description,
          // Sync Member Rules replaces the placeholder with the member instances (a deploy puts it back).
          eventPattern: { source: ['aws.ec2'], detailType: ['EC2 Instance State-change Notification'], detail: { 'instance-id': [NO_MEMBER_INSTANCE], state: [...states] } },
          targets: [
            target(
              events.RuleTargetInput.fromObject({
                failedInstanceId: events.EventField.fromPath('$.detail.instance-id'),
                trigger: TRIGGERS.instanceStateChange,
                // Is Instance Stopped? reads it: stopping/stopped wait the grace period.
                instanceState: events.EventField.fromPath('$.detail.state'),
              }),
            ),
          ],
        }) satisfies events.RuleProps;
      // The construct ID of the rule that took every state before stays: it is a logical ID.
      this.instanceStateChangeRule = new events.Rule(
        this,
        'InstanceStateChangeRule',
        stateChange('etcd-ha: an EC2 instance terminates; ReplaceMember replaces its etcd member at once, if it has one', TERMINATED_INSTANCE_STATES),
      );
      this.instanceStoppedRule = new events.Rule(
        this,
        'InstanceStoppedRule',
        stateChange('etcd-ha: an EC2 instance stops; ReplaceMember waits the grace period and replaces its member only if it stays stopped and silent', STOPPED_INSTANCE_STATES),
      );
    }

    if (groups.length > 0) {
      const instanceId = events.EventField.fromPath('$.detail.EC2InstanceId');
      this.lifecycleActionRule = new events.Rule(this, 'LifecycleActionRule', {
        description: 'etcd-ha: an Auto Scaling group holds a terminating instance; ReplaceMember replaces its etcd member, then lets the group go on',
        eventPattern: {
          source: ['aws.autoscaling'],
          detailType: ['EC2 Instance-terminate Lifecycle Action'],
          detail: { AutoScalingGroupName: [...groups] },
        },
        targets: [
          target(
            events.RuleTargetInput.fromObject({
              failedInstanceId: instanceId,
              trigger: TRIGGERS.lifecycleAction,
              // The instance still runs etcd while the hook holds it: replace the member all the same.
              force: true,
              lifecycle: {
                lifecycleHookName: events.EventField.fromPath('$.detail.LifecycleHookName'),
                autoScalingGroupName: events.EventField.fromPath('$.detail.AutoScalingGroupName'),
                lifecycleActionToken: events.EventField.fromPath('$.detail.LifecycleActionToken'),
                instanceId,
              },
            }),
          ),
        ],
      });
    }
  }
}
