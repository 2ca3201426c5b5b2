// Ec2HostDirectory against moto_server: instances launched in moto's EC2 (tagged etcd-ha:cluster as an operator
// tags a member's host), then resolved, stopped, terminated, asked for by unknown IDs or for another cluster than
// their tag's, or taken as recorded. DescribeInstances calls are counted with a middleware.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTagsCommand, EC2Client, RunInstancesCommand, StartInstancesCommand, StopInstancesCommand, TerminateInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import { Ec2HostDirectory, instanceArn } from '../../../lambdas/adapters/aws/ec2-host-directory';
import { HostNotFoundError, HostNotInClusterError, SpecValidationError } from '../../../lambdas/core/errors';
import { CLUSTER_TAG } from '../../../lambdas/catalog/contracts';
import { makeChooseReplacementHost } from '../../../lambdas/steps/replace/choose-replacement-host';
import type { Member } from '../../../lambdas/core/spec';
import { startMoto, type Moto } from '../../support/moto';
import { errorOf } from '../../support/rejection';

describe('Ec2HostDirectory against moto_server', () => {
  let moto: Moto | undefined;
  let ec2: EC2Client;
  let describeCalls = 0;

  /** `count` instances of `cluster` (tagged etcd-ha:cluster; untagged with `cluster` null) in one RunInstances call. */
  const launch = async (count: number, cluster: string | null = 'demo'): Promise<Instance[]> => {
    const tags = cluster === null ? [] : [{ ResourceType: 'instance' as const, Tags: [{ Key: CLUSTER_TAG, Value: cluster }] }];
    const answer = await ec2.send(
      new RunInstancesCommand({ ImageId: 'ami-12c6146b', InstanceType: 't3.micro', MinCount: count, MaxCount: count, ...(tags.length > 0 && { TagSpecifications: tags }) }),
    );
    const instances = answer.Instances ?? [];
    assert.equal(instances.length, count);
    return instances;
  };
  /** One instance tagged Name=`name` and etcd-ha:cluster=`cluster`, as an operator would launch a member's host. */
  const launchNamed = async (name: string, cluster = 'demo'): Promise<Instance> => {
    const answer = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-12c6146b',
        InstanceType: 't3.micro',
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: name }, { Key: CLUSTER_TAG, Value: cluster }] }],
      }),
    );
    return answer.Instances![0]!;
  };
  const directory = () => new Ec2HostDirectory({ ec2 });

  before(async () => {
    moto = await startMoto();
    ec2 = new EC2Client(moto.clientConfig);
    ec2.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'DescribeInstancesCommand') describeCalls += 1;
        return next(args);
      },
      { step: 'initialize', name: 'countDescribeInstances' },
    );
  });

  after(async () => {
    ec2?.destroy();
    await moto?.stop();
  });

  /**
   * The subnet and availability zone RunInstances answered with: moto launches these into its default VPC without
   * security groups, and no profile was given (ec2-replacement-hosts.moto.test.ts records a full placement).
   */
  const placementAsLaunched = (instance: Instance) => ({ subnetId: instance.SubnetId!, availabilityZone: instance.Placement!.AvailabilityZone! });

  it('resolves members to their instances: private IP as the address, the instance ID kept, with their placement (recorded for a later clone), in one call', async () => {
    const instances = await Promise.all(['infra0', 'infra1', 'infra2'].map((name) => launchNamed(name)));
    const members: Member[] = instances.map((instance, i) => ({ name: `infra${i}`, instanceId: instance.InstanceId! }));
    const before = describeCalls;
    const hosts = await directory().resolve('demo', members);
    assert.equal(describeCalls - before, 1);
    assert.deepEqual(
      hosts,
      instances.map((instance, i) => ({ name: `infra${i}`, address: instance.PrivateIpAddress!, instanceId: instance.InstanceId!, placement: placementAsLaunched(instance) })),
    );
    assert.ok(hosts.every((h) => /^\d+\.\d+\.\d+\.\d+$/.test(h.address)));
  });

  it("keeps a member's own address when it is the instance's private IP", async () => {
    const instance = await launchNamed('infra0');
    const [host] = await directory().resolve('demo', [{ name: 'infra0', instanceId: instance.InstanceId!, address: instance.PrivateIpAddress! }]);
    assert.deepEqual(host, { name: 'infra0', address: instance.PrivateIpAddress!, instanceId: instance.InstanceId!, placement: placementAsLaunched(instance) });
  });

  it('refuses a member address that is not a private IP of its instance, naming members[i].address', async () => {
    const [a, b] = await launch(2);
    const error = await errorOf(
      directory().resolve('demo', [
        { name: 'infra0', instanceId: a!.InstanceId! },
        { name: 'infra1', instanceId: b!.InstanceId!, address: '192.0.2.77' },
      ]),
    );
    assert.ok(error instanceof SpecValidationError, String(error));
    assert.deepEqual(error.problems, [`members[1].address: 192.0.2.77 is not a private IP of ${b!.InstanceId} (it has ${b!.PrivateIpAddress})`]);
  });

  it('refuses members without an instance ID before calling EC2', async () => {
    const before = describeCalls;
    const error = await errorOf(
      directory().resolve('demo', [
        { name: 'infra0', instanceId: 'i-0123456789abcdef0' },
        { name: 'infra1', address: '10.0.0.11' },
        { name: 'infra2' },
      ]),
    );
    assert.ok(error instanceof SpecValidationError, String(error));
    assert.deepEqual(error.problems, [
      'members[1].instanceId: required on AWS (the workflow reaches hosts through SSM)',
      'members[2].instanceId: required on AWS (the workflow reaches hosts through SSM)',
    ]);
    assert.equal(describeCalls, before);
  });

  it('a stopped or terminated instance is HostNotFoundError naming the member, the instance and its state', async () => {
    const [running, stopped, terminated] = await launch(3);
    await ec2.send(new StopInstancesCommand({ InstanceIds: [stopped!.InstanceId!] }));
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [terminated!.InstanceId!] }));
    const error = await errorOf(
      directory().resolve('demo', [
        { name: 'infra0', instanceId: running!.InstanceId! },
        { name: 'infra1', instanceId: stopped!.InstanceId! },
        { name: 'infra2', instanceId: terminated!.InstanceId! },
      ]),
    );
    assert.ok(error instanceof HostNotFoundError, String(error));
    assert.equal(error.name, 'HostNotFoundError');
    assert.match(error.message, new RegExp(`member "infra1": instance ${stopped!.InstanceId} is stopped`));
    assert.match(error.message, new RegExp(`member "infra2": instance ${terminated!.InstanceId} is terminated`));
    assert.doesNotMatch(error.message, /infra0/);
  });

  it('refuses an instance Retire Replaced Host marked, stopped or started again: a replaced host never becomes a member again', async () => {
    const [kept, retired] = await launch(2);
    await ec2.send(new CreateTagsCommand({ Resources: [retired!.InstanceId!], Tags: [{ Key: 'etcd-ha:replaced-by', Value: 'replace-infra1-1' }] }));
    await ec2.send(new StopInstancesCommand({ InstanceIds: [retired!.InstanceId!] }));
    // Someone starts it again (the stopped replaced instance "comes back").
    await ec2.send(new StartInstancesCommand({ InstanceIds: [retired!.InstanceId!] }));
    const error = await errorOf(
      directory().resolve('demo', [
        { name: 'infra0', instanceId: kept!.InstanceId! },
        { name: 'infra3', instanceId: retired!.InstanceId! },
      ]),
    );
    assert.ok(error instanceof HostNotFoundError, String(error));
    assert.match(error.message, new RegExp(`member "infra3": instance ${retired!.InstanceId} was retired \\(etcd-ha:replaced-by=replace-infra1-1\\): a replaced host never becomes a member again`));
    assert.doesNotMatch(error.message, /infra0/);
  });

  it('takes recorded members as recorded, stopped and terminated ones too, without asking EC2', async () => {
    const [running, stopped, terminated] = await launch(3);
    await ec2.send(new StopInstancesCommand({ InstanceIds: [stopped!.InstanceId!] }));
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [terminated!.InstanceId!] }));
    const recorded = [running!, stopped!, terminated!].map((instance, i) => ({
      name: `infra${i}`,
      address: instance.PrivateIpAddress!,
      instanceId: instance.InstanceId!,
      placement: { ...placementAsLaunched(instance), securityGroupIds: ['sg-0recorded'], instanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/etcd' },
    }));
    const before = describeCalls;
    assert.deepEqual(directory().recorded('demo', recorded), recorded);
    assert.deepEqual(directory().recorded('demo', [{ name: 'infra9', address: '10.0.0.9' }]), [{ name: 'infra9', address: '10.0.0.9' }]);
    assert.equal(describeCalls, before, 'EC2 is not asked');
  });

  it('an unknown instance is HostNotFoundError naming the member and the instance, also among known ones', async () => {
    const [known] = await launch(1);
    const alone = await errorOf(directory().resolve('demo', [{ name: 'infra0', instanceId: 'i-0123456789abcdef0' }]));
    assert.ok(alone instanceof HostNotFoundError, String(alone));
    assert.match(alone.message, /member "infra0": instance i-0123456789abcdef0 does not exist/);

    const mixed = await errorOf(
      directory().resolve('demo', [
        { name: 'infra0', instanceId: known!.InstanceId! },
        { name: 'infra1', instanceId: 'i-0aaaaaaaaaaaaaaa1' },
        { name: 'infra2', instanceId: 'i-0aaaaaaaaaaaaaaa2' },
      ]),
    );
    assert.ok(mixed instanceof HostNotFoundError, String(mixed));
    assert.match(mixed.message, /member "infra1": instance i-0aaaaaaaaaaaaaaa1 does not exist/);
    assert.match(mixed.message, /member "infra2": instance i-0aaaaaaaaaaaaaaa2 does not exist/);
    assert.doesNotMatch(mixed.message, /infra0/);
  });

  it("refuses another cluster's instance (the takeover: a spec for prod naming dev's host), naming the instance, its tag and the cluster", async () => {
    const [prod] = await launch(1, 'prod');
    const [dev] = await launch(1, 'dev');
    const error = await errorOf(
      directory().resolve('prod', [
        { name: 'infra0', instanceId: prod!.InstanceId! },
        { name: 'infra1', instanceId: dev!.InstanceId! },
      ]),
    );
    assert.ok(error instanceof HostNotInClusterError, String(error));
    assert.equal(error.name, 'HostNotInClusterError');
    assert.match(error.message, new RegExp(`member "infra1": instance ${dev!.InstanceId} is tagged etcd-ha:cluster="dev", not "prod"`));
    assert.doesNotMatch(error.message, /infra0/);
  });

  it('refuses an instance without the etcd-ha:cluster tag, and one whose tag merely starts with the cluster name', async () => {
    const [untagged] = await launch(1, null);
    const [similar] = await launch(1, 'prod-old');
    const error = await errorOf(
      directory().resolve('prod', [
        { name: 'infra0', instanceId: untagged!.InstanceId! },
        { name: 'infra1', instanceId: similar!.InstanceId! },
      ]),
    );
    assert.ok(error instanceof HostNotInClusterError, String(error));
    assert.match(error.message, new RegExp(`member "infra0": instance ${untagged!.InstanceId} has no etcd-ha:cluster tag, not "prod"`));
    assert.match(error.message, new RegExp(`member "infra1": instance ${similar!.InstanceId} is tagged etcd-ha:cluster="prod-old", not "prod"`));
  });

  it("Choose Replacement Host (ReplaceMember) refuses a replacement.instanceId of another cluster, and takes one of its own", async () => {
    const members = await launch(3, 'prod');
    const [dev] = await launch(1, 'dev');
    const [own] = await launch(1, 'prod');
    const spec = { clusterName: 'prod', runtime: 'systemd', members: members.map((m, i) => ({ name: `infra${i}`, address: m.PrivateIpAddress!, instanceId: m.InstanceId! })) };
    const failed = { ...spec.members[1]!, id: '11' };
    const choose = makeChooseReplacementHost({ directory: directory(), log: { info: () => undefined, warn: () => undefined } });
    const ask = (instanceId: string) => choose({ spec, hosts: spec.members, failed, replacement: { name: 'infra3', instanceId }, execution: 'exec-1' });
    const error = await errorOf(ask(dev!.InstanceId!));
    assert.ok(error instanceof HostNotInClusterError, String(error));
    assert.match(error.message, new RegExp(`member "infra3": instance ${dev!.InstanceId} is tagged etcd-ha:cluster="dev", not "prod"`));
    const chosen = await ask(own!.InstanceId!);
    assert.deepEqual({ name: chosen.host.name, instanceId: chosen.host.instanceId }, { name: 'infra3', instanceId: own!.InstanceId! });
  });

  // ~15 s: moto takes ~12 s to launch 1,001 instances.
  it('asks for more than 1,000 instances in calls of at most 1,000 IDs', async () => {
    const instances = await launch(1001, 'big');
    const members: Member[] = instances.map((instance, i) => ({ name: `node${i}`, instanceId: instance.InstanceId! }));
    const before = describeCalls;
    const hosts = await directory().resolve('big', members);
    assert.equal(describeCalls - before, 2);
    assert.deepEqual(hosts.map((h) => h.instanceId), members.map((m) => m.instanceId));
  });

  it('instanceArn builds the ARN in the region\'s partition', () => {
    assert.equal(instanceArn('us-east-1', '123456789012', 'i-0123456789abcdef0'), 'arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0');
    assert.equal(instanceArn('cn-north-1', '123456789012', 'i-0123456789abcdef0'), 'arn:aws-cn:ec2:cn-north-1:123456789012:instance/i-0123456789abcdef0');
    assert.equal(instanceArn('us-gov-west-1', '123456789012', 'i-0123456789abcdef0'), 'arn:aws-us-gov:ec2:us-gov-west-1:123456789012:instance/i-0123456789abcdef0');
  });
});
