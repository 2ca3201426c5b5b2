// Ec2MachinePower against moto_server: the state of a member's instance (running, stopped, unknown), and
// retiring a replaced member's instance: tagged replaced-by, stopped (not terminated), its cluster tag removed;
// an instance of another cluster is refused, a terminated one left alone.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand, StopInstancesCommand, TerminateInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import { Ec2MachinePower, REPLACED_BY_TAG } from '../../../lambdas/adapters/aws/ec2-machine-power';
import { CLUSTER_TAG } from '../../../lambdas/adapters/aws/clone-launch-input';
import { startMoto, type Moto } from '../../support/moto';

describe('Ec2MachinePower against moto_server', () => {
  let moto: Moto | undefined;
  let ec2: EC2Client;
  const power = () => new Ec2MachinePower({ ec2 });

  const launch = async (cluster = 'demo'): Promise<Instance> => {
    const answer = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-12c6146b',
        InstanceType: 't3.micro',
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: CLUSTER_TAG, Value: cluster }, { Key: 'Name', Value: 'member' }] }],
      }),
    );
    return answer.Instances![0]!;
  };
  const described = async (instanceId: string): Promise<Instance> =>
    (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations![0]!.Instances![0]!;
  const tagsOf = (instance: Instance) => Object.fromEntries((instance.Tags ?? []).map((t) => [t.Key!, t.Value!]));

  before(async () => {
    moto = await startMoto();
    ec2 = new EC2Client(moto.clientConfig);
  });
  after(async () => {
    ec2?.destroy();
    await moto?.stop();
  });

  it('reads running, stopped and unknown instances', async () => {
    const running = await launch();
    const stopped = await launch();
    await ec2.send(new StopInstancesCommand({ InstanceIds: [stopped.InstanceId!] }));
    assert.equal(await power().stateOf({ name: 'a', instanceId: running.InstanceId! }), 'running');
    assert.equal(await power().stateOf({ name: 'b', instanceId: stopped.InstanceId! }), 'stopped');
    assert.equal(await power().stateOf({ name: 'c', instanceId: 'i-0123456789abcdef0' }), 'not found');
  });

  it('stops a running replaced instance, tags it replaced-by and removes its cluster tag', async () => {
    const instance = await launch();
    const outcome = await power().retire({ name: 'infra1', instanceId: instance.InstanceId! }, { clusterName: 'demo', replacedBy: 'probe-demo-infra1-x' });
    assert.deepEqual(outcome, { stateBefore: 'running', stopped: true, tagged: true });
    const after = await described(instance.InstanceId!);
    assert.equal(after.State!.Name, 'stopped');
    const tags = tagsOf(after);
    assert.equal(tags[REPLACED_BY_TAG], 'probe-demo-infra1-x');
    assert.equal(tags[CLUSTER_TAG], undefined);
    assert.equal(tags.Name, 'member');
    // Again (a retried step): nothing more to do, no error.
    assert.deepEqual(await power().retire({ name: 'infra1', instanceId: instance.InstanceId! }, { clusterName: 'demo', replacedBy: 'probe-demo-infra1-x' }), {
      stateBefore: 'stopped',
      stopped: false,
      tagged: true,
    });
  });

  it('tags a stopped one without starting or terminating it', async () => {
    const instance = await launch();
    await ec2.send(new StopInstancesCommand({ InstanceIds: [instance.InstanceId!] }));
    const outcome = await power().retire({ name: 'infra2', instanceId: instance.InstanceId! }, { clusterName: 'demo', replacedBy: 'exec-2' });
    assert.deepEqual(outcome, { stateBefore: 'stopped', stopped: false, tagged: true });
    const after = await described(instance.InstanceId!);
    assert.equal(after.State!.Name, 'stopped');
    assert.equal(tagsOf(after)[CLUSTER_TAG], undefined);
  });

  it("refuses another cluster's instance and leaves a terminated one alone", async () => {
    const other = await launch('other');
    await assert.rejects(power().retire({ name: 'infra1', instanceId: other.InstanceId! }, { clusterName: 'demo', replacedBy: 'x' }), /carries etcd-ha:cluster=other, not demo: not retired/);
    assert.equal((await described(other.InstanceId!)).State!.Name, 'running');
    assert.equal(tagsOf(await described(other.InstanceId!))[CLUSTER_TAG], 'other');

    const gone = await launch();
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [gone.InstanceId!] }));
    assert.deepEqual(await power().retire({ name: 'infra0', instanceId: gone.InstanceId! }, { clusterName: 'demo', replacedBy: 'x' }), { stateBefore: 'terminated', stopped: false, tagged: false });
  });
});
