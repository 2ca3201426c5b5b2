// Shared by the membership steps: an admin client from the healthcheck secret, and how to find a
// member in etcd's own list (by peer URL: a member added but never started has no name yet).
import { clientUrl, peerUrl } from '../../core/etcd-flags';
import type { ClusterSpec } from '../../core/spec';
import type { ClusterMember, EtcdAdmin, Host } from '../../ports';
import type { StepDeps } from '../deps';
import type { PkiRefs } from '../inputs';
import { readHealthcheckClient } from '../pki-secrets';

export async function withAdmin<T>(deps: Pick<StepDeps, 'secrets' | 'etcd'>, pki: PkiRefs, use: (admin: EtcdAdmin) => Promise<T>): Promise<T> {
  const admin = deps.etcd.connect(await readHealthcheckClient(deps.secrets, pki));
  try {
    return await use(admin);
  } finally {
    await admin.close();
  }
}

export function endpointsOf(hosts: readonly Host[], spec: ClusterSpec, except?: string): string[] {
  return hosts.filter((h) => h.name !== except).map((h) => clientUrl(h.address, spec));
}

export function memberAt(members: readonly ClusterMember[], address: string, spec: ClusterSpec): ClusterMember | undefined {
  const url = peerUrl(address, spec);
  return members.find((m) => m.peerURLs.includes(url));
}
