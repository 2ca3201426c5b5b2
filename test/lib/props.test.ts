// EtcdHaStack props: validated in the constructor (the error names the prop, the limit and the value), and
// read from CDK context (cdk.json or `-c key=value`, where everything arrives as a string). Bundling is
// skipped here ('aws:cdk:bundling-stacks': []): these tests look at props, not at the Lambda code.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { App, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { CONTEXT_KEYS, stackPropsFromContext } from '../../lib/context';
import { EtcdHaStack, MAX_HOST_COMMAND_TIMEOUT_SECONDS, type EtcdHaStackProps } from '../../lib/etcd-ha-stack';

process.env.CDK_VALIDATION = 'false';

const noBundling = (context: Record<string, unknown> = {}) => new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
const build = (props: EtcdHaStackProps) => new EtcdHaStack(noBundling(), 'EtcdHa', props);
const fromContext = (context: Record<string, unknown>) => stackPropsFromContext(noBundling(context).node);

describe('EtcdHaStack props validation', () => {
  const cases: Array<[string, EtcdHaStackProps, RegExp]> = [
    ['only part of the network', { vpcId: 'vpc-0123456789abcdef0' }, /^vpcId, subnetIds and securityGroupId must be given all three or none, got \{"vpcId":"vpc-0123456789abcdef0"\}$/],
    ['a bad VPC ID', { vpcId: 'vpc-xyz', subnetIds: ['subnet-0123456789abcdef0'], securityGroupId: 'sg-0123456789abcdef0' }, /^vpcId must be a VPC ID \(vpc-…\), got "vpc-xyz"$/],
    ['no subnets', { vpcId: 'vpc-0123456789abcdef0', subnetIds: [], securityGroupId: 'sg-0123456789abcdef0' }, /^subnetIds must be 1 to 16 subnet IDs, got \[\]$/],
    ['a bad subnet ID', { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['sn-1'], securityGroupId: 'sg-0123456789abcdef0' }, /^subnetIds must be subnet IDs \(subnet-…\), got "sn-1"$/],
    ['a bad security group ID', { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0'], securityGroupId: 'default' }, /^securityGroupId must be a security group ID \(sg-…\), got "default"$/],
    ['a host command timeout past what Lambda allows', { hostCommandTimeoutSeconds: 900 }, new RegExp(`^hostCommandTimeoutSeconds must be a whole number from 30 to ${MAX_HOST_COMMAND_TIMEOUT_SECONDS} .*, got 900$`)],
    ['a retention CloudWatch Logs does not offer', { logRetention: 4 as logs.RetentionDays }, /^logRetention must be one of logs.RetentionDays, got 4$/],
    ['a secret prefix with a trailing slash', { secretPrefix: 'etcd-ha/' }, /^secretPrefix must be .*, got "etcd-ha\/"$/],
    ['an alarm threshold of 0', { alarmThreshold: 0 }, /^alarmThreshold must be a whole number >= 1, got 0$/],
    ['an alarm period of a day and a minute', { alarmPeriodMinutes: 1441 }, /^alarmPeriodMinutes must be a whole number from 1 to 1440, got 1441$/],
    ['a topic that is no SNS ARN', { alarmTopicArn: 'arn:aws:sqs:us-east-1:123456789012:q' }, /^alarmTopicArn must be an SNS topic ARN, got "arn:aws:sqs:us-east-1:123456789012:q"$/],
    ['no health checks', { healthCheckAttempts: 0 }, /healthCheckAttempts must be a whole number from 1 to 1000, got 0/],
    ['a fractional health check interval', { healthCheckIntervalSeconds: 2.5 }, /healthCheckIntervalSeconds must be a whole number from 1 to 300, got 2.5/],
    ['an empty list of Auto Scaling groups', { autoScalingGroupNames: [] }, /^autoScalingGroupNames must be 1 to 50 Auto Scaling group names, got \[\]$/],
    ['an Auto Scaling group name with a colon', { autoScalingGroupNames: ['etcd:a'] }, /^autoScalingGroupNames must be Auto Scaling group names \(1 to 255 characters without whitespace, ":", "\*" or "\?"\), got "etcd:a"$/],
    ['an Auto Scaling group name with a space', { autoScalingGroupNames: ['etcd a'] }, /^autoScalingGroupNames must be Auto Scaling group names .*, got "etcd a"$/],
    ['an Auto Scaling group named twice', { autoScalingGroupNames: ['etcd-a', 'etcd-a'] }, /^autoScalingGroupNames must be distinct, got \["etcd-a","etcd-a"\]$/],
    ['snapshots kept no day at all', { snapshotRetentionDays: 0 }, /^snapshotRetentionDays must be a whole number from 1 to 3650, got 0$/],
  ];
  for (const [what, props, message] of cases) {
    it(`refuses ${what}`, () => {
      assert.throws(() => build(props), (error: Error) => {
        assert.match(error.message, message);
        return true;
      });
    });
  }

  it('takes the settings it is given into the resources', () => {
    const stack = build({
      healthCheckAttempts: 7,
      healthCheckIntervalSeconds: 3,
      hostCommandTimeoutSeconds: 300,
      logRetention: logs.RetentionDays.ONE_WEEK,
      secretPrefix: 'k8s/etcd',
      alarmThreshold: 2,
      alarmPeriodMinutes: 15,
      alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:etcd-ha-alarms',
      snapshotRetentionDays: 7,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const template = Template.fromStack(stack);
    const definition = JSON.stringify(template.findResources('AWS::StepFunctions::StateMachine'));
    assert.match(definition, /\\"Seconds\\":3/);
    assert.match(definition, /\\"NumericGreaterThanEquals\\":7/);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ ETCD_HA_STEP: 'startEtcd' }) }, Timeout: 120 + 300 + 30 + 30 });
    template.allResourcesProperties('AWS::Lambda::Function', { Environment: { Variables: { SECRET_PREFIX: 'k8s/etcd', HOST_COMMAND_TIMEOUT_SECONDS: '300' } } });
    // The eleven workflows' alarms, the dead-letter queue's, the no-good-backup alarm and DrillRestore's two tell the topic;
    // none is created.
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    assert.equal(alarms.length, 15);
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.hasOutput('AlarmTopicArn', { Value: 'arn:aws:sns:us-east-1:123456789012:etcd-ha-alarms' });
    for (const alarm of alarms) {
      assert.deepEqual(alarm.Properties.AlarmActions, ['arn:aws:sns:us-east-1:123456789012:etcd-ha-alarms']);
      assert.deepEqual(alarm.Properties.OKActions, ['arn:aws:sns:us-east-1:123456789012:etcd-ha-alarms']);
    }
    assert.equal(alarms.filter((a) => a.Properties.MetricName === 'ExecutionsFailed' && a.Properties.Threshold === 2 && a.Properties.Period === 900).length, 11);
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 7, NoncurrentVersionExpiration: { NoncurrentDays: 7 } }), Match.objectLike({ Id: 'ExpirePrunedBackups' }), Match.objectLike({ Id: 'ExpireStagedSnapshots', ExpirationInDays: 1 })] },
    });
    assert.match(JSON.stringify(template.findResources('AWS::IAM::ManagedPolicy')), /:secret:k8s\/etcd\/\*/);
    // DESTROY: the table loses its deletion protection and the key goes with the stack (after a 7-day window).
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete', Properties: { DeletionProtectionEnabled: false } });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete', Properties: { PendingWindowInDays: 7 } });
    template.allResources('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
    // The bucket goes too, once empty (CloudFormation deletes no objects; no custom resource empties it), and the queue.
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    template.hasResource('AWS::SQS::Queue', { DeletionPolicy: 'Delete' });
  });
});

describe('stack props from CDK context', () => {
  it('reads nothing from an empty context: every prop keeps its default', () => {
    assert.deepEqual(fromContext({}), {});
  });

  it('parses the strings `cdk -c key=value` passes', () => {
    const props = fromContext({
      vpcId: 'vpc-0123456789abcdef0',
      subnetIds: 'subnet-0123456789abcdef0, subnet-0fedcba9876543210',
      securityGroupId: 'sg-0123456789abcdef0',
      healthCheckAttempts: '12',
      healthCheckIntervalSeconds: '10',
      hostCommandTimeoutSeconds: '300',
      logRetentionDays: '30',
      secretPrefix: 'etcd',
      alarmThreshold: '3',
      alarmPeriodMinutes: '60',
      alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops',
      automaticReplacement: 'false',
      autoScalingGroupNames: 'etcd-a,etcd-b',
      launchReplacementInstances: 'true',
      memberInstanceRoleArns: 'arn:aws:iam::123456789012:role/etcd-member',
      memberVpcIds: 'vpc-0123456789abcdef0',
      cloneImageIds: '["ami-0123456789abcdef0"]',
      cloneLaunchTemplateIds: 'lt-0123456789abcdef0',
      snapshotRetentionDays: '14',
      removalPolicy: 'destroy',
    });
    assert.deepEqual(props, {
      vpcId: 'vpc-0123456789abcdef0',
      subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
      securityGroupId: 'sg-0123456789abcdef0',
      healthCheckAttempts: 12,
      healthCheckIntervalSeconds: 10,
      hostCommandTimeoutSeconds: 300,
      logRetention: logs.RetentionDays.ONE_MONTH,
      secretPrefix: 'etcd',
      alarmThreshold: 3,
      alarmPeriodMinutes: 60,
      alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops',
      automaticReplacement: false,
      autoScalingGroupNames: ['etcd-a', 'etcd-b'],
      launchReplacementInstances: true,
      memberInstanceRoleArns: ['arn:aws:iam::123456789012:role/etcd-member'],
      memberVpcIds: ['vpc-0123456789abcdef0'],
      cloneImageIds: ['ami-0123456789abcdef0'],
      cloneLaunchTemplateIds: ['lt-0123456789abcdef0'],
      snapshotRetentionDays: 14,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  });

  it('takes JSON values from cdk.json as they are', () => {
    assert.deepEqual(fromContext({ subnetIds: ['subnet-0123456789abcdef0'], healthCheckAttempts: 5, removalPolicy: 'retain' }), {
      subnetIds: ['subnet-0123456789abcdef0'],
      healthCheckAttempts: 5,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    assert.deepEqual(fromContext({ subnetIds: '["subnet-0123456789abcdef0"]' }), { subnetIds: ['subnet-0123456789abcdef0'] });
    assert.deepEqual(fromContext({ automaticReplacement: true, autoScalingGroupNames: ['etcd-a'] }), { automaticReplacement: true, autoScalingGroupNames: ['etcd-a'] });
  });

  it('refuses a value of the wrong shape, naming the key', () => {
    assert.throws(() => fromContext({ healthCheckAttempts: 'many' }), /^Error: context healthCheckAttempts must be a whole number, got "many"$/);
    assert.throws(() => fromContext({ removalPolicy: 'snapshot' }), /^Error: context removalPolicy must be "retain" or "destroy", got "snapshot"$/);
    assert.throws(() => fromContext({ deployForTests: 'yes' }), /^Error: context deployForTests must be true or false, got "yes"$/);
    assert.throws(() => fromContext({ subnetIds: '[1]' }), /^Error: context subnetIds must be a list of strings, got "\[1\]"$/);
    assert.throws(() => fromContext({ automaticReplacement: 'off' }), /^Error: context automaticReplacement must be true or false, got "off"$/);
    assert.throws(() => fromContext({ launchReplacementInstances: 'no' }), /^Error: context launchReplacementInstances must be true or false, got "no"$/);
    assert.throws(() => fromContext({ snapshotRetentionDays: '30d' }), /^Error: context snapshotRetentionDays must be a whole number, got "30d"$/);
  });

  it('documents every key it reads', () => {
    assert.deepEqual(Object.keys(CONTEXT_KEYS).sort(), [
      'alarmPeriodMinutes',
      'alarmThreshold',
      'alarmTopicArn',
      'allowedBinaryDirectories',
      'allowedEtcdSecurityFlags',
      'allowedImageRepositories',
      'autoScalingGroupNames',
      'automaticReplacement',
      'backupRetention',
      'backupSchedule',
      'cloneImageIds',
      'cloneLaunchTemplateIds',
      'connectControlPlaneOnChange',
      'deployForTests',
      'dnsZoneName',
      'healingGracePeriodMinutes',
      'healthCheckAttempts',
      'healthCheckIntervalSeconds',
      'healthProbe',
      'healthProbeIntervalMinutes',
      'hostCommandTimeoutSeconds',
      'hostedZoneId',
      'launchReplacementInstances',
      'logRetentionDays',
      'memberInstanceRoleArns',
      'memberVpcIds',
      'promotionBudgetMinutes',
      'removalPolicy',
      'restoreDrillSchedule',
      'secretPrefix',
      'securityGroupId',
      'snapshotRetentionDays',
      'subnetIds',
      'vpcId',
    ]);
  });

  it('deployForTests=true drops the BootstrapVersion rule (moto_server keeps no bootstrap parameter); without it the rule stays', () => {
    const app = noBundling({ deployForTests: 'true' });
    const forTests = Template.fromStack(new EtcdHaStack(app, 'EtcdHa', stackPropsFromContext(app.node))).toJSON();
    assert.equal(forTests.Rules?.CheckBootstrapVersion, undefined);
    assert.equal(forTests.Parameters?.BootstrapVersion, undefined);
    const normal = Template.fromStack(build(fromContext({}))).toJSON();
    assert.ok(normal.Rules?.CheckBootstrapVersion);
  });
});
