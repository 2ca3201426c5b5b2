// `etcd-ha control-plane-config --cluster NAME [--api v1beta4|v1beta3]` and `etcd-ha local control-plane-config`:
// print the kubeadm ClusterConfiguration `etcd.external` block that points a control plane at the cluster by its
// name (lambdas/core/control-plane/etcd-client-name.ts), with the files ConnectControlPlane installs.
import { externalEtcdConfig, renderExternalEtcdConfig, KUBEADM_API_VERSIONS, type KubeadmApiVersion } from '../../lambdas/core/control-plane/external-etcd-config';
import { controlPlaneEtcdEndpoints, type EtcdEndpointStyle } from '../../lambdas/core/control-plane/etcd-client-name';
import { localRunner, requireRecordedCluster } from './local-cluster';
import { EXIT, UsageError, type Output } from './output';

export interface ControlPlaneConfigOptions {
  readonly cluster: string;
  /** @default 'v1beta4' */
  readonly api?: string;
  /** @default 2379 */
  readonly clientPort?: number;
  /** @default 'etcd-ha.internal' */
  readonly zone?: string;
}

function apiVersion(value: string | undefined): KubeadmApiVersion {
  const api = value ?? 'v1beta4';
  if (!(KUBEADM_API_VERSIONS as readonly string[]).includes(api)) throw new UsageError(`--api must be one of ${KUBEADM_API_VERSIONS.join(', ')}, got "${api}"`);
  return api as KubeadmApiVersion;
}

function print(output: Output, options: ControlPlaneConfigOptions, style: EtcdEndpointStyle, memberAddresses: readonly string[]): number {
  const endpoints = controlPlaneEtcdEndpoints({ clusterName: options.cluster, clientPort: options.clientPort ?? 2379, memberAddresses, style, ...(options.zone && { zone: options.zone }) });
  output.out(renderExternalEtcdConfig(externalEtcdConfig(endpoints, apiVersion(options.api))).trimEnd());
  return EXIT.done;
}

/** AWS: the block by the cluster's name; nothing is asked of AWS (the name does not change with the members). */
export function controlPlaneConfig(options: ControlPlaneConfigOptions, output: Output): Promise<number> {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(options.cluster)) throw new UsageError(`--cluster must be a cluster name (lower-case letters, digits, "-"), got "${options.cluster}"`);
  return Promise.resolve(print(output, options, 'name', []));
}

/** Local: the recorded cluster's name and client port; `--by-address` lists the members' loopback URLs instead. */
export function localControlPlaneConfig(options: Omit<ControlPlaneConfigOptions, 'cluster' | 'clientPort'> & { readonly byAddress?: boolean }, output: Output): Promise<number> {
  const record = requireRecordedCluster(localRunner().home);
  const clientPort = (record.spec as { etcd?: { clientPort?: number } }).etcd?.clientPort ?? 2379;
  return Promise.resolve(
    print(output, { ...options, cluster: record.clusterName, clientPort }, options.byAddress ? 'addresses' : 'name', record.members.map((m) => m.address)),
  );
}
