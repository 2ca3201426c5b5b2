// The etcd flag set of one member: the ONE place where (spec, member, cluster state) become etcd
// settings. The kubeadm config, the systemd env file and the local runtime are all views of it,
// so the runtimes cannot drift apart. Defaults follow kubeadm's getEtcdCommand (phases/etcd/local.go).
import { posix } from 'node:path';
import type { ClusterSpec } from './spec';
import { hostLayout } from './layout';

export type ClusterState = 'new' | 'existing';

/** A member as the flags need it: a name and the address it advertises. */
export interface PeerAddress {
  readonly name: string;
  readonly address: string;
}

export interface EtcdFlagsRequest {
  readonly spec: ClusterSpec;
  readonly member: PeerAddress;
  /** "new" when bootstrapping every member together; "existing" when joining a running cluster. */
  readonly clusterState: ClusterState;
  /** Members --initial-cluster lists, the member itself included (for a join: current voters + it). */
  readonly initialCluster: readonly PeerAddress[];
  /**
   * The cluster's --initial-cluster-token.
   * @default - no flag: etcd's own default ("etcd-cluster"), which clusters recorded without a token keep
   */
  readonly initialClusterToken?: string;
  /** Host root the paths hang off ("/" on a real host). */
  readonly root?: string;
}

/**
 * Flags etcd reads only when a member starts with an empty data dir (bootstrap or join): a running member
 * ignores them, so a change of these alone never needs a restart.
 */
export const BOOTSTRAP_ONLY_FLAGS = ['initial-cluster', 'initial-cluster-state', 'initial-cluster-token'] as const;

/** Flags in the order the guide's kubeadm config lists them; kubeadm owns the rest. */
export const GUIDE_EXTRA_ARGS = [
  'initial-cluster',
  'initial-cluster-state',
  'name',
  'listen-peer-urls',
  'listen-client-urls',
  'advertise-client-urls',
  'initial-advertise-peer-urls',
] as const;

export const KUBEADM_DEFAULT_METRICS_PORT = 2381;

/**
 * The cluster's CRL (lambdas/core/pki/crl.ts), which every member loads for both listeners: a removed member's
 * certificates are refused by the client and the peer port alike. Not kubeadm's (it sets neither): extraArgs in its
 * config. The file is on the host before a member gets these flags (Push Revocation List), since etcd refuses every
 * connection while it is missing.
 */
export const REVOCATION_FLAGS = ['client-crl-file', 'peer-crl-file'] as const;
/** Where the CRL lives, next to the CA certificate (kubeadm's static pod mounts that directory). */
export const CRL_FILE = 'crl.pem';

const LOOPBACK_V4 = /^127\./;

export function clientUrl(address: string, spec: ClusterSpec): string {
  return `https://${address}:${spec.etcd.clientPort}`;
}

export function peerUrl(address: string, spec: ClusterSpec): string {
  return `https://${address}:${spec.etcd.peerPort}`;
}

export function initialClusterValue(members: readonly PeerAddress[], spec: ClusterSpec): string {
  return members.map((m) => `${m.name}=${peerUrl(m.address, spec)}`).join(',');
}

/**
 * Metrics (and kubeadm's /livez, /readyz probes) listen on the host's loopback. A member whose
 * own address is a loopback address (a simulated host) uses that address, so that several
 * members on one machine do not fight over 127.0.0.1:2381.
 */
export function metricsUrl(address: string, spec: ClusterSpec): string {
  const host = LOOPBACK_V4.test(address) ? address : '127.0.0.1';
  return `http://${host}:${spec.etcd.metricsPort}`;
}

/** Every flag of one member, keyed by flag name (no dashes), sorted by name as kubeadm sorts them. */
export function etcdFlags(request: EtcdFlagsRequest): Record<string, string> {
  const { spec, member, clusterState, initialCluster } = request;
  if (!initialCluster.some((m) => m.name === member.name && m.address === member.address)) {
    throw new Error(`initialCluster must include the member itself (${member.name}=${member.address})`);
  }
  const layout = hostLayout(spec.etcd.dataDir, request.root ?? '/');
  const etcdPki = (file: string) => posix.join(layout.pkiDir, 'etcd', file);
  const defaults: Record<string, string> = {
    name: member.name,
    'data-dir': layout.dataDir,
    'listen-client-urls': clientUrl(member.address, spec),
    'advertise-client-urls': clientUrl(member.address, spec),
    'listen-peer-urls': peerUrl(member.address, spec),
    'initial-advertise-peer-urls': peerUrl(member.address, spec),
    'initial-cluster': initialClusterValue(initialCluster, spec),
    'initial-cluster-state': clusterState,
    ...(request.initialClusterToken !== undefined && { 'initial-cluster-token': request.initialClusterToken }),
    'cert-file': etcdPki('server.crt'),
    'key-file': etcdPki('server.key'),
    'trusted-ca-file': etcdPki('ca.crt'),
    'client-cert-auth': 'true',
    'peer-cert-file': etcdPki('peer.crt'),
    'peer-key-file': etcdPki('peer.key'),
    'peer-trusted-ca-file': etcdPki('ca.crt'),
    'peer-client-cert-auth': 'true',
    ...Object.fromEntries(REVOCATION_FLAGS.map((flag) => [flag, etcdPki(CRL_FILE)])),
    'listen-metrics-urls': metricsUrl(member.address, spec),
    'snapshot-count': '10000',
    'experimental-initial-corrupt-check': 'true',
    'experimental-watch-progress-notify-interval': '5s',
  };
  const merged = { ...defaults, ...spec.etcd.extraArgs };
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
}

/** The flags as a command line, e.g. for a unit's ExecStart or a log line. */
export function toCommandLine(flags: Record<string, string>): string[] {
  return Object.entries(flags).map(([name, value]) => `--${name}=${value}`);
}
