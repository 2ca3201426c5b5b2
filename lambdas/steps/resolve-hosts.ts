// Resolve Hosts: spec members → reachable hosts (name, address, instance or simulated root).
import { parseOrThrow } from '../core/parse';
import type { Host } from '../ports';
import type { StepDeps } from './deps';
import { SpecInputSchema } from './inputs';

export function makeResolveHosts(deps: Pick<StepDeps, 'directory' | 'log'>) {
  return async function resolveHosts(input: unknown): Promise<Host[]> {
    const { spec } = parseOrThrow(SpecInputSchema, input, 'Resolve Hosts input');
    const hosts = await deps.directory.resolve(spec.clusterName, spec.members);
    deps.log.info('hosts resolved', { cluster: spec.clusterName, hosts: hosts.map((h) => `${h.name}=${h.address}`) });
    return hosts;
  };
}
