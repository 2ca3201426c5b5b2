// etcd flags whose extraArgs would hand the host or the cluster to whoever writes the spec: where etcd reads its
// settings, the TLS that guards every client and peer, where it writes files as root. Each is refused, with its
// reason, unless the deployment's allow-list (SpecPolicy.etcdSecurityFlags, fixed at deploy time) names it —
// the spec itself cannot allow them, not even through etcd.allowOwnedFlagOverrides.
import { dedicatedDirectoryProblem } from './spec-host-paths';

const REPLACES_TLS = "replaces the TLS etcd-ha sets up (kubeadm's etcd PKI, checked client and peer certificates)";

/** Refused whatever the value, with the reason. */
const ANY_VALUE: Readonly<Record<string, string>> = {
  'config-file': 'makes etcd read its settings from that file and ignore every other flag, TLS included',
  'cert-file': REPLACES_TLS,
  'key-file': REPLACES_TLS,
  'trusted-ca-file': REPLACES_TLS,
  'client-cert-auth': REPLACES_TLS,
  'peer-cert-file': REPLACES_TLS,
  'peer-key-file': REPLACES_TLS,
  'peer-trusted-ca-file': REPLACES_TLS,
  'peer-client-cert-auth': REPLACES_TLS,
  'client-cert-file': REPLACES_TLS,
  'client-key-file': REPLACES_TLS,
  'peer-client-cert-file': REPLACES_TLS,
  'peer-client-key-file': REPLACES_TLS,
  'auto-tls': 'makes etcd serve clients a self-signed certificate no CA vouches for',
  'peer-auto-tls': 'makes etcd serve peers a self-signed certificate no CA vouches for',
  'experimental-peer-skip-client-san-verification': "stops etcd checking a peer certificate's names",
  'cipher-suites': "weakens or replaces the TLS etcd-ha relies on (Go's defaults)",
  'tls-min-version': "weakens or replaces the TLS etcd-ha relies on (Go's defaults)",
  'tls-max-version': "weakens or replaces the TLS etcd-ha relies on (Go's defaults)",
  'client-crl-file': 'replaces the revocation list etcd-ha keeps for removed members',
  'peer-crl-file': 'replaces the revocation list etcd-ha keeps for removed members',
  discovery: 'makes a member learn its peers from a discovery service instead of the initial cluster etcd-ha sets',
  'discovery-srv': 'makes a member learn its peers from DNS instead of the initial cluster etcd-ha sets',
  'discovery-srv-name': 'makes a member learn its peers from DNS instead of the initial cluster etcd-ha sets',
  'discovery-proxy': 'sends the discovery of peers through a proxy instead of the initial cluster etcd-ha sets',
  'force-new-cluster': "rewrites the cluster's membership, which only etcd-ha's workflows change",
};

/** Flags that take URLs: refused when one of them is plaintext (http:// or unix://). */
const URL_FLAGS = [
  'listen-client-urls',
  'advertise-client-urls',
  'listen-peer-urls',
  'initial-advertise-peer-urls',
  'listen-client-http-urls',
  'initial-cluster',
];

/** Where etcd writes logs: these are not files; any other value is a file etcd appends to as root. */
const LOG_STREAMS = ['default', 'stderr', 'stdout', 'systemd/journal'];

/** Every flag the rules below judge: the names a deployment's allow-list may give. */
export const ETCD_SECURITY_FLAGS: readonly string[] = [...Object.keys(ANY_VALUE), ...URL_FLAGS, 'log-outputs', 'wal-dir'].sort();

/** Why this flag with this value is refused, or undefined. */
function securityProblem(flag: string, value: string): string | undefined {
  const always = ANY_VALUE[flag];
  if (always !== undefined) return always;
  if (URL_FLAGS.includes(flag)) {
    // initial-cluster is name=url,…; the others are url,…
    const plaintext = value
      .split(',')
      .map((part) => part.slice(part.indexOf('=') + 1).trim())
      .find((url) => /^(http|unix):\/\//i.test(url));
    return plaintext === undefined ? undefined : `opens a plaintext endpoint (${plaintext}): etcd-ha serves clients and peers over https only`;
  }
  if (flag === 'log-outputs') {
    const file = value.split(',').map((s) => s.trim()).find((s) => !LOG_STREAMS.includes(s));
    return file === undefined ? undefined : `makes etcd append to a file as root (${file}); use ${LOG_STREAMS.join(', ')}`;
  }
  if (flag === 'wal-dir') {
    const problem = dedicatedDirectoryProblem(value);
    return problem === undefined ? undefined : `moves etcd's write-ahead log to a directory that is not etcd's own: it ${problem}`;
  }
  return undefined;
}

export interface FlagProblem {
  readonly flag: string;
  readonly message: string;
}

/** The extraArgs this deployment refuses, each with its reason; a flag the allow-list names is not judged. */
export function securityFlagProblems(extraArgs: Readonly<Record<string, string>>, allowed: readonly string[]): FlagProblem[] {
  const problems: FlagProblem[] = [];
  for (const [flag, value] of Object.entries(extraArgs)) {
    if (allowed.includes(flag)) continue;
    const reason = securityProblem(flag, value);
    if (reason !== undefined) {
      problems.push({ flag, message: `"--${flag}" ${reason}; refused unless the deployment allows it (allowedEtcdSecurityFlags)` });
    }
  }
  return problems;
}
