// ReplacementHosts on AWS: the host of a replacement member is a clone of the failed member's EC2 instance
// (clone-launch-input.ts says what is cloned), found again by its tags when an earlier attempt launched it.
// It goes into the failed instance's subnet, or, when that availability zone is avoided or looks out, into
// another of the cluster's subnets (lambdas/core/clone-placement.ts), always in the VPC of its security groups.
// Whether it can take commands yet is its EC2 state plus its SSM agent's ping status.
// Nothing is cloned that the stack does not allow (clone-source-checks.ts): the source must carry the cluster's
// tag, its instance profile's role must be one of memberInstanceRoleArns, its launch template one the stack names.
import {
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  RunInstancesCommand,
  type EC2Client,
  type Filter,
  type Instance,
  type SecurityGroup,
  type Subnet,
  type Volume,
} from '@aws-sdk/client-ec2';
import { GetInstanceProfileCommand, type IAMClient } from '@aws-sdk/client-iam';
import { DescribeInstanceInformationCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { chooseClonePlacement, type PlacedMember } from '../../core/clone-placement';
import { CloneLaunchFailedError, ClonePlacementRefusedError, HostNotFoundError } from '../../core/errors';
import { checkInstanceProfile, checkLaunchTemplate, checkSourceCluster, instanceProfileName, type DescribedInstanceProfile } from './clone-source-checks';
import { placementOf, securityGroupIdsOf } from './ec2-host-directory';
import type { CloneRequest, HostAgentStatus, LaunchedHost, Logger, ReplacementHosts } from '../../ports';
import {
  CLUSTER_TAG,
  MEMBER_TAG,
  REPLACES_TAG,
  cloneLaunchInput,
  cloneSummary,
  launchTemplateOf,
  manualReplacementHint,
  withRecordedPlacement,
} from './clone-launch-input';

export interface Ec2ReplacementHostsProps {
  /** The EC2 client, created once per module by the composition root. */
  readonly ec2: EC2Client;
  /** The SSM client, created once per module by the composition root. */
  readonly ssm: SSMClient;
  /** The IAM client (GetInstanceProfile: which role the clone's instance profile carries). */
  readonly iam: IAMClient;
  /** The only roles a clone's instance profile may carry (the stack's memberInstanceRoleArns); at least one. */
  readonly memberInstanceRoleArns: readonly string[];
  /** The launch templates a clone may be launched from (the stack's cloneLaunchTemplateIds). @default - none */
  readonly launchTemplateIds?: readonly string[];
  /** Where a launch is logged (a summary: never the user data). @default - no log lines */
  readonly log?: Logger;
}

/** The state of an instance EC2 does not describe (HostAgentStatus.state). */
export const INSTANCE_NOT_FOUND = 'not found';

/** What SSM's DescribeInstanceInformation gives for an instance it does not list. */
export const AGENT_NOT_REGISTERED = 'not registered';

/** The states in which an earlier clone still counts: on its way up or up. */
const LIVE_STATES = ['pending', 'running'];

/** Values per DescribeVolumes filter (EC2 takes up to 200); an instance has a few dozen volumes at most. */
const VOLUME_FILTER_MAX_VALUES = 200;

const isNamed = (error: unknown, name: string) => (error as { name?: string }).name === name;

/** RunInstances errors that are about the AZ (or its subnet): another AZ may take the clone. */
const ZONE_BOUND_LAUNCH_ERRORS = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientHostCapacity',
  'InsufficientReservedInstanceCapacity',
  'InsufficientFreeAddressesInSubnet',
  'Unsupported',
]);

export class Ec2ReplacementHosts implements ReplacementHosts {
  private readonly ec2: EC2Client;
  private readonly ssm: SSMClient;
  private readonly iam: IAMClient;
  private readonly memberInstanceRoleArns: readonly string[];
  private readonly launchTemplateIds: readonly string[];
  private readonly log: Logger | undefined;

  constructor(props: Ec2ReplacementHostsProps) {
    if (props.memberInstanceRoleArns.length === 0) throw new RangeError('memberInstanceRoleArns must name at least one role: without them no clone is launched');
    this.ec2 = props.ec2;
    this.ssm = props.ssm;
    this.iam = props.iam;
    this.memberInstanceRoleArns = props.memberInstanceRoleArns;
    this.launchTemplateIds = props.launchTemplateIds ?? [];
    this.log = props.log;
  }

  /**
   * The pending or running clone an earlier attempt launched for this member (outside the AZs to avoid), else a
   * new clone: the source's description, where it goes (its own subnet, or another of the cluster's: see
   * chooseClonePlacement), its volumes and its user data (these two only without a launch template), then
   * RunInstances with a ClientToken from the request's idempotency key.
   * @throws HostNotFoundError when EC2 no longer describes the source (or no longer enough of it to clone), or
   *   the clone has no private IPv4 address. The message says how to name a replacement instance by hand.
   * @throws ClonePlacementRefusedError when no subnet may take the clone (every AZ avoided, out, or it would
   *   then hold a quorum), or the subnet chosen is not in the VPC of the source's security groups. Nothing is launched.
   * @throws CloneRefusedError when the source lacks the cluster's tag, its instance profile (as described or as
   *   recorded) carries a role outside memberInstanceRoleArns, or its launch template is not named. Nothing is launched.
   */
  async launchCloneOf(request: CloneRequest): Promise<LaunchedHost> {
    const earlier = await this.findEarlierClone(request);
    if (earlier !== undefined) return launchedHost(earlier, request, false);

    // A terminated source is no longer described with its subnet, groups and profile: the registry has them.
    const source = await this.describeSource(request);
    checkSourceCluster(source, request);
    const instance = withRecordedPlacement(source, request.recorded);
    checkLaunchTemplate(instance, this.launchTemplateIds, request);
    await this.checkInstanceProfile(instance, request);
    const target = await this.placeClone(instance, request);
    const fromTemplate = launchTemplateOf(instance) !== undefined;
    const volumes = fromTemplate ? [] : await this.volumesOf(instance);
    const userData = fromTemplate ? undefined : await this.userDataOf(request);
    const input = cloneLaunchInput({ instance, volumes, ...(userData !== undefined && { userData }) }, request, { subnetId: target.subnetId });
    this.log?.info('launching a clone of the failed instance', {
      cluster: request.clusterName,
      member: request.memberName,
      clone: cloneSummary(instance, input),
      placement: target.reason,
    });

    const answer = await this.ec2.send(new RunInstancesCommand(input)).catch((error: unknown) => {
      const name = (error as { name?: string }).name ?? '';
      if (!ZONE_BOUND_LAUNCH_ERRORS.has(name)) throw error;
      throw new CloneLaunchFailedError(
        `EC2 refused to launch a clone of ${request.sourceInstanceId} in ${target.availabilityZone ?? `subnet ${target.subnetId}`}: ${name}: ${(error as Error).message}`,
        target.availabilityZone,
        { cause: error },
      );
    });
    const clone = answer.Instances?.[0];
    if (!clone?.InstanceId) throw new HostNotFoundError(`RunInstances for a clone of ${request.sourceInstanceId} answered without an instance`);
    return launchedHost(clone, request, true, target.availabilityZone);
  }

  /**
   * The instance's EC2 state (with EC2's reason once it is neither pending nor running) and its SSM agent's
   * ping status, or "not registered" while SSM does not list it (a new instance's agent registers within minutes).
   * An instance EC2 does not describe is "not found": right after RunInstances that is EC2's eventual consistency.
   */
  async agentStatus(instanceId: string): Promise<HostAgentStatus> {
    const instance = await this.describeOne(instanceId);
    if (instance === undefined) return { state: INSTANCE_NOT_FOUND, agent: AGENT_NOT_REGISTERED };
    const state = instance.State?.Name ?? 'unknown';
    const reason = instance.StateReason?.Message;
    const answer = await this.ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [instanceId] }] }));
    const agent = answer.InstanceInformationList?.find((i) => i.InstanceId === instanceId)?.PingStatus ?? AGENT_NOT_REGISTERED;
    return { state, agent, ...(!LIVE_STATES.includes(state) && reason && { stateReason: reason }) };
  }

  /**
   * The oldest pending or running instance tagged as this member's clone of the source, if any, outside the AZs
   * to avoid (a clone whose agent never came online there is left running for inspection, not joined).
   */
  private async findEarlierClone(request: CloneRequest): Promise<Instance | undefined> {
    const found = await this.describeAll([
      { Name: `tag:${REPLACES_TAG}`, Values: [request.sourceInstanceId] },
      { Name: `tag:${MEMBER_TAG}`, Values: [request.memberName] },
      { Name: `tag:${CLUSTER_TAG}`, Values: [request.clusterName] },
      { Name: 'instance-state-name', Values: LIVE_STATES },
    ]);
    const avoided = new Set(request.avoidAvailabilityZones ?? []);
    const byAge = (i: Instance) => `${i.LaunchTime?.toISOString() ?? ''} ${i.InstanceId}`;
    return found
      .filter((i) => i.InstanceId && !avoided.has(i.Placement?.AvailabilityZone ?? ''))
      .sort((a, b) => byAge(a).localeCompare(byAge(b)))[0];
  }

  /**
   * The subnet for the clone (chooseClonePlacement over the cluster's recorded placements). An AZ that is not
   * recorded (a record from before AZs were) is the subnet's, as EC2 describes it. A subnet other than the
   * source's must be in the VPC of the source's security groups, which the clone keeps.
   * @throws ClonePlacementRefusedError naming the AZs and their counts, or the subnet and the VPCs.
   */
  private async placeClone(instance: Instance, request: CloneRequest): Promise<{ subnetId: string; availabilityZone?: string; reason: string }> {
    let failed: PlacedMember = {
      name: request.failedMemberName,
      ...(instance.SubnetId && { subnetId: instance.SubnetId }),
      ...(instance.Placement?.AvailabilityZone && { availabilityZone: instance.Placement.AvailabilityZone }),
    };
    let members: PlacedMember[] = (request.members ?? []).map((m) => ({
      name: m.name,
      ...(m.placement?.subnetId && { subnetId: m.placement.subnetId }),
      ...(m.placement?.availabilityZone && { availabilityZone: m.placement.availabilityZone }),
    }));
    const unplaced = [failed, ...members].flatMap((m) => (m.availabilityZone === undefined && m.subnetId ? [m.subnetId] : []));
    if (unplaced.length > 0) {
      const zoneOf = new Map((await this.subnets(unplaced)).map((s) => [s.SubnetId, s.AvailabilityZone]));
      const placed = (m: PlacedMember): PlacedMember => {
        const zone = m.availabilityZone ?? (m.subnetId && zoneOf.get(m.subnetId));
        return zone ? { ...m, availabilityZone: zone } : m;
      };
      members = members.map(placed);
      failed = placed(failed);
    }
    const verdict = chooseClonePlacement({ failed, members, down: request.down ?? [], avoidAvailabilityZones: request.avoidAvailabilityZones ?? [] });
    if (!verdict.ok) throw new ClonePlacementRefusedError(`${verdict.message}\n${manualReplacementHint(request)}`);
    if (verdict.subnetId !== instance.SubnetId) await this.checkSameVpc(verdict.subnetId, instance, request);
    return { subnetId: verdict.subnetId, ...(verdict.availabilityZone && { availabilityZone: verdict.availabilityZone }), reason: verdict.reason };
  }

  /**
   * The clone's instance profile, as described or as recorded, carries only roles of memberInstanceRoleArns. None:
   * a launch-template source takes the template's (cloneLaunchTemplateIds; iam:PassRole still names the roles),
   * any other is refused by cloneLaunchInput.
   */
  private async checkInstanceProfile(instance: Instance, request: CloneRequest): Promise<void> {
    const arn = instance.IamInstanceProfile?.Arn;
    if (!arn) return;
    const name = instanceProfileName(arn, request);
    let described: DescribedInstanceProfile | undefined;
    try {
      const answer = await this.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }));
      const profile = answer.InstanceProfile;
      if (profile?.Arn) described = { arn: profile.Arn, roleArns: (profile.Roles ?? []).flatMap((r) => (r.Arn ? [r.Arn] : [])) };
    } catch (error) {
      if (!isNamed(error, 'NoSuchEntityException') && !isNamed(error, 'NoSuchEntity')) throw error;
    }
    checkInstanceProfile(arn, described, this.memberInstanceRoleArns, request);
  }

  /** The clone keeps the source's security groups: they must belong to the VPC of the subnet chosen. */
  private async checkSameVpc(subnetId: string, instance: Instance, request: CloneRequest): Promise<void> {
    const groupIds = securityGroupIdsOf(instance);
    // No groups: cloneLaunchInput refuses the clone, naming what EC2 no longer describes.
    if (groupIds.length === 0) return;
    const [subnet] = await this.subnets([subnetId]);
    if (subnet?.VpcId === undefined) {
      throw new ClonePlacementRefusedError(`subnet ${subnetId}, chosen for the clone of ${request.sourceInstanceId}, is no longer known to EC2; ${manualReplacementHint(request)}`);
    }
    const groups = await this.securityGroups(groupIds);
    const vpcOf = new Map(groups.map((g) => [g.GroupId, g.VpcId]));
    const foreign = groupIds.filter((id) => vpcOf.get(id) !== subnet.VpcId);
    if (foreign.length > 0) {
      const where = foreign.map((id) => `${id} (${vpcOf.get(id) ?? 'unknown to EC2'})`).join(', ');
      throw new ClonePlacementRefusedError(
        `subnet ${subnetId} (${subnet.AvailabilityZone}), chosen for the clone of ${request.sourceInstanceId}, is in ${subnet.VpcId}, but its ` +
          `security groups ${where} are not: the clone keeps the failed instance's groups, so it needs a subnet of their VPC; ` +
          manualReplacementHint(request),
      );
    }
  }

  /** The subnets that still exist among `ids` (a subnet-id filter: DescribeSubnets by SubnetIds fails on an unknown one). */
  private async subnets(ids: readonly string[]): Promise<Subnet[]> {
    const subnets: Subnet[] = [];
    let token: string | undefined;
    do {
      const page = await this.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'subnet-id', Values: [...new Set(ids)] }], NextToken: token }));
      subnets.push(...(page.Subnets ?? []));
      token = page.NextToken || undefined;
    } while (token !== undefined);
    return subnets;
  }

  /** The security groups that still exist among `ids` (a group-id filter, for the same reason). */
  private async securityGroups(ids: readonly string[]): Promise<SecurityGroup[]> {
    const groups: SecurityGroup[] = [];
    let token: string | undefined;
    do {
      const page = await this.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: [...new Set(ids)] }], NextToken: token }));
      groups.push(...(page.SecurityGroups ?? []));
      token = page.NextToken || undefined;
    } while (token !== undefined);
    return groups;
  }

  private async describeSource(request: CloneRequest): Promise<Instance> {
    const instance = await this.describeOne(request.sourceInstanceId);
    if (instance === undefined) {
      throw new HostNotFoundError(
        `failed instance ${request.sourceInstanceId} is no longer known to EC2 (a terminated instance stays described for about an hour), ` +
          `so it cannot be cloned; ${manualReplacementHint(request)}`,
      );
    }
    return instance;
  }

  /**
   * The source's EBS volumes that still exist. Asked for with a volume-id filter rather than by VolumeIds,
   * which fails the whole call (InvalidVolume.NotFound) when one is gone, as a terminated instance's may be.
   */
  private async volumesOf(instance: Instance): Promise<Volume[]> {
    const ids = [...new Set((instance.BlockDeviceMappings ?? []).map((m) => m.Ebs?.VolumeId).filter((id): id is string => !!id))];
    const volumes: Volume[] = [];
    for (let start = 0; start < ids.length; start += VOLUME_FILTER_MAX_VALUES) {
      let token: string | undefined;
      do {
        const page = await this.ec2.send(
          new DescribeVolumesCommand({ Filters: [{ Name: 'volume-id', Values: ids.slice(start, start + VOLUME_FILTER_MAX_VALUES) }], NextToken: token }),
        );
        volumes.push(...(page.Volumes ?? []));
        token = page.NextToken || undefined;
      } while (token !== undefined);
    }
    return volumes;
  }

  /**
   * The source's user data (base64), undefined when it has none. Without a launch template it is what
   * bootstraps the host: a clone launched without it would be broken, so an instance gone since it was
   * described is refused rather than cloned without it. Other errors (permissions, throttling) go through.
   */
  private async userDataOf(request: CloneRequest): Promise<string | undefined> {
    try {
      const answer = await this.ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: request.sourceInstanceId, Attribute: 'userData' }));
      return answer.UserData?.Value || undefined;
    } catch (error) {
      if (!isNamed(error, 'InvalidInstanceID.NotFound')) throw error;
      throw new HostNotFoundError(
        `cannot read the user data of failed instance ${request.sourceInstanceId} (no longer known to EC2), and a clone without it would not ` +
          `bootstrap; ${manualReplacementHint(request)}`,
        { cause: error },
      );
    }
  }

  /** The instance, or undefined when EC2 does not know it (InvalidInstanceID.NotFound or an empty answer). */
  private async describeOne(instanceId: string): Promise<Instance | undefined> {
    try {
      const answer = await this.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      return (answer.Reservations ?? []).flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
    } catch (error) {
      if (isNamed(error, 'InvalidInstanceID.NotFound')) return undefined;
      throw error;
    }
  }

  /** Every instance that passes `filters`, over all pages (a filtered page may be empty and still have a next one). */
  private async describeAll(filters: Filter[]): Promise<Instance[]> {
    const instances: Instance[] = [];
    let token: string | undefined;
    do {
      const page = await this.ec2.send(new DescribeInstancesCommand({ Filters: filters, NextToken: token }));
      instances.push(...(page.Reservations ?? []).flatMap((r) => r.Instances ?? []));
      token = page.NextToken || undefined;
    } while (token !== undefined);
    return instances;
  }
}

/** The clone as EC2 answered, with the AZ it is in (or was chosen for, when the answer lacks it). */
function launchedHost(clone: Instance, request: CloneRequest, launched: boolean, chosenZone?: string): LaunchedHost {
  const described = placementOf(clone);
  const availabilityZone = described?.availabilityZone ?? chosenZone;
  const placement = described && availabilityZone ? { ...described, availabilityZone } : described;
  return {
    instanceId: clone.InstanceId!,
    address: addressOf(clone, request),
    launched,
    ...(placement && { placement }),
    ...(availabilityZone && { availabilityZone }),
  };
}

/** The clone's primary private IPv4 address: what the member is reached at. */
function addressOf(clone: Instance, request: CloneRequest): string {
  if (clone.PrivateIpAddress) return clone.PrivateIpAddress;
  throw new HostNotFoundError(
    `clone ${clone.InstanceId} of failed instance ${request.sourceInstanceId} (member "${request.memberName}") has no private IPv4 address; ` +
      `it is tagged ${REPLACES_TAG}=${request.sourceInstanceId}: terminate it, or ${manualReplacementHint(request)}`,
  );
}
