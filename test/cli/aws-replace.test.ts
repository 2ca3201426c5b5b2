import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { replace } from '../../bin/cli/aws-replace';
import { UsageError, type Output } from '../../bin/cli/output';
import { recordingApi } from './recording-api';

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

  it('refuses a malformed instance ID and a missing state machine before any AWS client exists', async () => {
    const noApi = () => assert.fail('no AWS client may be created');
    await assert.rejects(replace({ cluster: 'demo', member: 'infra1', instance: 'i-xyz', force: false, watch: false }, silent, { api: noApi, env: { ETCD_HA_REPLACE_STATE_MACHINE_ARN: REPLACE } }), /--instance must be an EC2 instance ID/);
    await assert.rejects(replace({ cluster: 'demo', member: 'infra1', force: false, watch: false }, silent, { api: noApi, env: {} }), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /ETCD_HA_REPLACE_STATE_MACHINE_ARN/);
      assert.match(e.message, /ReplaceMemberStateMachineArn/);
      return true;
    });
  });
});
