// etcd flags that etcd-ha derives from the spec itself (the set kubeadm's getEtcdCommand owns,
// plus the cluster bootstrap flags). extraArgs may override them only when the spec says so.
export const OWNED_ETCD_FLAGS = [
  'name',
  'data-dir',
  'listen-client-urls',
  'advertise-client-urls',
  'listen-peer-urls',
  'initial-advertise-peer-urls',
  'initial-cluster',
  'initial-cluster-state',
  'initial-cluster-token',
  'cert-file',
  'key-file',
  'trusted-ca-file',
  'client-cert-auth',
  'peer-cert-file',
  'peer-key-file',
  'peer-trusted-ca-file',
  'peer-client-cert-auth',
  'listen-metrics-urls',
  // The cluster's CRL (etcd-flags.ts REVOCATION_FLAGS): revocation must not be switched off or pointed elsewhere.
  'client-crl-file',
  'peer-crl-file',
] as const;

export type OwnedEtcdFlag = (typeof OWNED_ETCD_FLAGS)[number];
