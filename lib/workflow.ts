// A workflow's state machine, as every etcd-ha workflow has it: the definition a statemachines/ file builds
// (the same chain the local runner renders to ASL), Standard, logged to its own log group without execution
// data (payloads name secrets, never carry them, but stay out of the logs all the same), traced with X-Ray,
// and watched by an alarm on failed executions. ProvisionClusterWorkflow and ReplaceMemberWorkflow are this
// with their definitions.
import { type CfnElement, Duration, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { WORKFLOW_TAG } from '../lambdas/catalog/contracts';
import { acknowledge } from './nag';

/** What every workflow of the stack shares: where its logs go, and when its alarm fires. */
export interface WorkflowCommonProps {
  /** How long the state machine's log events are kept. */
  readonly logRetention: logs.RetentionDays;
  /** What happens to the log group when it leaves the stack. */
  readonly removalPolicy: RemovalPolicy;
  /** Failed executions within one alarm period that raise the alarm. */
  readonly alarmThreshold: number;
  /** Length of one alarm period. */
  readonly alarmPeriod: Duration;
  /**
   * SNS topic told when the alarm fires and when it clears.
   * @default - no action: the alarm shows in the console only
   */
  readonly alarmTopicArn?: string;
}

/** Only the common props of a workflow's props. */
export function workflowCommonProps(props: WorkflowCommonProps): WorkflowCommonProps {
  const { logRetention, removalPolicy, alarmThreshold, alarmPeriod, alarmTopicArn } = props;
  return { logRetention, removalPolicy, alarmThreshold, alarmPeriod, ...(alarmTopicArn !== undefined && { alarmTopicArn }) };
}

export interface WorkflowProps extends WorkflowCommonProps {
  /** Shown in the console, e.g. "etcd-ha ProvisionCluster: …". */
  readonly comment: string;
  /** What a failed execution means and where to look (the alarm's description). */
  readonly alarmDescription: string;
  /** Builds the definition in the given scope (the states' construct IDs are their names). */
  readonly definition: (scope: Construct) => sfn.IChainable;
  /** The functions the definition invokes (their versions and aliases are acknowledged for cdk-nag). */
  readonly functions: readonly lambda.IFunction[];
  /**
   * The value of the state machine's `etcd-ha:workflow` tag (WORKFLOW_TAG_VALUES), by which the command line finds it.
   * A tag changes no logical ID.
   */
  readonly workflowTag: string;
}

export class Workflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  readonly failedExecutionsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: WorkflowProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: props.removalPolicy });

    // The states are built in their own scope, so that their construct IDs (the state names) stay clear of ours.
    const definition = props.definition(new Construct(this, 'States'));

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: props.comment,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      stateMachineType: sfn.StateMachineType.STANDARD,
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    // On the state machine only (not its role or log group): the command line lists state machines and reads their tags.
    Tags.of(this.stateMachine).add(WORKFLOW_TAG, props.workflowTag, { includeResourceTypes: ['AWS::StepFunctions::StateMachine'] });
    // LambdaInvoke grants lambda:InvokeFunction on each function and on "<function ARN>:*" (its versions and aliases).
    const stack = Stack.of(this);
    const functionVersions = [...new Set(props.functions)].map((fn) => {
      const cfn = fn.node.defaultChild as CfnElement | undefined;
      return cfn ? `Resource::<${stack.getLogicalId(cfn)}.Arn>:*` : `Resource::${fn.functionArn}:*`;
    });
    acknowledge(
      this.stateMachine.role,
      'AwsSolutions-IAM5',
      "lambda:InvokeFunction on the versions and aliases (<function ARN>:*) of this stack's own step functions, added by LambdaInvoke.",
      functionVersions,
    );
    acknowledge(
      this.stateMachine.role,
      'AwsSolutions-IAM5',
      'X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) and CloudWatch Logs vended log delivery (logs:*LogDelivery*, *ResourcePolicies, DescribeLogGroups) support no resource-level permissions.',
      ['Resource::*'],
    );

    this.failedExecutionsAlarm = new cloudwatch.Alarm(this, 'ExecutionsFailedAlarm', {
      alarmDescription: props.alarmDescription,
      metric: this.stateMachine.metricFailed({ period: props.alarmPeriod, statistic: cloudwatch.Stats.SUM }),
      threshold: props.alarmThreshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmTopicArn !== undefined) {
      const topic = sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn);
      this.failedExecutionsAlarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
      this.failedExecutionsAlarm.addOkAction(new cloudwatchActions.SnsAction(topic));
    }
  }
}
