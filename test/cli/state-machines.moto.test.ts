// The command line finds the deployed workflows' state machines by their etcd-ha:workflow tag against
// moto_server's Step Functions (CreateStateMachine with tags, ListStateMachines, ListTagsForResource): the real CLI
// in a child process, credentials and endpoint from the environment only, no ARN given.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateStateMachineCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { WORKFLOW_TAG } from '../../lambdas/catalog/contracts';
import { startMoto, type Moto } from '../support/moto';
import { CLI } from '../support/local-cli';

const GUIDE_SPEC = join(__dirname, '..', '..', 'samples', 'guide-3-members.json');
const DEFINITION = JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } });
const ROLE = 'arn:aws:iam::123456789012:role/etcd-ha-workflows';

describe('state machines found by their etcd-ha:workflow tag, against moto_server', () => {
  let moto: Moto;
  let sfn: SFNClient;
  let home: string;

  const create = async (name: string, tags: Record<string, string>): Promise<string> => {
    const created = await sfn.send(
      new CreateStateMachineCommand({ name, definition: DEFINITION, roleArn: ROLE, tags: Object.entries(tags).map(([key, value]) => ({ key, value })) }),
    );
    return created.stateMachineArn!;
  };
  const executions = async (stateMachineArn: string) => (await sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions ?? [];
  const cli = (args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        env: {
          PATH: process.env.PATH,
          HOME: home,
          AWS_ENDPOINT_URL: moto.endpoint,
          AWS_ACCESS_KEY_ID: 'testing',
          AWS_SECRET_ACCESS_KEY: 'testing',
          AWS_REGION: 'us-east-1',
          AWS_EC2_METADATA_DISABLED: 'true',
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
    home = mkdtempSync(join(tmpdir(), 'etcd-ha-tags-'));
  });
  beforeEach(async () => assert.equal((await fetch(`${moto.endpoint}/moto-api/reset`, { method: 'POST' })).status, 200));
  after(async () => {
    sfn?.destroy();
    await moto?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('etcd-ha inside a bigger stack: provision starts the state machine tagged ProvisionCluster, whatever its name', async () => {
    await create('Billing-Nightly', { team: 'billing' });
    const provision = await create('PlatformEtcdProvisionClusterStateMachine7C1D-AbCdEf', { [WORKFLOW_TAG]: 'ProvisionCluster', 'aws:cloudformation:stack-name': 'Platform' });
    const replace = await create('PlatformEtcdReplaceMemberStateMachine2B9E-GhIjKl', { [WORKFLOW_TAG]: 'ReplaceMember' });
    const run = await cli(['provision', '--spec', GUIDE_SPEC, '--no-watch', '--name', 'demo-by-tag']);
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    assert.deepEqual((await executions(provision)).map((e) => e.name), ['demo-by-tag']);
    assert.deepEqual(await executions(replace), []);
  });

  it('none tagged: exit 2 naming the tag and how to name the state machine; nothing started', async () => {
    const untagged = await create('ProvisionCluster', {});
    const run = await cli(['provision', '--spec', GUIDE_SPEC, '--no-watch']);
    assert.equal(run.status, 2, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stderr, /which ProvisionCluster state machine\? None in us-east-1 carries the tag etcd-ha:workflow=ProvisionCluster\./);
    assert.match(run.stderr, /Pass --state-machine ARN or set ETCD_HA_PROVISION_STATE_MACHINE_ARN/);
    assert.deepEqual(await executions(untagged), []);
  });

  it('two etcd-ha deployments in one region: exit 2 listing both, asking for --state-machine; nothing started', async () => {
    const first = await create('StagingSetMaintenance', { [WORKFLOW_TAG]: 'SetMaintenance' });
    const second = await create('ProdSetMaintenance', { [WORKFLOW_TAG]: 'SetMaintenance' });
    const run = await cli(['pause', '--cluster', 'demo', '--reason', 'kernel update', '--no-watch']);
    assert.equal(run.status, 2, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stderr, /2 state machines in us-east-1 carry the tag etcd-ha:workflow=SetMaintenance:/);
    assert.ok(run.stderr.includes(`  ${first}\n`) && run.stderr.includes(`  ${second}\n`), run.stderr);
    assert.match(run.stderr, /Pass --state-machine ARN or set ETCD_HA_MAINTENANCE_STATE_MACHINE_ARN to say which\./);
    assert.deepEqual([...(await executions(first)), ...(await executions(second))], []);
  });
});
