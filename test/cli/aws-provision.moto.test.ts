// `etcd-ha provision` and `etcd-ha watch` as a user runs them (the real CLI in a child process) against
// moto_server's Step Functions. moto runs no Lambda, so the state machines here are ProvisionCluster's
// outline in Pass/Map/Choice/Fail states, run by moto's own interpreter (execute_state_machine). moto
// runs only the first execution after a reset: each test that starts one resets moto first.
// Task, retry and Lambda-failure events are proven on recorded histories in aws-history-format.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateStateMachineCommand, DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { startMoto, type Moto } from '../support/moto';
import { CLI } from '../support/local-cli';

const GUIDE_SPEC = join(__dirname, '..', '..', 'samples', 'guide-3-members.json');
const SUMMARY = {
  clusterName: 'demo',
  members: [
    { name: 'infra0', id: '8e9e05c52164694d', endpoint: 'https://10.0.0.6:2379', leader: true },
    { name: 'infra1', id: '91bc3c398fb3c146', endpoint: 'https://10.0.0.7:2379', leader: false },
    { name: 'infra2', id: 'fd422379fda50e48', endpoint: 'https://10.0.0.8:2379', leader: false },
  ],
  secrets: { ca: 'etcd-ha/demo/ca', healthcheckClient: 'etcd-ha/demo/healthcheck-client', apiserverEtcdClient: 'etcd-ha/demo/apiserver-etcd-client', members: {} },
};
const START_ETCD_CAUSE = JSON.stringify({
  errorType: 'HostScriptFailedError',
  errorMessage: 'Start Etcd failed on infra1 (10.0.0.7): exit code 1\n--- stderr (tail) ---\nbind: address already in use',
  trace: ['HostScriptFailedError: Start Etcd failed on infra1 (10.0.0.7): exit code 1', '    at runOnHost (/var/task/index.js:1893:11)'],
});

/** ProvisionCluster's outline: the same state names, the per-host Map over $.hosts, the Catch to Provision Failed. */
function outline(iteration: Record<string, unknown>): Record<string, unknown> {
  return {
    StartAt: 'Validate Spec',
    States: {
      'Validate Spec': { Type: 'Pass', Parameters: { 'spec.$': '$' }, Next: 'Resolve Hosts' },
      'Resolve Hosts': { Type: 'Pass', InputPath: '$.spec.members', ResultPath: '$.hosts', Next: 'Configure Hosts' },
      'Configure Hosts': {
        Type: 'Map',
        ItemsPath: '$.hosts',
        ItemSelector: { 'spec.$': '$.spec', 'hosts.$': '$.hosts', 'host.$': '$$.Map.Item.Value' },
        MaxConcurrency: 0,
        ResultPath: null,
        ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, ...iteration },
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Provision Failed' }],
        Next: 'Record Cluster',
      },
      'Record Cluster': { Type: 'Pass', Result: SUMMARY, ResultPath: '$.cluster', Next: 'Cluster Ready' },
      'Cluster Ready': { Type: 'Succeed', OutputPath: '$.cluster' },
      'Provision Failed': { Type: 'Fail', ErrorPath: '$.failure.Error', CausePath: '$.failure.Cause' },
    },
  };
}
const SUCCEEDS = outline({
  StartAt: 'Push Certificates',
  States: { 'Push Certificates': { Type: 'Pass', Next: 'Start Etcd' }, 'Start Etcd': { Type: 'Pass', End: true } },
});
const FAILS_ON_INFRA1 = outline({
  StartAt: 'Push Certificates',
  States: {
    'Push Certificates': { Type: 'Pass', Next: 'Is Port Free?' },
    'Is Port Free?': { Type: 'Choice', Choices: [{ Variable: '$.host.name', StringEquals: 'infra1', Next: 'Start Etcd' }], Default: 'Etcd Started' },
    'Etcd Started': { Type: 'Pass', End: true },
    'Start Etcd': { Type: 'Fail', Error: 'HostScriptFailedError', Cause: START_ETCD_CAUSE },
  },
});

interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

describe('etcd-ha provision / watch against moto_server', () => {
  let moto: Moto;
  let sfn: SFNClient;
  let work: string;
  let successfulExecutionArn = '';

  /** Wipes moto (its Step Functions runs one execution per reset) and creates ProvisionCluster anew. */
  const freshStateMachine = async (definition: Record<string, unknown>): Promise<string> => {
    const reset = await fetch(`${moto.endpoint}/moto-api/reset`, { method: 'POST' });
    assert.equal(reset.status, 200);
    const created = await sfn.send(
      new CreateStateMachineCommand({ name: 'ProvisionCluster', definition: JSON.stringify(definition), roleArn: 'arn:aws:iam::123456789012:role/etcd-ha-provision' }),
    );
    return created.stateMachineArn!;
  };
  const executions = async (stateMachineArn: string) => (await sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions ?? [];

  /** The real command, as a user runs it: credentials and endpoint from the environment only. */
  const cli = (args: string[], env: Record<string, string> = {}): Promise<CliRun> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        env: {
          PATH: process.env.PATH,
          HOME: work,
          AWS_ENDPOINT_URL: moto.endpoint,
          AWS_ACCESS_KEY_ID: 'testing',
          AWS_SECRET_ACCESS_KEY: 'testing',
          AWS_REGION: 'us-east-1',
          AWS_EC2_METADATA_DISABLED: 'true',
          ...env,
        },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.once('error', reject);
      child.once('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
    });

  before(async () => {
    moto = await startMoto();
    sfn = new SFNClient(moto.clientConfig);
    work = mkdtempSync(join(tmpdir(), 'etcd-ha-provision-'));
    // Without this moto only records executions (RUNNING forever, a canned history); with it, it runs them.
    const config = await fetch(`${moto.endpoint}/moto-api/config`, { method: 'POST', body: JSON.stringify({ stepfunctions: { execute_state_machine: true } }) });
    assert.equal(config.status, 201);
  });

  after(async () => {
    sfn?.destroy();
    await moto?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('provision starts ProvisionCluster with the spec as input, prints ARN and console URL, follows it to SUCCEEDED', async () => {
    const stateMachineArn = await freshStateMachine(SUCCEEDS);
    const run = await cli(['provision', '--spec', GUIDE_SPEC, '--state-machine', stateMachineArn]);
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);

    const [execution, ...others] = await executions(stateMachineArn);
    assert.equal(others.length, 0, 'one execution');
    assert.match(execution!.name!, /^demo-\d{8}T\d{6}Z$/, '<clusterName>-<UTC timestamp>');
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: execution!.executionArn }));
    assert.deepEqual(JSON.parse(described.input!), JSON.parse(readFileSync(GUIDE_SPEC, 'utf8')), 'the spec as written is the input');
    assert.equal(described.status, 'SUCCEEDED');
    successfulExecutionArn = execution!.executionArn!;

    const out = run.stdout.split('\n');
    assert.ok(out.includes(`Started ProvisionCluster for cluster "demo": execution ${execution!.name}`), run.stdout);
    assert.ok(out.includes(`  ARN:     ${successfulExecutionArn}`));
    assert.ok(
      out.includes(`  Console: https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${successfulExecutionArn}`),
    );
    for (const line of [
      '  ✓ Validate Spec',
      '  ✓ Resolve Hosts',
      '  ✓ Push Certificates [infra1]',
      '  ✓ Start Etcd [infra2]',
      '  ✓ Configure Hosts',
      'Cluster "demo" is ready: 3 members.',
      '  infra0     8e9e05c52164694d  https://10.0.0.6:2379  (leader)',
      '  infra2     fd422379fda50e48  https://10.0.0.8:2379',
    ]) {
      assert.ok(out.some((l) => l === line || l.startsWith(`${line} (`)), `"${line}" in\n${run.stdout}`);
    }
    assert.match(run.stdout, new RegExp(`Execution ${execution!.name} SUCCEEDED`));
  });

  it('watch follows an execution by its ARN: the same lines, exit 0', async () => {
    assert.ok(successfulExecutionArn, 'the provision test ran first');
    const run = await cli(['watch', successfulExecutionArn]);
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /^ {2}✓ Push Certificates \[infra0\]/m);
    assert.match(run.stdout, /Cluster "demo" is ready: 3 members\./);
  });

  it('provision --no-watch --name: ARN from ETCD_HA_PROVISION_STATE_MACHINE_ARN, the given name, and how to follow it', async () => {
    const stateMachineArn = await freshStateMachine(SUCCEEDS);
    const run = await cli(['provision', '--spec', GUIDE_SPEC, '--no-watch', '--name', 'demo-first-try'], { ETCD_HA_PROVISION_STATE_MACHINE_ARN: stateMachineArn });
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    const [execution] = await executions(stateMachineArn);
    assert.equal(execution?.name, 'demo-first-try');
    assert.match(run.stdout, new RegExp(`Follow it with: npx etcd-ha watch ${execution!.executionArn!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.doesNotMatch(run.stdout, /✓ Validate Spec/, 'not followed');
  });

  it('a FAILED execution: the host whose iteration failed, then the error and the Lambda errorMessage without its trace; exit 1', async () => {
    const stateMachineArn = await freshStateMachine(FAILS_ON_INFRA1);
    const run = await cli(['provision', '--spec', GUIDE_SPEC, '--state-machine', stateMachineArn]);
    assert.equal(run.status, 1, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /^ {2}✗ Configure Hosts: /m, 'the Map failed');
    assert.match(run.stdout, /^ {2}⤷ Configure Hosts: caught/m);
    assert.match(run.stdout, /^ {2}✗ Provision Failed: HostScriptFailedError/m);
    assert.match(run.stderr, /Execution demo-\d{8}T\d{6}Z FAILED.*: HostScriptFailedError\n {2}Start Etcd failed on infra1 \(10\.0\.0\.7\): exit code 1\n/);
    assert.match(run.stderr, /bind: address already in use/);
    assert.doesNotMatch(run.stderr, /"trace"|at runOnHost|\/var\/task/, 'no stack trace');
  });

  it('a bad spec exits 2 with the field messages and starts nothing', async () => {
    const stateMachineArn = await freshStateMachine(SUCCEEDS);
    const bad = join(work, 'bad.json');
    writeFileSync(bad, JSON.stringify({ clusterName: 'Bad_Name', members: [{ name: 'infra0', address: '10.0.0.300' }, { name: 'infra1' }] }));
    const run = await cli(['provision', '--spec', bad, '--state-machine', stateMachineArn]);
    assert.equal(run.status, 2, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stderr, /invalid cluster spec .*bad\.json \(nothing was started\)/);
    assert.match(run.stderr, /- clusterName: must be a DNS-1123 label/);
    assert.match(run.stderr, /- members\[0\]\.address: must be an IPv4 address/);
    assert.match(run.stderr, /- members: has 2 members; an etcd cluster needs an odd size/);
    assert.equal(run.stdout, '');
    assert.deepEqual(await executions(stateMachineArn), [], 'no execution in moto');
  });

  it('without a state machine ARN: exit 2, saying where to find it, and nothing started', async () => {
    const stateMachineArn = await freshStateMachine(SUCCEEDS);
    const run = await cli(['provision', '--spec', GUIDE_SPEC]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /Pass --state-machine ARN or set ETCD_HA_PROVISION_STATE_MACHINE_ARN/);
    assert.match(run.stderr, /the output ProvisionClusterStateMachineArn/);
    assert.deepEqual(await executions(stateMachineArn), []);
  });

  it('a state machine that does not exist: exit 1 with the AWS error and what to check, no stack trace', async () => {
    await freshStateMachine(SUCCEEDS);
    const run = await cli(['provision', '--spec', GUIDE_SPEC, '--state-machine', 'arn:aws:states:us-east-1:123456789012:stateMachine:NoSuchMachine']);
    assert.equal(run.status, 1, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stderr, /StartExecution failed: StateMachineDoesNotExist/);
    assert.match(run.stderr, /ProvisionClusterStateMachineArn/);
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
  });
});
