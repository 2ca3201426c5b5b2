// Sign Revocation List / Revoke Removed Members: every member that is not staying loses its credentials. Its
// certificates (every serial the ledger noted for it, and the pair its secret still holds) go onto the cluster's
// CRL, signed by the etcd CA; its secret loses the instance tags, so that no host may read it any more (kept, never
// scheduled for deletion: Secrets Manager's 7–30 day window would block the name; DeleteCluster removes it). The
// CRL comes back in the output (public: serials and a signature) for Push Revocation List. Safe to run again.
import { z } from 'zod';
import { parseOrThrow } from '../core/parse';
import { ClusterSpecSchema } from '../core/spec';
import { caIdOf } from '../core/pki/ca-id';
import { CRL_VALIDITY_DAYS, readRevocationList, signRevocationList } from '../core/pki/crl';
import { crlDue, revokeMembersNotKept, type IssuedCert, type RevocationLedger } from '../core/pki/crl-ledger';
import { decodeMemberBundle } from '../core/pki/member-bundle';
import type { CertKeyPair } from '../core/pki/issue';
import { SecretMissingError } from '../core/errors';
import type { SecretStore } from '../ports';
import { CLUSTER_TAG, MEMBER_TAG, REVOKED_TAG } from '../catalog/contracts';
import type { StepDeps } from './deps';
import { HostSchema, PkiRefsSchema } from './inputs';
import { SECRET_ITEMS } from './pki-secrets';
import { issuedCert, loadLedger, saveLedger } from './revocation-ledger';

const RevokeInputSchema = z.object({
  spec: ClusterSpecSchema,
  /** The members that stay, the joining one included: everyone else the ledger knows is revoked. */
  hosts: z.array(HostSchema).min(1),
  pki: PkiRefsSchema,
  /**
   * Members known to have left (names, or lists of names: `States.Array($.failed.name, $.removal.removed)`), whose
   * secrets are read for their pairs even when the ledger never noted them (a cluster from before the ledger).
   */
  leaving: z.array(z.union([z.string().min(1), z.array(z.string().min(1))])).default([]),
});

export interface RevocationResult {
  /** The CRL every member loads (PEM "X509 CRL"). */
  readonly crl: string;
  readonly crlNumber: number;
  /** Members revoked by this run. */
  readonly revoked: string[];
  /** Why the CRL was signed anew, when it was. */
  readonly signed?: string;
}

export function makeRevokeCertificates(deps: Pick<StepDeps, 'secrets' | 'clock' | 'log'>) {
  return async function revokeCertificates(raw: unknown): Promise<RevocationResult> {
    const input = parseOrThrow(RevokeInputSchema, raw, 'Revoke Certificates input');
    const cluster = input.spec.clusterName;
    const now = deps.clock.now();
    const keep = input.hosts.map((h) => h.name);
    const leaving = [...new Set(input.leaving.flat())].filter((name) => !keep.includes(name));
    const found = await pairsInSecrets(deps.secrets, cluster, leaving);
    const { ledger, revokedMembers } = revokeMembersNotKept(await loadLedger(deps.secrets, cluster), { keep, found, now });
    for (const member of revokedMembers) await untagMemberSecret(deps.secrets, cluster, member, ledger);

    const ca = await readCa(deps.secrets, input.pki.ca);
    const caId = caIdOf(ca.certPem);
    const listed = ledger.crl?.caId === caId ? (await readRevocationList(ledger.crl.pem, ca.certPem)).serials : undefined;
    const due = crlDue(ledger, caId, listed, now, CRL_VALIDITY_DAYS);
    let updated: RevocationLedger = ledger;
    if (due !== undefined) {
      const number = (ledger.crl?.number ?? 0) + 1;
      const pem = await signRevocationList({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, revoked: ledger.revoked, number, now });
      updated = { ...ledger, crl: { number, caId, signedAt: now.toISOString(), pem } };
    }
    await saveLedger(deps.secrets, cluster, updated);
    const crl = updated.crl!;
    deps.log.info('revocation list', { cluster, revokedNow: revokedMembers, revokedSerials: updated.revoked.length, crlNumber: crl.number, signed: due ?? 'unchanged' });
    return { crl: crl.pem, crlNumber: crl.number, revoked: revokedMembers, ...(due !== undefined && { signed: due }) };
  };
}

/** The server and peer certificates still in the secrets of members that left (none when a secret is gone). */
async function pairsInSecrets(store: SecretStore, cluster: string, members: readonly string[]): Promise<Record<string, IssuedCert[]>> {
  const found: Record<string, IssuedCert[]> = {};
  for (const member of members) {
    const text = await store.get(store.nameFor(cluster, SECRET_ITEMS.member(member)));
    if (text === undefined) continue;
    const certs = decodeMemberBundle(text).filter((f) => f.path === 'etcd/server.crt' || f.path === 'etcd/peer.crt');
    found[member] = certs.map((f) => issuedCert({ certPem: f.content }));
  }
  return found;
}

/**
 * The member's secret with only the cluster, member and revoked tags: the put drops every other `etcd-ha:` tag
 * (instance ID and ARN), so the host policy matches no instance. Its value stays as it is.
 */
async function untagMemberSecret(store: SecretStore, cluster: string, member: string, ledger: RevocationLedger): Promise<void> {
  const name = store.nameFor(cluster, SECRET_ITEMS.member(member));
  const value = await store.get(name);
  if (value === undefined) return;
  const revokedAt = ledger.revoked.filter((r) => r.member === member).map((r) => r.revokedAt).sort()[0] ?? 'unknown';
  await store.put(name, value, {
    description: `etcd member ${member} of ${cluster}: removed, its certificates revoked; readable by no host (kept until the cluster is deleted)`,
    tags: { [CLUSTER_TAG]: cluster, [MEMBER_TAG]: member, [REVOKED_TAG]: revokedAt },
  });
}

async function readCa(store: SecretStore, name: string): Promise<CertKeyPair> {
  const text = await store.get(name);
  if (text === undefined) throw new SecretMissingError(`secret ${name} (the etcd CA) is missing: Generate PKI makes it first`);
  const { certPem, keyPem } = JSON.parse(text) as CertKeyPair;
  return { certPem, keyPem };
}
