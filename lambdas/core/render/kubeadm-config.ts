// Per-host kubeadm config for `kubeadm init phase etcd local`, as the guide writes it: an
// InitConfiguration (node name, advertise address) and a ClusterConfiguration whose etcd.local
// carries the member's SANs and the bootstrap flags. kubeadm derives every other flag itself.
import { stringify } from 'yaml';
import { GUIDE_EXTRA_ARGS, KUBEADM_DEFAULT_METRICS_PORT, REVOCATION_FLAGS, etcdFlags, type EtcdFlagsRequest } from '../etcd-flags';

const KUBEADM_DEFAULT_DATA_DIR = '/var/lib/etcd';

/**
 * The extraArgs kubeadm needs: the guide's seven, the cluster token when there is one, a non-default metrics
 * port, the two CRL files, then the spec's own.
 */
export function kubeadmExtraArgs(request: EtcdFlagsRequest): Array<[string, string]> {
  const flags = etcdFlags({ ...request, root: '/' });
  const names: string[] = [...GUIDE_EXTRA_ARGS];
  if (request.initialClusterToken !== undefined) names.push('initial-cluster-token');
  if (request.spec.etcd.metricsPort !== KUBEADM_DEFAULT_METRICS_PORT) names.push('listen-metrics-urls');
  // kubeadm sets no CRL flags: ours, for the file in the etcd PKI dir its static pod mounts.
  names.push(...REVOCATION_FLAGS);
  for (const name of Object.keys(request.spec.etcd.extraArgs)) if (!names.includes(name)) names.push(name);
  return names.map((name) => [name, flags[name] as string]);
}

function etcdLocal(request: EtcdFlagsRequest): Record<string, unknown> {
  const { spec, member } = request;
  const extraArgs = kubeadmExtraArgs(request);
  const local: Record<string, unknown> = {};
  if (spec.etcd.imageRepository) local.imageRepository = spec.etcd.imageRepository;
  if (spec.etcd.imageTag) local.imageTag = spec.etcd.imageTag;
  if (spec.etcd.dataDir !== KUBEADM_DEFAULT_DATA_DIR) local.dataDir = spec.etcd.dataDir;
  local.serverCertSANs = unique([member.address, ...spec.certificates.serverCertSANs]);
  local.peerCertSANs = unique([member.address, ...spec.certificates.peerCertSANs]);
  // v1beta4 turned extraArgs from a map into a list of {name, value} (it allows repeated flags).
  local.extraArgs =
    spec.kubeadmApiVersion === 'v1beta4'
      ? extraArgs.map(([name, value]) => ({ name, value }))
      : Object.fromEntries(extraArgs);
  return local;
}

/** The two kubeadm documents, as objects (the golden test compares these field by field). */
export function kubeadmConfigDocuments(request: EtcdFlagsRequest): [Record<string, unknown>, Record<string, unknown>] {
  const apiVersion = `kubeadm.k8s.io/${request.spec.kubeadmApiVersion}`;
  return [
    {
      apiVersion,
      kind: 'InitConfiguration',
      nodeRegistration: { name: request.member.name },
      localAPIEndpoint: { advertiseAddress: request.member.address },
    },
    { apiVersion, kind: 'ClusterConfiguration', etcd: { local: etcdLocal(request) } },
  ];
}

export function renderKubeadmConfig(request: EtcdFlagsRequest): string {
  return kubeadmConfigDocuments(request)
    .map((doc) => `---\n${stringify(doc, { lineWidth: 0 })}`)
    .join('');
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}


