// The alarm topic and the no-good-backup alarm in the template (moto creates no CloudWatch alarms): without
// alarmTopicArn the stack creates an encrypted topic whose key lets CloudWatch publish, outputs its ARN, and every
// alarm notifies it; the alarm watches the fleet's LastGoodBackupAgeSeconds against 2 backup intervals, missing
// data breaching; none with backupSchedule "off". cdk-nag runs in the synth.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EtcdHaStack, type EtcdHaStackProps } from '../../lib/etcd-ha-stack';
import { logicalId } from '../support/cdk-template';

function synth(props: EtcdHaStackProps = {}, nag = false): { stack: EtcdHaStack; template: Template } {
  process.env.CDK_VALIDATION = nag ? 'true' : 'false';
  const app = new App();
  const stack = new EtcdHaStack(app, 'EtcdHa', props);
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { stack, template: Template.fromJSON(app.synth().getStackByName(stack.stackName).template) };
}

const alarmOnAge = (template: Template) =>
  Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((a) => a.Properties.MetricName === 'LastGoodBackupAgeSeconds');

describe('alarm topic and backup alarm', () => {
  let stack: EtcdHaStack;
  let template: Template;
  before(() => ({ stack, template } = synth({}, true)));

  it('creates an SNS topic encrypted with a key of its own, SSL only, and outputs its ARN', () => {
    const topic = logicalId(stack.alarmTopic as never);
    const topics = template.findResources('AWS::SNS::Topic');
    assert.deepEqual(Object.keys(topics), [topic]);
    const keyId = (topics[topic]!.Properties.KmsMasterKeyId as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const key = template.findResources('AWS::KMS::Key')[keyId]!;
    assert.equal(key.Properties.EnableKeyRotation, true);
    assert.notEqual(keyId, logicalId(stack.secretsKey), "not the clusters' secrets key");
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasOutput('AlarmTopicArn', { Value: { Ref: topic } });
  });

  it("lets CloudWatch (this account's alarms only) use the topic's key to publish", () => {
    const keyId = (template.findResources('AWS::SNS::Topic')[logicalId(stack.alarmTopic as never)]!.Properties.KmsMasterKeyId as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    const statements = template.findResources('AWS::KMS::Key')[keyId]!.Properties.KeyPolicy.Statement as Array<Record<string, unknown>>;
    const cloudwatch = statements.filter((s) => JSON.stringify(s.Principal) === JSON.stringify({ Service: 'cloudwatch.amazonaws.com' }));
    assert.equal(cloudwatch.length, 1);
    assert.deepEqual(cloudwatch[0]!.Action, ['kms:Decrypt', 'kms:GenerateDataKey*']);
    assert.deepEqual(cloudwatch[0]!.Condition, { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
  });

  it('alarms when the fleet has had no good backup for 2 intervals (rate(15 minutes): 1800 s over 30 minutes, missing data breaching), to the topic', () => {
    const alarms = alarmOnAge(template);
    assert.equal(alarms.length, 1);
    const topic = { Ref: logicalId(stack.alarmTopic as never) };
    assert.deepEqual(
      { ...alarms[0]!.Properties, AlarmDescription: undefined },
      {
        AlarmDescription: undefined,
        Namespace: 'etcd-ha',
        MetricName: 'LastGoodBackupAgeSeconds',
        Statistic: 'Maximum',
        Period: 1800,
        Threshold: 1800,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'breaching',
        AlarmActions: [topic],
        OKActions: [topic],
      },
    );
    assert.match(alarms[0]!.Properties.AlarmDescription as string, /No good backup .* for 2 backup intervals \(1800 s/);
  });

  it('every alarm of the stack notifies the created topic', () => {
    const topic = { Ref: logicalId(stack.alarmTopic as never) };
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    assert.equal(alarms.length, 15);
    for (const alarm of alarms) assert.deepEqual(alarm.Properties.AlarmActions, [topic]);
  });

  const schedules: Array<[string, number, number]> = [
    ['rate(1 hour)', 7200, 7200],
    ['rate(1 day)', 172_800, 172_800],
    // A cron expression counts as daily.
    ['cron(0 3 * * ? *)', 172_800, 172_800],
  ];
  for (const [backupSchedule, threshold, period] of schedules) {
    it(`backupSchedule ${backupSchedule}: threshold ${threshold} s, period ${period} s`, () => {
      const [alarm] = alarmOnAge(synth({ backupSchedule }).template);
      assert.equal(alarm!.Properties.Threshold, threshold);
      assert.equal(alarm!.Properties.Period, period);
    });
  }

  it('no backup alarm with backupSchedule "off"; the topic stays', () => {
    const off = synth({ backupSchedule: 'off' }).template;
    assert.equal(alarmOnAge(off).length, 0);
    off.resourceCountIs('AWS::SNS::Topic', 1);
  });

  it('a given alarmTopicArn is used as it is: no topic, no key for it', () => {
    const given = synth({ alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops' }).template;
    given.resourceCountIs('AWS::SNS::Topic', 0);
    given.resourceCountIs('AWS::KMS::Key', 1);
    assert.deepEqual(alarmOnAge(given)[0]!.Properties.AlarmActions, ['arn:aws:sns:eu-west-1:123456789012:ops']);
  });

  it('refuses a backup schedule under a minute, naming backupSchedule', () => {
    assert.throws(() => synth({ backupSchedule: 'rate(30 seconds)' }), /backupSchedule must be at least a minute apart/);
  });
});
