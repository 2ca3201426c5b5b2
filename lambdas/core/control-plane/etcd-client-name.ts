// The name a cluster's clients (kube-apiserver first) use for etcd: the stable names' one multi-value name per
// cluster, `etcd.<cluster>.<zone>` (lambdas/core/names.ts spells it; the records and certificates use the same), that
// keeps answering while members are replaced.
import { DEFAULT_DNS_ZONE, clientDnsName, clientUrlByName } from '../names';

/** The private hosted zone's default name (spec.dnsZone's default). */
export const DEFAULT_ETCD_ZONE = DEFAULT_DNS_ZONE;

/** `etcd.<cluster>.<zone>`: the multi-value name of a cluster's clients. */
export function clusterClientName(clusterName: string, zone: string = DEFAULT_ETCD_ZONE): string {
  return clientDnsName({ clusterName, dnsZone: zone.replace(/\.$/, '') });
}

/** `https://etcd.<cluster>.<zone>:<clientPort>`: the one endpoint a client configured once keeps. */
export function clusterClientEndpoint(clusterName: string, clientPort: number, zone: string = DEFAULT_ETCD_ZONE): string {
  return clientUrlByName({ clusterName, dnsZone: zone.replace(/\.$/, '') }, clientPort);
}

/**
 * How the control plane is told where etcd is: by the cluster's name (AWS, where the private hosted zone answers),
 * or by the members' addresses (local mode: the local name map is the runner's, a simulated host's resolver knows no zone).
 */
export type EtcdEndpointStyle = 'name' | 'addresses';

export interface EtcdEndpointsInput {
  readonly clusterName: string;
  readonly clientPort: number;
  /** The members' addresses (used only by the `addresses` style). */
  readonly memberAddresses: readonly string[];
  readonly style: EtcdEndpointStyle;
  readonly zone?: string;
}

/** The endpoints kube-apiserver's --etcd-servers (and kubeadm's etcd.external.endpoints) list. */
export function controlPlaneEtcdEndpoints(input: EtcdEndpointsInput): string[] {
  if (input.style === 'name') return [clusterClientEndpoint(input.clusterName, input.clientPort, input.zone)];
  return input.memberAddresses.map((address) => `https://${address}:${input.clientPort}`);
}
