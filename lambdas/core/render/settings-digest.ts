// What a running etcd would see of its host's configuration, as one sha256: the host scripts restart a running
// member only when this digest differs from the one it was last (re)started with. It is the digest of the files
// the runtime renders (systemd: env file + unit; kubeadm: the kubeadm config), rendered from the request with the
// bootstrap-only flags fixed. etcd reads those only when a member starts with an empty data dir, and they differ
// between members and between a bootstrap and a later re-render: a change of them alone restarts nothing.
import { createHash } from 'node:crypto';
import { BOOTSTRAP_ONLY_FLAGS, type EtcdFlagsRequest } from '../etcd-flags';
import { hostLayout } from '../layout';
import { renderKubeadmConfig } from './kubeadm-config';
import { renderEtcdEnvFile, renderEtcdUnit } from './systemd';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * The request with every bootstrap-only flag at a fixed value: the member alone in --initial-cluster, state
 * "new", no token, and none of them in the spec's extraArgs (an allowed override of them is bootstrap-only too).
 */
export function withoutBootstrapFlags(request: EtcdFlagsRequest): EtcdFlagsRequest {
  const bootstrapOnly: readonly string[] = BOOTSTRAP_ONLY_FLAGS;
  const extraArgs = Object.fromEntries(Object.entries(request.spec.etcd.extraArgs).filter(([flag]) => !bootstrapOnly.includes(flag)));
  return {
    spec: { ...request.spec, etcd: { ...request.spec.etcd, extraArgs } },
    member: request.member,
    clusterState: 'new',
    initialCluster: [{ name: request.member.name, address: request.member.address }],
    ...(request.root !== undefined && { root: request.root }),
  };
}

/** The files of the member's runtime the digest covers, as [path on the host, content], from the request as given. */
export function renderedEtcdSettings(request: EtcdFlagsRequest): Array<[string, string]> {
  const layout = hostLayout(request.spec.etcd.dataDir);
  if (request.spec.runtime === 'kubeadm') return [[layout.kubeadmConfigFile, renderKubeadmConfig(request)]];
  return [
    [layout.etcdEnvFile, renderEtcdEnvFile(request)],
    [layout.etcdUnitFile, renderEtcdUnit(request.spec)],
  ];
}

/**
 * sha256 (hex) of the `sha256sum`-style listing ("<sha256>  <path>" lines) of the member's rendered settings with
 * the bootstrap-only flags fixed (withoutBootstrapFlags). Two requests that differ only in initial-cluster,
 * initial-cluster-state or initial-cluster-token give the same digest; any other difference that reaches the
 * rendered files (a flag, binaryPath in the unit's ExecStart, imageTag, dataDir, certificate paths…) changes it.
 */
export function etcdSettingsDigest(request: EtcdFlagsRequest): string {
  const listing = renderedEtcdSettings(withoutBootstrapFlags(request))
    .map(([path, content]) => `${sha256(content)}  ${path}\n`)
    .join('');
  return sha256(listing);
}
