// The RunInstances request for a clone, from the failed instance's description, volumes and user data. Pure:
// no network. This covers every field, including those moto_server does not keep (Iops of io1/io2, Throughput,
// ClientToken idempotency); test/integration/aws/ec2-replacement-hosts.moto.test.ts launches real requests.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Instance, Volume } from '@aws-sdk/client-ec2';
import {
  CLIENT_TOKEN_MAX_LENGTH,
  CLUSTER_TAG,
  LAUNCH_TEMPLATE_ID_TAG,
  LAUNCH_TEMPLATE_VERSION_TAG,
  MEMBER_TAG,
  REPLACES_TAG,
  clientTokenFor,
  cloneBlockDeviceMappings,
  cloneLaunchInput,
  cloneSummary,
  cloneTags,
  launchTemplateOf,
  missingForClone,
  withRecordedPlacement,
} from '../../../lambdas/adapters/aws/clone-launch-input';
import { HostNotFoundError } from '../../../lambdas/core/errors';
import type { CloneRequest } from '../../../lambdas/ports';

const request: CloneRequest = {
  clusterName: 'demo',
  sourceInstanceId: 'i-0aaaaaaaaaaaaaaa1',
  memberName: 'infra3',
  failedMemberName: 'infra1',
  idempotencyKey: 'demo/i-0aaaaaaaaaaaaaaa1/infra3/exec-1',
};

const PROFILE_ARN = 'arn:aws:iam::123456789012:instance-profile/etcd-host';
const KMS_KEY = 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555';
/** "#!/bin/bash\nexport ETCD_TOKEN=s3cr3t\n", base64: what must never reach a log line. */
const USER_DATA = Buffer.from('#!/bin/bash\nexport ETCD_TOKEN=s3cr3t\n').toString('base64');

/** A running member instance launched from an AMI, as DescribeInstances describes it. */
function amiInstance(overrides: Partial<Instance> = {}): Instance {
  return {
    InstanceId: 'i-0aaaaaaaaaaaaaaa1',
    ImageId: 'ami-0123456789abcdef0',
    InstanceType: 't3.medium',
    State: { Code: 16, Name: 'running' },
    SubnetId: 'subnet-0123',
    VpcId: 'vpc-0123',
    PrivateIpAddress: '10.0.1.11',
    SecurityGroups: [
      { GroupId: 'sg-etcd', GroupName: 'etcd' },
      { GroupId: 'sg-ssm', GroupName: 'ssm' },
    ],
    IamInstanceProfile: { Arn: PROFILE_ARN, Id: 'AIPAEXAMPLE' },
    KeyName: 'ops',
    MetadataOptions: { State: 'applied', HttpTokens: 'required', HttpPutResponseHopLimit: 2, HttpEndpoint: 'enabled', HttpProtocolIpv6: 'disabled', InstanceMetadataTags: 'enabled' },
    EbsOptimized: true,
    Monitoring: { State: 'enabled' },
    RootDeviceName: '/dev/xvda',
    BlockDeviceMappings: [
      { DeviceName: '/dev/xvda', Ebs: { VolumeId: 'vol-root', DeleteOnTermination: true, Status: 'attached' } },
      { DeviceName: '/dev/sdf', Ebs: { VolumeId: 'vol-data', DeleteOnTermination: false, Status: 'attached' } },
    ],
    Tags: [
      { Key: 'Name', Value: 'etcd-demo-infra1' },
      { Key: 'team', Value: 'platform' },
      { Key: CLUSTER_TAG, Value: 'demo' },
      { Key: MEMBER_TAG, Value: 'infra1' },
      { Key: 'aws:cloudformation:stack-name', Value: 'etcd-hosts' },
    ],
    ...overrides,
  };
}

/** The same member launched from version 3 of a launch template (EC2 then tags it with the template). */
function templateInstance(overrides: Partial<Instance> = {}): Instance {
  const base = amiInstance();
  return amiInstance({
    Tags: [...base.Tags!, { Key: LAUNCH_TEMPLATE_ID_TAG, Value: 'lt-0123456789abcdef0' }, { Key: LAUNCH_TEMPLATE_VERSION_TAG, Value: '3' }],
    ...overrides,
  });
}

const volumes: Volume[] = [
  { VolumeId: 'vol-root', Size: 16, VolumeType: 'gp3', Iops: 3000, Throughput: 125, Encrypted: true, KmsKeyId: KMS_KEY, SnapshotId: 'snap-ami-root' },
  { VolumeId: 'vol-data', Size: 50, VolumeType: 'gp3', Iops: 6000, Throughput: 250, Encrypted: true, KmsKeyId: KMS_KEY, SnapshotId: 'snap-etcd-backup' },
];

const tagMap = (tags: ReadonlyArray<{ Key?: string; Value?: string }> | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.Key, t.Value]));

describe('cloneLaunchInput', () => {
  it('from an AMI: ImageId, user data and the volume layout, plus the instance as it ran', () => {
    const input = cloneLaunchInput({ instance: amiInstance(), volumes, userData: USER_DATA }, request);
    assert.deepEqual(
      { ...input, TagSpecifications: undefined },
      {
        ImageId: 'ami-0123456789abcdef0',
        UserData: USER_DATA,
        BlockDeviceMappings: [
          { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 16, VolumeType: 'gp3', Iops: 3000, Throughput: 125, Encrypted: true, KmsKeyId: KMS_KEY, DeleteOnTermination: true } },
          { DeviceName: '/dev/sdf', Ebs: { VolumeSize: 50, VolumeType: 'gp3', Iops: 6000, Throughput: 250, Encrypted: true, KmsKeyId: KMS_KEY, DeleteOnTermination: false } },
        ],
        InstanceType: 't3.medium',
        SubnetId: 'subnet-0123',
        SecurityGroupIds: ['sg-etcd', 'sg-ssm'],
        IamInstanceProfile: { Arn: PROFILE_ARN },
        KeyName: 'ops',
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 2, HttpEndpoint: 'enabled', InstanceMetadataTags: 'enabled' },
        EbsOptimized: true,
        Monitoring: { Enabled: true },
        MinCount: 1,
        MaxCount: 1,
        ClientToken: clientTokenFor(request.idempotencyKey),
        TagSpecifications: undefined,
      },
    );
  });

  it('from a launch template: the template and the version the source used, never ImageId, UserData or BlockDeviceMappings', () => {
    const input = cloneLaunchInput({ instance: templateInstance(), volumes, userData: USER_DATA }, request);
    assert.deepEqual(input.LaunchTemplate, { LaunchTemplateId: 'lt-0123456789abcdef0', Version: '3' });
    for (const absent of ['ImageId', 'UserData', 'BlockDeviceMappings'] as const) assert.equal(absent in input, false, absent);
    // The instance's own settings still win over the template's: it may have been resized or moved since.
    assert.equal(input.InstanceType, 't3.medium');
    assert.equal(input.SubnetId, 'subnet-0123');
    assert.deepEqual(input.SecurityGroupIds, ['sg-etcd', 'sg-ssm']);
    assert.deepEqual(input.IamInstanceProfile, { Arn: PROFILE_ARN });
    assert.equal(input.MetadataOptions?.HttpTokens, 'required');
  });

  it('reads the launch template only from both EC2 tags', () => {
    const cases: Array<[string, Instance['Tags'], ReturnType<typeof launchTemplateOf>]> = [
      ['both tags', [{ Key: LAUNCH_TEMPLATE_ID_TAG, Value: 'lt-1' }, { Key: LAUNCH_TEMPLATE_VERSION_TAG, Value: '7' }], { id: 'lt-1', version: '7' }],
      ['id only', [{ Key: LAUNCH_TEMPLATE_ID_TAG, Value: 'lt-1' }], undefined],
      ['version only', [{ Key: LAUNCH_TEMPLATE_VERSION_TAG, Value: '7' }], undefined],
      ['no tags', undefined, undefined],
    ];
    for (const [name, Tags, expected] of cases) assert.deepEqual(launchTemplateOf({ Tags }), expected, name);
  });

  it('leaves UserData out when the source has none', () => {
    for (const userData of [undefined, '']) {
      const input = cloneLaunchInput({ instance: amiInstance(), volumes, ...(userData !== undefined && { userData }) }, request);
      assert.equal('UserData' in input, false, JSON.stringify(userData));
    }
  });

  describe('sets the instance fields only as the source had them', () => {
    const cases: Array<[string, Partial<Instance>, (input: ReturnType<typeof cloneLaunchInput>) => void]> = [
      ['IMDSv2 required stays required', { MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1, HttpEndpoint: 'enabled' } }, (i) =>
        assert.deepEqual(i.MetadataOptions, { HttpTokens: 'required', HttpPutResponseHopLimit: 1, HttpEndpoint: 'enabled' })],
      ['IMDSv1 allowed stays allowed', { MetadataOptions: { HttpTokens: 'optional', HttpEndpoint: 'enabled' } }, (i) =>
        assert.deepEqual(i.MetadataOptions, { HttpTokens: 'optional', HttpEndpoint: 'enabled' })],
      ['IMDS turned off stays off', { MetadataOptions: { HttpEndpoint: 'disabled' } }, (i) => assert.deepEqual(i.MetadataOptions, { HttpEndpoint: 'disabled' })],
      ['no metadata options described', { MetadataOptions: undefined }, (i) => assert.equal('MetadataOptions' in i, false)],
      ['monitoring pending counts as enabled', { Monitoring: { State: 'pending' } }, (i) => assert.deepEqual(i.Monitoring, { Enabled: true })],
      ['monitoring disabled is left out', { Monitoring: { State: 'disabled' } }, (i) => assert.equal('Monitoring' in i, false)],
      ['no key pair', { KeyName: undefined }, (i) => assert.equal('KeyName' in i, false)],
      ['not EBS-optimized', { EbsOptimized: false }, (i) => assert.equal(i.EbsOptimized, false)],
    ];
    for (const [name, overrides, check] of cases) it(name, () => check(cloneLaunchInput({ instance: amiInstance(overrides), volumes }, request)));
  });

  it('refuses, with the hint to name an instance by hand, a description that lacks what a faithful clone needs', () => {
    // EC2 strips a terminated instance of its network interface, security groups and profile association.
    const terminated: Partial<Instance> = {
      State: { Code: 48, Name: 'terminated' },
      SubnetId: undefined,
      VpcId: undefined,
      SecurityGroups: [],
      IamInstanceProfile: undefined,
      BlockDeviceMappings: [],
    };
    const cases: Array<[string, Instance, string[]]> = [
      ['terminated, from an AMI', amiInstance(terminated), ['its subnet', 'its security groups', 'its instance profile']],
      ['terminated, from a template (which may hold the profile)', templateInstance(terminated), ['its subnet', 'its security groups']],
      ['no instance profile, from an AMI', amiInstance({ IamInstanceProfile: undefined }), ['its instance profile']],
      ['no security groups', amiInstance({ SecurityGroups: undefined }), ['its security groups']],
    ];
    for (const [name, instance, missing] of cases) {
      assert.deepEqual(missingForClone(instance), missing, name);
      assert.throws(
        () => cloneLaunchInput({ instance, volumes }, request),
        (error: Error) => {
          assert.ok(error instanceof HostNotFoundError, `${name}: ${error}`);
          assert.equal(error.name, 'HostNotFoundError');
          assert.ok(error.message.includes(`cannot clone failed instance i-0aaaaaaaaaaaaaaa1 (${instance.State!.Name}): EC2 no longer describes ${missing.join(', ')}`), error.message);
          assert.ok(error.message.includes('etcd-ha replace --cluster demo --member infra1 --instance ID --replacement-name infra3'), error.message);
          return true;
        },
      );
    }
    assert.deepEqual(missingForClone(templateInstance({ IamInstanceProfile: undefined })), [], 'a template instance without a profile is cloned');
  });

  it('fills what a terminated description lacks from the placement recorded while the instance ran; what EC2 still describes wins', () => {
    const recorded = { subnetId: 'subnet-0recorded0000000', securityGroupIds: ['sg-0recorded0000000'], instanceProfileArn: `${PROFILE_ARN}-recorded` };
    const gone = amiInstance({ State: { Name: 'terminated' }, SubnetId: undefined, SecurityGroups: [], IamInstanceProfile: undefined });
    const filled = withRecordedPlacement(gone, recorded);
    assert.deepEqual(missingForClone(filled), []);
    const input = cloneLaunchInput({ instance: filled, volumes }, { ...request, recorded });
    assert.equal(input.SubnetId, recorded.subnetId);
    assert.deepEqual(input.SecurityGroupIds, recorded.securityGroupIds);
    assert.deepEqual(input.IamInstanceProfile, { Arn: recorded.instanceProfileArn });
    const described = amiInstance();
    const kept = withRecordedPlacement(described, recorded);
    assert.equal(kept.SubnetId, described.SubnetId);
    assert.deepEqual(kept.SecurityGroups, described.SecurityGroups);
    assert.deepEqual(kept.IamInstanceProfile, described.IamInstanceProfile);
    assert.equal(withRecordedPlacement(gone, undefined), gone, 'nothing recorded: the description as it is');
  });

  it("fills the availability zone from the record only when EC2 describes none", () => {
    const recorded = { subnetId: 'subnet-0recorded0000000', availabilityZone: 'us-east-1c' };
    assert.equal(withRecordedPlacement(amiInstance({ Placement: {} }), recorded).Placement?.AvailabilityZone, 'us-east-1c');
    assert.equal(withRecordedPlacement(amiInstance({ Placement: { AvailabilityZone: 'us-east-1a', Tenancy: 'default' } }), recorded).Placement?.AvailabilityZone, 'us-east-1a');
  });

  it('puts the clone in the subnet clone placement chose, with the same groups; a subnet chosen stands for one EC2 no longer describes', () => {
    const input = cloneLaunchInput({ instance: amiInstance(), volumes }, request, { subnetId: 'subnet-0other' });
    assert.equal(input.SubnetId, 'subnet-0other');
    assert.deepEqual(input.SecurityGroupIds, ['sg-etcd', 'sg-ssm']);
    assert.equal(cloneLaunchInput({ instance: amiInstance(), volumes }, request, {}).SubnetId, 'subnet-0123', 'none chosen: its own');
    const gone = amiInstance({ SubnetId: undefined });
    assert.deepEqual(missingForClone(gone), ['its subnet']);
    assert.equal(cloneLaunchInput({ instance: gone, volumes }, request, { subnetId: 'subnet-0other' }).SubnetId, 'subnet-0other');
  });

  it('the ClientToken is at most 64 ASCII characters, the same for the same key and different for another', () => {
    const keys = [request.idempotencyKey, 'x', 'ü'.repeat(500), `${'a'.repeat(80)}/${'b'.repeat(80)}`];
    for (const key of keys) {
      const token = clientTokenFor(key);
      assert.ok(token.length <= CLIENT_TOKEN_MAX_LENGTH && token.length > 0, key);
      assert.match(token, /^[\x21-\x7e]+$/);
      assert.equal(clientTokenFor(key), token, 'stable');
    }
    assert.equal(new Set(keys.map(clientTokenFor)).size, keys.length, 'distinct keys, distinct tokens');
    assert.notEqual(clientTokenFor('demo/i-1/infra3/exec-1'), clientTokenFor('demo/i-1/infra3/exec-2'));
    assert.equal(cloneLaunchInput({ instance: amiInstance(), volumes }, request).ClientToken, clientTokenFor(request.idempotencyKey));
  });
});

describe('cloneTags', () => {
  it("keeps the source's tags (Name as it is) but EC2's aws: ones, and sets cluster, member and the instance replaced", () => {
    const tags = cloneTags(templateInstance(), request);
    assert.deepEqual(tags, [
      { Key: 'Name', Value: 'etcd-demo-infra1' },
      { Key: 'team', Value: 'platform' },
      { Key: CLUSTER_TAG, Value: 'demo' },
      { Key: MEMBER_TAG, Value: 'infra3' },
      { Key: REPLACES_TAG, Value: 'i-0aaaaaaaaaaaaaaa1' },
    ]);
    assert.ok(tags.every((t) => !t.Key!.startsWith('aws:')));
  });

  it("replaces a source's own etcd-ha tags (a clone of a clone replaces the instance it clones)", () => {
    const source = amiInstance({ Tags: [{ Key: CLUSTER_TAG, Value: 'old' }, { Key: REPLACES_TAG, Value: 'i-0ffffffffffffffff' }, { Key: MEMBER_TAG, Value: 'infra0' }] });
    assert.deepEqual(tagMap(cloneTags(source, request)), { [CLUSTER_TAG]: 'demo', [MEMBER_TAG]: 'infra3', [REPLACES_TAG]: 'i-0aaaaaaaaaaaaaaa1' });
  });

  it('tags the instance and its volumes alike', () => {
    const input = cloneLaunchInput({ instance: amiInstance(), volumes }, request);
    assert.deepEqual(input.TagSpecifications?.map((s) => s.ResourceType), ['instance', 'volume']);
    for (const spec of input.TagSpecifications!) assert.deepEqual(spec.Tags, cloneTags(amiInstance(), request));
  });
});

describe('cloneBlockDeviceMappings', () => {
  const one = (volume: Volume, deleteOnTermination = true) =>
    cloneBlockDeviceMappings(
      { BlockDeviceMappings: [{ DeviceName: '/dev/sdf', Ebs: { VolumeId: 'vol-1', DeleteOnTermination: deleteOnTermination } }] },
      [{ VolumeId: 'vol-1', SnapshotId: 'snap-with-old-data', ...volume }],
    )[0]?.Ebs;

  it('maps each volume type with the fields EC2 takes for it, and never the SnapshotId', () => {
    const cases: Array<[string, Volume, object]> = [
      ['gp3: IOPS and throughput', { Size: 50, VolumeType: 'gp3', Iops: 6000, Throughput: 500 }, { VolumeSize: 50, VolumeType: 'gp3', Iops: 6000, Throughput: 500 }],
      ['io2: IOPS, no throughput', { Size: 100, VolumeType: 'io2', Iops: 16000, Throughput: 1000 }, { VolumeSize: 100, VolumeType: 'io2', Iops: 16000 }],
      ['io1: IOPS', { Size: 100, VolumeType: 'io1', Iops: 5000 }, { VolumeSize: 100, VolumeType: 'io1', Iops: 5000 }],
      ['gp2: its burst IOPS are not settable', { Size: 20, VolumeType: 'gp2', Iops: 100 }, { VolumeSize: 20, VolumeType: 'gp2' }],
      ['st1: neither', { Size: 500, VolumeType: 'st1', Iops: 500, Throughput: 40 }, { VolumeSize: 500, VolumeType: 'st1' }],
      ['encrypted with a key', { Size: 8, VolumeType: 'gp3', Iops: 3000, Throughput: 125, Encrypted: true, KmsKeyId: KMS_KEY }, { VolumeSize: 8, VolumeType: 'gp3', Iops: 3000, Throughput: 125, Encrypted: true, KmsKeyId: KMS_KEY }],
      ['encrypted, no key described', { Size: 8, VolumeType: 'gp2', Encrypted: true }, { VolumeSize: 8, VolumeType: 'gp2', Encrypted: true }],
      ['unencrypted: no Encrypted: false', { Size: 8, VolumeType: 'gp2', Encrypted: false, KmsKeyId: KMS_KEY }, { VolumeSize: 8, VolumeType: 'gp2' }],
    ];
    for (const [name, volume, expected] of cases) assert.deepEqual(one(volume), { ...expected, DeleteOnTermination: true }, name);
  });

  it("takes DeleteOnTermination from the instance's mapping", () => {
    assert.equal(one({ Size: 8, VolumeType: 'gp3' }, false)?.DeleteOnTermination, false);
    assert.equal(one({ Size: 8, VolumeType: 'gp3' }, true)?.DeleteOnTermination, true);
  });

  it("leaves a device whose volume is gone to the AMI's mapping", () => {
    const mappings = cloneBlockDeviceMappings(amiInstance(), [volumes[1]!]);
    assert.deepEqual(mappings.map((m) => m.DeviceName), ['/dev/sdf']);
    assert.deepEqual(cloneBlockDeviceMappings(amiInstance(), []), []);
    const input = cloneLaunchInput({ instance: amiInstance(), volumes: [] }, request);
    assert.equal('BlockDeviceMappings' in input, false, 'no empty BlockDeviceMappings list');
  });
});

describe('cloneSummary', () => {
  it('names what the clone is launched from and with, and never the user data', () => {
    const fromAmi = amiInstance();
    const amiLine = cloneSummary(fromAmi, cloneLaunchInput({ instance: fromAmi, volumes: [volumes[1]!], userData: USER_DATA }, request));
    assert.equal(
      amiLine,
      'clone of i-0aaaaaaaaaaaaaaa1 (AMI ami-0123456789abcdef0, with user data), t3.medium, subnet-0123, sg-etcd sg-ssm, profile etcd-host, ' +
        'volumes /dev/sdf 50 GiB gp3, /dev/xvda left to the AMI (volume gone)',
    );
    const fromTemplate = templateInstance();
    const templateLine = cloneSummary(fromTemplate, cloneLaunchInput({ instance: fromTemplate, volumes, userData: USER_DATA }, request));
    assert.equal(templateLine, 'clone of i-0aaaaaaaaaaaaaaa1 (launch template lt-0123456789abcdef0 v3), t3.medium, subnet-0123, sg-etcd sg-ssm, profile etcd-host');
    for (const line of [amiLine, templateLine]) {
      assert.doesNotMatch(line, /s3cr3t|ETCD_TOKEN/);
      assert.equal(line.includes(USER_DATA), false);
    }
  });
});
