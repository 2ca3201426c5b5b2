// BackupCluster's grants, evaluated as AWS would (the IAM simulator over the synthesized policies): its steps touch
// the snapshot bucket only under `backups/` (Snapshot Before Change's `snapshots/` neither read nor deleted), only
// Prune Old Backups deletes a backup; the backup lock steps touch only `backup-lock#` items and the last good backup
// only `backup#` items, never a cluster record or the cluster lock; only the lock steps (the cluster's) may write
// `lock#` items. The stack also creates the schedule (rate(15 minutes)) and the workflow tag. cdk-nag runs in the synth.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EtcdHaStack } from '../../lib/etcd-ha-stack';
import { ALL_STEPS, BACKUP_STEPS } from '../../lambdas/catalog/steps';
import { logicalId } from '../support/cdk-template';
import { ACCOUNT, REGION, decide, policiesOfRole } from '../support/iam-simulator';

describe('BackupCluster IAM (simulated) and stack', () => {
  let template: Template;
  let stack: EtcdHaStack;
  let bucket: string;
  let table: string;
  const policiesOf = (step: (typeof ALL_STEPS)[number]) => policiesOfRole(template, logicalId(stack.steps[step].role));
  const object = (key: string) => `arn:aws:s3:::${bucket}/${key}`;
  const items = (keys: string[]) => ({ resource: table, context: { 'dynamodb:LeadingKeys': keys } });

  before(() => {
    process.env.CDK_VALIDATION = 'false';
    const app = new App();
    stack = new EtcdHaStack(app, 'EtcdHa');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    template = Template.fromJSON(app.synth().getStackByName(stack.stackName).template);
    bucket = logicalId(stack.snapshotBucket).toLowerCase();
    table = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${logicalId(stack.registryTable).toLowerCase()}`;
  });

  it('Take Backup writes objects under backups/ only; it cannot read or delete them, nor write snapshots/', async () => {
    const policies = policiesOf('takeBackup');
    assert.equal(await decide(policies, { action: 's3:PutObject', resource: object('backups/prod/2026-12-05T10-00-00-000Z.db') }), 'Allowed');
    assert.equal(await decide(policies, { action: 's3:PutObject', resource: object('snapshots/prod/before.db') }), 'ImplicitlyDenied');
    assert.equal(await decide(policies, { action: 's3:PutObject', resource: object('other/x') }), 'ImplicitlyDenied');
    assert.equal(await decide(policies, { action: 's3:DeleteObject', resource: object('backups/prod/x.db') }), 'ImplicitlyDenied');
    assert.equal(await decide(policies, { action: 's3:GetObject', resource: object('backups/prod/x.db') }), 'ImplicitlyDenied');
  });

  it('only Prune Old Backups deletes, and only under backups/; listing is limited to the backup prefix', async () => {
    const request = { action: 's3:DeleteObject', resource: object('backups/prod/x.db') };
    const allowed: string[] = [];
    for (const step of ALL_STEPS) if ((await decide(policiesOf(step), request)) === 'Allowed') allowed.push(step);
    assert.deepEqual(allowed, ['pruneBackups']);
    const prune = policiesOf('pruneBackups');
    assert.equal(await decide(prune, { action: 's3:DeleteObject', resource: object('snapshots/prod/before.db') }), 'ImplicitlyDenied');
    assert.equal(await decide(prune, { action: 's3:ListBucket', resource: `arn:aws:s3:::${bucket}`, context: { 's3:prefix': 'backups/prod/' } }), 'Allowed');
    assert.equal(await decide(prune, { action: 's3:ListBucket', resource: `arn:aws:s3:::${bucket}`, context: { 's3:prefix': 'snapshots/' } }), 'ImplicitlyDenied');
  });

  it('the backup lock and the last good backup have keys of their own: never the cluster record or the cluster lock', async () => {
    const acquire = policiesOf('acquireBackupLock');
    assert.equal(await decide(acquire, { action: 'dynamodb:PutItem', ...items(['backup-lock#prod']) }), 'Allowed');
    assert.equal(await decide(acquire, { action: 'dynamodb:PutItem', ...items(['lock#prod']) }), 'ImplicitlyDenied');
    assert.equal(await decide(acquire, { action: 'dynamodb:PutItem', ...items(['cluster#prod']) }), 'ImplicitlyDenied');
    const release = policiesOf('releaseBackupLock');
    assert.equal(await decide(release, { action: 'dynamodb:DeleteItem', ...items(['backup-lock#prod']) }), 'Allowed');
    assert.equal(await decide(release, { action: 'dynamodb:DeleteItem', ...items(['lock#prod']) }), 'ImplicitlyDenied');
    const record = policiesOf('recordLastGoodBackup');
    assert.equal(await decide(record, { action: 'dynamodb:PutItem', ...items(['backup#prod']) }), 'Allowed');
    assert.equal(await decide(record, { action: 'dynamodb:PutItem', ...items(['cluster#prod']) }), 'ImplicitlyDenied');
    assert.equal(await decide(record, { action: 'dynamodb:PutItem', ...items(['backup-lock#prod']) }), 'ImplicitlyDenied');
    for (const step of BACKUP_STEPS) {
      for (const key of ['cluster#prod', 'lock#prod']) {
        for (const action of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']) {
          assert.equal(await decide(policiesOf(step), { action, ...items([key]) }), 'ImplicitlyDenied', `${step} ${action} ${key}`);
        }
      }
    }
  });

  it("Publish Backup Metrics may PutMetricData into etcd-ha's namespace only, and read the last good backups without writing them", async () => {
    const publish = policiesOf('publishBackupMetrics');
    const put = (namespace?: string) => ({ action: 'cloudwatch:PutMetricData', resource: '*', context: namespace === undefined ? ({} as Record<string, string>) : { 'cloudwatch:namespace': namespace } });
    assert.equal(await decide(publish, put('etcd-ha')), 'Allowed');
    assert.equal(await decide(publish, put('AWS/EC2')), 'ImplicitlyDenied');
    assert.equal(await decide(publish, put('etcd-ha-other')), 'ImplicitlyDenied');
    assert.equal(await decide(publish, put()), 'ImplicitlyDenied');
    assert.equal(await decide(publish, { action: 'dynamodb:GetItem', ...items(['backup#prod']) }), 'Allowed');
    assert.equal(await decide(publish, { action: 'dynamodb:PutItem', ...items(['backup#prod']) }), 'ImplicitlyDenied');
    // No other backup step publishes.
    for (const step of BACKUP_STEPS.filter((s) => s !== 'publishBackupMetrics')) assert.equal(await decide(policiesOf(step), put('etcd-ha')), 'ImplicitlyDenied', step);
  });

  it('schedules BackupCluster every 15 minutes with { trigger: "schedule" }, tagged etcd-ha:workflow=BackupCluster; snapshots/ alone expires after 30 days', () => {
    const machine = logicalId(stack.backupCluster.stateMachine);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      Targets: [Match.objectLike({ Arn: { Ref: machine }, Input: '{"trigger":"schedule"}' })],
    });
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { Tags: Match.arrayWith([{ Key: 'etcd-ha:workflow', Value: 'BackupCluster' }]) });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ Id: 'ExpireSnapshots', Prefix: 'snapshots/', ExpirationInDays: 30 }), Match.objectLike({ Id: 'ExpirePrunedBackups', Prefix: 'backups/' })]),
      },
    });
  });

  it('backupSchedule "off" creates no rule; a bad schedule or retention names the prop', () => {
    const app = new App();
    const off = new EtcdHaStack(app, 'Off', { backupSchedule: 'off' });
    assert.equal(off.backupCluster.scheduleRule, undefined);
    assert.throws(() => new EtcdHaStack(new App(), 'Bad', { backupSchedule: 'every 5 minutes' }), /backupSchedule/);
    assert.throws(() => new EtcdHaStack(new App(), 'Bad', { backupRetention: { keepAllHours: 24, hourlyDays: -1, dailyDays: 90 } }), /backupRetention[\s\S]*hourlyDays: expected a whole number/);
  });
});
