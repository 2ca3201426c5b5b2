// The revocation ledger in the secret store (`<prefix>/<cluster>/revocation`, steps only, like the CA), and what
// Generate PKI asks of it: note every member certificate it hands out, and never hand out a revoked one again.
import type { ClusterPki } from '../core/pki/bundle';
import { notAfterOf, serialOf } from '../core/pki/crl';
import { isRevoked, noteIssued, parseLedger, type IssuedCert, type RevocationLedger } from '../core/pki/crl-ledger';
import type { CertKeyPair } from '../core/pki/issue';
import type { SecretStore } from '../ports';
import { CLUSTER_TAG } from '../catalog/contracts';
import { SECRET_ITEMS } from './pki-secrets';

export function ledgerName(store: SecretStore, clusterName: string): string {
  return store.nameFor(clusterName, SECRET_ITEMS.revocation);
}

export async function loadLedger(store: SecretStore, clusterName: string): Promise<RevocationLedger> {
  const name = ledgerName(store, clusterName);
  return parseLedger(await store.get(name), name);
}

/** Writes the ledger (a new version only when it changed). */
export async function saveLedger(store: SecretStore, clusterName: string, ledger: RevocationLedger): Promise<void> {
  await store.put(ledgerName(store, clusterName), JSON.stringify(ledger), {
    description: `etcd certificate serials of ${clusterName}: issued per member, revoked, and the CRL (steps only)`,
    tags: { [CLUSTER_TAG]: clusterName },
  });
}

/** The serial and expiry of a pair's certificate, as the ledger keeps them. */
export function issuedCert(pair: Pick<CertKeyPair, 'certPem'>): IssuedCert {
  return { serial: serialOf(pair.certPem), notAfter: notAfterOf(pair.certPem).toISOString() };
}

/**
 * Notes every member's server and peer serial in the ledger before the pairs are stored, so that whatever a host may
 * ever hold is known when its member leaves (a cluster from before the ledger gets its current pairs noted here).
 */
export async function noteIssuedCertificates(store: SecretStore, clusterName: string, pki: ClusterPki): Promise<void> {
  const before = await loadLedger(store, clusterName);
  let ledger = before;
  for (const [member, pairs] of Object.entries(pki.members)) ledger = noteIssued(ledger, member, [issuedCert(pairs.server), issuedCert(pairs.peer)]);
  if (ledger !== before) await saveLedger(store, clusterName, ledger);
}

/**
 * The stored PKI without the members whose server or peer certificate is revoked: ensureClusterPki then issues them
 * afresh (a name used again after its member left must not get the revoked pair back).
 */
export async function withoutRevokedMembers(store: SecretStore, clusterName: string, existing: Partial<ClusterPki>): Promise<Partial<ClusterPki>> {
  const ledger = await loadLedger(store, clusterName);
  if (ledger.revoked.length === 0 || existing.members === undefined) return existing;
  const members = Object.fromEntries(
    Object.entries(existing.members).filter(([, pairs]) => ![pairs.server, pairs.peer].some((pair) => pair.certPem !== '' && isRevoked(ledger, serialOf(pair.certPem)))),
  );
  return { ...existing, members };
}
