// The name a cluster's clients (kube-apiserver first) use for etcd: one multi-value name per cluster,
// `etcd.<cluster>.<zone>`, that keeps answering while members are replaced. The one place that spells it, so that
// the control-plane config, the ConnectControlPlane workflow and the stable-names records can agree (point this
// at the stable-names module once it is merged).

/** The private hosted zone's default name. */
export const DEFAULT_ETCD_ZONE = 'etcd-ha.internal';

/** `etcd.<cluster>.<zone>`: the multi-value name of a cluster's clients. */
export function clusterClientName(clusterName: string, zone: string = DEFAULT_ETCD_ZONE): string {
  return `etcd.${clusterName}.${zone.replace(/\.$/, '')}`;
}

/** `https://etcd.<cluster>.<zone>:<clientPort>`: the one endpoint a client configured once keeps. */
export function clusterClientEndpoint(clusterName: string, clientPort: number, zone?: string): string {
  return `https://${clusterClientName(clusterName, zone)}:${clientPort}`;
}

/**
 * How the control plane is told where etcd is: by the cluster's name (AWS, where the private hosted zone answers),
 * or by the members' addresses (local mode until the local name map is there: a host's resolver knows no zone).
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
