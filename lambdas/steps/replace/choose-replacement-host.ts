// Choose Replacement Host: resolves the joining host and the membership after the change. The host is the
// one named in the input (an instance on AWS, a loopback address locally); on AWS, without one, a clone
// of the failed member's instance is launched (or the clone an earlier attempt launched is found again).
import { z } from 'zod';
import { SpecValidationError } from '../../core/errors';
import { parseOrThrow } from '../../core/parse';
import { ClusterSpecSchema } from '../../core/spec';
import type { Member } from '../../core/spec';
import type { Host, ReplacementHosts } from '../../ports';
import type { StepDeps } from '../deps';
import { HostSchema } from '../inputs';
import { FailedMemberSchema, ReplacementSchema, type FailedMember } from './inputs';

const ChooseInputSchema = z.object({
  spec: ClusterSpecSchema,
  hosts: z.array(HostSchema).min(1),
  failed: FailedMemberSchema,
  replacement: ReplacementSchema,
  /** The execution's name: a retried launch returns the instance the first attempt launched. */
  execution: z.string().min(1).optional(),
});

type Replacement = z.output<typeof ReplacementSchema>;

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
}

export interface ChooseDeps extends Pick<StepDeps, 'directory' | 'log'> {
  /** Launches clones of failed instances (AWS). Without it, a replacement without a host is the directory's to find. */
  readonly replacementHosts?: ReplacementHosts;
}

export function makeChooseReplacementHost(deps: ChooseDeps) {
  return async function chooseReplacementHost(raw: unknown): Promise<ChosenHost> {
    const { spec, hosts, failed, replacement, execution } = parseOrThrow(ChooseInputSchema, raw, 'Choose Replacement Host input');
    const remaining = hosts
      .filter((h) => h.name !== failed.name)
      .map((h) => ({ name: h.name, address: h.address, ...(h.instanceId && { instanceId: h.instanceId }) }));
    const chosen =
      needsClone(replacement) && deps.replacementHosts
        ? await joinClone(deps, deps.replacementHosts, { clusterName: spec.clusterName, remaining, failed, replacement, execution })
        : { hosts: await deps.directory.resolve(spec.clusterName, [...remaining, namedHost(replacement)]) };
    const host = chosen.hosts[chosen.hosts.length - 1]!;
    deps.log.info('replacement host chosen', { cluster: spec.clusterName, host: host.name, address: host.address, ...(chosen.launched && { launched: chosen.launched }) });
    return { host, ...chosen };
  };
}

function namedHost(replacement: Replacement): Member {
  return { name: replacement.name, ...(replacement.address && { address: replacement.address }), ...(replacement.instanceId && { instanceId: replacement.instanceId }) };
}

interface CloneContext {
  readonly clusterName: string;
  readonly remaining: readonly Member[];
  readonly failed: FailedMember;
  readonly replacement: Replacement;
  readonly execution: string | undefined;
}

/**
 * The remaining members as the directory resolves them, then the clone as its launch answered: EC2 may not
 * describe a just-launched instance yet.
 */
async function joinClone(deps: ChooseDeps, replacementHosts: ReplacementHosts, context: CloneContext): Promise<Omit<ChosenHost, 'host'>> {
  const { clusterName, remaining, failed, replacement, execution } = context;
  if (failed.instanceId === undefined) {
    throw new SpecValidationError('ReplaceMember input', [
      `replacement.instanceId: required: the failed member "${failed.name}" has no EC2 instance to clone; name the replacement's instance`,
    ]);
  }
  const launched = await replacementHosts.launchCloneOf({
    clusterName,
    sourceInstanceId: failed.instanceId,
    memberName: replacement.name,
    failedMemberName: failed.name,
    ...(failed.placement && { recorded: failed.placement }),
    idempotencyKey: `${clusterName}/${failed.instanceId}/${replacement.name}/${execution ?? ''}`,
  });
  const joining: Host = {
    name: replacement.name,
    address: launched.address,
    instanceId: launched.instanceId,
    ...(launched.placement && { placement: launched.placement }),
  };
  return {
    hosts: [...(await deps.directory.resolve(clusterName, remaining)), joining],
    launched: { instanceId: launched.instanceId, sourceInstanceId: failed.instanceId, newlyLaunched: launched.launched },
  };
}

/** No host named: on AWS that asks for a clone (locally the directory picks a free loopback address). */
function needsClone(replacement: Replacement): boolean {
  return replacement.instanceId === undefined && replacement.address === undefined;
}

