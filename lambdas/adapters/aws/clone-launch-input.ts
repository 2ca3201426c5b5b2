// The RunInstances request that launches a clone of a failed member's instance, from what EC2 still says
// about it: its description, the volumes it had and its user data. Pure: no I/O, table-tested in
// test/adapters/aws/clone-launch-input.test.ts.
//
// Cloned: the launch template and version (or the AMI, user data and volume layout), instance type, subnet (or
// the one clone placement chose: lambdas/core/clone-placement.ts), security groups, instance profile, key pair, metadata options, EBS optimization, detailed monitoring and tags.
// Not cloned: the private IP (a new member gets its own), volume contents (no SnapshotId: a new member starts with
// empty data), the public IP association, placement group, tenancy, credit specification and shutdown behavior.
import { createHash } from 'node:crypto';
import type {
  BlockDeviceMapping,
  EbsBlockDevice,
  Instance,
  InstanceMetadataOptionsRequest,
  RunInstancesCommandInput,
  Tag,
  Volume,
} from '@aws-sdk/client-ec2';
import { HostNotFoundError } from '../../core/errors';
import { securityGroupIdsOf } from './ec2-host-directory';
import type { CloneRequest, HostPlacement } from '../../ports';
import { CLUSTER_TAG, MEMBER_TAG, REPLACED_BY_TAG, REPLACES_TAG } from '../../catalog/contracts';

// The cluster an instance serves (also what the launch permission requires on the new instance), the member it
// hosts, and on a clone the failed instance it replaces: tag keys shared with the stack (lambdas/catalog/contracts.ts).
export { CLUSTER_TAG, MEMBER_TAG, REPLACES_TAG };
/** Set by EC2 on an instance launched from a launch template (with the version number it used). */
export const LAUNCH_TEMPLATE_ID_TAG = 'aws:ec2launchtemplate:id';
export const LAUNCH_TEMPLATE_VERSION_TAG = 'aws:ec2launchtemplate:version';
/** Tag keys EC2 reserves for itself: RunInstances refuses them. */
const RESERVED_TAG_PREFIX = 'aws:';

/** RunInstances ClientToken: at most 64 ASCII characters. */
export const CLIENT_TOKEN_MAX_LENGTH = 64;

/** Volume types that take Iops, and the one that also takes Throughput. */
const IOPS_VOLUME_TYPES = new Set(['io1', 'io2', 'gp3']);
const THROUGHPUT_VOLUME_TYPES = new Set(['gp3']);

/** Everything EC2 still says about the failed instance. */
export interface CloneSource {
  /** Its DescribeInstances entry. */
  readonly instance: Instance;
  /** Its EBS volumes that still exist (DescribeVolumes): a terminated instance's may be gone. */
  readonly volumes: readonly Volume[];
  /** Its user data, base64 as DescribeInstanceAttribute returns it; absent when it has none. Never logged. */
  readonly userData?: string;
}

export interface LaunchTemplateRef {
  readonly id: string;
  /** The version number the instance was launched with. */
  readonly version: string;
}

/** The launch template and version the instance was launched from, read from the tags EC2 sets at launch. */
export function launchTemplateOf(instance: Instance): LaunchTemplateRef | undefined {
  const id = tagValue(instance.Tags, LAUNCH_TEMPLATE_ID_TAG);
  const version = tagValue(instance.Tags, LAUNCH_TEMPLATE_VERSION_TAG);
  return id && version ? { id, version } : undefined;
}

/** ClientToken for an idempotency key: its SHA-256 in hex (64 characters), the same for the same key. */
export function clientTokenFor(idempotencyKey: string): string {
  return createHash('sha256').update(idempotencyKey, 'utf8').digest('hex').slice(0, CLIENT_TOKEN_MAX_LENGTH);
}

/** What an operator does when no clone can be launched: launch the host and name it. */
export function manualReplacementHint(request: Pick<CloneRequest, 'clusterName' | 'memberName' | 'failedMemberName'>): string {
  return (
    `launch an instance for member "${request.memberName}" yourself and name it: ` +
    `etcd-ha replace --cluster ${request.clusterName} --member ${request.failedMemberName} --instance ID --replacement-name ${request.memberName}`
  );
}

/**
 * The source's description with what EC2 no longer describes (subnet, availability zone, security groups, instance
 * profile of a terminated instance) taken from the placement recorded while it ran. What EC2 still describes wins.
 */
export function withRecordedPlacement(instance: Instance, recorded: HostPlacement | undefined): Instance {
  if (recorded === undefined) return instance;
  return {
    ...instance,
    ...(!instance.SubnetId && recorded.subnetId && { SubnetId: recorded.subnetId }),
    ...(!instance.Placement?.AvailabilityZone &&
      recorded.availabilityZone && { Placement: { ...instance.Placement, AvailabilityZone: recorded.availabilityZone } }),
    ...(securityGroupIdsOf(instance).length === 0 && recorded.securityGroupIds?.length && { SecurityGroups: recorded.securityGroupIds.map((GroupId) => ({ GroupId })) }),
    ...(!instance.IamInstanceProfile?.Arn && recorded.instanceProfileArn && { IamInstanceProfile: { Arn: recorded.instanceProfileArn } }),
  };
}

/**
 * What the description lacks to launch a faithful clone, as phrases ("its subnet"). Without a subnet or
 * security groups EC2 would put the clone in the default VPC and security group; without an instance profile
 * the clone could neither read its member secret nor (usually) reach SSM. EC2 drops these from the description
 * of an instance once it is terminated. A launch template may carry the profile, so then it is not required.
 */
export function missingForClone(instance: Instance): string[] {
  const missing: string[] = [];
  if (!instance.SubnetId) missing.push('its subnet');
  if (securityGroupIdsOf(instance).length === 0) missing.push('its security groups');
  if (!instance.IamInstanceProfile?.Arn && launchTemplateOf(instance) === undefined) missing.push('its instance profile');
  if (!instance.InstanceType) missing.push('its instance type');
  if (!instance.ImageId && launchTemplateOf(instance) === undefined) missing.push('its AMI');
  return missing;
}

/**
 * The source's tags without EC2's reserved `aws:` ones (nor a retirement mark), then the cluster, the member the clone hosts and the
 * instance it replaces (replacing the source's own values of those keys). The Name tag is kept as it is.
 */
export function cloneTags(instance: Instance, request: CloneRequest): Tag[] {
  const own: Record<string, string> = { [CLUSTER_TAG]: request.clusterName, [MEMBER_TAG]: request.memberName, [REPLACES_TAG]: request.sourceInstanceId };
  // Never a retired source's `etcd-ha:replaced-by`: the clone would be refused as a member (ec2-host-directory.ts).
  const kept = (instance.Tags ?? []).filter(
    (t): t is Tag & { Key: string } => t.Key !== undefined && !t.Key.startsWith(RESERVED_TAG_PREFIX) && !(t.Key in own) && t.Key !== REPLACED_BY_TAG,
  );
  return [...kept.map((t) => ({ Key: t.Key, Value: t.Value ?? '' })), ...Object.entries(own).map(([Key, Value]) => ({ Key, Value }))];
}

/**
 * One mapping per EBS device of the source whose volume still exists: size, type, IOPS (io1/io2/gp3),
 * throughput (gp3), encryption and its key, delete-on-termination. Never the SnapshotId: a new member starts
 * with empty data (a device the AMI maps keeps the AMI's snapshot, as at the source's launch). A device whose
 * volume is gone is left out, i.e. to the AMI's mapping. An unencrypted volume gets no `Encrypted: false`,
 * which EC2 refuses when encryption by default is on or the AMI's snapshot is encrypted.
 */
export function cloneBlockDeviceMappings(instance: Instance, volumes: readonly Volume[]): BlockDeviceMapping[] {
  const byId = new Map(volumes.filter((v) => v.VolumeId).map((v) => [v.VolumeId!, v]));
  return (instance.BlockDeviceMappings ?? []).flatMap((mapping): BlockDeviceMapping[] => {
    const volume = mapping.Ebs?.VolumeId ? byId.get(mapping.Ebs.VolumeId) : undefined;
    if (!mapping.DeviceName || volume === undefined) return [];
    const type = volume.VolumeType;
    const ebs: EbsBlockDevice = {
      ...(volume.Size !== undefined && { VolumeSize: volume.Size }),
      ...(type && { VolumeType: type }),
      ...(type && IOPS_VOLUME_TYPES.has(type) && volume.Iops !== undefined && { Iops: volume.Iops }),
      ...(type && THROUGHPUT_VOLUME_TYPES.has(type) && volume.Throughput !== undefined && { Throughput: volume.Throughput }),
      ...(volume.Encrypted === true && { Encrypted: true, ...(volume.KmsKeyId && { KmsKeyId: volume.KmsKeyId }) }),
      ...(mapping.Ebs?.DeleteOnTermination !== undefined && { DeleteOnTermination: mapping.Ebs.DeleteOnTermination }),
    };
    return [{ DeviceName: mapping.DeviceName, Ebs: ebs }];
  });
}

/** Where the clone goes, when not into the source's own subnet. */
export interface CloneTarget {
  /** @default - the source's subnet */
  readonly subnetId?: string;
}

/**
 * The RunInstances request for a clone of `source.instance`. Launched from a launch template, it names the
 * template and the version the source used (which hold the AMI, user data and volumes); otherwise it gives
 * the AMI, the user data and the volume layout itself. Either way the instance's own type, network (in
 * `target.subnetId` when given: same VPC, same security groups), profile, key, metadata options, EBS
 * optimization and monitoring are set, as the instance really ran.
 * @throws HostNotFoundError when the description lacks what a faithful clone needs (see missingForClone).
 */
export function cloneLaunchInput(source: CloneSource, request: CloneRequest, target: CloneTarget = {}): RunInstancesCommandInput {
  const instance = target.subnetId ? { ...source.instance, SubnetId: target.subnetId } : source.instance;
  const missing = missingForClone(instance);
  if (missing.length > 0) {
    const state = instance.State?.Name ? ` (${instance.State.Name})` : '';
    throw new HostNotFoundError(
      `cannot clone failed instance ${request.sourceInstanceId}${state}: EC2 no longer describes ${missing.join(', ')}; ` +
        manualReplacementHint(request),
    );
  }
  const template = launchTemplateOf(instance);
  const tags = cloneTags(instance, request);
  const metadata = metadataOptions(instance);
  const mappings = template ? [] : cloneBlockDeviceMappings(instance, source.volumes);
  return {
    ...(template
      ? { LaunchTemplate: { LaunchTemplateId: template.id, Version: template.version } }
      : {
          ImageId: instance.ImageId!,
          ...(source.userData && { UserData: source.userData }),
          ...(mappings.length > 0 && { BlockDeviceMappings: mappings }),
        }),
    InstanceType: instance.InstanceType!,
    SubnetId: instance.SubnetId!,
    SecurityGroupIds: securityGroupIdsOf(instance),
    ...(instance.IamInstanceProfile?.Arn && { IamInstanceProfile: { Arn: instance.IamInstanceProfile.Arn } }),
    ...(instance.KeyName && { KeyName: instance.KeyName }),
    ...(metadata && { MetadataOptions: metadata }),
    ...(instance.EbsOptimized !== undefined && { EbsOptimized: instance.EbsOptimized }),
    ...(monitoringEnabled(instance) && { Monitoring: { Enabled: true } }),
    MinCount: 1,
    MaxCount: 1,
    ClientToken: clientTokenFor(request.idempotencyKey),
    TagSpecifications: [
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags },
    ],
  };
}

/**
 * One line for the log: what the clone is launched from and with. Never the user data (it can hold
 * bootstrap secrets): only whether there is any.
 * e.g. "clone of i-0abc (launch template lt-0123 v3), t3.medium, subnet-1, sg-1 sg-2, profile etcd-host".
 */
export function cloneSummary(source: Instance, input: RunInstancesCommandInput): string {
  const origin = input.LaunchTemplate
    ? `launch template ${input.LaunchTemplate.LaunchTemplateId} v${input.LaunchTemplate.Version}`
    : `AMI ${input.ImageId}, ${input.UserData ? 'with' : 'without'} user data`;
  const parts = [
    `clone of ${source.InstanceId} (${origin})`,
    input.InstanceType,
    input.SubnetId,
    (input.SecurityGroupIds ?? []).join(' '),
    input.IamInstanceProfile?.Arn ? `profile ${input.IamInstanceProfile.Arn.split('/').pop()}` : 'no instance profile',
  ];
  if (!input.LaunchTemplate) {
    const mapped = new Set((input.BlockDeviceMappings ?? []).map((m) => m.DeviceName));
    const volumes = (input.BlockDeviceMappings ?? []).map((m) => `${m.DeviceName} ${m.Ebs?.VolumeSize ?? '?'} GiB ${m.Ebs?.VolumeType ?? ''}`.trimEnd());
    const gone = (source.BlockDeviceMappings ?? []).map((m) => m.DeviceName).filter((d): d is string => d !== undefined && !mapped.has(d));
    if (volumes.length > 0) parts.push(`volumes ${volumes.join(', ')}`);
    if (gone.length > 0) parts.push(`${gone.join(', ')} left to the AMI (volume gone)`);
  }
  return parts.filter((p) => p !== undefined && p !== '').join(', ');
}

function tagValue(tags: readonly Tag[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.Key === key)?.Value || undefined;
}

/** The metadata options the instance runs with: IMDSv2 stays required when it was, tags in IMDS stay on. */
function metadataOptions(instance: Instance): InstanceMetadataOptionsRequest | undefined {
  const m = instance.MetadataOptions;
  if (m === undefined) return undefined;
  const options: InstanceMetadataOptionsRequest = {
    ...(m.HttpTokens && { HttpTokens: m.HttpTokens }),
    ...(m.HttpPutResponseHopLimit !== undefined && { HttpPutResponseHopLimit: m.HttpPutResponseHopLimit }),
    ...(m.HttpEndpoint && { HttpEndpoint: m.HttpEndpoint }),
    ...(m.InstanceMetadataTags && { InstanceMetadataTags: m.InstanceMetadataTags }),
  };
  return Object.keys(options).length > 0 ? options : undefined;
}

/** Detailed monitoring: "enabled", or "pending" while it is being turned on. */
function monitoringEnabled(instance: Instance): boolean {
  const state = instance.Monitoring?.State;
  return state === 'enabled' || state === 'pending';
}
