// `etcd-ha provision` without AWS: what it sends StartExecution, and what it refuses before calling it.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkExecutionName, defaultExecutionName, provision } from '../../bin/cli/aws-provision';
import { executionConsoleUrl, parseStatesArn, type ExecutionsApi } from '../../bin/cli/aws-sfn';
import { recordingApi } from './recording-api';
import { stateMachinesWithTags } from './state-machines-fake';
import { UsageError, type Output } from '../../bin/cli/output';
import { SpecValidationError } from '../../lambdas/core/errors';

const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:ProvisionCluster-9f3KqLw2Xc1d';
const silent: Output = { out: () => undefined, err: () => undefined };

describe('provision (no AWS)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-ha-provision-unit-'));
  const specFile = join(dir, 'spec.json');
  const spec = { clusterName: 'demo', members: [{ name: 'infra0', instanceId: 'i-0a1b2c3d4e5f60001' }, { name: 'infra1', instanceId: 'i-0a1b2c3d4e5f60002' }, { name: 'infra2', instanceId: 'i-0a1b2c3d4e5f60003' }] };
  writeFileSync(specFile, JSON.stringify(spec));
  const now = () => new Date('2025-03-14T10:15:02.345Z');
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('starts the state machine in its own region, with the spec as written and <clusterName>-<UTC timestamp>', async () => {
    const api = recordingApi();
    const lines: string[] = [];
    const code = await provision({ specFile, stateMachineArn: STATE_MACHINE, watch: false }, { out: (l) => lines.push(l), err: (l) => lines.push(l) }, { api: api.factory, now });
    assert.equal(code, 0);
    assert.deepEqual(api.started, [{ region: 'eu-west-1', stateMachineArn: STATE_MACHINE, name: 'demo-20250314T101502Z', input: JSON.stringify(spec) }]);
    assert.equal(api.closed(), 1, 'the client is closed');
    assert.ok(lines.includes(`  Console: https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn:aws:states:eu-west-1:123456789012:execution:ProvisionCluster-9f3KqLw2Xc1d:demo-20250314T101502Z`), lines.join('\n'));
  });

  it('takes the ARN from ETCD_HA_PROVISION_STATE_MACHINE_ARN when --state-machine is not given', async () => {
    const api = recordingApi();
    await provision({ specFile, watch: false, name: 'demo-retry-2' }, silent, { api: api.factory, env: { ETCD_HA_PROVISION_STATE_MACHINE_ARN: STATE_MACHINE } });
    assert.equal(api.started[0]?.stateMachineArn, STATE_MACHINE);
    assert.equal(api.started[0]?.name, 'demo-retry-2');
  });

  it('refuses before any AWS client exists: a bad spec, no ARN, a malformed ARN, a bad name, an unreadable file', async () => {
    const noApi = () => assert.fail('no AWS client for a refused command');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...spec, clusterName: 'Demo' }));
    await assert.rejects(provision({ specFile: bad, stateMachineArn: STATE_MACHINE, watch: false }, silent, { api: noApi }), (e: unknown) => {
      assert.ok(e instanceof SpecValidationError);
      assert.match(e.message, /clusterName: must be a DNS-1123 label/);
      return true;
    });
    await assert.rejects(provision({ specFile, watch: false }, silent, { api: noApi, env: {}, stateMachines: stateMachinesWithTags({}).factory }), /ProvisionClusterStateMachineArn/);
    await assert.rejects(provision({ specFile, stateMachineArn: 'ProvisionCluster', watch: false }, silent, { api: noApi }), /--state-machine must be a Step Functions stateMachine ARN/);
    await assert.rejects(provision({ specFile, stateMachineArn: STATE_MACHINE, name: 'demo run', watch: false }, silent, { api: noApi }), UsageError);
    await assert.rejects(provision({ specFile: join(dir, 'missing.json'), stateMachineArn: STATE_MACHINE, watch: false }, silent, { api: noApi }), /cannot read the spec file/);
    writeFileSync(bad, '{ clusterName: demo');
    await assert.rejects(provision({ specFile: bad, stateMachineArn: STATE_MACHINE, watch: false }, silent, { api: noApi }), /is not JSON/);
  });

  it('an AWS error is one line with what to check, exit 1', async () => {
    const lines: string[] = [];
    const failing = (): ExecutionsApi => ({
      startExecution: async () => {
        throw Object.assign(new Error('State Machine Does Not Exist: ...'), { name: 'StateMachineDoesNotExist', $metadata: { httpStatusCode: 400 } });
      },
      describeExecution: async () => assert.fail(),
      historyPage: async () => assert.fail(),
      close: () => undefined,
    });
    assert.equal(await provision({ specFile, stateMachineArn: STATE_MACHINE, watch: true }, { out: (l) => lines.push(l), err: (l) => lines.push(l) }, { api: failing }), 1);
    assert.deepEqual(lines.join('\n').split('\n'), [
      'etcd-ha: StartExecution failed: StateMachineDoesNotExist: State Machine Does Not Exist: ...',
      '  check the state machine ARN (stack output ProvisionClusterStateMachineArn) and its region',
    ]);
  });
});

describe('execution names, ARNs and console URLs', () => {
  it('the default name fits Step Functions’ 80 characters even for a 63-character cluster name', () => {
    const name = defaultExecutionName('a'.repeat(63), new Date('2025-12-31T23:59:59.999Z'));
    assert.equal(name, `${'a'.repeat(63)}-20251231T235959Z`);
    assert.equal(name.length, 80);
    checkExecutionName(name);
  });

  it('names Step Functions refuses are refused here', () => {
    for (const name of ['', 'a'.repeat(81), 'demo run', 'demo/1', 'demo:1', 'demo#1', 'demo\u0007']) {
      assert.throws(() => checkExecutionName(name), UsageError, JSON.stringify(name));
    }
    checkExecutionName('demo.retry_2-after-fix');
  });

  it('parseStatesArn takes the region from the ARN and knows executions from state machines', () => {
    assert.deepEqual(parseStatesArn(STATE_MACHINE, 'stateMachine', 'x'), { partition: 'aws', region: 'eu-west-1', account: '123456789012', resourceType: 'stateMachine' });
    assert.equal(parseStatesArn(`${STATE_MACHINE}:prod`, 'stateMachine', 'x').region, 'eu-west-1', 'an alias or version ARN');
    assert.throws(() => parseStatesArn(STATE_MACHINE, 'execution', 'EXECUTION_ARN'), /EXECUTION_ARN must be a Step Functions execution ARN/);
    assert.throws(() => parseStatesArn('arn:aws:states:us-east-1:123456789012:execution:ProvisionCluster', 'execution', 'x'), UsageError, 'no execution name');
  });

  it('console URLs per partition', () => {
    const arn = (partition: string, region: string) => `arn:${partition}:states:${region}:123456789012:execution:P:demo-1`;
    assert.equal(executionConsoleUrl(arn('aws', 'us-east-1')), `https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${arn('aws', 'us-east-1')}`);
    assert.match(executionConsoleUrl(arn('aws-cn', 'cn-north-1')), /^https:\/\/cn-north-1\.console\.amazonaws\.cn\/states\/home\?region=cn-north-1#/);
    assert.match(executionConsoleUrl(arn('aws-us-gov', 'us-gov-west-1')), /^https:\/\/console\.amazonaws-us-gov\.com\/states\/home\?region=us-gov-west-1#/);
  });
});
