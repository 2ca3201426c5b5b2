// The AWS composition root (lambdas/entry/aws.ts) without AWS: the environment it reads, the JSON logger,
// the instance-ARN tag the host policy relies on, and errors passed through unchanged. No network.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import {
  EnvironmentConfigError,
  HANDLERS,
  INSTANCE_ARN_TAG,
  INSTANCE_ID_TAG,
  awsDeps,
  awsReplaceDeps,
  awsProvisionDeps,
  awsHealthProbeDeps,
  awsBackupDeps,
  awsDrillDeps,
  awsRestoreDeps,
  awsDeleteDeps,
  jsonLogger,
  handlerFor,
  withInstanceArnTags,
  type AwsClients,
} from '../../lambdas/entry/aws';
import { INSTANCE_ARN_TAG as HOST_POLICY_TAG } from '../../lib/member-host-policy';
import { CONNECT_STEPS, DRILL_STEPS } from '../../lambdas/catalog/steps';
import { S3SnapshotHandoff } from '../../lambdas/adapters/aws/s3-snapshot-handoff';
import { CLUSTER_TAG } from '../../lib/step-access';
import { PROVISION_STEPS } from '../../statemachines/provision-cluster';
import { MAINTENANCE_STEPS } from '../../statemachines/set-maintenance';
import { HEALTH_CHECK_STEPS } from '../../statemachines/check-cluster-health';
import { DELETE_STEPS } from '../../statemachines/delete-cluster';
import { BACKUP_STEPS } from '../../statemachines/backup-cluster';
import { RESTORE_STEPS } from '../../statemachines/restore-cluster';
import { SCALE_STEPS } from '../../statemachines/scale-cluster';
import { ADOPT_STEPS } from '../../statemachines/adopt-cluster';
import { S3BackupStore } from '../../lambdas/adapters/aws/s3-backup-store';
import { DynamoDbProbeStateStore } from '../../lambdas/adapters/aws/dynamodb-probe-state-store';
import { Ec2MachinePower } from '../../lambdas/adapters/aws/ec2-machine-power';
import { SfnReplacementStarter } from '../../lambdas/adapters/aws/sfn-replacement-starter';
import { REPLACE_STEPS } from '../../statemachines/replace-member';
import { DynamoDbClusterLock } from '../../lambdas/adapters/aws/dynamodb-registry';
import { EventBridgeMembershipEvents } from '../../lambdas/adapters/aws/eventbridge-membership-events';
import { S3SnapshotStore } from '../../lambdas/adapters/aws/s3-snapshot-store';
import { AutoScalingLifecycleActions } from '../../lambdas/adapters/aws/autoscaling-lifecycle-actions';
import { Ec2ReplacementHosts } from '../../lambdas/adapters/aws/ec2-replacement-hosts';
import type { Logger, SecretPutOptions, SecretStore } from '../../lambdas/ports';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { Route53Client } from '@aws-sdk/client-route-53';
import { Route53MemberNames } from '../../lambdas/adapters/aws/route53-member-names';
import { CloudWatchMetricsPublisher } from '../../lambdas/adapters/aws/cloudwatch-metrics';

const clients: AwsClients = {
  secrets: new SecretsManagerClient({ region: 'us-east-1' }),
  ssm: new SSMClient({ region: 'us-east-1' }),
  ec2: new EC2Client({ region: 'us-east-1' }),
  dynamodb: new DynamoDBClient({ region: 'us-east-1' }),
  s3: new S3Client({ region: 'us-east-1' }),
  autoScaling: new AutoScalingClient({ region: 'us-east-1' }),
  sfn: new SFNClient({ region: 'us-east-1' }),
  iam: new IAMClient({ region: 'us-east-1' }),
  events: new EventBridgeClient({ region: 'us-east-1' }),
  cloudwatch: new CloudWatchClient({ region: 'us-east-1' }),
  route53: new Route53Client({ region: 'us-east-1' }),
};
const quiet: Logger = { info: () => undefined, warn: () => undefined };
const env = { AWS_REGION: 'eu-west-1', KMS_KEY_ID: 'arn:aws:kms:eu-west-1:123456789012:key/k', REGISTRY_TABLE: 'etcd-ha-registry', ACCOUNT_ID: '123456789012' };

describe('AWS composition root', () => {
  it('exports one handler per step of ProvisionCluster, ReplaceMember, SetMaintenance, CheckClusterHealth, DeleteCluster, BackupCluster, DrillRestore, RestoreCluster, ScaleCluster, AdoptCluster and ConnectControlPlane (the shared steps once), the health probe and Sync Member Rules', () => {
    assert.deepEqual(Object.keys(HANDLERS).sort(), [...new Set([...PROVISION_STEPS, ...REPLACE_STEPS, ...MAINTENANCE_STEPS, ...HEALTH_CHECK_STEPS, ...DELETE_STEPS, ...BACKUP_STEPS, ...DRILL_STEPS, ...RESTORE_STEPS, ...SCALE_STEPS, ...ADOPT_STEPS, ...CONNECT_STEPS, 'healthProbe', 'syncMemberRules'])].sort());
  });

  it('stable names: a Route 53 zone when HOSTED_ZONE_ID and DNS_ZONE_NAME are set, none when neither is, an error naming both when one is', () => {
    const named = awsProvisionDeps({ ...env, HOSTED_ZONE_ID: 'Z0123456789ABC', DNS_ZONE_NAME: 'etcd-ha.internal' }, clients, quiet);
    assert.ok(named.names instanceof Route53MemberNames);
    assert.equal(named.names.zone, 'etcd-ha.internal');
    assert.equal(awsProvisionDeps(env, clients, quiet).names, undefined);
    assert.ok(awsDeleteDeps({ ...env, HOSTED_ZONE_ID: 'Z0123456789ABC', DNS_ZONE_NAME: 'etcd-ha.internal' }, clients, quiet).names instanceof Route53MemberNames, 'DeleteCluster removes them');
    assert.throws(
      () => awsRestoreDeps({ ...env, SNAPSHOT_BUCKET: 'b', HOSTED_ZONE_ID: 'Z0123456789ABC' }, clients, quiet),
      (e: Error) => e instanceof EnvironmentConfigError && /HOSTED_ZONE_ID and DNS_ZONE_NAME are set together or not at all; only HOSTED_ZONE_ID is set/.test(e.message),
    );
  });

  it("builds DrillRestore's dependencies: its own lock over drill-lock# items, CloudWatch metrics", () => {
    const deps = awsDrillDeps({ ...env, SNAPSHOT_BUCKET: 'snapshots-bucket' }, clients, quiet);
    assert.ok(deps.metrics instanceof CloudWatchMetricsPublisher);
  });

  it("builds RestoreCluster's dependencies: the backups (read), the handoff staging copies in the snapshot bucket", () => {
    const deps = awsRestoreDeps({ ...env, SNAPSHOT_BUCKET: 'snapshots-bucket' }, clients, quiet);
    assert.ok(deps.backups instanceof S3BackupStore);
    assert.ok(deps.handoff instanceof S3SnapshotHandoff);
    assert.throws(() => awsRestoreDeps({ ...env, SNAPSHOT_BUCKET: '' }, clients, quiet), (e: Error) => e instanceof EnvironmentConfigError && /SNAPSHOT_BUCKET/.test(e.message));
  });

  it("builds BackupCluster's dependencies: the backup prefix, its own lock, the retention from BACKUP_RETENTION (a bad one names the variable)", () => {
    const deps = awsBackupDeps({ ...env, SNAPSHOT_BUCKET: 'snapshots-bucket', BACKUP_RETENTION: '{"dailyDays":365}' }, clients, quiet);
    assert.ok(deps.backups instanceof S3BackupStore);
    assert.ok(deps.metrics instanceof CloudWatchMetricsPublisher);
    assert.deepEqual(deps.backupRetention, { keepAllHours: 24, hourlyDays: 7, dailyDays: 365 });
    assert.throws(
      () => awsBackupDeps({ ...env, SNAPSHOT_BUCKET: 'snapshots-bucket', BACKUP_RETENTION: '{"dailyDays":-1}' }, clients, quiet),
      (e: Error) => e instanceof EnvironmentConfigError && /BACKUP_RETENTION[\s\S]*dailyDays: expected a whole number/.test(e.message),
    );
  });

  it('the one exported handler runs the step ETCD_HA_STEP names; a missing or unknown name is an EnvironmentConfigError naming the variable', async () => {
    assert.equal(handlerFor({ ETCD_HA_STEP: 'validateSpec' }), HANDLERS.validateSpec);
    assert.equal(handlerFor({ ETCD_HA_STEP: 'healthProbe' }), HANDLERS.healthProbe);
    assert.throws(() => handlerFor({}), (e: Error) => e instanceof EnvironmentConfigError && /ETCD_HA_STEP is not set/.test(e.message));
    assert.throws(() => handlerFor({ ETCD_HA_STEP: 'toString' }), (e: Error) => e instanceof EnvironmentConfigError && /ETCD_HA_STEP must name a step of the catalog .* got "toString"/.test(e.message));
  });

  it('builds the health probe\'s dependencies: its own probe items, EC2, ReplaceMember by ARN, the grace period', () => {
    const arn = 'arn:aws:states:us-east-1:123456789012:stateMachine:ReplaceMember';
    const deps = awsHealthProbeDeps({ ...env, REPLACE_STATE_MACHINE_ARN: arn, PROBE_GRACE_SECONDS: '120' }, clients, quiet);
    assert.ok(deps.probeStates instanceof DynamoDbProbeStateStore);
    assert.ok(deps.machines instanceof Ec2MachinePower);
    assert.ok(deps.starter instanceof SfnReplacementStarter);
    assert.equal(deps.graceSeconds, 120);
    assert.throws(() => awsHealthProbeDeps(env, clients, quiet), /environment variable REPLACE_STATE_MACHINE_ARN is not set/);
    assert.throws(() => awsHealthProbeDeps({ ...env, REPLACE_STATE_MACHINE_ARN: arn, PROBE_GRACE_SECONDS: '-5' }, clients, quiet), /PROBE_GRACE_SECONDS must be a whole number from 0 to 86400, got "-5"/);
  });

  it('builds the membership events\' publisher: PutEvents on the bus MEMBERSHIP_EVENT_BUS names, the default bus without it', async () => {
    const sent: Array<{ Entries: Array<{ EventBusName: string; Source: string }> }> = [];
    const events = { send: async (command: { input: (typeof sent)[number] }) => (sent.push(command.input), { FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] }) };
    const withEvents = { ...clients, events } as unknown as AwsClients;
    const event = { source: 'etcd-ha', detailType: 'Membership Changed', detail: { cluster: 'demo' } } as never;
    assert.ok(awsProvisionDeps(env, withEvents, quiet).membershipEvents instanceof EventBridgeMembershipEvents);
    await awsProvisionDeps({ ...env, MEMBERSHIP_EVENT_BUS: 'etcd-ha-events' }, withEvents, quiet).membershipEvents.publish(event);
    await awsProvisionDeps(env, withEvents, quiet).membershipEvents.publish(event);
    assert.deepEqual(sent.map((input) => [input.Entries[0]!.EventBusName, input.Entries[0]!.Source]), [['etcd-ha-events', 'etcd-ha'], ['default', 'etcd-ha']]);
  });

  it('builds ReplaceMember\'s dependencies: the DynamoDB lock on the registry table, the S3 snapshot store under the prefix, Auto Scaling\'s lifecycle actions', () => {
    const deps = awsReplaceDeps({ ...env, SNAPSHOT_BUCKET: 'etcd-ha-snapshots', SNAPSHOT_PREFIX: 'snapshots/' }, clients, quiet);
    assert.ok(deps.lock instanceof DynamoDbClusterLock);
    assert.ok(deps.snapshots instanceof S3SnapshotStore);
    assert.equal((deps.snapshots as S3SnapshotStore).keyOf('demo', 'before-replace-infra1'), 'snapshots/demo/before-replace-infra1.db');
    assert.ok(deps.lifecycle instanceof AutoScalingLifecycleActions);
    assert.equal(deps.secrets.nameFor('demo', 'ca'), 'etcd-ha/demo/ca');
    assert.throws(() => awsReplaceDeps(env, clients, quiet), (error: Error) => error instanceof EnvironmentConfigError && error.message === 'environment variable SNAPSHOT_BUCKET is not set');
  });

  it('launches clones of failed instances only when the stack says so (LAUNCH_REPLACEMENT_INSTANCES) and names the roles they may carry', () => {
    const replaceEnv = { ...env, SNAPSHOT_BUCKET: 'etcd-ha-snapshots' };
    const roles = { MEMBER_INSTANCE_ROLE_ARNS: 'arn:aws:iam::123456789012:role/etcd-member' };
    assert.ok(awsReplaceDeps({ ...replaceEnv, ...roles, LAUNCH_REPLACEMENT_INSTANCES: 'true' }, clients, quiet).replacementHosts instanceof Ec2ReplacementHosts);
    const off = awsReplaceDeps({ ...replaceEnv, LAUNCH_REPLACEMENT_INSTANCES: 'false' }, clients, quiet);
    assert.equal(off.replacementHosts, undefined);
    assert.match(off.cloningOff ?? '', /automatic cloning is off .*memberInstanceRoleArns/);
    assert.equal(awsReplaceDeps(replaceEnv, clients, quiet).replacementHosts, undefined);
    assert.throws(
      () => awsReplaceDeps({ ...replaceEnv, LAUNCH_REPLACEMENT_INSTANCES: 'true' }, clients, quiet),
      (error: Error) => error instanceof EnvironmentConfigError && /MEMBER_INSTANCE_ROLE_ARNS must name the roles/.test(error.message),
    );
    assert.throws(
      () => awsReplaceDeps({ ...replaceEnv, LAUNCH_REPLACEMENT_INSTANCES: 'yes' }, clients, quiet),
      (error: Error) => error instanceof EnvironmentConfigError && error.message === 'environment variable LAUNCH_REPLACEMENT_INSTANCES must be "true" or "false", got "yes"',
    );
  });

  it('builds the step dependencies from the environment the stack sets, with its defaults', () => {
    const deps = awsDeps(env, clients, quiet);
    assert.equal(deps.hostCommandTimeoutSeconds, 600);
    assert.equal(deps.maxAppliedIndexLag, 50);
    assert.equal(deps.secretRegion, 'eu-west-1');
    assert.equal(deps.secrets.nameFor('demo', 'ca'), 'etcd-ha/demo/ca');
    const custom = awsDeps({ ...env, SECRET_PREFIX: 'k8s/etcd', HOST_COMMAND_TIMEOUT_SECONDS: '300' }, clients, quiet);
    assert.equal(custom.secrets.nameFor('demo', 'ca'), 'k8s/etcd/demo/ca');
    assert.equal(custom.hostCommandTimeoutSeconds, 300);
  });

  it('names the variable that is missing or malformed', () => {
    for (const name of ['KMS_KEY_ID', 'REGISTRY_TABLE', 'ACCOUNT_ID', 'AWS_REGION']) {
      const partial: Record<string, string | undefined> = { ...env, [name]: undefined };
      assert.throws(() => awsDeps(partial, clients, quiet), (error: Error) => error instanceof EnvironmentConfigError && error.message === `environment variable ${name} is not set`);
    }
    assert.throws(() => awsDeps({ ...env, HOST_COMMAND_TIMEOUT_SECONDS: '10m' }, clients, quiet), /HOST_COMMAND_TIMEOUT_SECONDS must be a whole number from 1 to 172800, got "10m"/);
  });

  it('tags a member secret with its instance ARN, the tag the host policy matches', async () => {
    assert.equal(INSTANCE_ARN_TAG, HOST_POLICY_TAG);
    const puts: Array<[string, SecretPutOptions]> = [];
    const store: SecretStore = {
      nameFor: (cluster, item) => `etcd-ha/${cluster}/${item}`,
      get: async () => undefined,
      put: async (name, _value, options) => {
        puts.push([name, options]);
        return { name, id: name, changed: true };
      },
    };
    const tagged = withInstanceArnTags(store, 'cn-north-1', '123456789012');
    await tagged.put('etcd-ha/demo/member/infra0', 'bundle', { description: 'm', tags: { [CLUSTER_TAG]: 'demo', [INSTANCE_ID_TAG]: 'i-0123456789abcdef0' } });
    await tagged.put('etcd-ha/demo/ca', 'ca', { description: 'ca', tags: { [CLUSTER_TAG]: 'demo' } });
    assert.deepEqual(puts, [
      [
        'etcd-ha/demo/member/infra0',
        {
          description: 'm',
          tags: { [CLUSTER_TAG]: 'demo', [INSTANCE_ID_TAG]: 'i-0123456789abcdef0', [INSTANCE_ARN_TAG]: 'arn:aws-cn:ec2:cn-north-1:123456789012:instance/i-0123456789abcdef0' },
        },
      ],
      // Not a member secret: no instance tag, so no host may read it.
      ['etcd-ha/demo/ca', { description: 'ca', tags: { [CLUSTER_TAG]: 'demo' } }],
    ]);
    assert.equal(tagged.nameFor('demo', 'ca'), 'etcd-ha/demo/ca');
  });

  it('logs one JSON object per line, with the base keys', () => {
    const lines: string[] = [];
    const log = jsonLogger(() => ({ step: 'checkHealth' }), (line) => lines.push(line));
    log.info('cluster healthy', { cluster: 'demo' });
    log.warn('not yet');
    assert.equal(lines.length, 2);
    assert.ok(lines.every((l) => l.endsWith('\n')));
    const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual({ ...first, time: undefined }, { time: undefined, level: 'info', message: 'cluster healthy', step: 'checkHealth', cluster: 'demo' });
    assert.equal(second!.level, 'warn');
    assert.match(String(first!.time), /^\d{4}-\d\d-\d\dT/);
  });

  it('rethrows a step\'s error unchanged, so that Step Functions sees its name', async () => {
    const write = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      await assert.rejects(HANDLERS.validateSpec({ spec: { clusterName: 'UPPER' } }), (error: Error) => error.name === 'SpecValidationError');
      await assert.rejects(HANDLERS.validateSpec('not an object'), (error: Error) => error.name === 'SpecValidationError');
    } finally {
      process.stdout.write = write;
      for (const name of Object.keys(env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    }
  });
});
