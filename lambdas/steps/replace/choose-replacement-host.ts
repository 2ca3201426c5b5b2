// Choose Replacement Host: resolves the joining host and the membership after the change. The host is the
// one named in the input (an instance on AWS, a loopback address locally); on AWS, without one, a clone
// of the failed member's instance is launched (or the clone an earlier attempt launched is found again).
import { z } from 'zod';
import { SpecValidationError } from '../../core/errors';
import { parseOrThrow } from '../../core/parse';
import { ClusterSpecSchema } from '../../core/spec';
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
    const clone = needsClone(replacement) && deps.replacementHosts ? await launchClone(deps.replacementHosts, spec.clusterName, failed, replacement, execution) : undefined;
    const joining: Replacement = clone ? { ...replacement, instanceId: clone.instanceId } : replacement;
    const remaining = hosts.filter((h) => h.name !== failed.name);
    const members = [
      ...remaining.map((h) => ({ name: h.name, address: h.address, ...(h.instanceId && { instanceId: h.instanceId }) })),
      { name: joining.name, ...(joining.address && { address: joining.address }), ...(joining.instanceId && { instanceId: joining.instanceId }) },
    ];
    const resolved = await deps.directory.resolve(spec.clusterName, members);
    const host = resolved[resolved.length - 1]!;
    deps.log.info('replacement host chosen', { cluster: spec.clusterName, host: host.name, address: host.address, ...(clone && { launched: clone }) });
    return { host, hosts: resolved, ...(clone && { launched: clone }) };
  };
}

/** No host named: on AWS that asks for a clone (locally the directory picks a free loopback address). */
function needsClone(replacement: Replacement): boolean {
  return replacement.instanceId === undefined && replacement.address === undefined;
}

async function launchClone(
  replacementHosts: ReplacementHosts,
  clusterName: string,
  failed: FailedMember,
  replacement: Replacement,
  execution: string | undefined,
): Promise<LaunchedReplacement> {
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
  return { instanceId: launched.instanceId, sourceInstanceId: failed.instanceId, newlyLaunched: launched.launched };
}
