// How the cluster's PKI is kept in the secret store: JSON pairs for what only the steps read (CA,
// the two client certificates), and per member a bundle the member's host fetches and unpacks itself.
import type { ClusterPki, MemberPki } from '../core/pki/bundle';
import { memberHostFiles } from '../core/pki/bundle';
import type { CertKeyPair } from '../core/pki/issue';
import { decodeMemberBundle, encodeMemberBundle } from '../core/pki/member-bundle';
import type { Host, SecretStore } from '../ports';
import type { PkiRefs } from './inputs';
import { SecretMissingError } from '../core/errors';
import { CLUSTER_TAG, INSTANCE_ID_TAG, MEMBER_TAG } from '../catalog/contracts';

export const SECRET_ITEMS = {
  ca: 'ca',
  healthcheckClient: 'healthcheck-client',
  apiserverEtcdClient: 'apiserver-etcd-client',
  member: (name: string) => `member/${name}`,
  /** The revocation ledger and the CRL (lambdas/steps/revocation-ledger.ts): steps only, like the CA. */
  revocation: 'revocation',
} as const;

/** A client pair as kept in its secret: the CA certificate travels with it so that a client can be built from one secret. */
interface StoredClient extends CertKeyPair {
  readonly caCertPem: string;
}

export function pkiRefs(store: SecretStore, clusterName: string, memberNames: readonly string[]): PkiRefs {
  return {
    ca: store.nameFor(clusterName, SECRET_ITEMS.ca),
    healthcheckClient: store.nameFor(clusterName, SECRET_ITEMS.healthcheckClient),
    apiserverEtcdClient: store.nameFor(clusterName, SECRET_ITEMS.apiserverEtcdClient),
    members: Object.fromEntries(memberNames.map((name) => [name, store.nameFor(clusterName, SECRET_ITEMS.member(name))])),
  };
}

async function readPair(store: SecretStore, name: string): Promise<CertKeyPair | undefined> {
  const text = await store.get(name);
  if (text === undefined) return undefined;
  const { certPem, keyPem } = JSON.parse(text) as CertKeyPair;
  return { certPem, keyPem };
}

async function readMember(store: SecretStore, name: string): Promise<MemberPki | undefined> {
  const text = await store.get(name);
  if (text === undefined) return undefined;
  const files = new Map(decodeMemberBundle(text).map((f) => [f.path, f.content]));
  const pair = (base: string) => ({ certPem: files.get(`etcd/${base}.crt`) ?? '', keyPem: files.get(`etcd/${base}.key`) ?? '' });
  return { server: pair('server'), peer: pair('peer') };
}

/** What the store holds of the cluster's PKI, for ensureClusterPki to reuse. */
export async function loadClusterPki(store: SecretStore, refs: PkiRefs): Promise<Partial<ClusterPki>> {
  const [ca, healthcheckClient, apiserverEtcdClient] = await Promise.all([
    readPair(store, refs.ca),
    readPair(store, refs.healthcheckClient),
    readPair(store, refs.apiserverEtcdClient),
  ]);
  const members: Record<string, MemberPki> = {};
  await Promise.all(
    Object.entries(refs.members).map(async ([member, name]) => {
      const stored = await readMember(store, name);
      if (stored) members[member] = stored;
    }),
  );
  return { ...(ca && { ca }), ...(healthcheckClient && { healthcheckClient }), ...(apiserverEtcdClient && { apiserverEtcdClient }), members };
}

/** Writes the PKI; the store writes a new version only where a value changed. Returns the names written anew. */
export async function saveClusterPki(store: SecretStore, refs: PkiRefs, pki: ClusterPki, hosts: readonly Host[], clusterName: string): Promise<string[]> {
  const clusterTags = { [CLUSTER_TAG]: clusterName };
  const client = (pair: CertKeyPair): string => JSON.stringify({ ...pair, caCertPem: pki.ca.certPem } satisfies StoredClient);
  const writes = [
    store.put(refs.ca, JSON.stringify(pki.ca), { description: `etcd CA of ${clusterName} (never leaves the PKI step)`, tags: clusterTags }),
    store.put(refs.healthcheckClient, client(pki.healthcheckClient), { description: `etcd healthcheck client of ${clusterName}`, tags: clusterTags }),
    store.put(refs.apiserverEtcdClient, client(pki.apiserverEtcdClient), { description: `kube-apiserver etcd client of ${clusterName}`, tags: clusterTags }),
    ...hosts.map((host) =>
      store.put(refs.members[host.name]!, encodeMemberBundle(memberHostFiles(pki.ca.certPem, pki.members[host.name]!)), {
        description: `etcd member ${host.name} of ${clusterName}: CA certificate, server and peer pairs`,
        tags: { ...clusterTags, [MEMBER_TAG]: host.name, ...(host.instanceId && { [INSTANCE_ID_TAG]: host.instanceId }) },
      }),
    ),
  ];
  const written = await Promise.all(writes);
  return written.filter((ref) => ref.changed).map((ref) => ref.name);
}

/** The healthcheck client (with its CA) a step uses to talk to etcd. */
export async function readHealthcheckClient(store: SecretStore, refs: PkiRefs): Promise<StoredClient> {
  const text = await store.get(refs.healthcheckClient);
  if (text === undefined) throw new SecretMissingError(`secret ${refs.healthcheckClient} is missing: run ProvisionCluster first`);
  return JSON.parse(text) as StoredClient;
}
