// Choose Replacement Host: resolves the joining host (named in the input: an instance on AWS, a
// loopback address locally) and the membership after the change.
import { z } from 'zod';
import { parseOrThrow } from '../../core/parse';
import { ClusterSpecSchema } from '../../core/spec';
import type { Host } from '../../ports';
import type { StepDeps } from '../deps';
import { HostSchema } from '../inputs';
import { FailedMemberSchema, ReplacementSchema } from './inputs';

const ChooseInputSchema = z.object({ spec: ClusterSpecSchema, hosts: z.array(HostSchema).min(1), failed: FailedMemberSchema, replacement: ReplacementSchema });

export function makeChooseReplacementHost(deps: Pick<StepDeps, 'directory' | 'log'>) {
  return async function chooseReplacementHost(raw: unknown): Promise<{ host: Host; hosts: Host[] }> {
    const { spec, hosts, failed, replacement } = parseOrThrow(ChooseInputSchema, raw, 'Choose Replacement Host input');
    const remaining = hosts.filter((h) => h.name !== failed.name);
    const members = [
      ...remaining.map((h) => ({ name: h.name, address: h.address, ...(h.instanceId && { instanceId: h.instanceId }) })),
      { name: replacement.name, ...(replacement.address && { address: replacement.address }), ...(replacement.instanceId && { instanceId: replacement.instanceId }) },
    ];
    const resolved = await deps.directory.resolve(spec.clusterName, members);
    const host = resolved[resolved.length - 1]!;
    deps.log.info('replacement host chosen', { cluster: spec.clusterName, host: host.name, address: host.address });
    return { host, hosts: resolved };
  };
}
