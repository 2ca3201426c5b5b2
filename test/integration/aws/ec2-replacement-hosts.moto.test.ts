// Ec2ReplacementHosts against moto_server: failed instances launched in moto's EC2 (from an AMI with user data
// and volumes, from a launch template), cloned, cloned again (found by their tags), terminated, and unknown.
//
// What moto 5.2.1 keeps, and so what is asserted here on the clone itself: instance type, AMI, subnet, security
// groups, instance profile (which must exist in moto's IAM), key name, metadata options, EBS optimization,
// monitoring, ClientToken, tags of the instance and its volumes, user data, launch template and version, and
// per volume its size, type, encryption, snapshot and delete-on-termination. What moto drops or fakes, covered
// only by test/adapters/aws/clone-launch-input.test.ts: Iops (moto gives every gp3 volume 3000 and fails io1/io2
// in RunInstances) and Throughput of a volume; ClientToken idempotency (moto launches a new instance for a token
// it has seen); and a terminated instance's description as EC2 gives it (moto keeps its subnet and security
// groups, EC2 drops them with its network interface).
//
// moto_server does not implement SSM DescribeInstanceInformation (a test below proves it), so agentStatus gets
// its SSM side from a hand-made fake, as test/adapters/aws/ssm-polling.test.ts does; its EC2 side is moto's.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateLaunchTemplateCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  StartInstancesCommand,
  CreateLaunchTemplateVersionCommand,
  CreateSecurityGroupCommand,
  CreateSnapshotCommand,
  CreateSubnetCommand,
  CreateVolumeCommand,
  CreateVpcCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  EC2Client,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type Instance,
  type RunInstancesCommandInput,
  type Tag,
  type Volume,
} from '@aws-sdk/client-ec2';
import { AddRoleToInstanceProfileCommand, CreateInstanceProfileCommand, CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  DescribeInstanceInformationCommand,
  SSMClient,
  type DescribeInstanceInformationCommandInput,
} from '@aws-sdk/client-ssm';
import { CLUSTER_TAG, MEMBER_TAG, REPLACES_TAG, clientTokenFor } from '../../../lambdas/adapters/aws/clone-launch-input';
import { AGENT_NOT_REGISTERED, Ec2ReplacementHosts, INSTANCE_NOT_FOUND } from '../../../lambdas/adapters/aws/ec2-replacement-hosts';
import { Ec2HostDirectory, placementOf } from '../../../lambdas/adapters/aws/ec2-host-directory';
import { makeChooseReplacementHost } from '../../../lambdas/steps/replace/choose-replacement-host';
import { makeCheckHostAgent } from '../../../lambdas/steps/replace/check-host-agent';
import { ClonePlacementRefusedError, CloneRefusedError, HostNotFoundError, CloneLaunchFailedError } from '../../../lambdas/core/errors';
import type { CloneRequest, Host, HostRunner, Logger } from '../../../lambdas/ports';
import { startMoto, type Moto } from '../../support/moto';
import { errorOf } from '../../support/rejection';

const AMI = 'ami-12c6146b';
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
/** The AMI-launched source's user data: bootstraps the host, and holds a secret that must never be logged. */
const SOURCE_USER_DATA = b64('#!/bin/bash\nexport BOOTSTRAP_TOKEN=s3cr3t\n/opt/etcd-ha/bootstrap.sh\n');
const TEMPLATE_V1_USER_DATA = b64('#!/bin/bash\necho template v1\n');
const TEMPLATE_V2_USER_DATA = b64('#!/bin/bash\necho template v2\n');
const HINT = /etcd-ha replace --cluster demo --member infra1 --instance ID --replacement-name infra3/;

/** Plays SSM's DescribeInstanceInformation: each instance's PingStatus, or not listed at all. */
class FakeSsm {
  readonly requests: DescribeInstanceInformationCommandInput[] = [];
  constructor(readonly pingStatus: Map<string, string>) {}

  async send(command: unknown): Promise<unknown> {
    if (!(command instanceof DescribeInstanceInformationCommand)) throw new Error(`the fake does not play ${(command as object).constructor.name}`);
    this.requests.push(command.input);
    const ids = command.input.Filters?.find((f) => f.Key === 'InstanceIds')?.Values ?? [];
    return {
      InstanceInformationList: ids.flatMap((id) => (this.pingStatus.has(id) ? [{ InstanceId: id, PingStatus: this.pingStatus.get(id), ResourceType: 'EC2Instance' }] : [])),
    };
  }

  asClient(): SSMClient {
    return this as unknown as SSMClient;
  }
}

const tagsOf = (tags: readonly Tag[] | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.Key!, t.Value!]));

describe('Ec2ReplacementHosts against moto_server', () => {
  let moto: Moto | undefined;
  /** Sets the scene; the adapter has its own client, whose calls are recorded. */
  let ec2: EC2Client;
  let adapterEc2: EC2Client;
  let iam: IAMClient;
  const calls: string[] = [];
  const runInputs: RunInstancesCommandInput[] = [];
  const logLines: Array<{ message: string; fields?: Record<string, unknown> }> = [];
  /** When set, the adapter's DescribeInstanceAttribute fails with it (a race moto cannot produce). */
  let attributeError: Error | undefined;
  /** When set, the adapter's RunInstances fails with it (EC2's capacity errors, which moto never gives). */
  let runError: Error | undefined;
  const net = { vpcId: '', subnetId: '', etcdSg: '', ssmSg: '', profileArn: '', roleArn: '', foreignProfileArn: '', templateId: '', snapshotId: '' };

  const log: Logger = {
    info: (message, fields) => logLines.push({ message, ...(fields && { fields }) }),
    warn: (message, fields) => logLines.push({ message, ...(fields && { fields }) }),
  };
  /** The adapter as the stack configures it: the member role may be passed, the launch template is named. */
  const hosts = (ssm: SSMClient = new FakeSsm(new Map()).asClient(), launchTemplateIds = [net.templateId]) =>
    new Ec2ReplacementHosts({ ec2: adapterEc2, ssm, iam, memberInstanceRoleArns: [net.roleArn], launchTemplateIds, log });
  const cloneRequest = (sourceInstanceId: string, overrides: Partial<CloneRequest> = {}): CloneRequest => ({
    clusterName: 'demo',
    sourceInstanceId,
    memberName: 'infra3',
    failedMemberName: 'infra1',
    idempotencyKey: `demo/${sourceInstanceId}/infra3/exec-1`,
    ...overrides,
  });

  const describeInstance = async (instanceId: string): Promise<Instance> => {
    const answer = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    return answer.Reservations![0]!.Instances![0]!;
  };
  const userDataOf = async (instanceId: string) =>
    (await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'userData' }))).UserData?.Value;
  /** The instance's volumes by device name. */
  const volumesOf = async (instance: Instance): Promise<Record<string, Volume>> => {
    const ids = (instance.BlockDeviceMappings ?? []).map((m) => m.Ebs!.VolumeId!);
    const { Volumes } = await ec2.send(new DescribeVolumesCommand({ VolumeIds: ids }));
    return Object.fromEntries(Volumes!.map((v) => [v.Attachments![0]!.Device!, v]));
  };
  const instanceCount = async (): Promise<number> => {
    let count = 0;
    let token: string | undefined;
    do {
      const page = await ec2.send(new DescribeInstancesCommand({ NextToken: token }));
      count += (page.Reservations ?? []).flatMap((r) => r.Instances ?? []).length;
      token = page.NextToken || undefined;
    } while (token);
    return count;
  };

  /**
   * A failed member's instance as an operator launched it from an AMI: user data, three volumes (one from a
   * snapshot), tags; in `net`'s subnet and groups unless others are given.
   */
  const launchFromAmi = async (name: string, network?: { subnetId: string; securityGroupIds: string[] }): Promise<Instance> => {
    const answer = await ec2.send(
      new RunInstancesCommand({
        ImageId: AMI,
        InstanceType: 't3.medium',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: network?.subnetId ?? net.subnetId,
        SecurityGroupIds: network?.securityGroupIds ?? [net.etcdSg, net.ssmSg],
        IamInstanceProfile: { Arn: net.profileArn },
        KeyName: 'ops',
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 2, HttpEndpoint: 'enabled', InstanceMetadataTags: 'enabled' },
        EbsOptimized: true,
        Monitoring: { Enabled: true },
        UserData: SOURCE_USER_DATA,
        BlockDeviceMappings: [
          { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 12, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true } },
          { DeviceName: '/dev/sdf', Ebs: { VolumeSize: 30, VolumeType: 'gp3', DeleteOnTermination: false } },
          { DeviceName: '/dev/sdh', Ebs: { SnapshotId: net.snapshotId, VolumeSize: 5, VolumeType: 'gp2', DeleteOnTermination: true } },
        ],
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              { Key: 'Name', Value: `etcd-demo-${name}` },
              { Key: CLUSTER_TAG, Value: 'demo' },
              { Key: MEMBER_TAG, Value: name },
              { Key: 'team', Value: 'platform' },
            ],
          },
        ],
      }),
    );
    return answer.Instances![0]!;
  };

  /** A failed member's instance launched from version 1 of the launch template, with the instance type overridden. */
  const launchFromTemplate = async (name: string): Promise<Instance> => {
    const answer = await ec2.send(
      new RunInstancesCommand({
        LaunchTemplate: { LaunchTemplateId: net.templateId, Version: '1' },
        InstanceType: 't3.large',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: net.subnetId,
        SecurityGroupIds: [net.etcdSg],
        IamInstanceProfile: { Arn: net.profileArn },
        MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' },
        TagSpecifications: [
          { ResourceType: 'instance', Tags: [{ Key: 'Name', Value: `etcd-demo-${name}` }, { Key: CLUSTER_TAG, Value: 'demo' }, { Key: MEMBER_TAG, Value: name }] },
        ],
      }),
    );
    return answer.Instances![0]!;
  };

  before(async () => {
    moto = await startMoto();
    ec2 = new EC2Client(moto.clientConfig);
    adapterEc2 = new EC2Client(moto.clientConfig);
    iam = new IAMClient(moto.clientConfig);
    adapterEc2.middlewareStack.add(
      (next, context) => async (args) => {
        calls.push(context.commandName ?? '?');
        if (context.commandName === 'RunInstancesCommand') runInputs.push(structuredClone(args.input as RunInstancesCommandInput));
        if (context.commandName === 'DescribeInstanceAttributeCommand' && attributeError) throw attributeError;
        if (context.commandName === 'RunInstancesCommand' && runError) throw runError;
        return next(args);
      },
      { step: 'initialize', name: 'recordCalls' },
    );

    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }));
    net.vpcId = vpc.Vpc!.VpcId!;
    net.subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: net.vpcId, CidrBlock: '10.20.1.0/24' }))).Subnet!.SubnetId!;
    net.etcdSg = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: net.vpcId, GroupName: 'etcd', Description: 'etcd peers and clients' }))).GroupId!;
    net.ssmSg = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: net.vpcId, GroupName: 'ssm', Description: 'SSM endpoints' }))).GroupId!;
    // moto refuses RunInstances with an instance profile its IAM does not know.
    net.profileArn = (await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'etcd-host' }))).InstanceProfile!.Arn!;
    // The member role (memberInstanceRoleArns) in it; a foreign profile carries an admin role.
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    net.roleArn = (await iam.send(new CreateRoleCommand({ RoleName: 'etcd-member', AssumeRolePolicyDocument: trust }))).Role!.Arn!;
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'etcd-host', RoleName: 'etcd-member' }));
    net.foreignProfileArn = (await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'admin-host' }))).InstanceProfile!.Arn!;
    await iam.send(new CreateRoleCommand({ RoleName: 'admin', AssumeRolePolicyDocument: trust }));
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'admin-host', RoleName: 'admin' }));
    const volume = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 5, VolumeType: 'gp2' }));
    net.snapshotId = (await ec2.send(new CreateSnapshotCommand({ VolumeId: volume.VolumeId!, Description: 'old etcd data' }))).SnapshotId!;
    const template = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'etcd-member',
        LaunchTemplateData: {
          ImageId: AMI,
          InstanceType: 't3.small',
          UserData: TEMPLATE_V1_USER_DATA,
          BlockDeviceMappings: [{ DeviceName: '/dev/sdf', Ebs: { VolumeSize: 20, VolumeType: 'gp3', DeleteOnTermination: true } }],
        },
      }),
    );
    net.templateId = template.LaunchTemplate!.LaunchTemplateId!;
    // A later version the source was not launched with: the clone must keep to version 1.
    await ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: net.templateId, LaunchTemplateData: { ImageId: AMI, UserData: TEMPLATE_V2_USER_DATA } }));
  });

  after(async () => {
    ec2?.destroy();
    adapterEc2?.destroy();
    iam?.destroy();
    await moto?.stop();
  });

  it('clones an AMI-launched instance: type, network, profile, key, IMDS, monitoring, user data, empty volumes, tags', async () => {
    const source = await launchFromAmi('infra2');
    const request = cloneRequest(source.InstanceId!);
    const sourceVolumes = await volumesOf(await describeInstance(source.InstanceId!));
    assert.equal(sourceVolumes['/dev/sdh']?.SnapshotId, net.snapshotId, 'the source has a volume with data from a snapshot');

    const launched = await hosts().launchCloneOf(request);
    assert.equal(launched.launched, true);
    const clone = await describeInstance(launched.instanceId);
    assert.notEqual(clone.InstanceId, source.InstanceId);
    assert.equal(launched.address, clone.PrivateIpAddress);
    assert.match(launched.address, /^10\.20\.1\.\d+$/);

    assert.equal(clone.ImageId, AMI);
    assert.equal(clone.InstanceType, 't3.medium');
    assert.equal(clone.SubnetId, net.subnetId);
    assert.deepEqual(clone.SecurityGroups!.map((g) => g.GroupId).sort(), [net.etcdSg, net.ssmSg].sort());
    assert.equal(clone.IamInstanceProfile?.Arn, net.profileArn);
    assert.equal(clone.KeyName, 'ops');
    assert.deepEqual(
      { HttpTokens: clone.MetadataOptions?.HttpTokens, HttpPutResponseHopLimit: clone.MetadataOptions?.HttpPutResponseHopLimit, HttpEndpoint: clone.MetadataOptions?.HttpEndpoint, InstanceMetadataTags: clone.MetadataOptions?.InstanceMetadataTags },
      { HttpTokens: 'required', HttpPutResponseHopLimit: 2, HttpEndpoint: 'enabled', InstanceMetadataTags: 'enabled' },
    );
    assert.equal(clone.EbsOptimized, true);
    assert.equal(clone.Monitoring?.State, 'enabled');
    assert.equal(clone.ClientToken, clientTokenFor(request.idempotencyKey));
    assert.equal(await userDataOf(clone.InstanceId!), SOURCE_USER_DATA);

    const expectedTags = { Name: 'etcd-demo-infra2', team: 'platform', [CLUSTER_TAG]: 'demo', [MEMBER_TAG]: 'infra3', [REPLACES_TAG]: source.InstanceId! };
    assert.deepEqual(tagsOf(clone.Tags), expectedTags);

    const cloneVolumes = await volumesOf(clone);
    assert.deepEqual(Object.keys(cloneVolumes).sort(), ['/dev/sdf', '/dev/sdh', '/dev/xvda']);
    const deleteOnTermination = Object.fromEntries(clone.BlockDeviceMappings!.map((m) => [m.DeviceName!, m.Ebs!.DeleteOnTermination]));
    const shape = (device: string) => {
      const v = cloneVolumes[device]!;
      return { size: v.Size, type: v.VolumeType, encrypted: v.Encrypted, snapshot: v.SnapshotId || undefined, deleteOnTermination: deleteOnTermination[device] };
    };
    assert.deepEqual(shape('/dev/xvda'), { size: 12, type: 'gp3', encrypted: true, snapshot: undefined, deleteOnTermination: true });
    assert.deepEqual(shape('/dev/sdf'), { size: 30, type: 'gp3', encrypted: false, snapshot: undefined, deleteOnTermination: false });
    assert.deepEqual(shape('/dev/sdh'), { size: 5, type: 'gp2', encrypted: false, snapshot: undefined, deleteOnTermination: true }, 'no SnapshotId: a new member starts empty');
    for (const volume of Object.values(cloneVolumes)) assert.deepEqual(tagsOf(volume.Tags), expectedTags);
    // The encrypted root volume kept its key: moto encrypted the source's with its default key, the clone names it.
    assert.equal(cloneVolumes['/dev/xvda']!.KmsKeyId, sourceVolumes['/dev/xvda']!.KmsKeyId);

    const line = logLines.find((l) => l.message === 'launching a clone of the failed instance');
    assert.ok(line, 'the launch is logged');
    assert.deepEqual(line.fields, {
      cluster: 'demo',
      member: 'infra3',
      clone: `clone of ${source.InstanceId} (AMI ${AMI}, with user data), t3.medium, ${net.subnetId}, ${net.etcdSg} ${net.ssmSg}, profile etcd-host, volumes /dev/xvda 12 GiB gp3, /dev/sdf 30 GiB gp3, /dev/sdh 5 GiB gp2`,
      placement: `infra1's own subnet: ${net.subnetId} in ${source.Placement!.AvailabilityZone}`,
    });
    assert.doesNotMatch(JSON.stringify(logLines), /s3cr3t|BOOTSTRAP_TOKEN/);
    assert.equal(JSON.stringify(logLines).includes(SOURCE_USER_DATA), false, 'no user data in any log line');
  });

  it('clones a template-launched instance by the template and the version it used, with the instance\'s own type and network', async () => {
    const source = await launchFromTemplate('infra4');
    const before = calls.length;
    const launched = await hosts().launchCloneOf(cloneRequest(source.InstanceId!, { memberName: 'infra5' }));
    const made = calls.slice(before);
    assert.ok(!made.includes('DescribeVolumesCommand') && !made.includes('DescribeInstanceAttributeCommand'), `the template holds volumes and user data: ${made}`);

    const sent = runInputs.at(-1)!;
    assert.deepEqual(sent.LaunchTemplate, { LaunchTemplateId: net.templateId, Version: '1' });
    assert.equal(sent.ImageId, undefined);
    assert.equal(sent.UserData, undefined);
    assert.equal(sent.BlockDeviceMappings, undefined);

    const clone = await describeInstance(launched.instanceId);
    const tags = tagsOf(clone.Tags);
    assert.equal(tags['aws:ec2launchtemplate:id'], net.templateId);
    assert.equal(tags['aws:ec2launchtemplate:version'], '1');
    assert.equal(await userDataOf(clone.InstanceId!), TEMPLATE_V1_USER_DATA, "version 1's user data, not version 2's");
    assert.equal(clone.InstanceType, 't3.large', "the instance's type, not the template's t3.small");
    assert.equal(clone.SubnetId, net.subnetId);
    assert.deepEqual(clone.SecurityGroups!.map((g) => g.GroupId), [net.etcdSg]);
    assert.equal(clone.IamInstanceProfile?.Arn, net.profileArn);
    assert.equal(clone.MetadataOptions?.HttpTokens, 'required');
    assert.deepEqual({ Name: tags.Name, cluster: tags[CLUSTER_TAG], member: tags[MEMBER_TAG], replaces: tags[REPLACES_TAG] }, {
      Name: 'etcd-demo-infra4',
      cluster: 'demo',
      member: 'infra5',
      replaces: source.InstanceId,
    });
  });

  it('a second call returns the clone the first launched, found by its tags, and launches nothing; a dead clone does not count', async () => {
    const source = await launchFromAmi('infra6');
    const request = cloneRequest(source.InstanceId!, { memberName: 'infra7' });
    const first = await hosts().launchCloneOf(request);
    const count = await instanceCount();
    const runs = runInputs.length;

    assert.deepEqual(await hosts().launchCloneOf(request), { ...first, launched: false });
    // A re-run of the workflow brings a new idempotency key (so a new ClientToken): the tags still find the clone.
    assert.deepEqual(await hosts().launchCloneOf({ ...request, idempotencyKey: 'demo/other-execution' }), { ...first, launched: false });
    assert.equal(await instanceCount(), count);
    assert.equal(runInputs.length, runs, 'no RunInstances');

    // Another member's clone of the same source is another instance.
    const other = await hosts().launchCloneOf({ ...request, memberName: 'infra8' });
    assert.equal(other.launched, true);
    assert.notEqual(other.instanceId, first.instanceId);

    // A clone that died is not handed out again: the next attempt launches a new one.
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [first.instanceId] }));
    const again = await hosts().launchCloneOf({ ...request, idempotencyKey: 'demo/third-execution' });
    assert.equal(again.launched, true);
    assert.notEqual(again.instanceId, first.instanceId);
  });

  it('clones a terminated template-launched source while EC2 still describes it', async () => {
    const source = await launchFromTemplate('infra9');
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [source.InstanceId!] }));
    assert.equal((await describeInstance(source.InstanceId!)).State?.Name, 'terminated');

    const launched = await hosts().launchCloneOf(cloneRequest(source.InstanceId!, { memberName: 'infra10' }));
    assert.equal(launched.launched, true);
    const clone = await describeInstance(launched.instanceId);
    assert.equal(clone.State?.Name, 'running');
    assert.equal(tagsOf(clone.Tags)['aws:ec2launchtemplate:version'], '1');
    assert.equal(clone.SubnetId, net.subnetId);
    assert.deepEqual(clone.SecurityGroups!.map((g) => g.GroupId), [net.etcdSg]);
    // moto, like EC2, drops a terminated instance's profile association: the clone gets the template's profile
    // (this template has none). The pure test shows that EC2's terminated description, without network, is refused.
    assert.equal(clone.IamInstanceProfile, undefined);
  });

  it("refuses a terminated AMI-launched source that lost its instance profile: the clone could not read its member secret", async () => {
    const source = await launchFromAmi('infra11');
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [source.InstanceId!] }));
    const count = await instanceCount();
    const error = await errorOf(hosts().launchCloneOf(cloneRequest(source.InstanceId!)));
    assert.ok(error instanceof HostNotFoundError, String(error));
    assert.match(error.message, new RegExp(`cannot clone failed instance ${source.InstanceId} \\(terminated\\): EC2 no longer describes its instance profile`));
    assert.match(error.message, HINT);
    assert.equal(await instanceCount(), count);
  });

  it('clones a terminated AMI-launched source with the placement recorded while it ran (what the registry keeps)', async () => {
    const source = await launchFromAmi('infra12');
    const recorded = placementOf(await describeInstance(source.InstanceId!));
    assert.deepEqual(recorded, {
      subnetId: net.subnetId,
      availabilityZone: source.Placement!.AvailabilityZone,
      securityGroupIds: [net.etcdSg, net.ssmSg],
      instanceProfileArn: net.profileArn,
    });
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [source.InstanceId!] }));
    const launched = await hosts().launchCloneOf(cloneRequest(source.InstanceId!, { idempotencyKey: 'demo/recorded', ...(recorded && { recorded }) }));
    const clone = await describeInstance(launched.instanceId);
    assert.equal(clone.SubnetId, net.subnetId);
    assert.equal(clone.IamInstanceProfile?.Arn, net.profileArn);
    assert.deepEqual(clone.SecurityGroups!.map((g) => g.GroupId).sort(), [net.etcdSg, net.ssmSg].sort());
  });

  it("a launch EC2 refuses for its AZ's sake is CloneLaunchFailedError naming the AZ; any other refusal goes through as it is", async () => {
    const source = await launchFromAmi('infra13');
    runError = Object.assign(new Error('We currently do not have sufficient t3.micro capacity in the Availability Zone you requested'), { name: 'InsufficientInstanceCapacity' });
    try {
      const error = await errorOf(hosts().launchCloneOf(cloneRequest(source.InstanceId!, { idempotencyKey: 'demo/capacity/1' })));
      assert.ok(error instanceof CloneLaunchFailedError, String(error));
      assert.equal(error.availabilityZone, source.Placement?.AvailabilityZone);
      assert.match(error.message, /InsufficientInstanceCapacity/);
      runError = Object.assign(new Error('You are not authorized to perform this operation.'), { name: 'UnauthorizedOperation' });
      const denied = await errorOf(hosts().launchCloneOf(cloneRequest(source.InstanceId!, { idempotencyKey: 'demo/capacity/2' })));
      assert.ok(!(denied instanceof CloneLaunchFailedError));
      assert.equal((denied as Error).name, 'UnauthorizedOperation');
    } finally {
      runError = undefined;
    }
  });

  it('an unknown source is HostNotFoundError that says to name a replacement instance by hand; nothing is launched', async () => {
    const count = await instanceCount();
    const error = await errorOf(hosts().launchCloneOf(cloneRequest('i-0123456789abcdef0')));
    assert.ok(error instanceof HostNotFoundError, String(error));
    assert.equal(error.name, 'HostNotFoundError');
    assert.match(error.message, /failed instance i-0123456789abcdef0 is no longer known to EC2/);
    assert.match(error.message, HINT);
    assert.equal(await instanceCount(), count);
  });

  it('refuses to clone without the user data when the source vanishes before it is read; other errors go through', async () => {
    const source = await launchFromAmi('infra12');
    const count = await instanceCount();
    attributeError = Object.assign(new Error(`The instance ID '${source.InstanceId}' does not exist`), { name: 'InvalidInstanceID.NotFound' });
    try {
      const error = await errorOf(hosts().launchCloneOf(cloneRequest(source.InstanceId!)));
      assert.ok(error instanceof HostNotFoundError, String(error));
      assert.match(error.message, new RegExp(`cannot read the user data of failed instance ${source.InstanceId}`));
      assert.match(error.message, HINT);
      assert.equal((error as Error & { cause?: unknown }).cause, attributeError);

      attributeError = Object.assign(new Error('You are not authorized to perform this operation.'), { name: 'UnauthorizedOperation' });
      const denied = await errorOf(hosts().launchCloneOf(cloneRequest(source.InstanceId!)));
      assert.equal(denied, attributeError);
    } finally {
      attributeError = undefined;
    }
    assert.equal(await instanceCount(), count);
  });

  describe('nothing is cloned that the stack does not allow (issue 13, item 3)', () => {
    it("refuses a source without the cluster's tag, or tagged for another cluster; nothing launched", async () => {
      const untagged = await launchFromAmi('infra20');
      await ec2.send(new DeleteTagsCommand({ Resources: [untagged.InstanceId!], Tags: [{ Key: CLUSTER_TAG }] }));
      const foreign = await launchFromAmi('infra21');
      await ec2.send(new CreateTagsCommand({ Resources: [foreign.InstanceId!], Tags: [{ Key: CLUSTER_TAG, Value: 'prod' }] }));
      const count = await instanceCount();
      const noTag = await errorOf(hosts().launchCloneOf(cloneRequest(untagged.InstanceId!, { idempotencyKey: 'demo/untagged' })));
      assert.ok(noTag instanceof CloneRefusedError, String(noTag));
      assert.match(noTag.message, new RegExp(`failed instance ${untagged.InstanceId} carries no etcd-ha:cluster tag, not etcd-ha:cluster="demo"`));
      assert.match(noTag.message, HINT);
      const otherCluster = await errorOf(hosts().launchCloneOf(cloneRequest(foreign.InstanceId!, { idempotencyKey: 'demo/foreign' })));
      assert.ok(otherCluster instanceof CloneRefusedError, String(otherCluster));
      assert.match(otherCluster.message, /is tagged etcd-ha:cluster="prod", not etcd-ha:cluster="demo"/);
      assert.equal(await instanceCount(), count, 'nothing launched');
    });

    it("refuses a placement record's instance profile whose role is not a member role (the clone would run as admin); nothing launched", async () => {
      const source = await launchFromAmi('infra22');
      const recorded = { ...placementOf(await describeInstance(source.InstanceId!))!, instanceProfileArn: net.foreignProfileArn };
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [source.InstanceId!] }));
      const count = await instanceCount();
      const error = await errorOf(hosts().launchCloneOf(cloneRequest(source.InstanceId!, { idempotencyKey: 'demo/admin', recorded })));
      assert.ok(error instanceof CloneRefusedError, String(error));
      assert.match(error.message, new RegExp(`the instance profile ${net.foreignProfileArn} of failed instance ${source.InstanceId} has role arn:aws:iam::\\d+:role/admin; a clone may carry only a role of memberInstanceRoleArns \\(${net.roleArn}\\)`));
      assert.equal(await instanceCount(), count, 'nothing launched');
      // A profile IAM does not know is refused the same way.
      const unknown = { ...recorded, instanceProfileArn: net.profileArn.replace('etcd-host', 'nobody') };
      const gone = await errorOf(hosts().launchCloneOf(cloneRequest(source.InstanceId!, { idempotencyKey: 'demo/unknown', recorded: unknown })));
      assert.ok(gone instanceof CloneRefusedError && /is not an instance profile of this account/.test(gone.message), String(gone));
    });

    it('refuses a source launched from a launch template the stack does not name; nothing launched', async () => {
      const source = await launchFromTemplate('infra23');
      const count = await instanceCount();
      const error = await errorOf(hosts(undefined, []).launchCloneOf(cloneRequest(source.InstanceId!, { memberName: 'infra24' })));
      assert.ok(error instanceof CloneRefusedError, String(error));
      assert.match(error.message, new RegExp(`launched from launch template ${net.templateId} \\(version 1\\), which is not among the stack's cloneLaunchTemplateIds \\(none\\)`));
      assert.equal(await instanceCount(), count, 'nothing launched');
    });
  });

  describe('under the ReplaceMember steps (Resolve Hosts, Choose Replacement Host, Check Host Agent)', () => {
    it('a terminated member is replaced by a clone joined at its private IP with the placement recorded while it ran; a re-run joins the same clone', async () => {
      const sources = await Promise.all(['infra0', 'infra1', 'infra2'].map((name) => launchFromAmi(name)));
      const directory = new Ec2HostDirectory({ ec2: adapterEc2 });
      const members = sources.map((s, i) => ({ name: `infra${i}`, instanceId: s.InstanceId! }));
      const resolved = await directory.resolve('demo', members);
      assert.equal(resolved[1]!.placement?.instanceProfileArn, net.profileArn, 'Resolve Hosts records the profile while the instance runs');
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [sources[1]!.InstanceId!] }));

      const choose = makeChooseReplacementHost({ directory, replacementHosts: hosts(), log });
      const failed = { name: 'infra1', id: '101', address: resolved[1]!.address, instanceId: sources[1]!.InstanceId!, placement: resolved[1]!.placement! };
      const input = { spec: { clusterName: 'demo', runtime: 'systemd', members }, hosts: resolved, failed, replacement: { name: 'infra3' }, execution: 'exec-a' };
      const chosen = await choose(input);
      const clone = await describeInstance(chosen.host.instanceId!);
      assert.equal(tagsOf(clone.Tags)[REPLACES_TAG], sources[1]!.InstanceId);
      assert.equal(chosen.host.address, clone.PrivateIpAddress);
      assert.equal(clone.IamInstanceProfile?.Arn, net.profileArn, 'the profile EC2 no longer describes came from the record');
      assert.deepEqual(chosen.host.placement, placementOf(clone));
      assert.deepEqual(chosen.hosts.map((h) => h.name), ['infra0', 'infra2', 'infra3']);
      assert.deepEqual(chosen.launched, { instanceId: clone.InstanceId, sourceInstanceId: sources[1]!.InstanceId, newlyLaunched: true });

      const count = await instanceCount();
      const again = await choose({ ...input, execution: 'exec-b' });
      assert.deepEqual(again.launched, { instanceId: clone.InstanceId, sourceInstanceId: sources[1]!.InstanceId, newlyLaunched: false });
      assert.equal(await instanceCount(), count, 'nothing new launched');

      // SSM's side is a stand-in here: moto has neither DescribeInstanceInformation nor agents that run commands.
      const agents = new FakeSsm(new Map([[clone.InstanceId!, 'Online']]));
      const booted: HostRunner = { run: async ([host]) => [{ host: host!.name, exitCode: 0, stdoutTail: 'boot: done\n', stderrTail: '' }] };
      const check = makeCheckHostAgent({ log, runner: booted, replacementHosts: hosts(agents.asClient()) });
      assert.deepEqual(await check({ host: chosen.host, attempt: 0, maxAttempts: 40 }), { state: 'running', agent: 'Online', boot: 'done', ready: true, attempt: 1 });
    });
  });

  describe('placed by availability zone: a VPC with subnets in us-east-1a, b and c, 5 members over them (2 + 2 + 1)', () => {
    const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
    /** The member's AZ letter: infra0, infra1 in a; infra2, infra3 in b; infra4 in c. */
    const ZONE_OF = ['a', 'a', 'b', 'b', 'c'];
    const az = { vpcId: '', subnets: {} as Record<string, string>, sg: '', foreignSubnet: '' };
    /** The 5 members as Resolve Hosts recorded them while every instance ran (placement with its AZ). */
    let recorded: Host[] = [];
    const spec = () => ({ clusterName: 'demo', runtime: 'systemd', members: recorded.map((h) => ({ name: h.name, address: h.address, instanceId: h.instanceId! })) });
    const failedOf = (host: Host) => ({ name: host.name, id: '1', address: host.address, instanceId: host.instanceId!, placement: host.placement! });
    const subnetOf = async (instanceId: string) => (await describeInstance(instanceId)).SubnetId;

    before(async () => {
      az.vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.30.0.0/16' }))).Vpc!.VpcId!;
      for (const [i, zone] of ZONES.entries()) {
        const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: az.vpcId, CidrBlock: `10.30.${i + 1}.0/24`, AvailabilityZone: zone }));
        az.subnets[zone.slice(-1)] = subnet.Subnet!.SubnetId!;
      }
      az.sg = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: az.vpcId, GroupName: 'etcd-az', Description: 'etcd peers and clients' }))).GroupId!;
      // A subnet of the first VPC, in a fourth AZ.
      az.foreignSubnet = (await ec2.send(new CreateSubnetCommand({ VpcId: net.vpcId, CidrBlock: '10.20.9.0/24', AvailabilityZone: 'us-east-1d' }))).Subnet!.SubnetId!;
      const sources = await Promise.all(ZONE_OF.map((zone, i) => launchFromAmi(`az-infra${i}`, { subnetId: az.subnets[zone]!, securityGroupIds: [az.sg] })));
      const members = sources.map((s, i) => ({ name: `infra${i}`, instanceId: s.InstanceId! }));
      recorded = await new Ec2HostDirectory({ ec2: adapterEc2 }).resolve('demo', members);
      assert.deepEqual(
        recorded.map((h) => h.placement?.availabilityZone),
        ZONE_OF.map((zone) => `us-east-1${zone}`),
        'the record keeps each member\'s AZ',
      );
    });

    it("the failed member's AZ-mate down too: the clone goes to the AZ with the fewest live members that makes no quorum (c, not b); a retry avoiding c is refused, b would then hold 3 of 5", async () => {
      const [mate, failed] = [recorded[0]!, recorded[1]!];
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [failed.instanceId!] }));
      await ec2.send(new StopInstancesCommand({ InstanceIds: [mate.instanceId!] }));
      const directory = new Ec2HostDirectory({ ec2: adapterEc2 });
      const remaining = recorded.filter((h) => h !== failed);
      assert.ok((await errorOf(directory.resolve('demo', remaining))) instanceof HostNotFoundError, 'EC2 would refuse the stopped AZ-mate');

      const choose = makeChooseReplacementHost({ directory, replacementHosts: hosts(), log });
      const input = { spec: spec(), hosts: recorded, failed: failedOf(failed), replacement: { name: 'infra5' }, execution: 'exec-az', down: ['infra0', 'infra1'] };
      const chosen = await choose(input);
      const clone = await describeInstance(chosen.host.instanceId!);
      assert.equal(clone.SubnetId, az.subnets.c);
      assert.equal(clone.Placement?.AvailabilityZone, 'us-east-1c');
      assert.equal(chosen.host.placement?.availabilityZone, 'us-east-1c', 'the record will keep the AZ it chose');
      assert.deepEqual(clone.SecurityGroups!.map((g) => g.GroupId), [az.sg], 'its groups, as the failed instance had them');
      assert.equal(clone.IamInstanceProfile?.Arn, net.profileArn);
      assert.deepEqual(chosen.hosts.slice(0, -1), remaining, 'the remaining members as recorded, the stopped one too');
      assert.deepEqual(chosen.hosts.map((h) => h.name), ['infra0', 'infra2', 'infra3', 'infra4', 'infra5']);
      const line = logLines.filter((l) => l.message === 'launching a clone of the failed instance').at(-1);
      assert.match(String(line?.fields?.placement), /us-east-1a \(infra1's own\) may be out: infra0 is down there too; subnet-\w+ in us-east-1c: 1 live member there, 2 of 5 with the clone \(quorum 3\)/);

      // Its agent never came online: the workflow asks again, avoiding us-east-1c. That clone is not joined again,
      // and no other AZ can take one.
      const count = await instanceCount();
      const error = await errorOf(choose({ ...input, avoidAvailabilityZones: ['us-east-1c'] }));
      assert.ok(error instanceof ClonePlacementRefusedError, String(error));
      assert.equal(error.name, 'ClonePlacementRefusedError');
      assert.match(error.message, /us-east-1b \(2 members, 2 live\) would then hold 3 of 5 members, a quorum \(3\)/);
      assert.match(error.message, /us-east-1c \(1 member, 1 live\) is to be avoided/);
      assert.equal(await instanceCount(), count, 'nothing launched');
      await ec2.send(new StartInstancesCommand({ InstanceIds: [mate.instanceId!] }));
    });

    it('avoidAvailabilityZones covering the failed AZ and c: refused naming every AZ and its counts, nothing launched', async () => {
      const failed = recorded[3]!;
      const count = await instanceCount();
      const error = await errorOf(
        hosts().launchCloneOf(
          cloneRequest(failed.instanceId!, {
            failedMemberName: failed.name,
            memberName: 'infra6',
            recorded: failed.placement!,
            members: recorded,
            down: [],
            avoidAvailabilityZones: ['us-east-1b', 'us-east-1c'],
          }),
        ),
      );
      assert.ok(error instanceof ClonePlacementRefusedError, String(error));
      assert.match(
        error.message,
        /no subnet for infra3's clone among the cluster's availability zones \(5 members, quorum 3\):\n {2}- us-east-1b \(infra3's own\) is to be avoided: a launch or host agent failed there\n {2}- us-east-1a \(2 members, 2 live\) would then hold 3 of 5 members, a quorum \(3\)\n {2}- us-east-1c \(1 member, 1 live\) is to be avoided/,
      );
      assert.match(error.message, /etcd-ha replace --cluster demo --member infra3 --instance ID --replacement-name infra6/);
      assert.equal(await instanceCount(), count);
    });

    it("the failed member's AZ healthy: its own subnet, as before, and EC2 asked nothing more", async () => {
      const failed = recorded[2]!;
      const before = calls.length;
      const launched = await hosts().launchCloneOf(
        cloneRequest(failed.instanceId!, { failedMemberName: failed.name, memberName: 'infra7', recorded: failed.placement!, members: recorded, down: ['infra4'] }),
      );
      assert.equal(await subnetOf(launched.instanceId), az.subnets.b);
      assert.equal(launched.availabilityZone, 'us-east-1b');
      assert.equal(launched.placement?.availabilityZone, 'us-east-1b');
      const made = calls.slice(before);
      assert.ok(!made.includes('DescribeSubnetsCommand') && !made.includes('DescribeSecurityGroupsCommand'), `no new calls: ${made}`);
    });

    it("a record from before AZs were recorded: the subnets' AZs come from EC2, and the clone is placed as with them", async () => {
      const failed = recorded[1]!;
      const withoutZones = recorded.map((h) => ({ name: h.name, placement: { ...h.placement!, availabilityZone: undefined } }));
      const before = calls.length;
      const launched = await hosts().launchCloneOf(
        cloneRequest(failed.instanceId!, { failedMemberName: failed.name, memberName: 'infra8', recorded: withoutZones[1]!.placement, members: withoutZones, down: ['infra0'], idempotencyKey: 'demo/old-record' }),
      );
      assert.equal(await subnetOf(launched.instanceId), az.subnets.c);
      assert.ok(calls.slice(before).includes('DescribeSubnetsCommand'));
    });

    it("refuses a subnet of another VPC than the failed instance's security groups, naming both; nothing launched", async () => {
      const failed = recorded[1]!;
      // infra4 recorded in a subnet of the first VPC, in us-east-1d: the AZ chooser picks it.
      const members = recorded.map((h) => (h.name === 'infra4' ? { name: h.name, placement: { subnetId: az.foreignSubnet, availabilityZone: 'us-east-1d' } } : h));
      const count = await instanceCount();
      const error = await errorOf(
        hosts().launchCloneOf(cloneRequest(failed.instanceId!, { failedMemberName: failed.name, memberName: 'infra9', recorded: failed.placement!, members, down: ['infra0'], idempotencyKey: 'demo/other-vpc' })),
      );
      assert.ok(error instanceof ClonePlacementRefusedError, String(error));
      assert.match(
        error.message,
        new RegExp(`subnet ${az.foreignSubnet} \\(us-east-1d\\), chosen for the clone of ${failed.instanceId}, is in ${net.vpcId}, but its security groups ${az.sg} \\(${az.vpcId}\\) are not`),
      );
      assert.equal(await instanceCount(), count);
    });
  });

  describe('agentStatus', () => {
    it('moto_server does not implement SSM DescribeInstanceInformation (hence the fake SSM below)', async () => {
      const ssm = new SSMClient({ ...moto!.clientConfig, maxAttempts: 1 });
      try {
        // moto has no describe_instance_information: its server answers 500 (NotImplementedError) with an HTML page.
        await assert.rejects(ssm.send(new DescribeInstanceInformationCommand({})), (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
          assert.equal(error.$metadata?.httpStatusCode, 500, String(error));
          return true;
        });
      } finally {
        ssm.destroy();
      }
    });

    it("a running instance: EC2's state and the agent's ping status, or not registered; asked by instance ID", async () => {
      const [online, lost, inactive, unregistered] = await Promise.all(['a', 'b', 'c', 'd'].map((n) => launchFromAmi(`agent-${n}`)));
      const fake = new FakeSsm(
        new Map([
          [online!.InstanceId!, 'Online'],
          [lost!.InstanceId!, 'ConnectionLost'],
          [inactive!.InstanceId!, 'Inactive'],
        ]),
      );
      const replacementHosts = hosts(fake.asClient());
      assert.deepEqual(await replacementHosts.agentStatus(online!.InstanceId!), { state: 'running', agent: 'Online' });
      assert.deepEqual(await replacementHosts.agentStatus(lost!.InstanceId!), { state: 'running', agent: 'ConnectionLost' });
      assert.deepEqual(await replacementHosts.agentStatus(inactive!.InstanceId!), { state: 'running', agent: 'Inactive' });
      assert.deepEqual(await replacementHosts.agentStatus(unregistered!.InstanceId!), { state: 'running', agent: AGENT_NOT_REGISTERED });
      assert.equal(AGENT_NOT_REGISTERED, 'not registered');
      assert.deepEqual(fake.requests.at(-1), { Filters: [{ Key: 'InstanceIds', Values: [unregistered!.InstanceId] }] });
    });

    it("a stopped or terminated instance comes with EC2's reason", async () => {
      const [stopped, terminated] = await Promise.all([launchFromAmi('agent-e'), launchFromAmi('agent-f')]);
      await ec2.send(new StopInstancesCommand({ InstanceIds: [stopped!.InstanceId!] }));
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [terminated!.InstanceId!] }));
      const fake = new FakeSsm(new Map([[stopped!.InstanceId!, 'ConnectionLost']]));
      assert.deepEqual(await hosts(fake.asClient()).agentStatus(stopped!.InstanceId!), {
        state: 'stopped',
        agent: 'ConnectionLost',
        stateReason: 'Client.UserInitiatedShutdown: User initiated shutdown',
      });
      assert.deepEqual(await hosts(fake.asClient()).agentStatus(terminated!.InstanceId!), {
        state: 'terminated',
        agent: AGENT_NOT_REGISTERED,
        stateReason: 'Client.UserInitiatedShutdown: User initiated shutdown',
      });
    });

    it('an instance EC2 does not know (yet: it is eventually consistent after a launch) is "not found", and SSM is not asked', async () => {
      const fake = new FakeSsm(new Map());
      assert.deepEqual(await hosts(fake.asClient()).agentStatus('i-0123456789abcdef0'), { state: INSTANCE_NOT_FOUND, agent: AGENT_NOT_REGISTERED });
      assert.equal(fake.requests.length, 0);
    });
  });
});
