// The stack's alarm topic and the alarms on etcd-ha's own metrics. Every alarm of the stack (the workflows' failed
// executions, the dead-letter queue, the no-good-backup alarm, the drills') notifies this topic: the one given
// (alarmTopicArn), or one the stack creates, encrypted with a key of its own whose policy lets CloudWatch publish.
import { Aws, Duration, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { METRICS } from '../../lambdas/catalog/contracts';
import { backupAlarmFigures } from '../../lambdas/core/backup/backup-alarm';

export interface AlarmsProps {
  /** An existing topic; none: the stack creates one. */
  readonly alarmTopicArn?: string;
  /** BackupCluster's schedule (EventBridge expression or "off"); "off": no backup alarm. */
  readonly backupSchedule: string;
  readonly removalPolicy: RemovalPolicy;
}

export interface Alarms {
  /** Where every alarm of the stack goes (in alarm and back to OK). */
  readonly alarmTopic: sns.ITopic;
  /** "No good backup for 2 intervals" (none when backupSchedule is "off"). */
  readonly noGoodBackupAlarm?: cloudwatch.Alarm;
}

export function addAlarms(stack: Stack, props: AlarmsProps): Alarms {
  const alarmTopic = props.alarmTopicArn !== undefined ? sns.Topic.fromTopicArn(stack, 'AlarmTopic', props.alarmTopicArn) : createAlarmTopic(stack, props.removalPolicy);
  const figures = backupAlarmFigures(props.backupSchedule);
  if (figures === undefined) return { alarmTopic };
  if (figures.intervalSeconds < 60) throw new Error(`backupSchedule must be at least a minute apart (EventBridge's shortest rate), got "${props.backupSchedule}"`);
  const noGoodBackupAlarm = new cloudwatch.Alarm(stack, 'NoGoodBackupAlarm', {
    alarmDescription:
      `No good backup of some etcd cluster for 2 backup intervals (${figures.thresholdSeconds} s; backupSchedule ${props.backupSchedule}), or BackupCluster has not reported for as long. ` +
      `The ${METRICS.lastGoodBackupAge} metric with the Cluster dimension names the cluster; a value of 315360000 (10 years) means it has no good backup at all. ` +
      'See the failed BackupCluster executions (Backup Failed names each cluster\'s error).',
    metric: new cloudwatch.Metric({
      namespace: METRICS.namespace,
      metricName: METRICS.lastGoodBackupAge,
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.seconds(figures.periodSeconds),
    }),
    threshold: figures.thresholdSeconds,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    // No point for a whole period: BackupCluster did not run or could not publish, and no backup is known good.
    treatMissingData: cloudwatch.TreatMissingData.BREACHING,
  });
  noGoodBackupAlarm.addAlarmAction(new cloudwatchActions.SnsAction(alarmTopic));
  noGoodBackupAlarm.addOkAction(new cloudwatchActions.SnsAction(alarmTopic));
  return { alarmTopic, noGoodBackupAlarm };
}

/**
 * An SNS topic encrypted with a key of its own: CloudWatch can publish to an encrypted topic only when the key's
 * policy lets cloudwatch.amazonaws.com use it (the AWS-managed SNS key does not), and the clusters' secrets key
 * is not one to share with a service principal.
 */
function createAlarmTopic(stack: Stack, removalPolicy: RemovalPolicy): sns.Topic {
  const key = new kms.Key(stack, 'AlarmTopicKey', {
    description: "etcd-ha: encrypts the alarm topic's messages; CloudWatch alarms of this account may use it to publish",
    enableKeyRotation: true,
    removalPolicy,
    ...(removalPolicy === RemovalPolicy.DESTROY && { pendingWindow: Duration.days(7) }),
  });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      // Only for alarms of this account (no confused deputy).
      conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
    }),
  );
  return new sns.Topic(stack, 'AlarmTopic', {
    displayName: 'etcd-ha alarms',
    masterKey: key,
    enforceSSL: true,
  });
}
