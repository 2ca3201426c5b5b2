// The etcd-ha stack as synthesized: resources and their properties, least-privilege IAM (every statement on
// "*" listed here), cdk-nag's AWS Solutions checks, the deployed state machine definition against the local
// rendering, and the Lambda bundle itself. One synth for the whole file (two stacks: the defaults, and one with
// a VPC and Auto Scaling groups). ReplaceMember's own resources (bucket, rules, its IAM): replace-member-stack.test.ts.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import validator from 'asl-validator';
import { ALL_STEPS, EtcdHaStack, STEP_ACCESS, stepConstructId, type EtcdHaStep } from '../../lib/etcd-ha-stack';
import { PROVISION_STEP_ACCESS, REPLACE_STEP_ACCESS } from '../../lib/step-access';
import { BUNDLE_DIR } from '../../lib/step-function';
import { PROVISION_STEPS, provisionClusterDefinition } from '../../statemachines/provision-cluster';
import { REPLACE_STEPS } from '../../statemachines/replace-member';
import { MAINTENANCE_STEPS } from '../../statemachines/set-maintenance';
import { HEALTH_CHECK_STEPS } from '../../statemachines/check-cluster-health';
import { DELETE_STEPS } from '../../statemachines/delete-cluster';
import { BACKUP_STEPS } from '../../statemachines/backup-cluster';
import { DRILL_STEPS } from '../../statemachines/drill-restore';
import { RESTORE_STEPS } from '../../statemachines/restore-cluster';
import { SCALE_STEPS } from '../../statemachines/scale-cluster';
import { ADOPT_STEPS } from '../../statemachines/adopt-cluster';
import { CONNECT_STEPS } from '../../statemachines/connect-control-plane';
import { LOCAL_FUNCTION_ARN_PREFIX, allStates, renderAsl } from '../../statemachines/render-asl';
import { HOST_SCRIPTS } from '../../lambdas/host-scripts';
import { ENV, HANDLERS } from '../../lambdas/entry/aws';
import type { MemberRuleSync } from '../../lib/member-rule-sync';
import { actionsOf, deployedDefinition, logicalId, statementsOfRole, type Statement } from '../support/cdk-template';

const NETWORK = { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'], securityGroupId: 'sg-0123456789abcdef0' };
const GROUPS = ['etcd-members-a', 'etcd-members-b'];
/** The steps that run host scripts through SSM Run Command, ProvisionCluster's and Prepare / Reset Joining Host. */
const HOST_STEPS: readonly EtcdHaStep[] = ['configureKubelet', 'pushCertificates', 'pushRevocationList', 'writeEtcdConfig', 'startEtcd', 'collectMemberLogs', 'resetJoiningHost', 'restoreOnDrillHost', 'stopEtcdForRestore', 'restoreMember', 'inspectAdoptableMember', 'receiveMemberPki', 'movePeerUrl'];
/** The steps that talk to etcd: in the members' VPC when the stack has one. */
const ETCD_STEPS = ALL_STEPS.filter((step) => STEP_ACCESS[step].includes('etcdNetwork'));

interface Synth {
  readonly app: App;
  readonly stack: EtcdHaStack;
  readonly vpcStack: EtcdHaStack;
  readonly template: Template;
  readonly vpcTemplate: Template;
  readonly assemblyDir: string;
}

let synth: Synth;

before(() => {
  // The built-in CloudFormation schema validation is what `cdk synth` runs; the tests check the template themselves.
  process.env.CDK_VALIDATION = 'false';
  const app = new App();
  const stack = new EtcdHaStack(app, 'EtcdHa');
  // The VPC stack launches clones (member roles given), so that cdk-nag sees their grants too.
  const vpcStack = new EtcdHaStack(app, 'EtcdHaVpc', { ...NETWORK, autoScalingGroupNames: GROUPS, memberInstanceRoleArns: ['arn:aws:iam::123456789012:role/etcd-member'] });
  // As bin/app.ts does: synth fails on any finding that is not acknowledged.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  synth = {
    app,
    stack,
    vpcStack,
    template: Template.fromJSON(assembly.getStackByName(stack.stackName).template),
    vpcTemplate: Template.fromJSON(assembly.getStackByName(vpcStack.stackName).template),
    assemblyDir: assembly.directory,
  };
});

const functionId = (stack: EtcdHaStack, step: EtcdHaStep) => logicalId(stack.steps[step].function);
const roleId = (stack: EtcdHaStack, step: EtcdHaStep) => logicalId(stack.steps[step].role);

describe('EtcdHaStack resources', () => {
  it('has the ProvisionCluster, ReplaceMember, SetMaintenance, CheckClusterHealth, DeleteCluster, BackupCluster, DrillRestore, RestoreCluster, ScaleCluster and AdoptCluster state machines: Standard, traced, logging ALL events without execution data, each to its own log group', () => {
    const { template, stack } = synth;
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 11);
    const machines = template.findResources('AWS::StepFunctions::StateMachine');
    for (const workflow of [stack.provisionCluster, stack.replaceMember, stack.setMaintenance, stack.checkClusterHealth, stack.deleteCluster, stack.backupCluster, stack.drillRestore, stack.restoreCluster, stack.scaleCluster, stack.adoptCluster]) {
      assert.deepEqual(
        {
          type: machines[logicalId(workflow.stateMachine)]!.Properties.StateMachineType,
          tracing: machines[logicalId(workflow.stateMachine)]!.Properties.TracingConfiguration,
          logging: machines[logicalId(workflow.stateMachine)]!.Properties.LoggingConfiguration,
        },
        {
          type: 'STANDARD',
          tracing: { Enabled: true },
          logging: {
            Level: 'ALL',
            IncludeExecutionData: false,
            Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logicalId(workflow.logGroup), 'Arn'] } } }],
          },
        },
        workflow.node.id,
      );
    }
    // Pinned: the construct IDs the logical IDs come from (renaming one would replace the resource).
    assert.match(logicalId(stack.provisionCluster.stateMachine), /^ProvisionClusterStateMachine[0-9A-F]{8}$/);
    assert.match(logicalId(stack.replaceMember.stateMachine), /^ReplaceMemberStateMachine[0-9A-F]{8}$/);
    assert.match(logicalId(stack.setMaintenance.stateMachine), /^SetMaintenanceStateMachine[0-9A-F]{8}$/);
    assert.match(logicalId(stack.checkClusterHealth.stateMachine), /^CheckClusterHealthStateMachine[0-9A-F]{8}$/);
    assert.match(logicalId(stack.deleteCluster.stateMachine), /^DeleteClusterStateMachine[0-9A-F]{8}$/);
    assert.match(logicalId(stack.backupCluster.stateMachine), /^BackupClusterStateMachine[0-9A-F]{8}$/);
    assert.match(logicalId(stack.drillRestore.stateMachine), /^DrillRestoreStateMachine[0-9A-F]{8}$/);
    assert.match(logicalId(stack.scaleCluster.stateMachine), /^ScaleClusterStateMachine[0-9A-F]{8}$/);
    assert.match(logicalId(stack.adoptCluster.stateMachine), /^AdoptClusterStateMachine[0-9A-F]{8}$/);
  });

  it('tags each state machine, and nothing else, etcd-ha:workflow = its workflow (the command line finds them by it)', () => {
    const { template, stack } = synth;
    const machines = template.findResources('AWS::StepFunctions::StateMachine');
    const tagged = Object.fromEntries(
      Object.entries(machines).map(([id, machine]) => [id, (machine.Properties.Tags as Array<{ Key: string; Value: string }>).filter((t) => t.Key === 'etcd-ha:workflow')]),
    );
    assert.deepEqual(tagged, {
      [logicalId(stack.provisionCluster.stateMachine)]: [{ Key: 'etcd-ha:workflow', Value: 'ProvisionCluster' }],
      [logicalId(stack.replaceMember.stateMachine)]: [{ Key: 'etcd-ha:workflow', Value: 'ReplaceMember' }],
      [logicalId(stack.setMaintenance.stateMachine)]: [{ Key: 'etcd-ha:workflow', Value: 'SetMaintenance' }],
      [logicalId(stack.checkClusterHealth.stateMachine)]: [{ Key: 'etcd-ha:workflow', Value: 'CheckClusterHealth' }],
      [logicalId(stack.deleteCluster.stateMachine)]: [{ Key: 'etcd-ha:workflow', Value: 'DeleteCluster' }],
      [logicalId(stack.backupCluster.stateMachine)]: [{ Key: 'etcd-ha:workflow', Value: 'BackupCluster' }],
      [logicalId(stack.drillRestore.stateMachine)]: [{ Key: 'etcd-ha:workflow', Value: 'DrillRestore' }],
      [logicalId(stack.restoreCluster.stateMachine)]: [{ Key: 'etcd-ha:workflow', Value: 'RestoreCluster' }],
      [logicalId(stack.scaleCluster.stateMachine)]: [{ Key: 'etcd-ha:workflow', Value: 'ScaleCluster' }],
      [logicalId(stack.adoptCluster.stateMachine)]: [{ Key: 'etcd-ha:workflow', Value: 'AdoptCluster' }],
      [logicalId(stack.connectControlPlane.stateMachine)]: [{ Key: 'etcd-ha:workflow', Value: 'ConnectControlPlane' }],
    });
    // Only the state machines carry it: not their roles, log groups or the functions.
    const elsewhere = Object.entries(template.toJSON().Resources as Record<string, { Type: string; Properties?: { Tags?: unknown } }>).filter(
      ([, r]) => r.Type !== 'AWS::StepFunctions::StateMachine' && JSON.stringify(r.Properties?.Tags ?? []).includes('etcd-ha:workflow'),
    );
    assert.deepEqual(elsewhere.map(([id]) => id), []);
  });

  it('has one function per step (the steps ReplaceMember shares with ProvisionCluster once), Node.js 24 on arm64, running the step\'s export of the bundle, each with its own log group', () => {
    const { template, stack } = synth;
    assert.deepEqual([...ALL_STEPS].sort(), [...new Set([...PROVISION_STEPS, ...REPLACE_STEPS, ...MAINTENANCE_STEPS, ...HEALTH_CHECK_STEPS, ...DELETE_STEPS, ...BACKUP_STEPS, ...DRILL_STEPS, ...RESTORE_STEPS, ...SCALE_STEPS, ...ADOPT_STEPS, ...CONNECT_STEPS])].sort());
    // Plus the health probe's function and Sync Member Rules'.
    template.resourceCountIs('AWS::Lambda::Function', ALL_STEPS.length + 2);
    // 18 ProvisionCluster steps (the lock steps, the two revocation steps and Publish Membership Event among them), 15 of ReplaceMember's own
    // (Look Again and Retire Replaced Host the latest), 2 of SetMaintenance's, 2 of CheckClusterHealth's, 4 of
    // DeleteCluster's own, 7 of BackupCluster's own (Publish Backup Metrics the latest), 10 of DrillRestore's (the snapshot
    // handoff's three among them, shared with RestoreCluster), 5 of RestoreCluster's own, 3 of ScaleCluster's own, 4 of AdoptCluster's own, 5 of ConnectControlPlane's own, and Publish Membership Event.
    assert.equal(ALL_STEPS.length, 75);
    for (const step of ALL_STEPS) {
      const fn = template.findResources('AWS::Lambda::Function')[functionId(stack, step)];
      assert.ok(fn, `no function for ${step}`);
      // PascalCase construct IDs, pinned: they are the logical IDs CloudFormation knows the functions by.
      assert.match(functionId(stack, step), new RegExp(`^${stepConstructId(step)}Function[0-9A-F]{8}$`));
      assert.equal(fn.Properties.Handler, `${BUNDLE_DIR}/index.handler`);
      assert.equal(fn.Properties.Environment.Variables.ETCD_HA_STEP, step, 'the one handler runs the step its function names');
      assert.equal(fn.Properties.Runtime, 'nodejs24.x');
      assert.deepEqual(fn.Properties.Architectures, ['arm64']);
      assert.deepEqual(fn.Properties.LoggingConfig, { LogGroup: { Ref: logicalId(stack.steps[step].logGroup) } });
      assert.deepEqual(fn.Properties.Role, { 'Fn::GetAtt': [roleId(stack, step), 'Arn'] });
      assert.ok(fn.Properties.Timeout <= 900, `${step}: timeout ${fn.Properties.Timeout}`);
      // RSA key generation is CPU-bound: Generate PKI gets a whole vCPU; the snapshot upload gets more network.
      assert.equal(fn.Properties.MemorySize, step === 'generatePki' ? 1769 : step === 'snapshotBeforeChange' || step === 'takeBackup' || step === 'verifySnapshot' ? 1024 : 512, step);
    }
    // A multi-GB snapshot streams to S3 within one invocation.
    assert.equal(template.findResources('AWS::Lambda::Function')[functionId(stack, 'snapshotBeforeChange')]!.Properties.Timeout, 900);
    assert.equal(template.findResources('AWS::Lambda::Function')[functionId(stack, 'takeBackup')]!.Properties.Timeout, 900);
    // Read Cluster reads the record and asks every member for its status.
    assert.equal(template.findResources('AWS::Lambda::Function')[functionId(stack, 'readCluster')]!.Properties.Timeout, 60);
    // Host steps outlast SSM's delivery timeout plus the command's own.
    const startEtcd = template.findResources('AWS::Lambda::Function')[functionId(stack, 'startEtcd')]!;
    assert.equal(startEtcd.Properties.Timeout, 120 + 600 + 30 + 30);
    assert.equal(startEtcd.Properties.Environment.Variables.HOST_COMMAND_TIMEOUT_SECONDS, '600');
    // Prepare / Reset Joining Host runs one host script as well (its wait for etcd to stop is within it).
    assert.equal(template.findResources('AWS::Lambda::Function')[functionId(stack, 'resetJoiningHost')]!.Properties.Timeout, startEtcd.Properties.Timeout);
  });

  it('gives every function the environment the composition root reads', () => {
    const { template, stack } = synth;
    template.allResourcesProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          SECRET_PREFIX: 'etcd-ha',
          KMS_KEY_ID: { 'Fn::GetAtt': [logicalId(stack.secretsKey), 'Arn'] },
          REGISTRY_TABLE: { Ref: logicalId(stack.registryTable) },
          HOST_COMMAND_TIMEOUT_SECONDS: '600',
          SSM_DELIVERY_TIMEOUT_SECONDS: '120',
          MAX_APPLIED_INDEX_LAG: '50',
          ACCOUNT_ID: { Ref: 'AWS::AccountId' },
          SNAPSHOT_BUCKET: { Ref: logicalId(stack.snapshotBucket) },
          SNAPSHOT_PREFIX: 'snapshots/',
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
  });

  it('sets exactly the variables lambdas/entry/aws.ts reads (ENV), and NODE_OPTIONS for the source maps; the probe\'s two only on the probe, the spec policy only on Validate Spec, the event bus only on Publish Membership Event', () => {
    const probeOnly: string[] = [ENV.replaceStateMachineArn, ENV.probeGraceSeconds];
    const syncOnly: string[] = [ENV.memberRules];
    // The clone limits only where clones are launched (the VPC stack).
    const cloneOnly: string[] = [ENV.memberInstanceRoleArns, ENV.cloneLaunchTemplateIds];
    // The stable names' zone only on the steps that publish the names, and only where there is a zone (the VPC stack
    // creates one; test/lib/names-zone.test.ts).
    const namesOnly: string[] = [ENV.hostedZoneId, ENV.dnsZoneName];
    for (const [stack, template] of [[synth.stack, synth.template], [synth.vpcStack, synth.vpcTemplate]] as const) {
      const publishers = ALL_STEPS.filter((step) => STEP_ACCESS[step].includes('publishNames')).map((step) => logicalId(stack.steps[step].function));
      const probe = logicalId(stack.healthProbe!.function.function);
      const validateSpec = logicalId(stack.steps.validateSpec.function);
      const pruneBackups = logicalId(stack.steps.pruneBackups.function);
      const publishEvent = logicalId(stack.steps.publishMembershipEvent.function);
      const sync = logicalId((stack.node.findChild('MemberRuleSync') as MemberRuleSync).function.function);
      for (const [id, fn] of Object.entries(template.findResources('AWS::Lambda::Function'))) {
        const expected = [
          ...Object.values(ENV).filter(
            (name) => (id === probe || !probeOnly.includes(name)) && (id === sync || !syncOnly.includes(name)) && (stack === synth.vpcStack || !cloneOnly.includes(name)) && (id === validateSpec || name !== ENV.specPolicy) && (id === pruneBackups || name !== ENV.backupRetention) && ((stack === synth.vpcStack && publishers.includes(id)) || !namesOnly.includes(name)) && (id === publishEvent || name !== ENV.membershipEventBus),
          ),
          'NODE_OPTIONS',
        ];
        assert.deepEqual(Object.keys(fn.Properties.Environment.Variables).sort(), expected.sort(), id);
      }
    }
  });

  it('keeps logs in explicit log groups with a retention: no logRetention custom resource, no custom resource at all', () => {
    const { template } = synth;
    // One per step function, one per workflow, one for the health probe, one for Sync Member Rules.
    template.resourceCountIs('AWS::Logs::LogGroup', ALL_STEPS.length + 11 + 2);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    const types = Object.values(template.toJSON().Resources as Record<string, { Type: string }>).map((r) => r.Type);
    assert.deepEqual(types.filter((t) => t.startsWith('Custom::') || t === 'AWS::CloudFormation::CustomResource'), []);
  });

  it('has a KMS key with rotation for the secrets, and a registry table (pk string, PITR, encrypted, lock TTL), both retained by default', () => {
    const { template, stack } = synth;
    // The secrets key, and the alarm topic's own (lib/parts/alarms.ts).
    template.resourceCountIs('AWS::KMS::Key', 2);
    assert.deepEqual(template.findResources('AWS::KMS::Key', { Properties: { EnableKeyRotation: true }, DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' })[logicalId(stack.secretsKey)] !== undefined, true);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        DeletionProtectionEnabled: true,
      },
      DeletionPolicy: 'Retain',
    });
  });

  it("raises an alarm when a ProvisionCluster, ReplaceMember, SetMaintenance, CheckClusterHealth, DeleteCluster, BackupCluster, DrillRestore, RestoreCluster, ScaleCluster or AdoptCluster execution fails (and one on the trigger's dead-letter queue; the two metric alarms of DrillRestore are test/lib/drill-restore-stack.test.ts)", () => {
    const { template, stack } = synth;
    // Plus the no-good-backup alarm (test/lib/alarms.test.ts) and DrillRestore's two metric alarms.
    template.resourceCountIs('AWS::CloudWatch::Alarm', 15);
    for (const workflow of [stack.provisionCluster, stack.replaceMember, stack.setMaintenance, stack.checkClusterHealth, stack.deleteCluster, stack.backupCluster, stack.drillRestore, stack.restoreCluster, stack.scaleCluster, stack.adoptCluster, stack.connectControlPlane]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/States',
        MetricName: 'ExecutionsFailed',
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: logicalId(workflow.stateMachine) } }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('outputs the state machine ARNs, the snapshot bucket, the host policy ARN, the table name and the key ARN', () => {
    const { template, stack } = synth;
    template.hasOutput('ProvisionClusterStateMachineArn', { Value: { Ref: logicalId(stack.provisionCluster.stateMachine) } });
    template.hasOutput('ReplaceMemberStateMachineArn', { Value: { Ref: logicalId(stack.replaceMember.stateMachine) } });
    template.hasOutput('SetMaintenanceStateMachineArn', { Value: { Ref: logicalId(stack.setMaintenance.stateMachine) } });
    template.hasOutput('CheckClusterHealthStateMachineArn', { Value: { Ref: logicalId(stack.checkClusterHealth.stateMachine) } });
    template.hasOutput('DeleteClusterStateMachineArn', { Value: { Ref: logicalId(stack.deleteCluster.stateMachine) } });
    template.hasOutput('BackupClusterStateMachineArn', { Value: { Ref: logicalId(stack.backupCluster.stateMachine) } });
    template.hasOutput('ScaleClusterStateMachineArn', { Value: { Ref: logicalId(stack.scaleCluster.stateMachine) } });
    template.hasOutput('AdoptClusterStateMachineArn', { Value: { Ref: logicalId(stack.adoptCluster.stateMachine) } });
    template.hasOutput('SnapshotBucketName', { Value: { Ref: logicalId(stack.snapshotBucket) } });
    template.hasOutput('MemberHostPolicyArn', { Value: { Ref: logicalId(stack.hostPolicy.policy) } });
    template.hasOutput('RegistryTableName', { Value: { Ref: logicalId(stack.registryTable) } });
    template.hasOutput('SecretsKeyArn', { Value: { 'Fn::GetAtt': [logicalId(stack.secretsKey), 'Arn'] } });
  });

  it('runs only the steps that talk to etcd in the members\' VPC, with the given subnets and security group', () => {
    const { vpcTemplate, vpcStack } = synth;
    assert.deepEqual([...ETCD_STEPS].sort(), [
      'addMemberAsLearner',
      'checkHealth',
      'checkQuorum',
      'checkRestartSafety',
      'chooseDrillHost',
      'chooseNextMember',
      'lookAgain',
      'movePeerUrl',
      'planProvision',
      'planScaleChange',
      'promoteLearner',
      'readCluster',
      'readClusterHealth',
      'recordRestoredCluster',
      'removeFailedMember',
      'removeLearners',
      'removeScaledMember',
      'removeStrayLearners',
      'snapshotBeforeChange',
      'takeBackup',
    ]);
    const functions = vpcTemplate.findResources('AWS::Lambda::Function');
    for (const step of ALL_STEPS) {
      const config = functions[functionId(vpcStack, step)]!.Properties.VpcConfig;
      if (ETCD_STEPS.includes(step)) {
        assert.deepEqual(config, { SubnetIds: NETWORK.subnetIds, SecurityGroupIds: [NETWORK.securityGroupId] });
      } else {
        assert.equal(config, undefined, `${step} runs in the VPC`);
      }
    }
    vpcTemplate.resourceCountIs('AWS::EC2::SecurityGroup', 0);
    assert.equal(synth.template.toJSON().Resources[functionId(synth.stack, 'checkHealth')].Properties.VpcConfig, undefined);
    // The health probe asks every member: in the VPC too.
    assert.deepEqual(functions[logicalId(vpcStack.healthProbe!.function.function)]!.Properties.VpcConfig, { SubnetIds: NETWORK.subnetIds, SecurityGroupIds: [NETWORK.securityGroupId] });
  });
});

describe('EtcdHaStack IAM', () => {
  const secretArn = (suffix: string) => ({
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:secret:${suffix}`]],
  });
  const viaSecretsManager = { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } };

  it('host policy: GetSecretValue on <prefix>/*/member/* only for the secret tagged with the caller\'s instance ARN, kms:Decrypt via Secrets Manager; a restores/ object only with its instance tag, kms:Decrypt via S3; PutSecretValue on <prefix>/*/adopt/* only with its instance tag, kms:GenerateDataKey via Secrets Manager for adopt/ secrets; nothing else', () => {
    const { template, stack } = synth;
    // Besides the host policy, only CDK's overflow of a state machine role whose inline policy outgrew IAM's 10,240
    // characters (ReplaceMember invokes 30 functions, each ARN twice): attached to that role alone.
    const managed = template.findResources('AWS::IAM::ManagedPolicy');
    // The control-plane host policy has its own test (test/lib/control-plane-host-policy-simulated.test.ts).
    const others = Object.keys(managed).filter((id) => id !== logicalId(stack.hostPolicy.policy) && id !== logicalId(stack.controlPlaneHostPolicy.policy));
    for (const id of others) {
      assert.match(id, /^[A-Za-z]+StateMachineRoleOverflowPolicy\d/, id);
      assert.equal(managed[id]!.Properties.Roles.length, 1, id);
    }
    const policy = managed[logicalId(stack.hostPolicy.policy)]!;
    assert.deepEqual(policy.Properties.PolicyDocument.Statement, [
      {
        Sid: 'ReadOwnMemberSecret',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: secretArn('etcd-ha/*/member/*'),
        Condition: { StringEquals: { 'aws:ResourceTag/etcd-ha:instance-arn': '${ec2:SourceInstanceARN}' } },
      },
      {
        Sid: 'DecryptViaSecretsManager',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: { 'Fn::GetAtt': [logicalId(stack.secretsKey), 'Arn'] },
        Condition: viaSecretsManager,
      },
      // RestoreCluster: a staged snapshot only, only the copy tagged with the asking instance's ARN; never a backup.
      {
        Sid: 'ReadOwnStagedSnapshot',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(stack.snapshotBucket), 'Arn'] }, '/restores/*']] },
        Condition: { StringEquals: { 's3:ExistingObjectTag/etcd-ha:instance-arn': '${ec2:SourceInstanceARN}' } },
      },
      {
        Sid: 'DecryptStagedSnapshotViaS3',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: { 'Fn::GetAtt': [logicalId(stack.secretsKey), 'Arn'] },
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } },
      },
      // AdoptCluster: put (never read) only into an upload slot tagged with the asking instance's ARN; its data key via
      // Secrets Manager for an adopt/ secret only (test/lib/adopt-upload-access-simulated.test.ts evaluates both).
      {
        Sid: 'PutOwnAdoptUpload',
        Effect: 'Allow',
        Action: 'secretsmanager:PutSecretValue',
        Resource: secretArn('etcd-ha/*/adopt/*'),
        Condition: { StringEquals: { 'aws:ResourceTag/etcd-ha:instance-arn': '${ec2:SourceInstanceARN}' } },
      },
      {
        Sid: 'EncryptAdoptUploadViaSecretsManager',
        Effect: 'Allow',
        Action: 'kms:GenerateDataKey',
        Resource: { 'Fn::GetAtt': [logicalId(stack.secretsKey), 'Arn'] },
        Condition: { ...viaSecretsManager, StringLike: { 'kms:EncryptionContext:SecretARN': secretArn('etcd-ha/*/adopt/*') } },
      },
    ]);
    assert.equal(policy.Properties.Roles, undefined, 'the stack attaches the host policy to nothing itself');
  });

  it('host steps may SendCommand only with AWS-RunShellScript and only to instances tagged etcd-ha:cluster', () => {
    const { template, stack } = synth;
    for (const step of HOST_STEPS) {
      const statements = statementsOfRole(template, roleId(stack, step));
      const send = statements.filter((s) => actionsOf(s).includes('ssm:SendCommand'));
      assert.deepEqual(send, [
        {
          Sid: 'RunShellScriptDocument',
          Effect: 'Allow',
          Action: 'ssm:SendCommand',
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:', { Ref: 'AWS::Region' }, '::document/AWS-RunShellScript']] },
        },
        {
          Sid: 'RunCommandOnMemberHosts',
          Effect: 'Allow',
          Action: 'ssm:SendCommand',
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':instance/*']] },
          Condition: { StringLike: { 'ssm:resourceTag/etcd-ha:cluster': '?*' } },
        },
      ], step);
    }
  });

  it('grants each step exactly the actions of its access kinds', () => {
    const { template, stack, vpcTemplate, vpcStack } = synth;
    const logWrite = ['logs:CreateLogStream', 'logs:PutLogEvents'];
    const talksToEtcd = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:GetResourcePolicy', 'kms:Decrypt'];
    const renew = ['dynamodb:UpdateItem'];
    const expected: Record<EtcdHaStep, string[]> = {
      validateSpec: [],
      // Every provisioning step under the lock renews it (UpdateItem on lock items).
      resolveHosts: ['ec2:DescribeInstances', ...renew],
      generatePki: [
        'secretsmanager:CreateSecret',
        'secretsmanager:GetSecretValue',
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetResourcePolicy',
        'secretsmanager:PutSecretValue',
        'secretsmanager:TagResource',
        'secretsmanager:UntagResource',
        'secretsmanager:UpdateSecret',
        'kms:Decrypt',
        'kms:GenerateDataKey',
        // The bootstrapping record, written as the lock holder before the CA is made.
        'dynamodb:PutItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:GetItem',
        'dynamodb:Scan',
        ...renew,
      ],
      // Signs the CRL with the CA key, writes the ledger, untags the secrets of members that left.
      revokeCertificates: [
        'secretsmanager:CreateSecret',
        'secretsmanager:GetSecretValue',
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetResourcePolicy',
        'secretsmanager:PutSecretValue',
        'secretsmanager:TagResource',
        'secretsmanager:UntagResource',
        'secretsmanager:UpdateSecret',
        'kms:Decrypt',
        'kms:GenerateDataKey',
        ...renew,
      ],
      pushRevocationList: ['ssm:SendCommand', 'ssm:SendCommand', 'ssm:GetCommandInvocation', ...renew],
      configureKubelet: ['ssm:SendCommand', 'ssm:SendCommand', 'ssm:GetCommandInvocation', ...renew],
      pushCertificates: ['ssm:SendCommand', 'ssm:SendCommand', 'ssm:GetCommandInvocation', ...renew],
      writeEtcdConfig: ['ssm:SendCommand', 'ssm:SendCommand', 'ssm:GetCommandInvocation', ...renew],
      startEtcd: ['ssm:SendCommand', 'ssm:SendCommand', 'ssm:GetCommandInvocation', ...renew],
      checkHealth: [...talksToEtcd, ...renew],
      collectMemberLogs: ['ssm:SendCommand', 'ssm:SendCommand', 'ssm:GetCommandInvocation', ...renew],
      // Reads the record first (a member that did not answer keeps its recorded ID), writes it under the lock.
      recordCluster: ['dynamodb:PutItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:Scan', ...renew],
      planProvision: [...talksToEtcd, 'dynamodb:GetItem', 'dynamodb:Scan', ...renew],
      chooseNextMember: [...talksToEtcd, ...renew],
      checkRestartSafety: [...talksToEtcd, ...renew],
      validateRequest: ['dynamodb:GetItem', 'dynamodb:Scan'],
      acquireLock: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'states:DescribeExecution'],
      // Every step under the lock renews it (UpdateItem on lock items).
      readCluster: [...talksToEtcd, 'dynamodb:GetItem', 'dynamodb:Scan', ...renew],
      checkQuorum: [...talksToEtcd, ...renew],
      snapshotBeforeChange: [...talksToEtcd, ...renew, 's3:PutObject', 's3:AbortMultipartUpload', 'kms:GenerateDataKey', 'kms:Decrypt'],
      // Records each removal at once, as the lock holder.
      removeFailedMember: [...talksToEtcd, 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:Scan', ...renew],
      // Without memberInstanceRoleArns (the default stack) no clone is launched: it looks the named instance up.
      chooseReplacementHost: ['ec2:DescribeInstances', ...renew],
      checkHostAgent: [],
      resetJoiningHost: ['ssm:SendCommand', 'ssm:SendCommand', 'ssm:GetCommandInvocation', ...renew],
      removeStrayLearners: [...talksToEtcd, ...renew],
      // Removes (and records, as the lock holder) a voter that died since Remove Dead Members when etcd refuses the add.
      addMemberAsLearner: [...talksToEtcd, 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:Scan', ...renew],
      promoteLearner: [...talksToEtcd, 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:Scan', ...renew],
      removeLearners: [...talksToEtcd, ...renew],
      releaseLock: ['dynamodb:DeleteItem'],
      // After the lock: reads the record, puts one event on the default bus (source etcd-ha only).
      publishMembershipEvent: ['dynamodb:GetItem', 'dynamodb:Scan', 'events:PutEvents'],
      // Without Auto Scaling groups (the default stack) there is no group to complete an action of.
      completeLifecycleAction: [],
      // Before the lock, read-only: the record, the instance's state, the member's answer.
      lookAgain: ['ec2:DescribeInstances', ...talksToEtcd, 'dynamodb:GetItem', 'dynamodb:Scan'],
      retireReplacedHost: ['ec2:DescribeInstances', ...renew, 'ec2:CreateTags', 'ec2:StopInstances', 'ec2:DeleteTags'],
      validateMaintenanceRequest: ['dynamodb:GetItem', 'dynamodb:Scan'],
      setMaintenance: ['dynamodb:PutItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:Scan'],
      // CheckClusterHealth: read-only, no lock.
      validateHealthCheckRequest: ['dynamodb:GetItem', 'dynamodb:Scan'],
      readClusterHealth: [...talksToEtcd, 'dynamodb:GetItem', 'dynamodb:Scan'],
      // DeleteCluster: secret names and tags only before the lock; the deletions under it.
      validateDeleteRequest: ['dynamodb:GetItem', 'dynamodb:Scan', 'secretsmanager:ListSecrets'],
      markClusterDeleting: ['dynamodb:PutItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:Scan', ...renew, 'secretsmanager:ListSecrets'],
      deleteClusterSecrets: [...renew, 'secretsmanager:ListSecrets', 'secretsmanager:DeleteSecret'],
      deleteClusterRecord: ['dynamodb:GetItem', 'dynamodb:Scan', ...renew, 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
      // BackupCluster: its own lock items, the backup prefix, the last-good-backup items; no cluster lock, no record write.
      validateBackupRequest: ['dynamodb:GetItem', 'dynamodb:Scan'],
      acquireBackupLock: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'states:DescribeExecution'],
      takeBackup: [...talksToEtcd, 'dynamodb:GetItem', 'dynamodb:Scan', 's3:PutObject', 's3:AbortMultipartUpload', 'kms:GenerateDataKey', 'kms:Decrypt'],
      recordLastGoodBackup: ['dynamodb:GetItem', 'dynamodb:PutItem', 's3:GetObject', 's3:ListBucket', 'kms:Decrypt'],
      pruneBackups: ['dynamodb:GetItem', 'dynamodb:PutItem', 's3:GetObject', 's3:ListBucket', 'kms:Decrypt', 's3:DeleteObject'],
      releaseBackupLock: ['dynamodb:DeleteItem'],
      // The registry (which clusters), their last good backups (read only), PutMetricData into etcd-ha's namespace.
      publishBackupMetrics: ['dynamodb:GetItem', 'dynamodb:Scan', 'dynamodb:GetItem', 'cloudwatch:PutMetricData'],
      // DrillRestore: its own lock items, the last good backup read-only, the staging prefix, its metric; no cluster lock.
      validateDrillRequest: ['dynamodb:GetItem', 'dynamodb:Scan'],
      acquireDrillLock: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'states:DescribeExecution'],
      findLastGoodBackup: ['dynamodb:GetItem'],
      chooseDrillHost: [...talksToEtcd, 'dynamodb:GetItem', 'dynamodb:Scan'],
      restoreOnDrillHost: ['ssm:SendCommand', 'ssm:SendCommand', 'ssm:GetCommandInvocation', 'dynamodb:GetItem', 'dynamodb:Scan'],
      publishDrillResult: ['cloudwatch:PutMetricData'],
      releaseDrillLock: ['dynamodb:DeleteItem'],
      // RestoreCluster (and the snapshot handoff it shares with DrillRestore, whose input carries no lock): reads before the lock; under it the record, the manifests, the last good backup (read only),
      // the staging prefix, host commands; the record written only by Record Restored Cluster, as the lock holder.
      validateRestoreRequest: ['dynamodb:GetItem', 'dynamodb:Scan'],
      planRestore: ['ec2:DescribeInstances', 'dynamodb:GetItem', 'dynamodb:Scan', ...renew, 'dynamodb:GetItem', 's3:GetObject', 's3:ListBucket', 'kms:Decrypt'],
      verifySnapshot: [...renew, 's3:GetObject', 's3:ListBucket', 'kms:Decrypt'],
      stopEtcdForRestore: ['ssm:SendCommand', 'ssm:SendCommand', 'ssm:GetCommandInvocation', ...renew],
      stageSnapshot: [...renew, 's3:GetObject', 's3:PutObject', 's3:PutObjectTagging', 's3:AbortMultipartUpload', 's3:DeleteObject', 's3:ListBucket', 'kms:GenerateDataKey', 'kms:Decrypt'],
      restoreMember: ['ssm:SendCommand', 'ssm:SendCommand', 'ssm:GetCommandInvocation', ...renew],
      recordRestoredCluster: [...talksToEtcd, 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:Scan', ...renew],
      unstageSnapshots: ['s3:GetObject', 's3:PutObject', 's3:PutObjectTagging', 's3:AbortMultipartUpload', 's3:DeleteObject', 's3:ListBucket', 'kms:GenerateDataKey', 'kms:Decrypt'],
      validateScaleRequest: ['dynamodb:GetItem', 'dynamodb:Scan'],
      // The revocation ledger (names ever issued a certificate), a new member's instance, etcd.
      planScaleChange: ['ec2:DescribeInstances', ...talksToEtcd, 'secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:GetResourcePolicy', 'dynamodb:GetItem', 'dynamodb:Scan', ...renew],
      removeScaledMember: [...talksToEtcd, ...renew],
      // AdoptCluster: before the lock, the record only; then the host's facts, the upload slot and the import, the peer URL.
      validateAdoptRequest: ['dynamodb:GetItem', 'dynamodb:Scan'],
      inspectAdoptableMember: ['ec2:DescribeInstances', 'ssm:SendCommand', 'ssm:SendCommand', 'ssm:GetCommandInvocation', ...renew],
      // The bootstrapping record and the import (as Generate PKI), the host's upload command, and the slot (adopt/ only).
      receiveMemberPki: [
        'ssm:SendCommand',
        'ssm:SendCommand',
        'ssm:GetCommandInvocation',
        'secretsmanager:CreateSecret',
        'secretsmanager:GetSecretValue',
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetResourcePolicy',
        'secretsmanager:PutSecretValue',
        'secretsmanager:TagResource',
        'secretsmanager:UntagResource',
        'secretsmanager:UpdateSecret',
        'kms:Decrypt',
        'kms:GenerateDataKey',
        'dynamodb:PutItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:GetItem',
        'dynamodb:Scan',
        ...renew,
        'secretsmanager:CreateSecret',
        'secretsmanager:TagResource',
        'secretsmanager:GetSecretValue',
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetResourcePolicy',
        'secretsmanager:DeleteSecret',
        'kms:Decrypt',
        'kms:GenerateDataKey',
      ],
      movePeerUrl: ['ssm:SendCommand', 'ssm:SendCommand', 'ssm:GetCommandInvocation', ...talksToEtcd, ...renew],
      // ---- ConnectControlPlane ----
      validateConnectRequest: ['dynamodb:GetItem', 'dynamodb:Scan'],
      resolveControlPlaneHosts: ['ec2:DescribeInstances', 'dynamodb:GetItem', 'dynamodb:Scan', ...renew],
      issueControlPlaneBundles: [
        'secretsmanager:CreateSecret',
        'secretsmanager:GetSecretValue',
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetResourcePolicy',
        'secretsmanager:PutSecretValue',
        'secretsmanager:TagResource',
        'secretsmanager:UntagResource',
        'secretsmanager:UpdateSecret',
        'kms:Decrypt',
        'kms:GenerateDataKey',
        ...renew,
      ],
      pushClientCertificates: ['ssm:SendCommand', 'ssm:SendCommand', 'ssm:GetCommandInvocation', ...renew],
      updateApiServer: ['ssm:SendCommand', 'ssm:SendCommand', 'ssm:GetCommandInvocation', ...renew],
    };
    for (const step of ALL_STEPS) {
      const statements = statementsOfRole(template, roleId(stack, step));
      assert.ok(statements.every((s) => s.Effect === 'Allow'));
      assert.deepEqual(statements.flatMap(actionsOf), [...logWrite, ...expected[step]], step);
      // The log statement is on the step's own log group only.
      assert.deepEqual(statements[0]!.Resource, { 'Fn::GetAtt': [logicalId(stack.steps[step].logGroup), 'Arn'] });
    }
    assert.deepEqual(statementsOfRole(vpcTemplate, roleId(vpcStack, 'completeLifecycleAction')).flatMap(actionsOf), [...logWrite, 'autoscaling:CompleteLifecycleAction']);
    // No role gets a managed policy, except the VPC access of the steps that talk to etcd in the VPC stack.
    template.allResourcesProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    assert.deepEqual(PROVISION_STEP_ACCESS.checkHealth, ['renewClusterLock', 'readHealthcheckClient', 'etcdNetwork']);
    assert.deepEqual(REPLACE_STEP_ACCESS.addMemberAsLearner, ['renewClusterLock', 'readRegistry', 'writeRegistry', 'readHealthcheckClient', 'etcdNetwork']);
  });

  it('keys secrets access to the prefix: Check Health reads only healthcheck-client secrets, Generate PKI writes <prefix>/*', () => {
    const { template, stack } = synth;
    const health = statementsOfRole(template, roleId(stack, 'checkHealth'));
    assert.deepEqual(health.find((s) => s.Sid === 'ReadHealthcheckClientSecrets')?.Resource, secretArn('etcd-ha/*/healthcheck-client-??????'));
    assert.deepEqual(health.find((s) => s.Sid === 'DecryptClusterSecrets')?.Condition, viaSecretsManager);
    const pki = statementsOfRole(template, roleId(stack, 'generatePki'));
    assert.deepEqual(pki.find((s) => s.Sid === 'ReadWriteClusterSecrets')?.Resource, secretArn('etcd-ha/*'));
    assert.deepEqual(pki.find((s) => s.Sid === 'EncryptDecryptClusterSecrets')?.Resource, { 'Fn::GetAtt': [logicalId(stack.secretsKey), 'Arn'] });
    assert.deepEqual(pki.find((s) => s.Sid === 'EncryptDecryptClusterSecrets')?.Condition, viaSecretsManager);
    const record = statementsOfRole(template, roleId(stack, 'recordCluster'));
    assert.deepEqual(record.find((s) => s.Sid === 'WriteClusterRecord')?.Resource, { 'Fn::GetAtt': [logicalId(stack.registryTable), 'Arn'] });
  });

  it('has no statement on Resource "*" but these, each acknowledged for cdk-nag with its reason', () => {
    const { template, stack } = synth;
    // [role, actions] of every allowed statement on "*".
    const allowed: Array<[string, string[]]> = [
      [roleId(stack, 'resolveHosts'), ['ec2:DescribeInstances']],
      [roleId(stack, 'chooseReplacementHost'), ['ec2:DescribeInstances']],
      [roleId(stack, 'lookAgain'), ['ec2:DescribeInstances']],
      [roleId(stack, 'retireReplacedHost'), ['ec2:DescribeInstances']],
      // Plan Restore resolves each member's host to its current address (and checks a named replacement's tags).
      [roleId(stack, 'planRestore'), ['ec2:DescribeInstances']],
      // Plan Next Change resolves a new member's instance (tagged for the cluster) to its address.
      [roleId(stack, 'planScaleChange'), ['ec2:DescribeInstances']],
      // Inspect Member resolves the control-plane instance to its address.
      [roleId(stack, 'inspectAdoptableMember'), ['ec2:DescribeInstances']],
      [logicalId(stack.healthProbe!.function.role), ['ec2:DescribeInstances']],
      // DeleteCluster finds a cluster's secrets by name and tag (ListSecrets has no resource-level permissions).
      [roleId(stack, 'validateDeleteRequest'), ['secretsmanager:ListSecrets']],
      [roleId(stack, 'markClusterDeleting'), ['secretsmanager:ListSecrets']],
      [roleId(stack, 'deleteClusterSecrets'), ['secretsmanager:ListSecrets']],
      // PutMetricData has no resource-level permissions: the cloudwatch:namespace condition limits it.
      [roleId(stack, 'publishBackupMetrics'), ['cloudwatch:PutMetricData']],
      ...HOST_STEPS.map((step): [string, string[]] => [roleId(stack, step), ['ssm:GetCommandInvocation']]),
      // ConnectControlPlane: the control-plane instances by tag; its two host steps read their command results.
      [roleId(stack, 'resolveControlPlaneHosts'), ['ec2:DescribeInstances']],
      [roleId(stack, 'pushClientCertificates'), ['ssm:GetCommandInvocation']],
      [roleId(stack, 'updateApiServer'), ['ssm:GetCommandInvocation']],
      // PutMetricData has no resource-level permissions: narrowed to the etcd-ha namespace by a condition.
      [roleId(stack, 'publishDrillResult'), ['cloudwatch:PutMetricData']],
      ...[stack.provisionCluster, stack.replaceMember, stack.setMaintenance, stack.checkClusterHealth, stack.deleteCluster, stack.backupCluster, stack.drillRestore, stack.restoreCluster, stack.scaleCluster, stack.adoptCluster, stack.connectControlPlane].flatMap((workflow): Array<[string, string[]]> => {
        const stateMachineRole = logicalId(workflow.stateMachine.role);
        return [
          [
        stateMachineRole,
        [
          'logs:CreateLogDelivery',
          'logs:GetLogDelivery',
          'logs:UpdateLogDelivery',
          'logs:DeleteLogDelivery',
          'logs:ListLogDeliveries',
          'logs:PutResourcePolicy',
          'logs:DescribeResourcePolicies',
          'logs:DescribeLogGroups',
        ],
      ],
      [stateMachineRole, ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets']],
        ];
      }),
    ];
    const found: Array<[string, string[]]> = [];
    for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
      for (const [id, policy] of Object.entries(template.findResources(type))) {
        for (const statement of policy.Properties.PolicyDocument.Statement as Statement[]) {
          const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
          if (!resources.includes('*')) continue;
          assert.deepEqual(resources, ['*'], `${id}: "*" next to narrower resources`);
          const roles = (policy.Properties.Roles as Array<{ Ref: string }> | undefined) ?? [{ Ref: id }];
          for (const role of roles) found.push([role.Ref, actionsOf(statement)]);
        }
      }
    }
    const key = ([role, actions]: [string, string[]]) => `${role} ${actions.join(',')}`;
    assert.deepEqual(found.map(key).sort(), allowed.map(key).sort());
  });

  it('attaches AWSLambdaVPCAccessExecutionRole only to the steps that talk to etcd, and only in a VPC', () => {
    const { vpcTemplate, vpcStack } = synth;
    const roles = vpcTemplate.findResources('AWS::IAM::Role');
    const inVpc = new Set([...ETCD_STEPS.map((step) => roleId(vpcStack, step)), logicalId(vpcStack.healthProbe!.function.role)]);
    for (const [id, role] of Object.entries(roles)) {
      const managed = role.Properties.ManagedPolicyArns;
      if (inVpc.has(id)) {
        assert.deepEqual(managed, [
          { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole']] },
        ]);
      } else {
        assert.equal(managed, undefined, id);
      }
    }
  });
});

describe('cdk-nag AwsSolutions', () => {
  /** Every acknowledgment in the tree: rule ID (with finding) → reason. */
  function acknowledgments(scope: IConstruct): Map<string, string> {
    const found = new Map<string, string>();
    for (const construct of scope.node.findAll()) {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          // aws-cdk-lib acknowledges some of its own findings (e.g. CloudFormation-Validate::W3010 for imported AZs).
          if (!id.includes('AwsSolutions-')) continue;
          found.set(`${construct.node.path} ${id.replace(/^annotation::/i, '')}`, reason);
        }
      }
    }
    return found;
  }

  it('reports no finding that is not acknowledged, with and without a VPC and Auto Scaling groups (errors and warnings)', () => {
    const report = new AwsSolutionsChecks(synth.app, { verbose: true }).validateScope(synth.app);
    const findings = report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    assert.deepEqual(findings, []);
    assert.equal(report.success, true);
  });

  it('acknowledges IAM4/IAM5 findings, the snapshot bucket\'s access logs (S1) and the dead-letter queue\'s own DLQ (SQS3), each with a reason', () => {
    const { vpcStack } = synth;
    const acks = acknowledgments(vpcStack);
    assert.ok(acks.size > 0);
    for (const [where, reason] of acks) {
      assert.match(where, / AwsSolutions-(IAM[45]\[(Resource|Policy)::|S1$|SQS3$)/, where);
      assert.ok(reason.length >= 40, `${where}: reason too short: ${reason}`);
    }
    // Rule → where it is acknowledged, for the two that are not IAM findings.
    const at = (rule: string) => [...acks.keys()].filter((k) => k.endsWith(` ${rule}`)).map((k) => k.split(' ')[0]);
    assert.deepEqual(at('AwsSolutions-S1'), [vpcStack.snapshotBucket.node.path]);
    assert.deepEqual(at('AwsSolutions-SQS3'), [vpcStack.replaceTrigger!.deadLetterQueue.node.path]);
    const rules = [...acks.keys()].map((k) => k.split(' ')[1]).sort();
    const asg = (name: string) => `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:autoscaling:<AWS::Region>:<AWS::AccountId>:autoScalingGroup:*:autoScalingGroupName/${name}]`;
    assert.deepEqual([...new Set(rules)], [
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      // LambdaInvoke's "<function ARN>:*" of every function either state machine invokes.
      ...ALL_STEPS.map((step) => `AwsSolutions-IAM5[Resource::<${functionId(vpcStack, step)}.Arn>:*]`),
      'AwsSolutions-IAM5[Resource::*]',
      `AwsSolutions-IAM5[Resource::<${logicalId(vpcStack.snapshotBucket)}.Arn>/snapshots/*]`,
      // BackupCluster: the backup prefix.
      `AwsSolutions-IAM5[Resource::<${logicalId(vpcStack.snapshotBucket)}.Arn>/backups/*]`,
      // The snapshot handoff (Stage Snapshot, Unstage Snapshots): the staging prefix.
      `AwsSolutions-IAM5[Resource::<${logicalId(vpcStack.snapshotBucket)}.Arn>/restores/*]`,
      ...GROUPS.map(asg),
      // Choose Replacement Host launching a clone: the failed instance's resources, the clone's, the role it passes.
      // Each resource pattern is narrowed by a condition (ec2:Vpc, ec2:Owner, tags) or read only; no launch template, no role pattern.
      ...['image', 'snapshot'].map((r) => `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>::${r}/*]`),
      ...['instance', 'key-pair', 'network-interface', 'security-group', 'subnet', 'volume'].map(
        (r) => `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:${r}/*]`,
      ),
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:instance-profile/*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:etcd-ha/*/healthcheck-client-??????]',
      // Plan Next Change: the revocation ledgers (names and serials, no key).
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:etcd-ha/*/revocation-??????]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:etcd-ha/*]',
      // The member hosts: member secrets only.
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:etcd-ha/*/member/*]',
      // The member hosts (AdoptCluster) and Receive Member PKI: upload slots only.
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:etcd-ha/*/adopt/*]',
      // The control-plane hosts: control-plane bundles only.
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:etcd-ha/*/control-plane/*]',
      // Acquire Lock asking whether an expired lock's holder (a ReplaceMember execution) still runs.
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:*]',
      'AwsSolutions-S1',
      'AwsSolutions-SQS3',
    ].sort());
  });
});

describe('ProvisionCluster as deployed', () => {
  /** The template's DefinitionString with each step's function ARN replaced by render-asl's placeholder. */
  const deployed = () =>
    deployedDefinition(
      synth.template,
      logicalId(synth.stack.provisionCluster.stateMachine),
      new Map(PROVISION_STEPS.map((step) => [functionId(synth.stack, step), step])),
    );

  it('is valid ASL (asl-validator)', () => {
    const result = validator(structuredClone(deployed()) as never);
    assert.equal(result.isValid, true, JSON.stringify(result.errors, null, 2));
  });

  it('is the definition the local runner renders: same states, same transitions, same tasks', () => {
    const definition = deployed();
    const local = renderAsl(PROVISION_STEPS, (scope, functions) => provisionClusterDefinition(scope, { functions }));
    assert.equal(definition.StartAt, local.StartAt);
    assert.deepEqual(allStates(definition).map(([name]) => name).sort(), allStates(local).map(([name]) => name).sort());
    assert.deepEqual(definition.States, local.States);
  });

  it('invokes each step\'s own function', () => {
    const invoked = allStates(deployed())
      .map(([, state]) => state.Resource)
      .filter((r): r is string => typeof r === 'string' && r.startsWith(LOCAL_FUNCTION_ARN_PREFIX))
      .map((r) => r.slice(LOCAL_FUNCTION_ARN_PREFIX.length));
    assert.deepEqual([...new Set(invoked)].sort(), [...PROVISION_STEPS].sort());
  });
});

describe('the Lambda bundle', () => {
  const assetDir = (): string => {
    const fn = synth.template.toJSON().Resources[functionId(synth.stack, 'validateSpec')];
    const dir = join(synth.assemblyDir, fn.Metadata?.['aws:asset:path'] ?? `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
    assert.ok(existsSync(dir), dir);
    return dir;
  };

  it('is one asset shared by every function: app/index.js with the host scripts beside it, etcd3\'s protos in proto/', () => {
    const keys = new Set(Object.values(synth.template.findResources('AWS::Lambda::Function')).map((f) => f.Properties.Code.S3Key));
    assert.equal(keys.size, 1);
    const dir = assetDir();
    const app = readdirSync(join(dir, BUNDLE_DIR));
    for (const file of ['index.js', 'index.js.map', 'lib.sh', ...HOST_SCRIPTS.map((s) => `${s}.sh`)]) assert.ok(app.includes(file), `missing ${BUNDLE_DIR}/${file}`);
    assert.deepEqual(readdirSync(join(dir, 'proto')).sort(), ['auth.proto', 'kv.proto', 'rpc.proto']);
  });

  it('loads in plain Node, exports every handler, keeps error names, logs JSON, and finds its host scripts', () => {
    const script = `
      const m = require(process.argv[1]);
      const steps = JSON.parse(process.argv[2]);
      const spec = { clusterName: 'demo', members: [0, 1, 2].map((i) => ({ name: 'infra' + i, instanceId: 'i-0a1b2c3d4e5f6000' + i, address: '10.0.0.' + (6 + i) })) };
      (async () => {
        // The one export, as Lambda calls it: the step comes from ETCD_HA_STEP, set per function by the stack.
        const as = (step) => (event, context) => { process.env.ETCD_HA_STEP = step; return m.handler(event, context); };
        const out = { missing: steps.filter((s) => { try { return typeof m.handlerFor({ ETCD_HA_STEP: s }) !== 'function'; } catch { return true; } }) };
        out.valid = (await as('validateSpec')({ spec })).spec.clusterName;
        out.invalid = await as('validateSpec')({ spec: { clusterName: 'UPPER' } }).then(() => 'resolved', (e) => e.name);
        // A ReplaceMember step: built over the lock, the S3 store and Auto Scaling, and parsing before any call.
        out.invalidRequest = await as('validateRequest')({ request: { failedInstanceId: 'not-an-instance' } }).then(() => 'resolved', (e) => e.name);
        const host = { name: 'infra0', address: '10.0.0.6', instanceId: 'i-0a1b2c3d4e5f60000' };
        const pki = { ca: 'etcd-ha/demo/ca', healthcheckClient: 'etcd-ha/demo/healthcheck-client', apiserverEtcdClient: 'etcd-ha/demo/apiserver-etcd-client', members: { infra0: 'etcd-ha/demo/member/infra0' } };
        // The command text is built from the .sh files first; then SSM is called, at an endpoint nobody listens on.
        out.hostStep = await as('configureKubelet')({ spec: (await as('validateSpec')({ spec })).spec, hosts: [host], host, pki, clusterState: 'new' }, { awsRequestId: 'req-1' })
          .then(() => 'resolved', (e) => e.code || e.name + ': ' + e.message);
        process.stderr.write(JSON.stringify(out));
      })();`;
    const run = spawnSync(process.execPath, ['-e', script, join(assetDir(), BUNDLE_DIR, 'index.js'), JSON.stringify(Object.keys(HANDLERS))], {
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
        AWS_MAX_ATTEMPTS: '1',
        KMS_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000',
        REGISTRY_TABLE: 'etcd-ha-registry',
        ACCOUNT_ID: '123456789012',
        SNAPSHOT_BUCKET: 'etcd-ha-snapshots',
        SNAPSHOT_PREFIX: 'snapshots/',
        NODE_NO_WARNINGS: '1',
      },
    });
    assert.equal(run.status, 0, run.stderr);
    const out = JSON.parse(run.stderr.trim().split('\n').at(-1)!) as Record<string, unknown>;
    assert.deepEqual(out.missing, []);
    assert.equal(out.valid, 'demo');
    assert.equal(out.invalid, 'SpecValidationError', 'the bundle must keep class names (keepNames): Step Functions matches on them');
    assert.equal(out.invalidRequest, 'SpecValidationError');
    assert.equal(out.hostStep, 'ECONNREFUSED');
    const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(lines.some((l) => l.level === 'warn' && l.step === 'validateSpec' && l.error === 'SpecValidationError'));
    assert.ok(lines.some((l) => l.step === 'configureKubelet' && l.requestId === 'req-1'));
    assert.ok(lines.some((l) => l.level === 'warn' && l.step === 'validateRequest' && l.error === 'SpecValidationError'));
  });
});
