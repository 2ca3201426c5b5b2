import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { replace } from '../../bin/cli/aws-replace';
import { UsageError, type Output } from '../../bin/cli/output';
import { recordingApi } from './recording-api';
import { stateMachinesWithTags } from './state-machines-fake';

const REPLACE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:ReplaceMember-9f3KqLw2Xc1d';
const silent: Output = { out: () => undefined, err: () => undefined };
const now = () => new Date('2026-11-21T10:15:02.345Z');

describe('replace (no AWS)', () => {
  it('starts ReplaceMember with the member, the replacement instance and a readable execution name', async () => {
    const api = recordingApi();
    const code = await replace({ cluster: 'demo', member: 'infra1', instance: 'i-0123456789abcdef0', force: false, watch: false }, silent, {
      api: api.factory,
      now,
      env: { ETCD_HA_REPLACE_STATE_MACHINE_ARN: REPLACE },
    });
    assert.equal(code, 0);
    assert.equal(api.started.length, 1);
    assert.equal(api.started[0]!.stateMachineArn, REPLACE);
    assert.equal(api.started[0]!.name, 'demo-infra1-20261121T101502Z');
    assert.deepEqual(JSON.parse(api.started[0]!.input), {
      clusterName: 'demo',
      failedMember: 'infra1',
      replacement: { instanceId: 'i-0123456789abcdef0' },
      force: false,
      trigger: 'manual',
    });
  });

  it('says where the member goes: the named instance, or a clone of its own', async () => {
    const started = async (instance?: string) => {
      const lines: string[] = [];
      const output: Output = { out: (line) => lines.push(line), err: () => undefined };
      const options = { cluster: 'demo', member: 'infra1', force: false, watch: false, ...(instance && { instance }) };
      assert.equal(await replace(options, output, { api: recordingApi().factory, now, env: { ETCD_HA_REPLACE_STATE_MACHINE_ARN: REPLACE } }), 0);
      return lines[0];
    };
    assert.equal(await started('i-0123456789abcdef0'), 'Started ReplaceMember for member infra1 of cluster "demo" onto i-0123456789abcdef0: execution demo-infra1-20261121T101502Z');
    assert.equal(await started(), 'Started ReplaceMember for member infra1 of cluster "demo" onto a clone of its instance: execution demo-infra1-20261121T101502Z');
  });

  it('refuses a malformed instance ID and a missing state machine before any AWS client exists', async () => {
    const noApi = () => assert.fail('no AWS client may be created');
    await assert.rejects(replace({ cluster: 'demo', member: 'infra1', instance: 'i-xyz', force: false, watch: false }, silent, { api: noApi, env: { ETCD_HA_REPLACE_STATE_MACHINE_ARN: REPLACE } }), /--instance must be an EC2 instance ID/);
    await assert.rejects(replace({ cluster: 'demo', member: 'infra1', force: false, watch: false }, silent, { api: noApi, env: {}, stateMachines: stateMachinesWithTags({}).factory }), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /ETCD_HA_REPLACE_STATE_MACHINE_ARN/);
      assert.match(e.message, /ReplaceMemberStateMachineArn/);
      return true;
    });
  });
});
