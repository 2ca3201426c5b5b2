// Choose Replacement Host: resolves the joining host and the membership after the change. The host is the
// one named in the input (an instance on AWS, a loopback address locally); on AWS, without one, a clone
// of the failed member's instance is launched (or the clone an earlier attempt launched is found again), in
// an availability zone chosen from the members' recorded placements. The remaining members are taken as the
// record keeps them (HostDirectory.recorded): only the joining host is resolved, so members that are down
// (stopped or terminated instances, as in an AZ outage) do not stop the choice.
import { z } from 'zod';
import { CloneLaunchFailedError, ClonePlacementRefusedError, CloneRefusedError, SpecValidationError } from '../../core/errors';
import { parseOrThrow } from '../../core/parse';
import { ClusterSpecSchema } from '../../core/spec';
import type { Member } from '../../core/spec';
import type { CloneRequest, Host, ReplacementHosts } from '../../ports';
import type { StepDeps } from '../deps';
import { HostSchema } from '../inputs';
import { FailedMemberSchema, ReplacementSchema } from './inputs';

const ChooseInputSchema = z.object({
  spec: ClusterSpecSchema,
  /** The recorded members (address, instance, placement as the record keeps them), the failed one included or not. */
  hosts: z.array(HostSchema).min(1),
  failed: FailedMemberSchema,
  replacement: ReplacementSchema,
  /** The execution's name: a retried launch returns the instance the first attempt launched. */
  execution: z.string().min(1).optional(),
  /** Members that are down now besides the failed one: one in the failed member's AZ sends a clone elsewhere. */
  down: z.array(z.string()).default([]),
  /** AZs where a launch or a host agent already failed in this execution: no clone goes there. */
  avoidAvailabilityZones: z.array(z.string()).default([]),
  /** Choose Another Zone: the clone that never came online. Getting it back means no other AZ could be chosen. */
  previousInstanceId: z.string().optional(),
});

type Replacement = z.output<typeof ReplacementSchema>;
type ChooseInput = z.output<typeof ChooseInputSchema>;

/** Present when the step launched (or found again) a clone: the workflow then waits until SSM sees it. */
export interface LaunchedReplacement {
  readonly instanceId: string;
  readonly sourceInstanceId: string;
  readonly newlyLaunched: boolean;
}

export interface ChosenHost {
  readonly host: Host;
  readonly hosts: Host[];
  readonly launched?: LaunchedReplacement;
  /**
   * The AZs to avoid if this clone's host agent never comes online: those avoided so far plus the clone's own.
   * The workflow's Choose Another Zone passes them back.
   */
  readonly triedZones?: string[];
}

export interface ChooseDeps extends Pick<StepDeps, 'directory' | 'log'> {
  /** Launches clones of failed instances (AWS). Without it, a replacement without a host is the directory's to find. */
  readonly replacementHosts?: ReplacementHosts;
  /** Why no clone is launched (AWS with cloning off): a request that names no host is refused with it. */
  readonly cloningOff?: string;
}

export function makeChooseReplacementHost(deps: ChooseDeps) {
  return async function chooseReplacementHost(raw: unknown): Promise<ChosenHost> {
    const input = parseOrThrow(ChooseInputSchema, raw, 'Choose Replacement Host input');
    const { spec, hosts, failed, replacement } = input;
    if (needsClone(replacement) && deps.cloningOff !== undefined) {
      throw new CloneRefusedError(
        `no replacement instance is named for member "${failed.name}" of cluster "${spec.clusterName}", and ${deps.cloningOff}: launch one yourself and name it: ` +
          `etcd-ha replace --cluster ${spec.clusterName} --member ${failed.name} --instance ID`,
      );
    }
    // As recorded, before anything is launched: a record the directory refuses launches nothing.
    const remaining = deps.directory.recorded(
      spec.clusterName,
      hosts.filter((h) => h.name !== failed.name).map(({ root: _root, ...recorded }) => recorded),
    );
    const chosen =
      needsClone(replacement) && deps.replacementHosts
        ? await joinClone(deps.replacementHosts, input, remaining)
        : {
            hosts: [
              ...remaining,
              ...(await deps.directory.resolve(spec.clusterName, [namedHost(replacement)], {
                // Never a recorded member's address, the failed one's included (its etcd may yet come back).
                addressesInUse: [...new Set([...hosts.map((h) => h.address), failed.address])],
              })),
            ],
          };
    const host = chosen.hosts[chosen.hosts.length - 1]!;
    deps.log.info('replacement host chosen', { cluster: spec.clusterName, host: host.name, address: host.address, ...(chosen.launched && { launched: chosen.launched }) });
    return { host, ...chosen };
  };
}

function namedHost(replacement: Replacement): Member {
  return { name: replacement.name, ...(replacement.address && { address: replacement.address }), ...(replacement.instanceId && { instanceId: replacement.instanceId }) };
}

/**
 * The remaining members as recorded, then the clone as its launch answered: EC2 may not describe a
 * just-launched instance yet.
 */
async function joinClone(replacementHosts: ReplacementHosts, input: ChooseInput, remaining: readonly Host[]): Promise<Omit<ChosenHost, 'host'>> {
  const { failed, replacement } = input;
  if (failed.instanceId === undefined) {
    throw new SpecValidationError('ReplaceMember input', [
      `replacement.instanceId: required: the failed member "${failed.name}" has no EC2 instance to clone; name the replacement's instance`,
    ]);
  }
  const { launched, avoided } = await launchInSomeZone(replacementHosts, input, failed.instanceId);
  if (input.previousInstanceId !== undefined && launched.instanceId === input.previousInstanceId) {
    throw new ClonePlacementRefusedError(
      `the clone ${launched.instanceId} never came online and no other availability zone can be chosen for ${replacement.name} ` +
        `(avoided: ${input.avoidAvailabilityZones.join(', ') || 'none known'})`,
    );
  }
  const joining: Host = {
    name: replacement.name,
    address: launched.address,
    instanceId: launched.instanceId,
    ...(launched.placement && { placement: launched.placement }),
  };
  const zone = launched.availabilityZone ?? launched.placement?.availabilityZone;
  return {
    hosts: [...remaining, joining],
    launched: { instanceId: launched.instanceId, sourceInstanceId: failed.instanceId, newlyLaunched: launched.launched },
    triedZones: [...new Set([...avoided, ...(zone ? [zone] : [])])],
  };
}

/** At most this many AZs are tried for one clone within one invocation (a region has at most 6 or so). */
const MAX_ZONES_PER_LAUNCH = 6;

/**
 * Launches the clone; when EC2 refuses it for a reason of its AZ (no capacity, say), the same again avoiding that
 * AZ, until one takes it or the chooser finds no AZ left (ClonePlacementRefusedError).
 */
async function launchInSomeZone(replacementHosts: ReplacementHosts, input: ChooseInput, sourceInstanceId: string) {
  let avoid = [...input.avoidAvailabilityZones];
  for (let tries = 1; ; tries += 1) {
    try {
      return { launched: await replacementHosts.launchCloneOf(cloneRequest({ ...input, avoidAvailabilityZones: avoid }, sourceInstanceId)), avoided: avoid };
    } catch (error) {
      if (!(error instanceof CloneLaunchFailedError) || error.availabilityZone === undefined || avoid.includes(error.availabilityZone) || tries >= MAX_ZONES_PER_LAUNCH) {
        throw error;
      }
      avoid = [...avoid, error.availabilityZone];
    }
  }
}

/**
 * What the launcher needs: the failed instance and its recorded placement, every member's recorded placement (the
 * failed one's from `failed`), who is down and the AZs to avoid. The idempotency key names the AZs avoided: a launch
 * that must avoid an AZ is a new launch, not a retry of the one that went there.
 */
function cloneRequest(input: ChooseInput, sourceInstanceId: string): CloneRequest {
  const { spec, hosts, failed, replacement, execution, down, avoidAvailabilityZones } = input;
  const clusterName = spec.clusterName;
  const avoided = [...new Set(avoidAvailabilityZones)].sort();
  return {
    clusterName,
    sourceInstanceId,
    memberName: replacement.name,
    failedMemberName: failed.name,
    ...(failed.placement && { recorded: failed.placement }),
    members: [...hosts.filter((h) => h.name !== failed.name), failed].map((m) => ({ name: m.name, ...(m.placement && { placement: m.placement }) })),
    down: down.filter((name) => name !== failed.name),
    avoidAvailabilityZones: avoided,
    idempotencyKey: `${clusterName}/${sourceInstanceId}/${replacement.name}/${execution ?? ''}${avoided.length > 0 ? `/avoid:${avoided.join(',')}` : ''}`,
  };
}

/** No host named: on AWS that asks for a clone (locally the directory picks a free loopback address). */
function needsClone(replacement: Replacement): boolean {
  return replacement.instanceId === undefined && replacement.address === undefined;
}

