import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setMaintenance } from '../../bin/cli/aws-maintenance';
import { main } from '../../bin/cli/main';
import { UsageError, type Output } from '../../bin/cli/output';
import { recordingApi } from './recording-api';
import { stateMachinesWithTags } from './state-machines-fake';

const MAINTENANCE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:SetMaintenance-9f3KqLw2Xc1d';
const silent: Output = { out: () => undefined, err: () => undefined };
const now = () => new Date('2026-11-21T10:15:02.345Z');

describe('pause / resume (no AWS)', () => {
  it('starts SetMaintenance with the cluster, the action, the reason and who asks', async () => {
    const api = recordingApi();
    const lines: string[] = [];
    const code = await setMaintenance({ cluster: 'demo', action: 'pause', reason: 'resizing infra1 until 14:00', by: 'alice', watch: false }, { out: (l) => lines.push(l), err: () => undefined }, {
      api: api.factory,
      now,
      env: { ETCD_HA_MAINTENANCE_STATE_MACHINE_ARN: MAINTENANCE },
    });
    assert.equal(code, 0);
    assert.equal(api.started[0]!.stateMachineArn, MAINTENANCE);
    assert.equal(api.started[0]!.name, 'demo-pause-20261121T101502Z');
    assert.deepEqual(JSON.parse(api.started[0]!.input), { clusterName: 'demo', action: 'pause', reason: 'resizing infra1 until 14:00', by: 'alice' });
    assert.equal(lines[0], 'Started SetMaintenance for cluster "demo" (pause automatic healing): execution demo-pause-20261121T101502Z');

    const resumed = recordingApi();
    await setMaintenance({ cluster: 'demo', action: 'resume', watch: false }, silent, { api: resumed.factory, now, env: { ETCD_HA_MAINTENANCE_STATE_MACHINE_ARN: MAINTENANCE } });
    const input = JSON.parse(resumed.started[0]!.input) as { action: string; by: string };
    assert.equal(input.action, 'resume');
    assert.match(input.by, /^.+@.+$/, 'user@host by default');
  });

  it('refuses a pause without a reason and a missing state machine, naming the option, before any AWS client exists', async () => {
    const noApi = () => assert.fail('no AWS client may be created');
    await assert.rejects(setMaintenance({ cluster: 'demo', action: 'pause', reason: ' ', watch: false }, silent, { api: noApi, env: { ETCD_HA_MAINTENANCE_STATE_MACHINE_ARN: MAINTENANCE } }), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /^--reason: /);
      return true;
    });
    await assert.rejects(setMaintenance({ cluster: 'demo', action: 'resume', watch: false }, silent, { api: noApi, env: {}, stateMachines: stateMachinesWithTags({}).factory }), /ETCD_HA_MAINTENANCE_STATE_MACHINE_ARN[\s\S]*SetMaintenanceStateMachineArn/);
  });

  it('the command line asks for --cluster and --reason (exit 2)', async () => {
    const errors: string[] = [];
    const output: Output = { out: () => undefined, err: (l) => errors.push(l) };
    assert.equal(await main(['pause', '--reason', 'x'], output), 2);
    assert.match(errors.at(-1)!, /pause needs --cluster NAME/);
    assert.equal(await main(['pause', '--cluster', 'demo'], output), 2);
    assert.match(errors.at(-1)!, /pause needs --reason TEXT/);
    assert.equal(await main(['resume', '--cluster', 'demo', '--reason', 'x'], output), 2);
    assert.match(errors.at(-1)!, /resume takes no --reason/);
  });
});
