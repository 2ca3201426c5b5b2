// The etcd-ha stack deployed with the pinned CDK CLI into moto_server: `cdk bootstrap`, `cdk deploy
// --method=direct` (moto's change sets break updates and never fill outputs) with -c deployForTests=true
// (no BootstrapVersion rule: moto keeps no bootstrap parameter) and -c removalPolicy=destroy, then the SDK
// reads back what the stack promises; a second deploy must change nothing, and `cdk destroy` removes it all.
// moto skips resources it does not support without a word, so this compares the created resources with the
// template rather than trusting the stack status. The deploy names an Auto Scaling group, so that both
// EventBridge rules (EC2 state change, lifecycle action) exist. About a minute.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudFormationClient,
  DescribeStackEventsCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  type Stack as CfnStack,
  type StackResource,
} from '@aws-sdk/client-cloudformation';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeRuleCommand, EventBridgeClient, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DetachRolePolicyCommand, GetPolicyCommand, GetPolicyVersionCommand, GetRoleCommand, GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { GetKeyRotationStatusCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeStateMachineCommand, ListStateMachinesCommand, ListTagsForResourceCommand, SFNClient } from '@aws-sdk/client-sfn';
import { stateMachinesTagged } from '../../../lambdas/workflow-runner/find-state-machine';
import { ALL_STEPS } from '../../../lib/etcd-ha-stack';
import { PROVISION_STEPS, provisionClusterDefinition } from '../../../statemachines/provision-cluster';
import { MAINTENANCE_STEPS, setMaintenanceDefinition } from '../../../statemachines/set-maintenance';
import { REPLACE_STEPS, replaceMemberDefinition } from '../../../statemachines/replace-member';
import { HEALTH_CHECK_STEPS, checkClusterHealthDefinition } from '../../../statemachines/check-cluster-health';
import { deleteClusterDefinition } from '../../../statemachines/delete-cluster';
import { BACKUP_STEPS, backupClusterDefinition } from '../../../statemachines/backup-cluster';
import { DRILL_STEPS, drillRestoreDefinition } from '../../../statemachines/drill-restore';
import { RESTORE_STEPS, restoreClusterDefinition } from '../../../statemachines/restore-cluster';
import { SCALE_STEPS, scaleClusterDefinition } from '../../../statemachines/scale-cluster';
import { ADOPT_STEPS, adoptClusterDefinition } from '../../../statemachines/adopt-cluster';
import { CONNECT_STEPS, connectControlPlaneDefinition } from '../../../statemachines/connect-control-plane';
import { DELETE_STEPS } from '../../../lambdas/catalog/steps';
import { allStates, renderAsl, type AslDefinition } from '../../../statemachines/render-asl';
import { startMoto, type Moto } from '../../support/moto';

const ROOT = join(__dirname, '..', '..', '..');
const CDK_CLI = join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk');
const STACK = 'EtcdHa';
/** moto_server's account for any credentials. */
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const GROUP = 'etcd-members-a';
const DEPLOY_CONTEXT = ['-c', 'deployForTests=true', '-c', 'removalPolicy=destroy', '-c', `autoScalingGroupNames=${GROUP}`];
/**
 * Resource types moto 5.2.1's CloudFormation skips without an error (checked by hand): the alarms, CDK's
 * metadata, and the resource policies of the snapshot bucket (TLS only) and of the dead-letter queue (TLS only,
 * SendMessage from the rules); test/lib checks those in the template. Everything else must exist after the deploy.
 */
// (and the alarm topic's AWS::SNS::TopicPolicy, TLS only: test/lib/alarms.test.ts checks it in the template.)
// (moto's CloudFormation also skips the health probe's AWS::Lambda::EventInvokeConfig: test/lib/healing-stack.test.ts checks it in the template.)
const SKIPPED_BY_MOTO = new Set(['AWS::CloudWatch::Alarm', 'AWS::CDK::Metadata', 'AWS::S3::BucketPolicy', 'AWS::SQS::QueuePolicy', 'AWS::SNS::TopicPolicy', 'AWS::Lambda::EventInvokeConfig']);

interface CliRun {
  readonly code: number | null;
  readonly output: string;
}

describe('cdk deploy into moto_server', { timeout: 300_000 }, () => {
  let moto: Moto | undefined;
  let outdir: string;
  let cliEnv: NodeJS.ProcessEnv;
  let clients: {
    cfn: CloudFormationClient;
    sfn: SFNClient;
    lambda: LambdaClient;
    kms: KMSClient;
    dynamodb: DynamoDBClient;
    iam: IAMClient;
    events: EventBridgeClient;
    s3: S3Client;
    sqs: SQSClient;
  };

  /** The pinned CDK CLI (node_modules/aws-cdk, 2.1148.1) in the project root, against moto. */
  const cdk = (args: string[], timeoutMs = 180_000): Promise<CliRun> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CDK_CLI, ...args, '--no-notices', '--output', outdir], { cwd: ROOT, env: cliEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('error', reject);
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code, output });
      });
    });
  const expectSuccess = (run: CliRun, what: string) => assert.equal(run.code, 0, `${what} failed:\n${run.output.slice(-6000)}`);

  const describeStack = async (): Promise<CfnStack | undefined> => {
    try {
      return (await clients.cfn.send(new DescribeStacksCommand({ StackName: STACK }))).Stacks?.[0];
    } catch (error) {
      if (/does not exist/.test((error as Error).message)) return undefined;
      throw error;
    }
  };
  const stackResources = async (): Promise<StackResource[]> =>
    (await clients.cfn.send(new DescribeStackResourcesCommand({ StackName: STACK }))).StackResources ?? [];
  const template = (): { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> } =>
    JSON.parse(readFileSync(join(outdir, `${STACK}.template.json`), 'utf8'));
  const gone = async (call: () => Promise<unknown>, notFound: RegExp): Promise<boolean> => {
    try {
      await call();
      return false;
    } catch (error) {
      if (notFound.test((error as Error).name) || notFound.test((error as Error).message)) return true;
      throw error;
    }
  };

  /**
   * The key's ARN, from ListKeys: moto 5.2.1 answers DescribeKey on a key its CloudFormation created with a 500
   * (it keeps the KeyPolicy as an object and json.loads it).
   */
  const keyArnOf = async (keyId: string): Promise<string | undefined> =>
    (await clients.kms.send(new ListKeysCommand({}))).Keys?.find((k) => k.KeyId === keyId)?.KeyArn;

  /** What the deploy left, by logical ID, read once after the first deploy. */
  let deployed: Map<string, StackResource>;
  let functionArns: Map<string, string>;
  /** The physical ID of the one resource whose logical ID is `prefix` plus CDK's 8-character hash. */
  const physicalOf = (prefix: string): string => {
    const found = [...deployed.values()].filter((r) => new RegExp(`^${prefix}[0-9A-F]{8}$`).test(r.LogicalResourceId ?? ''));
    assert.equal(found.length, 1, `${found.length} resources named ${prefix}…`);
    return found[0]!.PhysicalResourceId!;
  };

  before(async () => {
    moto = await startMoto();
    outdir = mkdtempSync(join(tmpdir(), 'etcd-ha-cdk-out-'));
    // localhost, not 127.0.0.1: moto reads the S3 bucket from the path (as the CDK CLI publishes assets) only for "localhost".
    const endpoint = `http://localhost:${moto.port}`;
    cliEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && !name.startsWith('CDK_')));
    Object.assign(cliEnv, {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      CDK_DISABLE_CLI_TELEMETRY: 'true',
      NODE_NO_WARNINGS: '1',
    });
    // The SDK clients of the test keep 127.0.0.1 (moto answers KMS calls sent to "localhost" with its S3 routing).
    const config = moto.clientConfig;
    clients = {
      cfn: new CloudFormationClient(config),
      sfn: new SFNClient(config),
      lambda: new LambdaClient(config),
      kms: new KMSClient(config),
      dynamodb: new DynamoDBClient(config),
      iam: new IAMClient(config),
      events: new EventBridgeClient(config),
      // Path-style: moto takes the bucket from the path on a loopback address.
      s3: new S3Client({ ...config, forcePathStyle: true }),
      sqs: new SQSClient(config),
    };
  });

  after(async () => {
    for (const client of Object.values(clients ?? {})) client.destroy();
    await moto?.stop();
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  it('bootstraps the environment', async () => {
    expectSuccess(await cdk(['bootstrap', `aws://${ACCOUNT}/${REGION}`]), 'cdk bootstrap');
  });

  it('deploys the stack, and creates every resource of the template that moto supports', async () => {
    expectSuccess(await cdk(['deploy', STACK, '--method=direct', '--require-approval', 'never', ...DEPLOY_CONTEXT]), 'cdk deploy');
    const stack = await describeStack();
    assert.equal(stack?.StackStatus, 'CREATE_COMPLETE');
    deployed = new Map((await stackResources()).filter((r) => r.LogicalResourceId).map((r) => [r.LogicalResourceId!, r]));
    const expected = Object.entries(template().Resources)
      .filter(([, r]) => !SKIPPED_BY_MOTO.has(r.Type))
      .map(([id, r]) => `${id} ${r.Type}`)
      .sort();
    assert.deepEqual([...deployed.values()].map((r) => `${r.LogicalResourceId} ${r.ResourceType}`).sort(), expected);
    for (const resource of deployed.values()) assert.equal(resource.ResourceStatus, 'CREATE_COMPLETE', resource.LogicalResourceId);
  });

  it('fills the outputs with the created resources', async () => {
    const outputs = Object.fromEntries(((await describeStack())?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    const physical = (type: string) => [...deployed.values()].find((r) => r.ResourceType === type)?.PhysicalResourceId;
    assert.equal(outputs.ProvisionClusterStateMachineArn, physicalOf('ProvisionClusterStateMachine'));
    assert.equal(outputs.ReplaceMemberStateMachineArn, physicalOf('ReplaceMemberStateMachine'));
    assert.notEqual(outputs.ReplaceMemberStateMachineArn, outputs.ProvisionClusterStateMachineArn);
    assert.equal(outputs.SnapshotBucketName, physicalOf('SnapshotBucket'));
    assert.equal(outputs.MemberHostPolicyArn, physicalOf('MemberHostPolicy'));
    assert.equal(outputs.RegistryTableName, physical('AWS::DynamoDB::Table'));
    assert.equal(outputs.SecretsKeyArn, await keyArnOf(physical('AWS::KMS::Key')!));
  });

  it('has one function per step (the shared ones once), running its export of the bundle, wired to the key, the table and the bucket', async () => {
    const resources = template().Resources;
    const functions = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    // Every step's, the health probe's and Sync Member Rules'.
    assert.equal(functions.length, ALL_STEPS.length + 2);
    const tableName = [...deployed.values()].find((r) => r.ResourceType === 'AWS::DynamoDB::Table')!.PhysicalResourceId;
    const keyId = [...deployed.values()].find((r) => r.ResourceType === 'AWS::KMS::Key')!.PhysicalResourceId;
    const keyArn = await keyArnOf(keyId!);
    assert.ok(keyArn);
    functionArns = new Map();
    const handlers: string[] = [];
    for (const [id] of functions) {
      const { Configuration: config } = await clients.lambda.send(new GetFunctionCommand({ FunctionName: deployed.get(id)!.PhysicalResourceId }));
      assert.equal(config?.Runtime, 'nodejs24.x', id);
      // (moto's CloudFormation drops Architectures and LoggingConfig: test/lib checks them in the template.)
      assert.equal(config?.Environment?.Variables?.KMS_KEY_ID, keyArn, id);
      assert.equal(config?.Environment?.Variables?.REGISTRY_TABLE, tableName, id);
      assert.equal(config?.Environment?.Variables?.ACCOUNT_ID, ACCOUNT, id);
      assert.equal(config?.Environment?.Variables?.SNAPSHOT_BUCKET, physicalOf('SnapshotBucket'), id);
      assert.equal(config?.Environment?.Variables?.SNAPSHOT_PREFIX, 'snapshots/', id);
      assert.equal(config?.Handler, 'app/index.handler', id);
      handlers.push(config!.Environment!.Variables!.ETCD_HA_STEP!);
      functionArns.set(id, config!.FunctionArn!);
      // Only Publish Membership Event names the bus its events go to (no bus given: the default one).
      assert.equal(config?.Environment?.Variables?.MEMBERSHIP_EVENT_BUS, config!.Environment!.Variables!.ETCD_HA_STEP === 'publishMembershipEvent' ? 'default' : undefined, id);
    }
    // One function per step, each running its own (the one handler dispatches on ETCD_HA_STEP).
    assert.deepEqual(handlers.sort(), [...ALL_STEPS, 'healthProbe', 'syncMemberRules'].sort());
  });

  it('runs the state machine definitions of the template, which are the ones the local runner renders', async () => {
    const locals: Record<string, AslDefinition> = {
      ProvisionClusterStateMachine: renderAsl(PROVISION_STEPS, (scope, functions) => provisionClusterDefinition(scope, { functions })),
      ReplaceMemberStateMachine: renderAsl(REPLACE_STEPS, (scope, functions) => replaceMemberDefinition(scope, { functions })),
      SetMaintenanceStateMachine: renderAsl(MAINTENANCE_STEPS, (scope, functions) => setMaintenanceDefinition(scope, { functions })),
      CheckClusterHealthStateMachine: renderAsl(HEALTH_CHECK_STEPS, (scope, functions) => checkClusterHealthDefinition(scope, { functions })),
      DeleteClusterStateMachine: renderAsl(DELETE_STEPS, (scope, functions) => deleteClusterDefinition(scope, { functions })),
      BackupClusterStateMachine: renderAsl(BACKUP_STEPS, (scope, functions) => backupClusterDefinition(scope, { functions })),
      DrillRestoreStateMachine: renderAsl(DRILL_STEPS, (scope, functions) => drillRestoreDefinition(scope, { functions })),
      RestoreClusterStateMachine: renderAsl(RESTORE_STEPS, (scope, functions) => restoreClusterDefinition(scope, { functions })),
      ScaleClusterStateMachine: renderAsl(SCALE_STEPS, (scope, functions) => scaleClusterDefinition(scope, { functions })),
      AdoptClusterStateMachine: renderAsl(ADOPT_STEPS, (scope, functions) => adoptClusterDefinition(scope, { functions })),
      ConnectControlPlaneStateMachine: renderAsl(CONNECT_STEPS, (scope, functions) => connectControlPlaneDefinition(scope, { functions })),
    };
    const machines = Object.entries(template().Resources).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
    assert.equal(machines.length, 11);
    for (const [prefix, local] of Object.entries(locals)) {
      const machine = machines.find(([id]) => id.startsWith(prefix))!;
      const answer = await clients.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: physicalOf(prefix) }));
      const definition = JSON.parse(answer.definition!) as AslDefinition;
      // The template's definition with the real function ARNs.
      const [separator, parts] = (machine[1].Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
      const expected = parts
        .map((part) => {
          if (typeof part === 'string') return part;
          const token = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
          if (token.Ref === 'AWS::Partition') return 'aws';
          const arn = token['Fn::GetAtt'] ? functionArns.get(token['Fn::GetAtt'][0]) : undefined;
          assert.ok(arn, `unexpected token ${JSON.stringify(part)}`);
          return arn;
        })
        .join(separator);
      assert.deepEqual(definition, JSON.parse(expected), prefix);
      assert.equal(definition.StartAt, local.StartAt, prefix);
      assert.deepEqual(allStates(definition).map(([name]) => name).sort(), allStates(local).map(([name]) => name).sort(), prefix);
    }
  });

  it('tags each deployed state machine etcd-ha:workflow=<workflow>: the command line finds each by it', async () => {
    const api = {
      listPage: async (nextToken?: string) => {
        const page = await clients.sfn.send(new ListStateMachinesCommand({ ...(nextToken && { nextToken }) }));
        return { arns: (page.stateMachines ?? []).map((m) => m.stateMachineArn!), ...(page.nextToken && { nextToken: page.nextToken }) };
      },
      tagsOf: async (arn: string) =>
        Object.fromEntries(((await clients.sfn.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags ?? []).map((t) => [t.key!, t.value ?? ''])),
      close: () => undefined,
    };
    for (const workflow of ['ProvisionCluster', 'ReplaceMember', 'SetMaintenance', 'CheckClusterHealth', 'BackupCluster', 'DrillRestore', 'RestoreCluster', 'ScaleCluster']) {
      assert.deepEqual(await stateMachinesTagged(api, 'etcd-ha:workflow', workflow), [physicalOf(`${workflow}StateMachine`)], workflow);
    }
  });

  it('has the snapshot bucket, SSE-KMS with the stack key (the rest of its settings: see the diagnostics)', async (t) => {
    const bucket = physicalOf('SnapshotBucket');
    await clients.s3.send(new HeadBucketCommand({ Bucket: bucket }));
    const keyArn = await keyArnOf(physicalOf('SecretsKey'));
    const encryption = await clients.s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    const rule = encryption.ServerSideEncryptionConfiguration?.Rules?.[0];
    assert.equal(rule?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm, 'aws:kms');
    assert.equal(rule?.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID, keyArn);
    // moto 5.2.1's CloudFormation applies only BucketEncryption (without BucketKeyEnabled) and Tags of an
    // AWS::S3::Bucket: the bucket key, versioning, the lifecycle rule, the public access block and the ownership
    // controls are checked in the template
    // (test/lib/replace-member-stack.test.ts). Reported here, so that a moto that applies them shows.
    const settled = async (what: string, call: () => Promise<unknown>) => {
      const answer = await call().then((value) => JSON.stringify(value, (key, v) => (key === '$metadata' ? undefined : v)), (error: Error) => `${error.name}`);
      t.diagnostic(`moto's ${what}: ${answer}`);
    };
    t.diagnostic(`moto's bucket key: ${String(rule?.BucketKeyEnabled)}`);
    await settled('versioning', () => clients.s3.send(new GetBucketVersioningCommand({ Bucket: bucket })));
    await settled('lifecycle', () => clients.s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket })));
    await settled('public access block', () => clients.s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket })));
  });

  it('has the EventBridge rules (EC2 state change, lifecycle action), each starting ReplaceMember through its role, with retries and the dead-letter queue', async () => {
    const replaceMember = physicalOf('ReplaceMemberStateMachine');
    const roleName = physicalOf('ReplaceMemberTriggerRole');
    const roleArn = (await clients.iam.send(new GetRoleCommand({ RoleName: roleName }))).Role!.Arn;
    const queueUrl = (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: physicalOf('ReplaceMemberTriggerDeadLetterQueue').split('/').at(-1)! }))).QueueUrl!;
    const queue = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn', 'SqsManagedSseEnabled'] }));
    const resources = template().Resources;
    for (const prefix of ['ReplaceMemberTriggerInstanceStateChangeRule', 'ReplaceMemberTriggerInstanceStoppedRule', 'ReplaceMemberTriggerLifecycleActionRule']) {
      const [id, expected] = Object.entries(resources).find(([logical]) => logical.startsWith(prefix))!;
      const name = physicalOf(prefix).split('|').at(-1)!;
      const rule = await clients.events.send(new DescribeRuleCommand({ Name: name }));
      assert.equal(rule.State, 'ENABLED', id);
      assert.deepEqual(JSON.parse(rule.EventPattern!), expected.Properties.EventPattern, id);
      const { Targets: targets } = await clients.events.send(new ListTargetsByRuleCommand({ Rule: name }));
      const want = (expected.Properties.Targets as Array<Record<string, any>>)[0]!;
      assert.equal(targets?.length, 1, id);
      assert.equal(targets![0]!.Arn, replaceMember, id);
      assert.equal(targets![0]!.RoleArn, roleArn, id);
      assert.deepEqual(targets![0]!.InputTransformer, want.InputTransformer, id);
      assert.equal(targets![0]!.DeadLetterConfig?.Arn, queue.Attributes?.QueueArn, id);
      assert.deepEqual(targets![0]!.RetryPolicy, want.RetryPolicy, id);
    }
    assert.match(JSON.stringify(await clients.events.send(new DescribeRuleCommand({ Name: physicalOf('ReplaceMemberTriggerLifecycleActionRule').split('|').at(-1)! }))), new RegExp(GROUP));

    // The role may only start ReplaceMember executions.
    const policies = (await clients.iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
    const statements = [];
    for (const policyName of policies) {
      const document = (await clients.iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }))).PolicyDocument!;
      statements.push(...(JSON.parse(decodeURIComponent(document)) as { Statement: unknown[] }).Statement);
    }
    assert.deepEqual(statements, [{ Action: 'states:StartExecution', Effect: 'Allow', Resource: replaceMember }]);
  });

  it('has the KMS key with rotation, the registry table keyed by pk, and the host policy with its tag condition', async () => {
    const physical = (type: string) => [...deployed.values()].find((r) => r.ResourceType === type)!.PhysicalResourceId!;
    assert.ok(await keyArnOf(physical('AWS::KMS::Key')));
    assert.equal((await clients.kms.send(new GetKeyRotationStatusCommand({ KeyId: physical('AWS::KMS::Key') }))).KeyRotationEnabled, true);

    const table = (await clients.dynamodb.send(new DescribeTableCommand({ TableName: physical('AWS::DynamoDB::Table') }))).Table;
    assert.deepEqual(table?.KeySchema, [{ AttributeName: 'pk', KeyType: 'HASH' }]);
    assert.deepEqual(table?.AttributeDefinitions, [{ AttributeName: 'pk', AttributeType: 'S' }]);

    const policyArn = physicalOf('MemberHostPolicy');
    const policy = (await clients.iam.send(new GetPolicyCommand({ PolicyArn: policyArn }))).Policy;
    const version = await clients.iam.send(new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: policy!.DefaultVersionId! }));
    const document = JSON.parse(decodeURIComponent(version.PolicyVersion!.Document!)) as { Statement: Array<{ Condition?: unknown }> };
    assert.deepEqual(document.Statement[0]!.Condition, {
      StringEquals: { 'aws:ResourceTag/etcd-ha:instance-arn': '${ec2:SourceInstanceARN}' },
    });
    // The member secret and its key via Secrets Manager; the staged snapshot (restores/, its own instance tag) and its key
    // via S3; AdoptCluster's upload slot (adopt/, its own instance tag) and the key to encrypt it via Secrets Manager.
    assert.equal(document.Statement.length, 6);
    assert.deepEqual(document.Statement[2]!.Condition, {
      StringEquals: { 's3:ExistingObjectTag/etcd-ha:instance-arn': '${ec2:SourceInstanceARN}' },
    });
    assert.deepEqual(document.Statement[4]!.Condition, {
      StringEquals: { 'aws:ResourceTag/etcd-ha:instance-arn': '${ec2:SourceInstanceARN}' },
    });
  });

  it('changes nothing on a second deploy', async () => {
    const events = async () => (await clients.cfn.send(new DescribeStackEventsCommand({ StackName: STACK }))).StackEvents?.length ?? 0;
    const before = await events();
    const run = await cdk(['deploy', STACK, '--method=direct', '--require-approval', 'never', ...DEPLOY_CONTEXT]);
    expectSuccess(run, 'second cdk deploy');
    assert.match(run.output, /\(no changes\)/);
    assert.equal(await events(), before);
    const stack = await describeStack();
    assert.equal(stack?.StackStatus, 'CREATE_COMPLETE');
    assert.equal(stack?.LastUpdatedTime, undefined);
  });

  it('is removed by cdk destroy --force, with its functions, state machines, rules, bucket, queue, table, key and roles', async (t) => {
    // CDK moves what outgrows a role's inline policy (ReplaceMember invokes 30 functions) into a managed "overflow"
    // policy attached to that role. CloudFormation detaches it when it deletes it; moto deletes it without
    // detaching, and then cannot delete the role ("must detach all policies first"). Detach it first, as AWS would.
    for (const overflow of [...deployed.values()].filter((r) => r.ResourceType === 'AWS::IAM::ManagedPolicy' && /OverflowPolicy/.test(r.LogicalResourceId ?? ''))) {
      const role = /^(.*StateMachineRole)OverflowPolicy/.exec(overflow.LogicalResourceId!)![1]!;
      const roleName = [...deployed.values()].find((r) => r.ResourceType === 'AWS::IAM::Role' && new RegExp(`^${role}[0-9A-F]{8}$`).test(r.LogicalResourceId ?? ''))!.PhysicalResourceId!;
      await clients.iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: overflow.PhysicalResourceId! }));
    }
    expectSuccess(await cdk(['destroy', STACK, '--force', ...DEPLOY_CONTEXT]), 'cdk destroy');
    assert.equal(await describeStack(), undefined);
    const byType = (type: string) => [...deployed.values()].filter((r) => r.ResourceType === type).map((r) => r.PhysicalResourceId!);
    for (const name of byType('AWS::Lambda::Function')) {
      assert.ok(await gone(() => clients.lambda.send(new GetFunctionCommand({ FunctionName: name })), /ResourceNotFound/), name);
    }
    for (const arn of byType('AWS::StepFunctions::StateMachine')) {
      assert.ok(await gone(() => clients.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn })), /StateMachineDoesNotExist/), arn);
    }
    for (const name of byType('AWS::Events::Rule')) {
      const rule = name.split('|').at(-1)!;
      assert.ok(await gone(() => clients.events.send(new DescribeRuleCommand({ Name: rule })), /ResourceNotFound/), rule);
    }
    // The two EC2 state-change rules, the lifecycle rule, the health probe's schedule, Sync Member Rules', BackupCluster's and DrillRestore's.
    assert.equal(byType('AWS::Events::Rule').length, 7);
    for (const bucket of byType('AWS::S3::Bucket')) {
      assert.ok(await gone(() => clients.s3.send(new HeadBucketCommand({ Bucket: bucket })), /NotFound|NoSuchBucket/), bucket);
    }
    for (const queue of byType('AWS::SQS::Queue')) {
      const name = queue.split('/').at(-1)!;
      assert.ok(await gone(() => clients.sqs.send(new GetQueueUrlCommand({ QueueName: name })), /QueueDoesNotExist|NonExistentQueue/), name);
    }
    for (const name of byType('AWS::DynamoDB::Table')) {
      assert.ok(await gone(() => clients.dynamodb.send(new DescribeTableCommand({ TableName: name })), /ResourceNotFound/), name);
    }
    for (const role of byType('AWS::IAM::Role')) {
      assert.ok(await gone(() => clients.iam.send(new GetRoleCommand({ RoleName: role })), /NoSuchEntity/), role);
    }
    for (const keyId of byType('AWS::KMS::Key')) {
      // CloudFormation schedules a key's deletion (7 days here); moto deletes it at once.
      assert.equal(await keyArnOf(keyId), undefined, `key ${keyId}`);
    }
    for (const arn of byType('AWS::IAM::ManagedPolicy')) {
      // moto 5.2.1 leaves a stack's AWS::IAM::ManagedPolicy behind on delete (CloudFormation removes it): report only.
      const left = !(await gone(() => clients.iam.send(new GetPolicyCommand({ PolicyArn: arn })), /NoSuchEntity/));
      if (left) t.diagnostic(`moto kept the managed policy ${arn} after the stack was deleted`);
    }
  });
});
