// The revocation ledger: which certificate serials were issued to which member, which are revoked, and the CRL last
// signed from them. Kept in the cluster's `revocation` secret (steps only, like the CA): a member's secret holds only
// its current pair, but a pair reissued while it was a member (renewed, new SANs) stays valid for up to a year, so
// every serial issued to a member is noted here and all of them are revoked when it leaves. Pure: no I/O, time given.
import { z } from 'zod';
import { parseOrThrow } from '../parse';
import { DAY_MS } from './issue';
import { normalSerial } from './crl';

const SerialSchema = z.string().regex(/^[0-9a-f]+$/, 'must be a certificate serial in lower-case hex');
const IsoSchema = z.iso.datetime({ error: 'must be an ISO 8601 UTC time' });

const IssuedSchema = z.strictObject({ serial: SerialSchema, notAfter: IsoSchema });
const RevokedSchema = z.strictObject({ serial: SerialSchema, member: z.string().min(1), revokedAt: IsoSchema, notAfter: IsoSchema });

export const RevocationLedgerSchema = z.strictObject({
  format: z.literal(1),
  /** By member name: every server and peer certificate issued to it while it is a member. */
  issued: z.record(z.string(), z.array(IssuedSchema)),
  /** Certificates of members that left, until they expire. */
  revoked: z.array(RevokedSchema),
  /** The CRL last signed: by which CA (caId), its number, when, and its PEM (public). */
  crl: z
    .strictObject({ number: z.number().int().min(1), caId: z.string().min(1), signedAt: IsoSchema, pem: z.string().startsWith('-----BEGIN X509 CRL-----') })
    .optional(),
});

export type RevocationLedger = z.output<typeof RevocationLedgerSchema>;
export type IssuedCert = z.output<typeof IssuedSchema>;
export type RevokedCert = z.output<typeof RevokedSchema>;

export const EMPTY_LEDGER: RevocationLedger = { format: 1, issued: {}, revoked: [] };

/** The CRL is signed again this long before its nextUpdate (CRL_VALIDITY_DAYS after signing). */
export const CRL_RENEW_BEFORE_DAYS = 30;

/**
 * The ledger kept in secret `name`, or an empty one when there is none yet.
 * @throws SpecValidationError naming the secret and the field that is out of shape.
 */
export function parseLedger(text: string | undefined, name: string): RevocationLedger {
  if (text === undefined) return EMPTY_LEDGER;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return parseOrThrow(RevocationLedgerSchema, json, `revocation ledger in secret ${name}`);
}

/** The ledger with `certs` noted as issued to `member` (each serial once). */
export function noteIssued(ledger: RevocationLedger, member: string, certs: readonly IssuedCert[]): RevocationLedger {
  const known = ledger.issued[member] ?? [];
  const added = certs.map((c) => ({ ...c, serial: normalSerial(c.serial) })).filter((c) => !known.some((k) => k.serial === c.serial));
  if (added.length === 0) return ledger;
  return { ...ledger, issued: { ...ledger.issued, [member]: [...known, ...added] } };
}

export interface RevokeRequest {
  /** The members that stay (and any joining one): never revoked. */
  readonly keep: readonly string[];
  /** Certificates found elsewhere (a removed member's secret), by member name: revoked with the noted ones. */
  readonly found: Readonly<Record<string, readonly IssuedCert[]>>;
  readonly now: Date;
}

/**
 * Every member the ledger or `found` knows that is not kept: its certificates move to `revoked` (each serial once).
 * Revoked certificates that have expired are dropped (an expired certificate is refused anyway).
 */
export function revokeMembersNotKept(ledger: RevocationLedger, request: RevokeRequest): { ledger: RevocationLedger; revokedMembers: string[] } {
  const keep = new Set(request.keep);
  const leaving = [...new Set([...Object.keys(ledger.issued), ...Object.keys(request.found)])].filter((name) => !keep.has(name)).sort();
  const revokedAt = request.now.toISOString();
  const revoked = [...ledger.revoked];
  for (const member of leaving) {
    for (const cert of [...(ledger.issued[member] ?? []), ...(request.found[member] ?? [])]) {
      const serial = normalSerial(cert.serial);
      if (!revoked.some((r) => r.serial === serial)) revoked.push({ serial, member, revokedAt, notAfter: cert.notAfter });
    }
  }
  const issued = Object.fromEntries(Object.entries(ledger.issued).filter(([name]) => keep.has(name)));
  const live = revoked.filter((r) => new Date(r.notAfter).getTime() > request.now.getTime());
  return { ledger: { ...ledger, issued, revoked: live }, revokedMembers: leaving };
}

/** Whether `serial` is on the ledger's revoked list. */
export function isRevoked(ledger: RevocationLedger, serial: string): boolean {
  const wanted = normalSerial(serial);
  return ledger.revoked.some((r) => r.serial === wanted);
}

/**
 * Why a new CRL must be signed, or undefined when the last one still says it all: none yet, another CA, other
 * serials than those revoked, or its nextUpdate near.
 */
export function crlDue(ledger: RevocationLedger, caId: string, listed: readonly string[] | undefined, now: Date, validityDays: number): string | undefined {
  if (!ledger.crl) return 'no CRL yet';
  if (ledger.crl.caId !== caId) return 'signed by another CA';
  const want = ledger.revoked.map((r) => r.serial).sort();
  if (listed === undefined || JSON.stringify([...listed].sort()) !== JSON.stringify(want)) return 'the revoked serials changed';
  const renewAt = new Date(ledger.crl.signedAt).getTime() + (validityDays - CRL_RENEW_BEFORE_DAYS) * DAY_MS;
  if (now.getTime() >= renewAt) return 'its nextUpdate is near';
  return undefined;
}
