// The DrillRestore state machine: statemachines/drill-restore.ts as a Workflow (own log group, tracing, alarm on
// failed executions), the schedule that starts it with `{}` (every recorded cluster, fanned out by its Map), and
// two alarms on the fleet-wide RestoreDrillSucceeded metric (no dimensions) that Publish Drill Result writes:
// a drill failed, and no drill succeeded in 2 days (a drill that never runs is as bad as one that fails).
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { DRILL_STEPS, drillRestoreDefinition, type DrillStep } from '../statemachines/drill-restore';
import { DEFAULT_DRILL_SCHEDULE, METRICS, WORKFLOW_TAG_VALUES } from '../lambdas/catalog/contracts';
import { Workflow, workflowCommonProps, type WorkflowCommonProps } from './workflow';

/** DrillRestore's default schedule (lambdas/catalog/contracts.ts: the local scheduler reads it without CDK). */
export { DEFAULT_DRILL_SCHEDULE };

export interface DrillRestoreWorkflowProps extends WorkflowCommonProps {
  readonly functions: Readonly<Record<DrillStep, lambda.IFunction>>;
  /**
   * An EventBridge schedule expression (`rate(…)` or `cron(…)`) that starts a drill of every recorded cluster, or
   * 'off' for on-demand drills only (then there is no "no drill succeeded in 2 days" alarm).
   * @default DEFAULT_DRILL_SCHEDULE
   */
  readonly schedule?: string;
  /**
   * Told when a drill alarm fires and when it clears (the stack's alarm topic).
   * @default - none: the alarms only show in CloudWatch
   */
  readonly alarmTopic?: sns.ITopic;
}

export class DrillRestoreWorkflow extends Workflow {
  /** The scheduled rule (none with schedule 'off'). */
  readonly scheduleRule?: events.Rule;
  /** RestoreDrillSucceeded's minimum fell below 1: some drill failed. */
  readonly drillFailedAlarm: cloudwatch.Alarm;
  /** No RestoreDrillSucceeded of 1 for 2 days, missing data included (none with schedule 'off'). */
  readonly noDrillSucceededAlarm?: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: DrillRestoreWorkflowProps) {
    super(scope, id, {
      ...workflowCommonProps(props),
      workflowTag: WORKFLOW_TAG_VALUES.drillRestore,
      comment:
        "etcd-ha DrillRestore: the last good backup restored on one member host into a temporary dir, served by a temporary etcd on loopback ports, its keys and revision compared with the manifest, then removed; under each cluster's drill lock (never its cluster lock)",
      alarmDescription:
        'A DrillRestore execution failed: its Drill Failed state names each cluster whose drill failed and why (no backup, a snapshot that does not verify or open, no member answered, keys or revision unlike the manifest).',
      functions: DRILL_STEPS.map((step) => props.functions[step]),
      definition: (states) => drillRestoreDefinition(states, { functions: props.functions }),
    });
    const schedule = props.schedule ?? DEFAULT_DRILL_SCHEDULE;
    if (schedule !== 'off' && !/^(rate|cron)\(.+\)$/.test(schedule)) {
      throw new Error(`schedule must be an EventBridge schedule expression ("rate(1 day)", "cron(…)") or "off", got "${schedule}"`);
    }
    // The fleet-wide figure: the same points without the Cluster dimension.
    const succeeded = (statistic: string, period: Duration) =>
      new cloudwatch.Metric({ namespace: METRICS.namespace, metricName: METRICS.restoreDrillSucceeded, statistic, period });
    const action = props.alarmTopic && new cloudwatchActions.SnsAction(props.alarmTopic);
    this.drillFailedAlarm = new cloudwatch.Alarm(this, 'DrillFailedAlarm', {
      alarmDescription: `A restore drill failed (${METRICS.restoreDrillSucceeded} below 1): a backup may not restore. The DrillRestore execution's Drill Failed state names the cluster and why; the per-cluster figure has the Cluster dimension.`,
      metric: succeeded(cloudwatch.Stats.MINIMUM, Duration.hours(1)),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      // An hour without a drill is no failed drill.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (action) {
      this.drillFailedAlarm.addAlarmAction(action);
      this.drillFailedAlarm.addOkAction(action);
    }
    if (schedule === 'off') return;
    this.scheduleRule = new events.Rule(this, 'Schedule', {
      description: 'etcd-ha: starts DrillRestore for every recorded cluster',
      schedule: events.Schedule.expression(schedule),
      targets: [new targets.SfnStateMachine(this.stateMachine, { input: events.RuleTargetInput.fromObject({ trigger: 'schedule' }) })],
    });
    this.noDrillSucceededAlarm = new cloudwatch.Alarm(this, 'NoDrillSucceededAlarm', {
      alarmDescription: `No restore drill succeeded in 2 days (${METRICS.restoreDrillSucceeded} never 1, or not published at all): the drills fail or do not run.`,
      metric: succeeded(cloudwatch.Stats.MAXIMUM, Duration.days(1)),
      threshold: 1,
      evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    if (action) {
      this.noDrillSucceededAlarm.addAlarmAction(action);
      this.noDrillSucceededAlarm.addOkAction(action);
    }
  }
}
