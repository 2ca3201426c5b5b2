import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { awsScale } from '../../bin/cli/scale';
import { UsageError, type Output } from '../../bin/cli/output';
import { recordingApi } from './recording-api';
import { stateMachinesWithTags } from './state-machines-fake';

const SCALE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:ScaleCluster-9f3KqLw2Xc1d';
const silent: Output = { out: () => undefined, err: () => undefined };
const now = () => new Date('2026-11-21T10:15:02.345Z');

describe('scale (no AWS)', () => {
  it('starts ScaleCluster with the size and the new members\' instances, and a readable execution name', async () => {
    const api = recordingApi();
    const lines: string[] = [];
    const output: Output = { out: (line) => lines.push(line), err: () => undefined };
    const code = await awsScale({ cluster: 'demo', members: 5, instances: ['i-0123456789abcdef0', 'i-0123456789abcdef1'], allowSingleMember: false, watch: false }, output, {
      api: api.factory,
      now,
      env: { ETCD_HA_SCALE_STATE_MACHINE_ARN: SCALE },
    });
    assert.equal(code, 0);
    assert.equal(api.started[0]!.stateMachineArn, SCALE);
    assert.equal(api.started[0]!.name, 'demo-scale-20261121T101502Z');
    assert.deepEqual(JSON.parse(api.started[0]!.input), { clusterName: 'demo', members: 5, instances: ['i-0123456789abcdef0', 'i-0123456789abcdef1'] });
    assert.match(lines[0]!, /^Started ScaleCluster for cluster "demo" to 5 members \(new members on i-0123456789abcdef0, i-0123456789abcdef1\)/);
  });

  it('refuses a malformed instance ID and a missing state machine before any AWS client exists', async () => {
    const noApi = () => assert.fail('no AWS client may be created');
    await assert.rejects(awsScale({ cluster: 'demo', members: 5, instances: ['i-xyz'], allowSingleMember: false, watch: false }, silent, { api: noApi, env: { ETCD_HA_SCALE_STATE_MACHINE_ARN: SCALE } }), /--instance must be an EC2 instance ID/);
    await assert.rejects(awsScale({ cluster: 'demo', members: 3, instances: [], allowSingleMember: false, watch: false }, silent, { api: noApi, env: {}, stateMachines: stateMachinesWithTags({}).factory }), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /ETCD_HA_SCALE_STATE_MACHINE_ARN/);
      assert.match(e.message, /ScaleClusterStateMachineArn/);
      return true;
    });
  });
});
