// Idempotency for certificates: reuse what is stored when it still fits the spec, issue what is
// missing, and reissue a leaf only for a reason that is reported back ("cert already there" = success).
import forge from 'node-forge';
import { CaKeyMismatchError, CaUnusableError } from '../errors';
import type { ClusterSpec } from '../spec';
import { canonicalIp, ETCD_CA, resolveSubject, type CertProfile, type CertSubject } from './cert-profiles';
import { DAY_MS, issueCertificate, KEY_BITS, type CertKeyPair } from './issue';

export interface CaResult {
  readonly pair: CertKeyPair;
  readonly action: 'reused' | 'issued';
}

export interface LeafResult {
  readonly pair: CertKeyPair;
  readonly action: 'reused' | 'issued' | 'reissued';
  /** Why a stored leaf was replaced; set only when action is 'reissued'. */
  readonly reason?: string;
}

/** What a certificate says, for status output. Holds no key material. */
export interface CertificateSummary {
  readonly commonName: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly serialHex: string;
  readonly issuerCN: string;
  readonly extKeyUsages: readonly string[];
}

/**
 * Reuses a stored etcd CA or issues one when there is none. A CA is never replaced silently:
 * every member trusts it, so a broken one is an error for a person to resolve.
 * @throws CaKeyMismatchError when the stored certificate and key are not a pair.
 * @throws CaUnusableError when the stored CA is unreadable, not a CA, or expired.
 * @param keyPem the key for a new CA (generateKeyPem); @default - one generated here
 */
export function ensureCa(existing: CertKeyPair | undefined, spec: ClusterSpec, now: Date, keyPem?: string): CaResult {
  if (existing === undefined) {
    const subject = resolveSubject(ETCD_CA, spec);
    const pair = issueCertificate(ETCD_CA, subject, 'self-signed', {
      validityDays: spec.certificates[ETCD_CA.validity],
      keyAlgorithm: spec.certificates.keyAlgorithm,
      now,
      ...(keyPem !== undefined && { keyPem }),
    });
    return { pair, action: 'issued' };
  }
  const parsed = parsePair(existing);
  if (typeof parsed === 'string') throw new CaUnusableError(`the stored etcd CA is ${parsed}`);
  if (!keyMatches(parsed)) throw new CaKeyMismatchError('the stored etcd CA certificate and key do not match');
  const constraints = parsed.cert.getExtension('basicConstraints') as { cA?: boolean } | null | undefined;
  if (constraints?.cA !== true) throw new CaUnusableError('the stored etcd CA certificate is not a CA (basicConstraints CA:false)');
  if (parsed.cert.validity.notAfter.getTime() <= now.getTime()) {
    throw new CaUnusableError(`the stored etcd CA expired on ${parsed.cert.validity.notAfter.toISOString()}`);
  }
  // A CA key smaller than spec.keyAlgorithm is kept: replacing the CA means re-trusting every member.
  return { pair: existing, action: 'reused' };
}

/** What ensureLeaf does with a stored leaf, decided without issuing anything. */
export type LeafPlan = { readonly action: 'reused'; readonly pair: CertKeyPair } | { readonly action: 'issued' } | { readonly action: 'reissued'; readonly reason: string };

/** Reuse `existing` when it still fits; otherwise issue (none stored) or reissue (with the reasons). */
export function planLeaf(
  existing: CertKeyPair | undefined,
  profile: CertProfile,
  subject: CertSubject,
  ca: CertKeyPair,
  spec: ClusterSpec,
  now: Date,
): LeafPlan {
  if (existing === undefined) return { action: 'issued' };
  const reasons = staleReasons(existing, profile, subject, ca, spec, now);
  if (reasons.length === 0) return { action: 'reused', pair: existing };
  return { action: 'reissued', reason: reasons.join('; ') };
}

/**
 * Reuses `existing` when it still fits; otherwise issues (none stored) or reissues (with the reasons).
 * @param keyPem the key for a new leaf (generateKeyPem), unused when the leaf is reused; @default - one generated here
 */
export function ensureLeaf(
  existing: CertKeyPair | undefined,
  profile: CertProfile,
  subject: CertSubject,
  ca: CertKeyPair,
  spec: ClusterSpec,
  now: Date,
  keyPem?: string,
): LeafResult {
  return issuePlannedLeaf(planLeaf(existing, profile, subject, ca, spec, now), profile, subject, ca, spec, now, keyPem);
}

/** Carries out a planLeaf decision. */
export function issuePlannedLeaf(
  plan: LeafPlan,
  profile: CertProfile,
  subject: CertSubject,
  ca: CertKeyPair,
  spec: ClusterSpec,
  now: Date,
  keyPem?: string,
): LeafResult {
  if (plan.action === 'reused') return plan;
  const pair = issueCertificate(profile, subject, ca, {
    validityDays: spec.certificates[profile.validity],
    keyAlgorithm: spec.certificates.keyAlgorithm,
    now,
    ...(keyPem !== undefined && { keyPem }),
  });
  return { ...plan, pair };
}

function staleReasons(
  existing: CertKeyPair,
  profile: CertProfile,
  subject: CertSubject,
  ca: CertKeyPair,
  spec: ClusterSpec,
  now: Date,
): string[] {
  const parsed = parsePair(existing);
  if (typeof parsed === 'string') return [parsed];
  const reasons: string[] = [];
  if (!keyMatches(parsed)) reasons.push('key does not match certificate');
  if (!signedBy(parsed.cert, forge.pki.certificateFromPem(ca.certPem))) reasons.push('not signed by the current etcd CA');
  const bits = parsed.key.n.bitLength();
  const wanted = KEY_BITS[spec.certificates.keyAlgorithm];
  if (bits !== wanted) reasons.push(`key is RSA-${bits}, spec wants ${spec.certificates.keyAlgorithm}`);
  reasons.push(...subjectDifferences(describe(parsed.cert), profile, subject));
  const expiresIn = parsed.cert.validity.notAfter.getTime() - now.getTime();
  if (expiresIn <= spec.certificates.renewBeforeDays * DAY_MS) {
    reasons.push(
      `${expiresIn <= 0 ? 'expired' : 'expires'} ${parsed.cert.validity.notAfter.toISOString()} ` +
        `(renewBeforeDays ${spec.certificates.renewBeforeDays})`,
    );
  }
  return reasons;
}

function subjectDifferences(actual: CertificateSummary, profile: CertProfile, wanted: CertSubject): string[] {
  const out: string[] = [];
  if (actual.commonName !== wanted.commonName) out.push(`CN is ${actual.commonName}, want ${wanted.commonName}`);
  const sans = setDifference('DNS', actual.dnsNames, wanted.dnsNames).concat(
    setDifference('IP', actual.ipAddresses, wanted.ipAddresses.map(canonicalIp)),
  );
  if (sans.length > 0) out.push(`SANs changed (${sans.join(', ')})`);
  const eku = [...profile.extKeyUsages].sort().join(',');
  if ([...actual.extKeyUsages].sort().join(',') !== eku) out.push(`extended key usage is not ${eku || 'empty'}`);
  return out;
}

function setDifference(kind: string, actual: readonly string[], wanted: readonly string[]): string[] {
  const added = wanted.filter((v) => !actual.includes(v)).map((v) => `+${kind}:${v}`);
  const removed = actual.filter((v) => !wanted.includes(v)).map((v) => `-${kind}:${v}`);
  return [...added, ...removed];
}

/** Reads a certificate PEM for status output. */
export function describeCertificate(pem: string): CertificateSummary {
  return describe(forge.pki.certificateFromPem(pem));
}

const EXT_KEY_USAGES = ['serverAuth', 'clientAuth', 'codeSigning', 'emailProtection', 'timeStamping'] as const;

function describe(cert: forge.pki.Certificate): CertificateSummary {
  const san = cert.getExtension('subjectAltName') as { altNames?: { type: number; value: string; ip?: string }[] } | null | undefined;
  const altNames = san?.altNames ?? [];
  const eku = (cert.getExtension('extKeyUsage') ?? {}) as Record<string, unknown>;
  return {
    commonName: commonNameOf(cert.subject.attributes),
    dnsNames: altNames.filter((n) => n.type === 2).map((n) => n.value),
    ipAddresses: altNames.filter((n) => n.type === 7 && n.ip !== undefined).map((n) => canonicalIp(n.ip as string)),
    notBefore: cert.validity.notBefore,
    notAfter: cert.validity.notAfter,
    serialHex: cert.serialNumber,
    issuerCN: commonNameOf(cert.issuer.attributes),
    extKeyUsages: EXT_KEY_USAGES.filter((name) => eku[name] === true),
  };
}

function commonNameOf(attributes: forge.pki.CertificateField[]): string {
  const cn = attributes.find((a) => a.name === 'commonName')?.value;
  return typeof cn === 'string' ? cn : '';
}

interface ParsedPair {
  readonly cert: forge.pki.Certificate;
  readonly key: forge.pki.rsa.PrivateKey;
}

/** The parsed pair, or why it could not be read. */
function parsePair(pair: CertKeyPair): ParsedPair | string {
  let cert: forge.pki.Certificate;
  try {
    cert = forge.pki.certificateFromPem(pair.certPem);
  } catch (error) {
    return `certificate unreadable (${(error as Error).message})`;
  }
  let key: forge.pki.rsa.PrivateKey;
  try {
    key = forge.pki.privateKeyFromPem(pair.keyPem);
  } catch (error) {
    return `key unreadable (${(error as Error).message})`;
  }
  return { cert, key };
}

function keyMatches({ cert, key }: ParsedPair): boolean {
  const pub = cert.publicKey as forge.pki.rsa.PublicKey;
  return pub.n !== undefined && pub.n.equals(key.n) && pub.e.equals(key.e);
}

// forge's verify throws when the issuer name differs instead of returning false.
function signedBy(cert: forge.pki.Certificate, ca: forge.pki.Certificate): boolean {
  try {
    return ca.verify(cert);
  } catch {
    return false;
  }
}
