// ReplacementHosts on AWS: the host of a replacement member is a clone of the failed member's EC2 instance
// (clone-launch-input.ts says what is cloned), found again by its tags when an earlier attempt launched it.
// Whether it can take commands yet is its EC2 state plus its SSM agent's ping status.
import {
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  RunInstancesCommand,
  type EC2Client,
  type Filter,
  type Instance,
  type Volume,
} from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { HostNotFoundError } from '../../core/errors';
import { placementOf } from './ec2-host-directory';
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

export class Ec2ReplacementHosts implements ReplacementHosts {
  private readonly ec2: EC2Client;
  private readonly ssm: SSMClient;
  private readonly log: Logger | undefined;

  constructor(props: Ec2ReplacementHostsProps) {
    this.ec2 = props.ec2;
    this.ssm = props.ssm;
    this.log = props.log;
  }

  /**
   * The pending or running clone an earlier attempt launched for this member, else a new clone: the source's
   * description, its volumes and its user data (these two only without a launch template), then RunInstances
   * with a ClientToken from the request's idempotency key.
   * @throws HostNotFoundError when EC2 no longer describes the source (or no longer enough of it to clone), or
   *   the clone has no private IPv4 address. The message says how to name a replacement instance by hand.
   */
  async launchCloneOf(request: CloneRequest): Promise<LaunchedHost> {
    const earlier = await this.findEarlierClone(request);
    if (earlier !== undefined) return launchedHost(earlier, request, false);

    // A terminated source is no longer described with its subnet, groups and profile: the registry has them.
    const instance = withRecordedPlacement(await this.describeSource(request), request.recorded);
    const fromTemplate = launchTemplateOf(instance) !== undefined;
    const volumes = fromTemplate ? [] : await this.volumesOf(instance);
    const userData = fromTemplate ? undefined : await this.userDataOf(request);
    const input = cloneLaunchInput({ instance, volumes, ...(userData !== undefined && { userData }) }, request);
    this.log?.info('launching a clone of the failed instance', {
      cluster: request.clusterName,
      member: request.memberName,
      clone: cloneSummary(instance, input),
    });

    const answer = await this.ec2.send(new RunInstancesCommand(input));
    const clone = answer.Instances?.[0];
    if (!clone?.InstanceId) throw new HostNotFoundError(`RunInstances for a clone of ${request.sourceInstanceId} answered without an instance`);
    return launchedHost(clone, request, true);
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

  /** The oldest pending or running instance tagged as this member's clone of the source, if any. */
  private async findEarlierClone(request: CloneRequest): Promise<Instance | undefined> {
    const found = await this.describeAll([
      { Name: `tag:${REPLACES_TAG}`, Values: [request.sourceInstanceId] },
      { Name: `tag:${MEMBER_TAG}`, Values: [request.memberName] },
      { Name: `tag:${CLUSTER_TAG}`, Values: [request.clusterName] },
      { Name: 'instance-state-name', Values: LIVE_STATES },
    ]);
    const byAge = (i: Instance) => `${i.LaunchTime?.toISOString() ?? ''} ${i.InstanceId}`;
    return found.filter((i) => i.InstanceId).sort((a, b) => byAge(a).localeCompare(byAge(b)))[0];
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

function launchedHost(clone: Instance, request: CloneRequest, launched: boolean): LaunchedHost {
  const placement = placementOf(clone);
  return { instanceId: clone.InstanceId!, address: addressOf(clone, request), launched, ...(placement && { placement }) };
}

/** The clone's primary private IPv4 address: what the member is reached at. */
function addressOf(clone: Instance, request: CloneRequest): string {
  if (clone.PrivateIpAddress) return clone.PrivateIpAddress;
  throw new HostNotFoundError(
    `clone ${clone.InstanceId} of failed instance ${request.sourceInstanceId} (member "${request.memberName}") has no private IPv4 address; ` +
      `it is tagged ${REPLACES_TAG}=${request.sourceInstanceId}: terminate it, or ${manualReplacementHint(request)}`,
  );
}
