// ReplaceMember in the etcd-ha stack as synthesized: the deployed definition against the local rendering, the
// snapshot bucket, the EventBridge rules that start it (patterns and input transformers exactly, and what the
// transformed input of a sample event parses to), their role and dead-letter queue, and the IAM statements of
// the steps only ReplaceMember runs. Bundling is skipped ('aws:cdk:bundling-stacks': []): etcd-ha-stack.test.ts
// looks at the bundle, cdk-nag and every statement on "*".
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import validator from 'asl-validator';
import { ALL_STEPS, EtcdHaStack, SNAPSHOT_KEY_PREFIX, type EtcdHaStackProps } from '../../lib/etcd-ha-stack';
import { BACKUP_STEPS, DRILL_STEPS } from '../../lambdas/catalog/steps';
import { STOPPED_INSTANCE_STATES, TERMINATED_INSTANCE_STATES } from '../../lib/replace-member-trigger';
import { DynamoDbClusterLock, LOCK_KEY_PREFIX } from '../../lambdas/adapters/aws/dynamodb-registry';
import { ReplaceRequestSchema } from '../../lambdas/steps/replace/inputs';
import { REPLACE_ONLY_STEPS, REPLACE_STEPS, replaceMemberDefinition } from '../../statemachines/replace-member';
import { PROVISION_STEPS } from '../../statemachines/provision-cluster';
import { LOCAL_FUNCTION_ARN_PREFIX, allStates, renderAsl } from '../../statemachines/render-asl';
import { actionsOf, deployedDefinition, logicalId, statementsOfRole, type Statement } from '../support/cdk-template';

process.env.CDK_VALIDATION = 'false';

const GROUPS = ['etcd-members-a', 'etcd-members-b'];

interface Built {
  readonly stack: EtcdHaStack;
  readonly template: Template;
}

const build = (id: string, props: EtcdHaStackProps = {}): Built => {
  const stack = new EtcdHaStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), id, props);
  return { stack, template: Template.fromStack(stack) };
};

let defaults: Built;
let withGroups: Built;
/** A stack that launches clones: the member role, the members' VPC, one foreign AMI and one launch template named. */
let cloning: Built;
const MEMBER_ROLE = 'arn:aws:iam::123456789012:role/etcd-member';
const CLONES = { memberInstanceRoleArns: [MEMBER_ROLE], memberVpcIds: ['vpc-0123456789abcdef0'], cloneImageIds: ['ami-0123456789abcdef0'], cloneLaunchTemplateIds: ['lt-0123456789abcdef0'] };

before(() => {
  defaults = build('EtcdHa');
  withGroups = build('EtcdHaAsg', { autoScalingGroupNames: GROUPS });
  cloning = build('EtcdHaClones', CLONES);
});

type Resource = { Properties: Record<string, any>; DeletionPolicy?: string };
const only = (template: Template, type: string): [string, Resource] => {
  const found = Object.entries(template.findResources(type));
  assert.equal(found.length, 1, `${found.length} ${type}`);
  return found[0] as [string, Resource];
};
/** The event-pattern rules (the health probe's schedule, a rule too, is left out: test/lib/healing-stack.test.ts). */
const rules = (template: Template) => (Object.values(template.findResources('AWS::Events::Rule')) as Resource[]).filter((r) => r.Properties.EventPattern !== undefined);
const ruleWithDetailType = (template: Template, detailType: string): Resource => {
  const rule = rules(template).find((r) => r.Properties.EventPattern['detail-type'][0] === detailType);
  assert.ok(rule, `no rule on ${detailType}`);
  return rule;
};
const functionId = (stack: EtcdHaStack, step: keyof EtcdHaStack['steps']) => logicalId(stack.steps[step].function);
const roleId = (stack: EtcdHaStack, step: keyof EtcdHaStack['steps']) => logicalId(stack.steps[step].role);

/** What EventBridge's input transformer makes of `event`: each <name> of the template replaced by the JSON of its path's value. */
function transform(transformer: { InputPathsMap: Record<string, string>; InputTemplate: string }, event: unknown): unknown {
  const at = (path: string) => path.replace(/^\$\./, '').split('.').reduce<any>((value, key) => value?.[key], event);
  const text = transformer.InputTemplate.replace(/<([A-Za-z0-9_.-]+)>/g, (_, name: string) => {
    const path = transformer.InputPathsMap[name];
    assert.ok(path, `<${name}> is not in InputPathsMap`);
    return JSON.stringify(at(path));
  });
  return JSON.parse(text);
}

/** Sample events as EventBridge delivers them (AWS documentation's examples). */
const EC2_STATE_CHANGE = {
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2024-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-0abcdef1234567890'],
  detail: { 'instance-id': 'i-0abcdef1234567890', state: 'stopping' },
};
const LIFECYCLE_ACTION = {
  version: '0',
  id: '12345678-1234-1234-1234-123456789012',
  'detail-type': 'EC2 Instance-terminate Lifecycle Action',
  source: 'aws.autoscaling',
  account: '123456789012',
  time: '2024-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: ['arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:5a5e1e9c-0d7b-4b0b-9d4f-1b2c3d4e5f60:autoScalingGroupName/etcd-members-a'],
  detail: {
    LifecycleActionToken: '87654321-4321-4321-4321-210987654321',
    AutoScalingGroupName: 'etcd-members-a',
    LifecycleHookName: 'etcd-member-leaving',
    EC2InstanceId: 'i-1234567890abcdef0',
    LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
  },
};

describe('ReplaceMember as deployed', () => {
  /** Function logical ID → step: the steps shared with ProvisionCluster run in its functions. */
  const stepOfFunction = (stack: EtcdHaStack) => new Map(REPLACE_STEPS.map((step) => [functionId(stack, step), step]));
  const deployed = () => deployedDefinition(defaults.template, logicalId(defaults.stack.replaceMember.stateMachine), stepOfFunction(defaults.stack));

  it('is valid ASL (asl-validator)', () => {
    const result = validator(structuredClone(deployed()) as never);
    assert.equal(result.isValid, true, JSON.stringify(result.errors, null, 2));
  });

  it('is the definition the local runner renders (statemachines/replace-member.ts): same states, same transitions, same tasks', () => {
    const definition = deployed();
    const local = renderAsl(REPLACE_STEPS, (scope, functions) => replaceMemberDefinition(scope, { functions }));
    assert.equal(definition.StartAt, local.StartAt);
    assert.deepEqual(allStates(definition).map(([name]) => name).sort(), allStates(local).map(([name]) => name).sort());
    assert.deepEqual(definition.States, local.States);
    // Only the state machine's comment (the console's description) is the stack's own.
    const { Comment: comment, ...rest } = definition;
    assert.match(String(comment), /^etcd-ha ReplaceMember: /);
    assert.deepEqual(rest, local);
  });

  it('invokes a function for each of its steps: ProvisionCluster\'s for the shared steps, its own for the others', () => {
    const invoked = allStates(deployed())
      .map(([, state]) => state.Resource)
      .filter((r): r is string => typeof r === 'string' && r.startsWith(LOCAL_FUNCTION_ARN_PREFIX))
      .map((r) => r.slice(LOCAL_FUNCTION_ARN_PREFIX.length));
    assert.deepEqual([...new Set(invoked)].sort(), [...REPLACE_STEPS].sort());
    // The shared steps' functions are the ones ProvisionCluster invokes.
    const provision = deployedDefinition(
      defaults.template,
      logicalId(defaults.stack.provisionCluster.stateMachine),
      new Map(PROVISION_STEPS.map((step) => [functionId(defaults.stack, step), step])),
    );
    const provisionInvokes = new Set(allStates(provision).map(([, state]) => state.Resource));
    for (const step of REPLACE_STEPS) {
      const shared = (PROVISION_STEPS as readonly string[]).includes(step);
      assert.equal(provisionInvokes.has(`${LOCAL_FUNCTION_ARN_PREFIX}${step}`), shared, step);
    }
    assert.deepEqual(
      REPLACE_ONLY_STEPS,
      REPLACE_STEPS.filter((s) => !(PROVISION_STEPS as readonly string[]).includes(s)),
    );
  });

  it('may invoke exactly those functions (and their versions), nothing else', () => {
    const { template, stack } = defaults;
    const statements = statementsOfRole(template, logicalId(stack.replaceMember.stateMachine.role)).filter((s) => actionsOf(s).includes('lambda:InvokeFunction'));
    const resources = statements.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]));
    const expected = REPLACE_STEPS.flatMap((step) => [
      { 'Fn::GetAtt': [functionId(stack, step), 'Arn'] },
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [functionId(stack, step), 'Arn'] }, ':*']] },
    ]);
    const key = (r: unknown) => JSON.stringify(r);
    assert.deepEqual(resources.map(key).sort(), expected.map(key).sort());
  });
});

describe('snapshot bucket', () => {
  it('is SSE-KMS with the stack key (bucket key on), private, owner-enforced, versioned, expires snapshots after 30 days, retained by default', () => {
    const { template, stack } = defaults;
    const [id, bucket] = only(template, 'AWS::S3::Bucket');
    assert.equal(id, logicalId(stack.snapshotBucket));
    assert.deepEqual(bucket.Properties, {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { KMSMasterKeyID: { 'Fn::GetAtt': [logicalId(stack.secretsKey), 'Arn'] }, SSEAlgorithm: 'aws:kms' } },
        ],
      },
      LifecycleConfiguration: {
        Rules: [
          {
            Id: 'ExpireSnapshots',
            Status: 'Enabled',
            ExpirationInDays: 30,
            NoncurrentVersionExpiration: { NoncurrentDays: 30 },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            // Snapshot Before Change's only: the backups are pruned by their own tiers.
            Prefix: 'snapshots/',
          },
          {
            Id: 'ExpirePrunedBackups',
            Status: 'Enabled',
            Prefix: 'backups/',
            NoncurrentVersionExpiration: { NoncurrentDays: 1 },
            ExpiredObjectDeleteMarker: true,
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          },
          {
            // RestoreCluster's staged copies: Unstage Snapshots removes them; this is the backstop.
            Id: 'ExpireStagedSnapshots',
            Status: 'Enabled',
            Prefix: 'restores/',
            ExpirationInDays: 1,
            NoncurrentVersionExpiration: { NoncurrentDays: 1 },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          },
        ],
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    assert.equal(bucket.DeletionPolicy, 'Retain');
  });

  it('refuses requests without TLS, or with TLS before 1.2, and allows nobody else anything', () => {
    const { template, stack } = defaults;
    const [, policy] = only(template, 'AWS::S3::BucketPolicy');
    const arn = { 'Fn::GetAtt': [logicalId(stack.snapshotBucket), 'Arn'] };
    const resources = [arn, { 'Fn::Join': ['', [arn, '/*']] }];
    assert.deepEqual(policy.Properties.PolicyDocument.Statement, [
      { Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Effect: 'Deny', Principal: { AWS: '*' }, Resource: resources },
      { Action: 's3:*', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } }, Effect: 'Deny', Principal: { AWS: '*' }, Resource: resources },
    ]);
  });

  it('is named in the functions\' environment with the key prefix the grant uses', () => {
    assert.equal(SNAPSHOT_KEY_PREFIX, 'snapshots/');
    defaults.template.allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: { SNAPSHOT_BUCKET: { Ref: logicalId(defaults.stack.snapshotBucket) }, SNAPSHOT_PREFIX: SNAPSHOT_KEY_PREFIX } },
    });
  });
});

describe('EventBridge trigger', () => {
  it('starts ReplaceMember on every EC2 instance that terminates (one rule) or stops (another), with the instance and its state as input', () => {
    const { template, stack } = defaults;
    // The two state-change rules.
    assert.equal(rules(template).length, 2);
    const stateRules = rules(template).filter((r) => r.Properties.EventPattern?.['detail-type']?.[0] === 'EC2 Instance State-change Notification');
    assert.deepEqual(
      stateRules.map((r) => r.Properties.EventPattern.detail.state),
      [['shutting-down', 'terminated'], ['stopping', 'stopped']],
    );
    assert.deepEqual([...TERMINATED_INSTANCE_STATES], ['shutting-down', 'terminated']);
    assert.deepEqual([...STOPPED_INSTANCE_STATES], ['stopping', 'stopped']);
    // The terminate rule keeps the construct ID (and so the logical ID) of the one rule there was before.
    assert.match(logicalId(stack.replaceTrigger!.instanceStateChangeRule!), /^ReplaceMemberTriggerInstanceStateChangeRule[0-9A-F]{8}$/);
    for (const rule of stateRules) {
    assert.deepEqual(rule.Properties.EventPattern.source, ['aws.ec2']);
    assert.equal(rule.Properties.State, 'ENABLED');
    assert.equal(rule.Properties.EventBusName, undefined, 'the default bus, where AWS services send their events');
    assert.deepEqual(rule.Properties.Targets, [
      {
        Id: 'Target0',
        Arn: { Ref: logicalId(stack.replaceMember.stateMachine) },
        RoleArn: { 'Fn::GetAtt': [logicalId(stack.replaceTrigger!.role), 'Arn'] },
        InputTransformer: {
          InputPathsMap: { 'detail-instance-id': '$.detail.instance-id', 'detail-state': '$.detail.state' },
          InputTemplate: '{"failedInstanceId":<detail-instance-id>,"trigger":"ec2-state-change","instanceState":<detail-state>}',
        },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack.replaceTrigger!.deadLetterQueue), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 3600 },
      },
    ]);
    }
  });

  it('turns an EC2 state-change event into a request Validate Request accepts', () => {
    const input = transform(ruleWithDetailType(defaults.template, 'EC2 Instance State-change Notification').Properties.Targets[0].InputTransformer, EC2_STATE_CHANGE);
    assert.deepEqual(input, { failedInstanceId: 'i-0abcdef1234567890', trigger: 'ec2-state-change', instanceState: 'stopping' });
    const request = ReplaceRequestSchema.parse(input);
    assert.equal(request.lifecycle, undefined);
    assert.equal(request.force, false, 'a stopped instance is replaced only when its member no longer answers');
  });

  it('starts ReplaceMember on the terminate lifecycle action of the given Auto Scaling groups, with the action to complete', () => {
    const { template, stack } = withGroups;
    assert.equal(rules(template).length, 3);
    const rule = ruleWithDetailType(template, 'EC2 Instance-terminate Lifecycle Action');
    assert.deepEqual(rule.Properties.EventPattern, {
      source: ['aws.autoscaling'],
      'detail-type': ['EC2 Instance-terminate Lifecycle Action'],
      detail: { AutoScalingGroupName: GROUPS },
    });
    assert.deepEqual(rule.Properties.Targets, [
      {
        Id: 'Target0',
        Arn: { Ref: logicalId(stack.replaceMember.stateMachine) },
        RoleArn: { 'Fn::GetAtt': [logicalId(stack.replaceTrigger!.role), 'Arn'] },
        InputTransformer: {
          InputPathsMap: {
            'detail-EC2InstanceId': '$.detail.EC2InstanceId',
            'detail-LifecycleHookName': '$.detail.LifecycleHookName',
            'detail-AutoScalingGroupName': '$.detail.AutoScalingGroupName',
            'detail-LifecycleActionToken': '$.detail.LifecycleActionToken',
          },
          InputTemplate:
            '{"failedInstanceId":<detail-EC2InstanceId>,"trigger":"asg-lifecycle","force":true,"lifecycle":{"lifecycleHookName":<detail-LifecycleHookName>,' +
            '"autoScalingGroupName":<detail-AutoScalingGroupName>,"lifecycleActionToken":<detail-LifecycleActionToken>,"instanceId":<detail-EC2InstanceId>}}',
        },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack.replaceTrigger!.deadLetterQueue), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 3600 },
      },
    ]);
  });

  it('turns a lifecycle action event into a request that replaces the still-running member and carries the action', () => {
    const input = transform(ruleWithDetailType(withGroups.template, 'EC2 Instance-terminate Lifecycle Action').Properties.Targets[0].InputTransformer, LIFECYCLE_ACTION);
    const request = ReplaceRequestSchema.parse(input);
    assert.deepEqual(request, {
      failedInstanceId: 'i-1234567890abcdef0',
      trigger: 'asg-lifecycle',
      force: true,
      replacement: {},
      wipeDataDir: false,
      lifecycle: {
        lifecycleHookName: 'etcd-member-leaving',
        autoScalingGroupName: 'etcd-members-a',
        lifecycleActionToken: '87654321-4321-4321-4321-210987654321',
        instanceId: 'i-1234567890abcdef0',
      },
    });
  });

  it('uses a role EventBridge assumes that may only start ReplaceMember executions', () => {
    for (const { template, stack } of [defaults, withGroups]) {
      const role = template.findResources('AWS::IAM::Role')[logicalId(stack.replaceTrigger!.role)]!;
      assert.deepEqual(role.Properties.AssumeRolePolicyDocument.Statement, [
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' } },
      ]);
      assert.equal(role.Properties.ManagedPolicyArns, undefined);
      assert.equal(role.Properties.Policies, undefined);
      const statements: Statement[] = statementsOfRole(template, logicalId(stack.replaceTrigger!.role));
      assert.deepEqual(statements, [{ Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: logicalId(stack.replaceMember.stateMachine) } }]);
    }
  });

  it('sends what it cannot deliver to an SQS-encrypted dead-letter queue that only the rules may write to, over TLS, watched by an alarm', () => {
    const { template, stack } = withGroups;
    const [queueId, queue] = only(template, 'AWS::SQS::Queue');
    assert.equal(queueId, logicalId(stack.replaceTrigger!.deadLetterQueue));
    assert.deepEqual(queue.Properties, { MessageRetentionPeriod: 1_209_600, SqsManagedSseEnabled: true });
    const [, policy] = only(template, 'AWS::SQS::QueuePolicy');
    const queueArn = { 'Fn::GetAtt': [queueId, 'Arn'] };
    const statements = policy.Properties.PolicyDocument.Statement as Array<Statement & { Principal: unknown }>;
    assert.deepEqual(statements[0], { Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Effect: 'Deny', Principal: { AWS: '*' }, Resource: queueArn });
    const ruleIds = Object.entries(template.findResources('AWS::Events::Rule')).filter(([, r]) => r.Properties.EventPattern !== undefined).map(([id]) => id).sort();
    assert.deepEqual(
      statements.slice(1).map((s) => ({ ...s, Sid: undefined })),
      ruleIds.map((rule) => ({
        Action: 'sqs:SendMessage',
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [rule, 'Arn'] } } },
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Resource: queueArn,
        Sid: undefined,
      })),
    );
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('has no rule (no role, no queue) with automaticReplacement false and no Auto Scaling group; only the lifecycle rule with groups', () => {
    const manual = build('EtcdHaManual', { automaticReplacement: false });
    assert.equal(manual.stack.replaceTrigger, undefined);
    assert.equal(rules(manual.template).length, 0);
    manual.template.resourceCountIs('AWS::SQS::Queue', 0);
    manual.template.resourceCountIs('AWS::StepFunctions::StateMachine', 11);
    const groupsOnly = build('EtcdHaGroupsOnly', { automaticReplacement: false, autoScalingGroupNames: ['etcd-a'] });
    assert.deepEqual(
      rules(groupsOnly.template).map((r) => r.Properties.EventPattern['detail-type']),
      [['EC2 Instance-terminate Lifecycle Action']],
    );
  });
});

describe('IAM of the steps only ReplaceMember runs', () => {
  const tableArn = (stack: EtcdHaStack) => ({ 'Fn::GetAtt': [logicalId(stack.registryTable), 'Arn'] });
  const bySid = (stack: EtcdHaStack, template: Template, step: keyof EtcdHaStack['steps']) =>
    Object.fromEntries(statementsOfRole(template, roleId(stack, step)).filter((s) => s.Sid).map((s) => [s.Sid!, s]));
  const lockItems = { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['lock#*'] } };

  it('Validate Request, Read Cluster, Remove Dead Members, Add Member As Learner and Record Cluster read the cluster records (GetItem, Scan by instance ID); Check Quorum no longer does', () => {
    const { template, stack } = defaults;
    for (const step of ['validateRequest', 'readCluster', 'removeFailedMember', 'addMemberAsLearner', 'promoteLearner', 'recordCluster'] as const) {
      assert.deepEqual(bySid(stack, template, step).ReadClusterRecords, {
        Sid: 'ReadClusterRecords',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:Scan'],
        Resource: tableArn(stack),
      }, step);
    }
    assert.equal(bySid(stack, template, 'checkQuorum').ReadClusterRecords, undefined, 'Check Quorum takes the cluster as Read Cluster found it');
  });

  it('Remove Dead Members, Add Member As Learner (a voter that died meanwhile) and Record Cluster write the record, each write checked against the lock item', () => {
    const { template, stack } = defaults;
    for (const step of ['removeFailedMember', 'addMemberAsLearner', 'promoteLearner', 'recordCluster'] as const) {
      const statements = bySid(stack, template, step);
      // Records only ("cluster#…"): never a lock or probe item.
      assert.deepEqual(
        statements.WriteClusterRecord,
        { Sid: 'WriteClusterRecord', Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: tableArn(stack), Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['cluster#*'] } } },
        step,
      );
      assert.deepEqual(
        statements.CheckClusterLockOnWrite,
        { Sid: 'CheckClusterLockOnWrite', Effect: 'Allow', Action: 'dynamodb:ConditionCheckItem', Resource: tableArn(stack), Condition: lockItems },
        step,
      );
    }
  });

  it('every step under the lock may renew it (UpdateItem on lock items only), and no other step may', () => {
    const { template, stack } = cloning;
    // Set Maintenance is one quick write under the lock: it has no lock to keep alive after it. CheckClusterHealth
    // takes no lock.
    const notUnderLock = [
      'validateSpec',
      'validateRequest',
      'lookAgain',
      'validateMaintenanceRequest',
      'setMaintenance',
      'acquireLock',
      'releaseLock',
      'completeLifecycleAction',
      // After the lock is released, on both ways out.
      'publishMembershipEvent',
      'validateHealthCheckRequest',
      'readClusterHealth',
      // DeleteCluster's request is read before the lock.
      'validateDeleteRequest',
      // BackupCluster and DrillRestore never take the cluster lock (their own locks need no renewal); the snapshot
      // handoff's Verify and Stage Snapshot are RestoreCluster's too, under its lock.
      ...BACKUP_STEPS,
      ...DRILL_STEPS.filter((step) => step !== 'verifySnapshot' && step !== 'stageSnapshot'),
      // RestoreCluster's request is read before the lock; its staged copies are removed after a failure too.
      'validateRestoreRequest',
      'unstageSnapshots',
      // ScaleCluster's, AdoptCluster's and ConnectControlPlane's requests are read before the lock.
      'validateScaleRequest',
      'validateAdoptRequest',
      'validateConnectRequest',
      // Membership events are published after the lock is released.
      'publishMembershipEvent',
    ];
    const renewing = ALL_STEPS.filter((step) => !notUnderLock.includes(step));
    assert.deepEqual([...renewing].sort(), [
      'addMemberAsLearner',
      'checkHealth',
      'checkHostAgent',
      'checkQuorum',
      'checkRestartSafety',
      'chooseNextMember',
      'chooseReplacementHost',
      'collectMemberLogs',
      'configureKubelet',
      'deleteClusterRecord',
      'deleteClusterSecrets',
      'generatePki',
      'inspectAdoptableMember',
      'issueControlPlaneBundles',
      'markClusterDeleting',
      'movePeerUrl',
      'planProvision',
      'planRestore',
      'planScaleChange',
      'promoteLearner',
      'pushCertificates',
      'pushClientCertificates',
      'pushRevocationList',
      'readCluster',
      'receiveMemberPki',
      'recordCluster',
      'recordRestoredCluster',
      'removeFailedMember',
      'removeLearners',
      'removeScaledMember',
      'removeStrayLearners',
      'resetJoiningHost',
      'resolveControlPlaneHosts',
      'resolveHosts',
      'restoreMember',
      'retireReplacedHost',
      'revokeCertificates',
      'snapshotBeforeChange',
      'stageSnapshot',
      'startEtcd',
      'stopEtcdForRestore',
      'updateApiServer',
      'verifySnapshot',
      'writeEtcdConfig',
    ]);
    for (const step of Object.keys(stack.steps) as Array<keyof EtcdHaStack['steps']>) {
      const renew = bySid(stack, template, step).RenewClusterLock;
      if ((renewing as readonly string[]).includes(step)) {
        assert.deepEqual(renew, { Sid: 'RenewClusterLock', Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: tableArn(stack), Condition: lockItems }, step);
      } else {
        assert.equal(renew, undefined, `${step} may renew the lock`);
      }
    }
  });

  it('the lock steps touch lock items only: Acquire Lock GetItem/PutItem/UpdateItem, Release Lock DeleteItem, on keys "lock#…"; Record Cluster checks the lock item', () => {
    const { template, stack } = defaults;
    assert.equal(LOCK_KEY_PREFIX, 'lock#');
    assert.ok(DynamoDbClusterLock.keyOf('demo').startsWith(LOCK_KEY_PREFIX));
    assert.deepEqual(bySid(stack, template, 'acquireLock'), {
      AcquireClusterLock: {
        Sid: 'AcquireClusterLock',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Resource: tableArn(stack),
        Condition: lockItems,
      },
      // Whether an expired lock's holder still runs: every execution of the account and region (no cycle-free way to name ReplaceMember's).
      AskLockHolders: {
        Sid: 'AskLockHolders',
        Effect: 'Allow',
        Action: 'states:DescribeExecution',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':execution:*']] },
      },
    });
    assert.deepEqual(bySid(stack, template, 'recordCluster').CheckClusterLockOnWrite, {
      Sid: 'CheckClusterLockOnWrite',
      Effect: 'Allow',
      Action: 'dynamodb:ConditionCheckItem',
      Resource: tableArn(stack),
      Condition: lockItems,
    });
    assert.deepEqual(bySid(stack, template, 'releaseLock'), {
      ReleaseClusterLock: { Sid: 'ReleaseClusterLock', Effect: 'Allow', Action: 'dynamodb:DeleteItem', Resource: tableArn(stack), Condition: lockItems },
    });
  });

  it('Snapshot Before Change may put (and abort) objects under snapshots/ only, with the key through S3 only', () => {
    const { template, stack } = defaults;
    const statements = bySid(stack, template, 'snapshotBeforeChange');
    assert.deepEqual(statements.WriteSnapshots, {
      Sid: 'WriteSnapshots',
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:AbortMultipartUpload'],
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(stack.snapshotBucket), 'Arn'] }, '/snapshots/*']] },
    });
    assert.deepEqual(statements.EncryptSnapshots, {
      Sid: 'EncryptSnapshots',
      Effect: 'Allow',
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: { 'Fn::GetAtt': [logicalId(stack.secretsKey), 'Arn'] },
      Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } },
    });
    // No other function may write under snapshots/, and none may read or delete there (BackupCluster's S3 grants are
    // on backups/ only: test/lib/backup-cluster-iam.test.ts; the snapshot handoff's on backups/ and restores/ only).
    const elsewhere = (text: string) => ['backups/', 'restores/'].some((prefix) => text.includes(prefix));
    const onSnapshots = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
      .filter((st) => !elsewhere(JSON.stringify(st.Resource ?? '')) && !elsewhere(JSON.stringify(st.Condition ?? '')))
      .flatMap(actionsOf)
      .filter((a) => a.startsWith('s3:'));
    assert.deepEqual(onSnapshots, ['s3:PutObject', 's3:AbortMultipartUpload']);
  });

  it('the steps that talk to etcd read only the healthcheck client secrets', () => {
    const { template, stack } = defaults;
    const secretArn = {
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':secret:etcd-ha/*/healthcheck-client-??????']],
    };
    for (const step of ['readCluster', 'checkQuorum', 'snapshotBeforeChange', 'removeFailedMember', 'removeStrayLearners', 'addMemberAsLearner', 'promoteLearner', 'removeLearners'] as const) {
      assert.deepEqual(bySid(stack, template, step).ReadHealthcheckClientSecrets?.Resource, secretArn, step);
      assert.deepEqual(bySid(stack, template, step).DecryptClusterSecrets?.Action, 'kms:Decrypt', step);
    }
  });

  it('Complete Lifecycle Action may complete the actions of the given groups only, and of none without groups', () => {
    const asg = (name: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':autoscaling:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:autoScalingGroup:*:autoScalingGroupName/${name}`]],
    });
    assert.deepEqual(bySid(withGroups.stack, withGroups.template, 'completeLifecycleAction'), {
      CompleteLifecycleActions: {
        Sid: 'CompleteLifecycleActions',
        Effect: 'Allow',
        Action: 'autoscaling:CompleteLifecycleAction',
        Resource: GROUPS.map(asg),
      },
    });
    assert.deepEqual(bySid(defaults.stack, defaults.template, 'completeLifecycleAction'), {});
  });

  describe('launching a clone of a failed instance', () => {
    // As CDK renders an ARN: adjacent literal parts joined into one string.
    const arn = (service: string, resource: string, inAccount = true, inRegion = true) => {
      const parts: unknown[] = ['arn:', { Ref: 'AWS::Partition' }, `:${service}:`, ...(inRegion ? [{ Ref: 'AWS::Region' }] : []), ':', ...(inAccount ? [{ Ref: 'AWS::AccountId' }] : []), `:${resource}/*`];
      const merged = parts.reduce<unknown[]>((out, part) => {
        if (typeof part === 'string' && typeof out.at(-1) === 'string') out[out.length - 1] = `${String(out.at(-1))}${part}`;
        else out.push(part);
        return out;
      }, []);
      return { 'Fn::Join': ['', merged] };
    };
    const ec2 = (resource: string, inAccount = true) => arn('ec2', resource, inAccount);
    const clusterTagged = (key: string) => ({ StringLike: { [`${key}/etcd-ha:cluster`]: '?*' } });

    it('Choose Replacement Host may launch only instances tagged etcd-ha:cluster into the members\' VPCs, from own or named images and named templates, passing member roles only', () => {
      const { template, stack } = cloning;
      const statements = bySid(stack, template, 'chooseReplacementHost');
      assert.deepEqual(statements.LaunchTaggedClones, {
        Sid: 'LaunchTaggedClones',
        Effect: 'Allow',
        Action: 'ec2:RunInstances',
        Resource: ec2('instance'),
        Condition: clusterTagged('aws:RequestTag'),
      });
      const vpcArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':vpc/vpc-0123456789abcdef0']] };
      assert.deepEqual(statements.LaunchInTheMembersVpcs?.Resource, [ec2('subnet'), ec2('security-group'), ec2('network-interface')]);
      assert.deepEqual(statements.LaunchInTheMembersVpcs?.Condition, { StringEquals: { 'ec2:Vpc': [vpcArn] } });
      assert.deepEqual(statements.LaunchFromOwnImages?.Condition, { StringEquals: { 'ec2:Owner': { Ref: 'AWS::AccountId' } } });
      assert.deepEqual(statements.LaunchFromNamedImages?.Resource, { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:', { Ref: 'AWS::Region' }, '::image/ami-0123456789abcdef0']] });
      assert.deepEqual(statements.LaunchFromNamedTemplates?.Resource, {
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':launch-template/lt-0123456789abcdef0']],
      });
      assert.deepEqual(statements.LaunchWithVolumesAndKeyPairs?.Resource, [ec2('volume'), ec2('snapshot', false), ec2('key-pair')]);
      assert.deepEqual(statements.TagClonesAtLaunch?.Condition, { StringEquals: { 'ec2:CreateAction': 'RunInstances' } });
      assert.deepEqual(statements.ReadFailedInstanceUserData?.Condition, clusterTagged('ec2:ResourceTag'));
      assert.deepEqual(statements.PassMemberInstanceRole, {
        Sid: 'PassMemberInstanceRole',
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: MEMBER_ROLE,
        Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      });
      assert.deepEqual(bySid(stack, template, 'checkHostAgent').ReadHostAgents?.Action, 'ssm:DescribeInstanceInformation');
      // Without named templates or images: no statement on either.
      const plain = build('EtcdHaPlainClones', { memberInstanceRoleArns: [MEMBER_ROLE], vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0'], securityGroupId: 'sg-0123456789abcdef0' });
      const plainStatements = bySid(plain.stack, plain.template, 'chooseReplacementHost');
      assert.equal(plainStatements.LaunchFromNamedTemplates, undefined);
      assert.equal(plainStatements.LaunchFromNamedImages, undefined);
      assert.deepEqual(plainStatements.LaunchInTheMembersVpcs?.Condition, { StringEquals: { 'ec2:Vpc': [vpcArn] } }, 'vpcId is the members\' VPC by default');
      // No other step may launch instances or pass roles; only Retire Replaced Host may tag (test/lib/healing-stack.test.ts).
      for (const step of REPLACE_ONLY_STEPS.filter((s) => s !== 'chooseReplacementHost')) {
        const actions = statementsOfRole(template, roleId(stack, step)).flatMap(actionsOf);
        assert.ok(!actions.some((a) => a === 'ec2:RunInstances' || a === 'iam:PassRole' || (a === 'ec2:CreateTags' && step !== 'retireReplacedHost')), step);
      }
    });

    it('tells the functions the roles and launch templates a clone may use', () => {
      const env = Object.values(cloning.template.findResources('AWS::Lambda::Function')).map((f) => f.Properties.Environment.Variables);
      assert.ok(env.every((v) => v.LAUNCH_REPLACEMENT_INSTANCES === 'true' && v.MEMBER_INSTANCE_ROLE_ARNS === MEMBER_ROLE && v.CLONE_LAUNCH_TEMPLATE_IDS === 'lt-0123456789abcdef0'));
    });

    it('without memberInstanceRoleArns (the default), or with launchReplacementInstances false: no launch or agent grants, and the functions are told so', () => {
      for (const { template, stack } of [defaults, build('EtcdHaNoLaunch', { launchReplacementInstances: false })]) {
        assert.deepEqual(statementsOfRole(template, roleId(stack, 'chooseReplacementHost')).flatMap(actionsOf).filter((a) => !a.startsWith('logs:')), ['ec2:DescribeInstances', 'dynamodb:UpdateItem'], 'it looks and renews the lock');
        assert.deepEqual(statementsOfRole(template, roleId(stack, 'checkHostAgent')).flatMap(actionsOf).filter((a) => !a.startsWith('logs:')), [], 'it never runs');
        const env = Object.values(template.findResources('AWS::Lambda::Function')).map((f) => f.Properties.Environment.Variables);
        assert.ok(env.every((v) => v.LAUNCH_REPLACEMENT_INSTANCES === 'false' && v.MEMBER_INSTANCE_ROLE_ARNS === undefined));
        const actions = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => (p.Properties.PolicyDocument.Statement as Statement[]).flatMap(actionsOf));
        assert.ok(!actions.includes('ec2:RunInstances') && !actions.includes('iam:PassRole'), stack.stackName);
      }
    });

    it('refuses role ARNs that are not role ARNs, or given with launchReplacementInstances false, naming the prop', () => {
      assert.throws(() => build('Bad1', { memberInstanceRoleArns: ['arn:aws:iam::123456789012:role/*'] }), /memberInstanceRoleArns must be IAM role ARNs .*got "arn:aws:iam::123456789012:role\/\*"/);
      assert.throws(() => build('Bad2', { memberInstanceRoleArns: [] }), /memberInstanceRoleArns must be 1 to 20 IAM role ARNs/);
      assert.throws(() => build('Bad4', { memberInstanceRoleArns: [MEMBER_ROLE] }), /memberVpcIds \(or vpcId\) must be given with memberInstanceRoleArns/);
      assert.throws(() => build('Bad5', { launchReplacementInstances: true }), /memberInstanceRoleArns must be given when launchReplacementInstances is true/);
      assert.throws(() => build('Bad6', { cloneImageIds: ['ami-0123456789abcdef0'] }), /cloneImageIds must be left out without memberInstanceRoleArns/);
      assert.throws(() => build('Bad7', { ...CLONES, cloneImageIds: ['ami-*'] }), /cloneImageIds must be AMI IDs \(ami-…\), got "ami-\*"/);
      assert.throws(() => build('Bad8', { ...CLONES, memberVpcIds: ['vpc-0123456789abcdef0', 'vpc-0123456789abcdef0'] }), /memberVpcIds must be distinct/);
      assert.throws(
        () => build('Bad3', { ...CLONES, launchReplacementInstances: false }),
        /memberInstanceRoleArns must be left out when launchReplacementInstances is false/,
      );
    });
  });
});
