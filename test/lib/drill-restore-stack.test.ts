// DrillRestore in the synthesized stack (moto creates neither schedules nor alarms: asserted in the template) and
// its grants evaluated as AWS would (the IAM simulator): the state machine tagged etcd-ha:workflow=DrillRestore, the
// daily schedule starting it with {"trigger":"schedule"} (another with context restoreDrillSchedule, none with "off"),
// the two alarms on the fleet-wide RestoreDrillSucceeded (a drill failed: Minimum < 1; no drill succeeded in 2 days:
// missing data breaching) telling the alarm topic; only Publish Drill Result may put metrics, only in the etcd-ha
// namespace; the drill lock steps touch only drill-lock# items, Find Last Good Backup only reads backup# items, and
// no drill step may write a cluster record, the cluster lock or a backup. cdk-nag runs in the synth.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EtcdHaStack } from '../../lib/etcd-ha-stack';
import { stackPropsFromContext } from '../../lib/context';
import { ALL_STEPS, DRILL_STEPS } from '../../lambdas/catalog/steps';
import { logicalId } from '../support/cdk-template';
import { ACCOUNT, REGION, decide, policiesOfRole } from '../support/iam-simulator';

function synth(context: Record<string, string> = {}): { template: Template; stack: EtcdHaStack } {
  process.env.CDK_VALIDATION = 'false';
  const app = new App({ context });
  const stack = new EtcdHaStack(app, 'EtcdHa', stackPropsFromContext(app.node));
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { template: Template.fromJSON(app.synth().getStackByName(stack.stackName).template), stack };
}

describe('DrillRestore stack and IAM (simulated)', () => {
  let template: Template;
  let stack: EtcdHaStack;
  let table: string;
  const policiesOf = (step: (typeof ALL_STEPS)[number]) => policiesOfRole(template, logicalId(stack.steps[step].role));
  const items = (keys: string[]) => ({ resource: table, context: { 'dynamodb:LeadingKeys': keys } });

  before(() => {
    ({ template, stack } = synth());
    table = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${logicalId(stack.registryTable).toLowerCase()}`;
  });

  it('tags the state machine and starts it daily with {"trigger":"schedule"}', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { Tags: Match.arrayWith([{ Key: 'etcd-ha:workflow', Value: 'DrillRestore' }]) });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 day)',
      Targets: [Match.objectLike({ Arn: { Ref: logicalId(stack.drillRestore.stateMachine) }, Input: '{"trigger":"schedule"}' })],
    });
  });

  it('alarms on the fleet-wide metric: a drill failed, and no drill succeeded in 2 days (missing data breaching), both to the alarm topic', () => {
    const alarms = template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'RestoreDrillSucceeded' } });
    const byId = Object.fromEntries(Object.values(alarms).map((a) => [a.Properties.AlarmDescription.startsWith('A restore drill failed') ? 'failed' : 'none', a.Properties]));
    assert.deepEqual(Object.keys(byId).sort(), ['failed', 'none']);
    const common = { Namespace: 'etcd-ha', Threshold: 1, ComparisonOperator: 'LessThanThreshold' };
    assert.deepEqual({ ...pick(byId.failed, Object.keys(common)), Statistic: byId.failed.Statistic, Period: byId.failed.Period, EvaluationPeriods: byId.failed.EvaluationPeriods, TreatMissingData: byId.failed.TreatMissingData }, {
      ...common, Statistic: 'Minimum', Period: 3600, EvaluationPeriods: 1, TreatMissingData: 'notBreaching',
    });
    assert.deepEqual({ ...pick(byId.none, Object.keys(common)), Statistic: byId.none.Statistic, Period: byId.none.Period, EvaluationPeriods: byId.none.EvaluationPeriods, TreatMissingData: byId.none.TreatMissingData }, {
      ...common, Statistic: 'Maximum', Period: 86_400, EvaluationPeriods: 2, TreatMissingData: 'breaching',
    });
    for (const alarm of Object.values(byId)) {
      // No dimensions: the fleet-wide figure (the per-cluster one carries Cluster).
      assert.equal(alarm.Dimensions, undefined);
      // The stack's alarm topic (lib/parts/alarms.ts), the one every alarm of the stack notifies.
      const topic = { Ref: logicalId(stack.alarmTopic as never) };
      assert.deepEqual(alarm.AlarmActions, [topic]);
      assert.deepEqual(alarm.OKActions, [topic]);
    }
  });

  it('context restoreDrillSchedule: another expression, or "off" (no schedule, no "none succeeded" alarm); a bad one is refused by name', () => {
    const weekly = synth({ restoreDrillSchedule: 'cron(0 3 ? * SUN *)' }).template;
    weekly.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 3 ? * SUN *)' });
    const off = synth({ restoreDrillSchedule: 'off' });
    assert.equal(Object.keys(off.template.findResources('AWS::Events::Rule', { Properties: { Targets: [Match.objectLike({ Arn: { Ref: logicalId(off.stack.drillRestore.stateMachine) } })] } })).length, 0);
    assert.equal(Object.keys(off.template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'RestoreDrillSucceeded' } })).length, 1);
    assert.throws(() => synth({ restoreDrillSchedule: 'daily' }), /restoreDrillSchedule must be an EventBridge schedule expression .* or "off", got "daily"/);
  });

  it('only Publish Drill Result and Publish Backup Metrics put metrics, only in the etcd-ha namespace', async () => {
    const put = (namespace: string) => ({ action: 'cloudwatch:PutMetricData', resource: '*', context: { 'cloudwatch:namespace': namespace } });
    const allowed: string[] = [];
    for (const step of ALL_STEPS) if ((await decide(policiesOf(step), put('etcd-ha'))) === 'Allowed') allowed.push(step);
    // Publish Backup Metrics is BackupCluster's (test/lib/backup-metrics-iam.test.ts and the like).
    assert.deepEqual(allowed, ['publishBackupMetrics', 'publishDrillResult']);
    assert.equal(await decide(policiesOf('publishDrillResult'), put('AWS/EC2')), 'ImplicitlyDenied');
  });

  it('the drill lock has keys of its own, the last good backup is read-only; no drill step writes a record, the cluster lock or a backup', async () => {
    const acquire = policiesOf('acquireDrillLock');
    assert.equal(await decide(acquire, { action: 'dynamodb:PutItem', ...items(['drill-lock#prod']) }), 'Allowed');
    for (const key of ['lock#prod', 'backup-lock#prod', 'cluster#prod']) assert.equal(await decide(acquire, { action: 'dynamodb:PutItem', ...items([key]) }), 'ImplicitlyDenied', key);
    assert.equal(await decide(policiesOf('releaseDrillLock'), { action: 'dynamodb:DeleteItem', ...items(['drill-lock#prod']) }), 'Allowed');
    assert.equal(await decide(policiesOf('releaseDrillLock'), { action: 'dynamodb:DeleteItem', ...items(['lock#prod']) }), 'ImplicitlyDenied');
    const find = policiesOf('findLastGoodBackup');
    assert.equal(await decide(find, { action: 'dynamodb:GetItem', ...items(['backup#prod']) }), 'Allowed');
    assert.equal(await decide(find, { action: 'dynamodb:PutItem', ...items(['backup#prod']) }), 'ImplicitlyDenied');
    for (const step of DRILL_STEPS) {
      const policies = policiesOf(step);
      for (const key of ['cluster#prod', 'lock#prod', 'backup#prod']) {
        assert.equal(await decide(policies, { action: 'dynamodb:PutItem', ...items([key]) }), 'ImplicitlyDenied', `${step} ${key}`);
      }
      const bucket = logicalId(stack.snapshotBucket).toLowerCase();
      assert.equal(await decide(policies, { action: 's3:PutObject', resource: `arn:aws:s3:::${bucket}/backups/prod/x.db` }), 'ImplicitlyDenied', step);
    }
  });
});

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, o[k]]));
}
