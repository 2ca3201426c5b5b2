// Resolve Control-Plane Hosts, under the lock: the control-plane hosts (tagged for this cluster, or the ones named)
// and the endpoints their API servers get, derived from the record read now (nothing from before the lock).
import { SecretMissingError } from '../../core/errors';
import { controlPlaneEtcdEndpoints } from '../../core/control-plane/etcd-client-name';
import { parseOrThrow } from '../../core/parse';
import type { ControlPlaneDirectory, Host } from '../../ports';
import type { StepDeps } from '../deps';
import { recordedSpec } from '../recorded-spec';
import { ResolveInputSchema } from './inputs';

export function makeResolveControlPlaneHosts(deps: Pick<StepDeps, 'registry' | 'log'> & { readonly controlPlane: ControlPlaneDirectory }) {
  return async function resolveControlPlaneHosts(raw: unknown): Promise<{ hosts: Host[]; endpoints: string[] }> {
    const { clusterName, request } = parseOrThrow(ResolveInputSchema, raw, 'Resolve Control-Plane Hosts input');
    const record = await deps.registry.get(clusterName);
    if (!record) throw new SecretMissingError(`cluster ${clusterName} is no longer recorded`);
    const spec = recordedSpec(record);
    const endpoints = controlPlaneEtcdEndpoints({
      clusterName,
      clientPort: spec.etcd.clientPort,
      memberAddresses: record.members.map((m) => m.address),
      style: request.endpoints,
      // The zone the cluster's certificates and names use, unless the request names another.
      zone: request.zone ?? spec.dnsZone,
    });
    const hosts = await deps.controlPlane.find(clusterName, { ...(request.instanceIds && { instanceIds: request.instanceIds }), ...(request.hosts && { hosts: request.hosts }) });
    deps.log.info('control-plane hosts', { cluster: clusterName, hosts: hosts.map((h) => h.name), endpoints });
    return { hosts, endpoints };
  };
}
