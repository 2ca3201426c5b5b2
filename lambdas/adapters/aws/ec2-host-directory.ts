// HostDirectory on AWS: every member names its EC2 instance; one DescribeInstances call (per 1,000
// instances) turns them into hosts with the instance's private IP. The workflow reaches a host through SSM
// by instance ID, so a member without one, an unknown instance or one that is not running stops here; so does an
// instance whose etcd-ha:cluster tag is not the cluster's: an instance serves only the cluster its tag names (IAM
// cannot compare a tag with an execution's input, so this is where a spec naming another cluster's host stops).
// Recorded members (`recorded`) are taken as the cluster's record keeps them: EC2 is not asked.
import { DescribeInstancesCommand, type EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { HostNotFoundError, HostNotInClusterError, SpecValidationError } from '../../core/errors';
import { CLUSTER_TAG, REPLACED_BY_TAG } from '../../catalog/contracts';
import type { Member } from '../../core/spec';
import type { Host, HostDirectory, HostPlacement, RecordedHost } from '../../ports';

export interface Ec2HostDirectoryProps {
  /** The EC2 client, created once per module by the composition root. */
  readonly ec2: EC2Client;
}

/** DescribeInstances takes at most this many InstanceIds per call. */
export const DESCRIBE_INSTANCES_MAX_IDS = 1000;

/**
 * States in which the instance is no host for a member. `pending` is accepted: its private IP is already
 * assigned, and the host runner waits for its SSM agent to connect.
 */
const NOT_RUNNING = new Set(['stopping', 'stopped', 'shutting-down', 'terminated']);

const INSTANCE_ID = /\bi-[0-9a-f]{8,17}\b/g;

/** The partition of a region: aws-cn for cn-*, aws-us-gov for us-gov-*, else aws. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** ARN of an EC2 instance, e.g. arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0. */
export function instanceArn(region: string, account: string, instanceId: string): string {
  return `arn:${partitionOf(region)}:ec2:${region}:${account}:instance/${instanceId}`;
}

/** The instance's etcd-ha:cluster tag: the cluster it serves, if any. */
export function clusterTagOf(instance: Instance): string | undefined {
  return instance.Tags?.find((t) => t.Key === CLUSTER_TAG)?.Value;
}

/** Every private IPv4 address of the instance: the primary one first, then the secondary ones of each interface. */
function privateAddresses(instance: Instance): string[] {
  const addresses = [
    instance.PrivateIpAddress,
    ...(instance.NetworkInterfaces ?? []).flatMap((eni) => (eni.PrivateIpAddresses ?? []).map((a) => a.PrivateIpAddress)),
  ];
  return [...new Set(addresses.filter((a): a is string => a !== undefined && a !== ''))];
}

/** The IDs of the instance's security groups (none once it is terminated). */
export function securityGroupIdsOf(instance: Instance): string[] {
  return (instance.SecurityGroups ?? []).map((g) => g.GroupId).filter((id): id is string => !!id);
}

/** Subnet, availability zone, security groups and instance profile as described now (a running instance has them all). */
export function placementOf(instance: Instance): HostPlacement | undefined {
  const securityGroupIds = securityGroupIdsOf(instance);
  const placement: HostPlacement = {
    ...(instance.SubnetId && { subnetId: instance.SubnetId }),
    ...(instance.Placement?.AvailabilityZone && { availabilityZone: instance.Placement.AvailabilityZone }),
    ...(securityGroupIds.length > 0 && { securityGroupIds }),
    ...(instance.IamInstanceProfile?.Arn && { instanceProfileArn: instance.IamInstanceProfile.Arn }),
  };
  return Object.keys(placement).length > 0 ? placement : undefined;
}

/** The ReplaceMember execution that retired the instance (its `etcd-ha:replaced-by` tag), if any. */
export function retiredByOf(instance: Instance): string | undefined {
  return instance.Tags?.find((t) => t.Key === REPLACED_BY_TAG)?.Value;
}

export class Ec2HostDirectory implements HostDirectory {
  private readonly ec2: EC2Client;

  constructor(props: Ec2HostDirectoryProps) {
    this.ec2 = props.ec2;
  }

  /**
   * Member i → { name, address: the instance's private IP (or the member's own address, which must be one
   * of the instance's private IPs), instanceId, placement (recorded with the cluster for a later clone) }.
   * @throws SpecValidationError naming `members[i].instanceId` (missing) or `members[i].address` (not the instance's).
   * @throws HostNotFoundError naming the member and its instance: unknown, retired (tagged `etcd-ha:replaced-by`), or
   *   stopping/stopped/shutting-down/terminated.
   * @throws HostNotInClusterError naming the member, its instance, its etcd-ha:cluster tag and `clusterName`, for an
   *   instance whose tag is not `clusterName` (another cluster's, empty or missing).
   */
  async resolve(clusterName: string, members: readonly Member[]): Promise<Host[]> {
    const missing = members.flatMap((member, i) =>
      member.instanceId === undefined ? [`members[${i}].instanceId: required on AWS (the workflow reaches hosts through SSM)`] : [],
    );
    if (missing.length > 0) throw new SpecValidationError('members for AWS', missing);

    const instances = await this.describe(members);
    const absent: string[] = [];
    const foreign: string[] = [];
    const problems: string[] = [];
    const hosts = members.map((member, i): Host | undefined => {
      const instanceId = member.instanceId!;
      const instance = instances.get(instanceId);
      if (instance === undefined) {
        absent.push(`member "${member.name}": instance ${instanceId} does not exist`);
        return undefined;
      }
      // Retire Replaced Host marked it: started again (by hand, or as the stopped instance it was), it never
      // serves as a member again, neither in a spec nor as a replacement.
      const retiredBy = retiredByOf(instance);
      if (retiredBy !== undefined) {
        absent.push(`member "${member.name}": instance ${instanceId} was retired (${REPLACED_BY_TAG}=${retiredBy}): a replaced host never becomes a member again`);
        return undefined;
      }
      const state = instance.State?.Name ?? 'unknown';
      if (NOT_RUNNING.has(state)) {
        absent.push(`member "${member.name}": instance ${instanceId} is ${state}`);
        return undefined;
      }
      const tag = clusterTagOf(instance);
      if (tag !== clusterName) {
        foreign.push(`member "${member.name}": instance ${instanceId} ${tag === undefined ? `has no ${CLUSTER_TAG} tag` : `is tagged ${CLUSTER_TAG}=${JSON.stringify(tag)}`}, not "${clusterName}"`);
        return undefined;
      }
      const addresses = privateAddresses(instance);
      if (addresses.length === 0) {
        absent.push(`member "${member.name}": instance ${instanceId} (${state}) has no private IP address`);
        return undefined;
      }
      if (member.address !== undefined && !addresses.includes(member.address)) {
        problems.push(`members[${i}].address: ${member.address} is not a private IP of ${instanceId} (it has ${addresses.join(', ')})`);
        return undefined;
      }
      const placement = placementOf(instance);
      return { name: member.name, address: member.address ?? addresses[0]!, instanceId, ...(placement && { placement }) };
    });
    if (foreign.length > 0) {
      throw new HostNotInClusterError(
        `an instance serves only the cluster its ${CLUSTER_TAG} tag names; not serving cluster ${clusterName}:\n  - ${foreign.join('\n  - ')}`,
      );
    }
    if (absent.length > 0) throw new HostNotFoundError(`no running EC2 instance for:\n  - ${absent.join('\n  - ')}`);
    if (problems.length > 0) throw new SpecValidationError('members for AWS', problems);
    return hosts as Host[];
  }

  /**
   * The recorded members as hosts, as recorded: EC2 is not asked (a stopped or terminated instance stays a
   * member until the workflow removes it).
   */
  recorded(_clusterName: string, members: readonly RecordedHost[]): Host[] {
    return members.map((m) => ({
      name: m.name,
      address: m.address,
      ...(m.instanceId && { instanceId: m.instanceId }),
      ...(m.placement && { placement: m.placement }),
    }));
  }

  /**
   * The members' instances by ID. Asking by InstanceIds makes EC2 refuse the whole call when one ID is
   * unknown (InvalidInstanceID.NotFound, naming the IDs): those are set aside and the rest asked again.
   */
  private async describe(members: readonly Member[]): Promise<Map<string, Instance>> {
    const ids = [...new Set(members.map((m) => m.instanceId!))];
    const found = new Map<string, Instance>();
    for (let start = 0; start < ids.length; start += DESCRIBE_INSTANCES_MAX_IDS) {
      let batch = ids.slice(start, start + DESCRIBE_INSTANCES_MAX_IDS);
      while (batch.length > 0) {
        try {
          const answer = await this.ec2.send(new DescribeInstancesCommand({ InstanceIds: batch }));
          for (const instance of (answer.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
            if (instance.InstanceId) found.set(instance.InstanceId, instance);
          }
          break;
        } catch (error) {
          if ((error as { name?: string }).name !== 'InvalidInstanceID.NotFound') throw error;
          const unknown = new Set((error as Error).message.match(INSTANCE_ID) ?? []);
          const rest = batch.filter((id) => !unknown.has(id));
          // An answer that names none of the batch's IDs would loop: ask one ID at a time instead.
          if (rest.length === batch.length) {
            if (batch.length === 1) break;
            for (const id of batch) await this.describeOne(id, found);
            break;
          }
          batch = rest;
        }
      }
    }
    return found;
  }

  private async describeOne(id: string, found: Map<string, Instance>): Promise<void> {
    try {
      const answer = await this.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
      for (const instance of (answer.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
        if (instance.InstanceId) found.set(instance.InstanceId, instance);
      }
    } catch (error) {
      if ((error as { name?: string }).name !== 'InvalidInstanceID.NotFound') throw error;
    }
  }
}
