// kubeadm's ClusterConfiguration `etcd.external` block for a cluster (the kubeadm HA guide's "External etcd nodes":
// endpoints, caFile, certFile, keyFile), for kubeadm.k8s.io/v1beta3 and v1beta4 — the block is the same in both.
// The file paths are where kubeadm and the guide keep them, and where ConnectControlPlane installs them.

export const KUBEADM_API_VERSIONS = ['v1beta4', 'v1beta3'] as const;
export type KubeadmApiVersion = (typeof KUBEADM_API_VERSIONS)[number];

/** Where the control plane keeps etcd's CA and its etcd client pair (kubeadm's certificatesDir layout). */
export const CONTROL_PLANE_ETCD_FILES = {
  caFile: '/etc/kubernetes/pki/etcd/ca.crt',
  certFile: '/etc/kubernetes/pki/apiserver-etcd-client.crt',
  keyFile: '/etc/kubernetes/pki/apiserver-etcd-client.key',
} as const;

export interface ExternalEtcdConfig {
  readonly apiVersion: `kubeadm.k8s.io/${KubeadmApiVersion}`;
  readonly kind: 'ClusterConfiguration';
  readonly etcd: { readonly external: { readonly endpoints: readonly string[]; readonly caFile: string; readonly certFile: string; readonly keyFile: string } };
}

export function externalEtcdConfig(endpoints: readonly string[], apiVersion: KubeadmApiVersion = 'v1beta4'): ExternalEtcdConfig {
  if (!KUBEADM_API_VERSIONS.includes(apiVersion)) throw new RangeError(`apiVersion must be one of ${KUBEADM_API_VERSIONS.join(', ')}, got "${apiVersion}"`);
  if (endpoints.length === 0) throw new RangeError('endpoints must name at least one etcd endpoint');
  return { apiVersion: `kubeadm.k8s.io/${apiVersion}`, kind: 'ClusterConfiguration', etcd: { external: { endpoints: [...endpoints], ...CONTROL_PLANE_ETCD_FILES } } };
}

/** The block as YAML, to merge into a kubeadm-config.yaml (plain scalars only: URLs and absolute paths need no quoting). */
export function renderExternalEtcdConfig(config: ExternalEtcdConfig): string {
  const { endpoints, caFile, certFile, keyFile } = config.etcd.external;
  return [
    `apiVersion: ${config.apiVersion}`,
    `kind: ${config.kind}`,
    'etcd:',
    '  external:',
    '    endpoints:',
    ...endpoints.map((endpoint) => `      - ${endpoint}`),
    `    caFile: ${caFile}`,
    `    certFile: ${certFile}`,
    `    keyFile: ${keyFile}`,
    '',
  ].join('\n');
}
