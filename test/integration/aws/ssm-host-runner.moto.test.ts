// SsmHostRunner against moto_server: the SendCommand requests it makes, read back with ListCommands, and
// moto's canned GetCommandInvocation "Success" turned into exit code 0. moto runs nothing on the
// instances and answers only Success: the other statuses are proven in test/adapters/aws/ssm-polling.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { ListCommandsCommand, SSMClient, type Command } from '@aws-sdk/client-ssm';
import { SsmHostRunner } from '../../../lambdas/adapters/aws/ssm-host-runner';
import { HostCommandRejectedError } from '../../../lambdas/core/errors';
import type { Host, HostCommand } from '../../../lambdas/ports';
import { startMoto, type Moto } from '../../support/moto';

const sentInstanceIds = (body: Record<string, unknown> | undefined): string[] => [...((body?.InstanceIds as string[]) ?? [])].sort();

const startEtcd: HostCommand = {
  title: 'Start Etcd',
  text: "#!/bin/bash\nset -euo pipefail\nexport CLUSTER_STATE='new'\necho \"starting etcd\"\n",
  timeoutSeconds: 300,
};

describe('SsmHostRunner against moto_server', () => {
  let moto: Moto | undefined;
  let ssm: SSMClient;
  let ec2: EC2Client;
  /** SendCommand bodies as they left the SDK, for what moto does not keep (CloudWatchOutputConfig). */
  const sentBodies: Array<Record<string, unknown>> = [];

  const launch = async (count: number): Promise<Host[]> => {
    const answer = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-12c6146b', InstanceType: 't3.micro', MinCount: count, MaxCount: count }));
    return (answer.Instances ?? []).map((instance, i) => ({
      name: `infra${i}`,
      address: instance.PrivateIpAddress ?? `10.0.0.${i + 10}`,
      instanceId: instance.InstanceId!,
    }));
  };
  const listCommands = async (): Promise<Command[]> => (await ssm.send(new ListCommandsCommand({}))).Commands ?? [];
  const runner = (props: Partial<ConstructorParameters<typeof SsmHostRunner>[0]> = {}) =>
    new SsmHostRunner({ ssm, pollIntervalMs: 10, ...props });

  before(async () => {
    moto = await startMoto();
    ssm = new SSMClient(moto.clientConfig);
    ec2 = new EC2Client(moto.clientConfig);
    ssm.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers?: Record<string, string>; body?: unknown };
        if (request.headers?.['x-amz-target'] === 'AmazonSSM.SendCommand') {
          // The SDK serializes the body as a string or as bytes, depending on its version.
          const body = request.body instanceof Uint8Array ? Buffer.from(request.body).toString('utf8') : String(request.body);
          sentBodies.push(JSON.parse(body));
        }
        return next(args);
      },
      { step: 'finalizeRequest', name: 'captureSendCommandBody' },
    );
  });

  after(async () => {
    ssm?.destroy();
    ec2?.destroy();
    await moto?.stop();
  });

  it('sends one AWS-RunShellScript command to all hosts and reads back exit code 0 per host', async () => {
    const hosts = await launch(3);
    const results = await runner({
      deliveryTimeoutSeconds: 90,
      outputS3: { bucket: 'etcd-ha-command-output', prefix: 'run-command/demo/' },
      cloudWatchLogGroup: '/etcd-ha/demo/run-command',
    }).run(hosts, startEtcd);

    assert.deepEqual(results, hosts.map((h) => ({ host: h.name, exitCode: 0, stdoutTail: '', stderrTail: '' })));

    const commands = await listCommands();
    assert.equal(commands.length, 1);
    const sent = commands[0]!;
    assert.equal(sent.DocumentName, 'AWS-RunShellScript');
    // moto adds every instance of the region to a command sent without Targets: read the IDs off the request.
    assert.deepEqual(sentInstanceIds(sentBodies.at(-1)), hosts.map((h) => h.instanceId!).sort());
    assert.ok(hosts.every((h) => sent.InstanceIds?.includes(h.instanceId!)));
    assert.deepEqual(sent.Parameters, { commands: [startEtcd.text], executionTimeout: ['300'] });
    assert.equal(sent.TimeoutSeconds, 90);
    assert.equal(sent.Comment, 'Start Etcd');
    assert.equal(sent.OutputS3BucketName, 'etcd-ha-command-output');
    assert.equal(sent.OutputS3KeyPrefix, 'run-command/demo/');
    assert.equal(sent.MaxConcurrency, '100%');
    assert.equal(sent.MaxErrors, '100%');

    // moto accepts CloudWatchOutputConfig but does not keep it: check the request itself.
    assert.deepEqual(sentBodies.at(-1)?.CloudWatchOutputConfig, {
      CloudWatchOutputEnabled: true,
      CloudWatchLogGroupName: '/etcd-ha/demo/run-command',
    });
  });

  it('leaves the output settings out when none are given, and cuts a long title to 100 characters', async () => {
    const [host] = await launch(1);
    const before = (await listCommands()).length;
    const title = `Write Etcd Config ${'x'.repeat(200)}`;
    const results = await runner().run([host!], { ...startEtcd, title });
    assert.equal(results[0]?.exitCode, 0);

    const commands = await listCommands();
    assert.equal(commands.length, before + 1);
    const sent = commands.at(-1)!;
    assert.deepEqual(sentInstanceIds(sentBodies.at(-1)), [host!.instanceId!]);
    assert.equal(sent.TimeoutSeconds, 120, 'default delivery timeout');
    assert.equal(sent.OutputS3BucketName, '');
    assert.equal(sent.Comment?.length, 100);
    assert.ok(sent.Comment?.startsWith('Write Etcd Config xxx'));
    assert.equal(sentBodies.at(-1)?.CloudWatchOutputConfig, undefined);
    assert.equal(sentBodies.at(-1)?.OutputS3BucketName, undefined);
  });

  it('splits 60 hosts into two SendCommand calls of 50 and 10 instances', async () => {
    const hosts = await launch(60);
    const before = new Set((await listCommands()).map((c) => c.CommandId));
    const results = await runner().run(hosts, startEtcd);
    assert.equal(results.length, 60);
    assert.deepEqual(results.map((r) => r.host), hosts.map((h) => h.name));
    assert.ok(results.every((r) => r.exitCode === 0));

    assert.equal((await listCommands()).filter((c) => !before.has(c.CommandId)).length, 2);
    const requests = sentBodies.slice(-2).map(sentInstanceIds);
    assert.deepEqual(requests.map((ids) => ids.length), [50, 10]);
    assert.deepEqual(requests.flat().sort(), hosts.map((h) => h.instanceId!).sort());
  });

  it('refuses a host without an instance ID and a command over 64 KB, sending nothing', async () => {
    const [host] = await launch(1);
    const before = (await listCommands()).length;
    await assert.rejects(
      runner().run([host!, { name: 'infra9', address: '10.0.0.99' }], startEtcd),
      (error: Error) => error instanceof HostCommandRejectedError && /infra9.*no EC2 instance ID/.test(error.message),
    );
    await assert.rejects(
      runner().run([host!], { ...startEtcd, text: `echo ${'é'.repeat(33_000)}` }), // 66,005 bytes, 33,005 characters
      (error: Error) => error instanceof HostCommandRejectedError && /too large.*limit is 65536/.test(error.message),
    );
    assert.equal((await listCommands()).length, before);
  });
});
