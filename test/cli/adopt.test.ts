import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { adoptRequest, awsAdopt, reportAdopt } from '../../bin/cli/adopt';
import { UsageError, type Output } from '../../bin/cli/output';
import { AdoptRequestSchema } from '../../lambdas/steps/adopt/inputs';
import { recordingApi } from './recording-api';
import { stateMachinesWithTags } from './state-machines-fake';

const ADOPT = 'arn:aws:states:eu-west-1:123456789012:stateMachine:AdoptCluster-9f3KqLw2Xc1d';
const silent: Output = { out: () => undefined, err: () => undefined };
const now = () => new Date('2026-11-21T10:15:02.345Z');

describe('adopt (no AWS)', () => {
  it('starts AdoptCluster as a dry run unless --confirm, with an input the workflow accepts and a readable execution name', async () => {
    const api = recordingApi();
    const lines: string[] = [];
    const output: Output = { out: (line) => lines.push(line), err: () => undefined };
    const deps = { api: api.factory, now, env: { ETCD_HA_ADOPT_STATE_MACHINE_ARN: ADOPT } };
    assert.equal(await awsAdopt({ cluster: 'prod', member: 'cp-1', instance: 'i-0123456789abcdef0', watch: false }, output, deps), 0);
    assert.equal(await awsAdopt({ cluster: 'prod', member: 'cp-1', instance: 'i-0123456789abcdef0', confirm: 'prod', watch: false }, silent, deps), 0);
    assert.equal(api.started[0]!.stateMachineArn, ADOPT);
    assert.equal(api.started[0]!.name, 'prod-adopt-20261121T101502Z');
    const [dry, confirmed] = api.started.map((s) => JSON.parse(s.input) as unknown);
    assert.deepEqual(dry, { clusterName: 'prod', member: { name: 'cp-1', instanceId: 'i-0123456789abcdef0' } });
    assert.deepEqual(confirmed, { clusterName: 'prod', member: { name: 'cp-1', instanceId: 'i-0123456789abcdef0' }, confirm: 'prod' });
    for (const input of [dry, confirmed]) assert.equal(AdoptRequestSchema.safeParse(input).success, true, 'the workflow accepts what the CLI sends');
    assert.match(lines[0]!, /^Started AdoptCluster for the etcd of cp-1 \(i-0123456789abcdef0\) as cluster "prod" \(dry run\)/);
  });

  it('refuses without a state machine before any AWS client exists, naming where it looked', async () => {
    const noApi = () => assert.fail('no AWS client may be created');
    await assert.rejects(awsAdopt({ cluster: 'prod', member: 'cp-1', instance: 'i-0123456789abcdef0', watch: false }, silent, { api: noApi, env: {}, stateMachines: stateMachinesWithTags({}).factory }), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /ETCD_HA_ADOPT_STATE_MACHINE_ARN/);
      assert.match(e.message, /AdoptClusterStateMachineArn/);
      return true;
    });
  });

  it('the local request asks for the systemd runtime (local mode runs no kubeadm for new members)', () => {
    assert.deepEqual(adoptRequest({ cluster: 'local', member: 'cp-1', address: '127.0.0.41', runtime: 'systemd' }), {
      clusterName: 'local',
      member: { name: 'cp-1', address: '127.0.0.41' },
      runtime: 'systemd',
    });
  });

  it('reports a dry run (what was found, what it would do, how to confirm) and a failure with its cause', () => {
    const lines: string[] = [];
    const errors: string[] = [];
    const output: Output = { out: (l) => lines.push(l), err: (l) => errors.push(l) };
    const dry = reportAdopt(
      { status: 'SUCCEEDED', name: 'x', executionId: 'x', transitions: 1, output: { clusterName: 'prod', dryRun: true, found: { etcdVersion: '3.5.16', memberName: 'cp-1', peerUrls: ['https://localhost:2380'] }, actions: ['one', 'two'] } },
      output,
    );
    assert.equal(dry, 0);
    assert.match(lines.join('\n'), /etcd 3\.5\.16.*member cp-1[\s\S]*peer URLs https:\/\/localhost:2380[\s\S]*Dry run: nothing changed[\s\S]*1\. one\n  2\. two[\s\S]*--confirm prod/);
    const failed = reportAdopt({ status: 'FAILED', name: 'x', executionId: 'x', transitions: 1, error: 'AdoptRefusedError', cause: 'cannot adopt: - etcd lists 3 members' }, output);
    assert.notEqual(failed, 0);
    assert.match(errors.join('\n'), /AdoptCluster failed: AdoptRefusedError\n.*etcd lists 3 members/);
  });
});
