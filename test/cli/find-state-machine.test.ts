// How the command line finds a deployed workflow's state machine without AWS: --state-machine, else the environment
// variable, else the one state machine tagged etcd-ha:workflow=<workflow> (ListStateMachines + ListTagsForResource
// over a hand-made fake; test/cli/state-machines.moto.test.ts does the same against moto_server).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WORKFLOWS, findStateMachine } from '../../bin/cli/aws-start';
import { replace } from '../../bin/cli/aws-replace';
import { EXIT, UsageError, type Output } from '../../bin/cli/output';
import { stateMachinesTagged } from '../../lambdas/workflow-runner/find-state-machine';
import { recordingApi } from './recording-api';
import { stateMachinesWithTags } from './state-machines-fake';

const arn = (name: string, region = 'eu-west-1') => `arn:aws:states:${region}:123456789012:stateMachine:${name}`;
const PROVISION = arn('ProvisionClusterStateMachine1A2B3C4D-x1');
const REPLACE = arn('ReplaceMemberStateMachine5E6F7A8B-x2');
const OTHER_STACK_REPLACE = arn('PlatformEtcdReplaceMemberStateMachine-x3');
/** An account with etcd-ha inside a bigger stack, and state machines of other applications. */
const ACCOUNT: Record<string, Record<string, string>> = {
  [arn('Billing-Nightly')]: { team: 'billing' },
  [PROVISION]: { 'etcd-ha:workflow': 'ProvisionCluster', 'aws:cloudformation:stack-name': 'Platform' },
  [arn('Unrelated')]: {},
  [REPLACE]: { 'etcd-ha:workflow': 'ReplaceMember' },
  [arn('Lookalike-ProvisionCluster')]: { 'etcd-ha:workflow': 'provisioncluster' },
};
const silent: Output = { out: () => undefined, err: () => undefined };
const noListing = () => assert.fail('nothing is listed when a state machine is named');

describe('finding a state machine by its etcd-ha:workflow tag', () => {
  it('reads every page of ListStateMachines and the tags of each; only an exact tag value matches', async () => {
    const { factory, calls } = stateMachinesWithTags(ACCOUNT, 2);
    assert.deepEqual(await stateMachinesTagged(factory(undefined), 'etcd-ha:workflow', 'ProvisionCluster'), [PROVISION]);
    assert.equal(calls.pages, 3);
    assert.deepEqual(calls.tagReads, Object.keys(ACCOUNT));
  });

  it('--state-machine, then the environment variable, name it without listing anything', async () => {
    const deps = { env: { ETCD_HA_PROVISION_STATE_MACHINE_ARN: arn('FromEnv', 'ap-south-1') }, stateMachines: noListing };
    assert.deepEqual(await findStateMachine(WORKFLOWS.provision, arn('FromOption', 'us-west-2'), deps, silent), { arn: arn('FromOption', 'us-west-2'), region: 'us-west-2' });
    assert.deepEqual(await findStateMachine(WORKFLOWS.provision, undefined, deps, silent), { arn: arn('FromEnv', 'ap-south-1'), region: 'ap-south-1' });
  });

  it('else the one tagged state machine, searched in AWS_REGION, started in its own region; the client is closed', async () => {
    const { factory, calls } = stateMachinesWithTags(ACCOUNT);
    const api = recordingApi();
    const now = () => new Date('2026-11-21T10:15:02Z');
    const code = await replace({ cluster: 'demo', member: 'infra1', force: false, watch: false }, silent, { api: api.factory, stateMachines: factory, env: { AWS_REGION: 'eu-west-1' }, now });
    assert.equal(code, EXIT.done);
    assert.deepEqual(calls.regions, ['eu-west-1']);
    assert.equal(calls.closed, 1);
    assert.deepEqual(api.started.map((s) => [s.region, s.stateMachineArn]), [['eu-west-1', REPLACE]]);
  });

  it('none tagged: a usage error naming the tag, the region, --state-machine, the variable and the stack output', async () => {
    const { factory } = stateMachinesWithTags({ [arn('Unrelated')]: {} });
    await assert.rejects(findStateMachine(WORKFLOWS.maintenance, undefined, { env: { AWS_REGION: 'eu-west-1' }, stateMachines: factory }, silent), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /^which SetMaintenance state machine\? None in eu-west-1 carries the tag etcd-ha:workflow=SetMaintenance\.\n/);
      assert.match(e.message, /Pass --state-machine ARN or set ETCD_HA_MAINTENANCE_STATE_MACHINE_ARN/);
      assert.match(e.message, /the output SetMaintenanceStateMachineArn/);
      return true;
    });
  });

  it('several tagged (two etcd-ha deployments in one region): a usage error listing each, asking for --state-machine', async () => {
    const { factory } = stateMachinesWithTags({ ...ACCOUNT, [OTHER_STACK_REPLACE]: { 'etcd-ha:workflow': 'ReplaceMember' } });
    await assert.rejects(findStateMachine(WORKFLOWS.replace, undefined, { env: {}, stateMachines: factory }, silent), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.equal(
        e.message,
        `which ReplaceMember state machine? 2 state machines carry the tag etcd-ha:workflow=ReplaceMember:\n  ${REPLACE}\n  ${OTHER_STACK_REPLACE}\n` +
          '  Pass --state-machine ARN or set ETCD_HA_REPLACE_STATE_MACHINE_ARN to say which.',
      );
      return true;
    });
  });

  it('an AWS error while listing: exit 1, the call and what to do instead, no stack trace', async () => {
    const denied = Object.assign(new Error('User is not authorized to perform: states:ListStateMachines'), { name: 'AccessDeniedException', $metadata: {} });
    let closed = 0;
    const stateMachines = () => ({ listPage: async () => Promise.reject(denied), tagsOf: async () => ({}), close: () => void (closed += 1) });
    const lines: string[] = [];
    const code = await findStateMachine(WORKFLOWS.provision, undefined, { env: {}, stateMachines }, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
    assert.equal(code, EXIT.failed);
    assert.equal(closed, 1);
    assert.match(lines[0]!, /^etcd-ha: looking for the ProvisionCluster state machine \(ListStateMachines, ListTagsForResource\) failed: AccessDeniedException: /);
    assert.match(lines[0]!, /\n {2}the AWS identity in use lacks the Step Functions permission for this call$/);
    assert.deepEqual(lines.slice(1), ['  Or name it: --state-machine ARN, or ETCD_HA_PROVISION_STATE_MACHINE_ARN']);
  });
});
