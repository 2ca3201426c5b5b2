// Issues any certificate profile: a fresh RSA key and an X.509 certificate shaped like kubeadm's
// (pkiutil NewSelfSignedCACert / NewSignedCert). Time comes in through options.now, never the clock.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { PkiError } from '../errors';
import type { ClusterSpec } from '../spec';
import type { CertProfile, CertSubject } from './cert-profiles';

/** A certificate and its private key, both PEM ("CERTIFICATE", PKCS#1 "RSA PRIVATE KEY"). */
export interface CertKeyPair {
  readonly certPem: string;
  readonly keyPem: string;
}

export type KeyAlgorithm = ClusterSpec['certificates']['keyAlgorithm'];

export interface IssueOptions {
  readonly validityDays: number;
  readonly keyAlgorithm: KeyAlgorithm;
  /** NotBefore is now - 5 minutes, NotAfter is now + validityDays. */
  readonly now: Date;
}

/** The CA pair that signs a leaf, or 'self-signed' for the CA itself. */
export type Signer = CertKeyPair | 'self-signed';

export const KEY_BITS: Readonly<Record<KeyAlgorithm, number>> = { 'RSA-2048': 2048, 'RSA-3072': 3072, 'RSA-4096': 4096 };

/** kubeadm's CertificateBackdate: tolerates clocks that are a little behind. */
export const BACKDATE_MS = 5 * 60 * 1000;
export const DAY_MS = 24 * 60 * 60 * 1000;

export function issueCertificate(profile: CertProfile, subject: CertSubject, signer: Signer, options: IssueOptions): CertKeyPair {
  if (profile.isCA !== (signer === 'self-signed')) {
    throw new PkiError(`certificate ${profile.name} must be ${profile.isCA ? 'self-signed' : 'signed by the etcd CA'}`);
  }
  // Node generates RSA keys natively (forge's pure-JS generation takes seconds) and writes PKCS#1 directly.
  const { privateKey: keyPem } = generateKeyPairSync('rsa', {
    modulusLength: KEY_BITS[options.keyAlgorithm],
    publicExponent: 0x10001,
    publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const key = forge.pki.privateKeyFromPem(keyPem);

  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = new Date(options.now.getTime() - BACKDATE_MS);
  cert.validity.notAfter = new Date(options.now.getTime() + options.validityDays * DAY_MS);
  cert.setSubject([{ name: 'commonName', value: subject.commonName }]);

  let signingKey = key;
  let authority: forge.pki.Certificate | undefined;
  if (signer === 'self-signed') {
    cert.setIssuer(cert.subject.attributes);
  } else {
    authority = forge.pki.certificateFromPem(signer.certPem);
    signingKey = forge.pki.privateKeyFromPem(signer.keyPem);
    cert.setIssuer(authority.subject.attributes);
  }
  cert.setExtensions(extensionsFor(profile, subject, authority));
  // forge signs with SHA-1 unless told otherwise.
  cert.sign(signingKey, forge.md.sha256.create());
  return { certPem: toLf(forge.pki.certificateToPem(cert)), keyPem: toLf(keyPem) };
}

function extensionsFor(profile: CertProfile, subject: CertSubject, authority: forge.pki.Certificate | undefined): object[] {
  const extensions: object[] = [
    { name: 'basicConstraints', critical: true, cA: profile.isCA },
    { name: 'keyUsage', critical: true, ...flags(profile.keyUsages) },
  ];
  if (profile.extKeyUsages.length > 0) extensions.push({ name: 'extKeyUsage', ...flags(profile.extKeyUsages) });
  extensions.push({ name: 'subjectKeyIdentifier' });
  if (authority !== undefined) {
    // forge's `keyIdentifier: true` would put the leaf's OWN key id here: pass the CA's explicitly.
    extensions.push({ name: 'authorityKeyIdentifier', keyIdentifier: subjectKeyIdentifierBytes(authority) });
  }
  const altNames = [
    ...subject.dnsNames.map((value) => ({ type: 2, value })),
    ...subject.ipAddresses.map((ip) => ({ type: 7, ip })),
  ];
  if (altNames.length > 0) extensions.push({ name: 'subjectAltName', altNames });
  return extensions;
}

// The CA's own SKID extension when it has one (a CA made elsewhere may derive it differently).
function subjectKeyIdentifierBytes(cert: forge.pki.Certificate): string {
  const ext = cert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | null | undefined;
  if (ext?.subjectKeyIdentifier) return forge.util.hexToBytes(ext.subjectKeyIdentifier);
  return cert.generateSubjectKeyIdentifier().getBytes();
}

function flags(names: readonly string[]): Record<string, true> {
  return Object.fromEntries(names.map((name) => [name, true]));
}

/**
 * A random positive 63-bit serial as minimal DER hex. forge writes the hex bytes verbatim into the
 * INTEGER, so a set top bit would make it negative and a leading 00 byte would be non-minimal DER
 * (Go's x509 rejects both).
 */
export function randomSerialHex(): string {
  for (;;) {
    const bytes = randomBytes(8);
    bytes[0] = bytes[0] & 0x7f;
    const value = BigInt(`0x${bytes.toString('hex')}`);
    if (value === 0n) continue;
    let hex = value.toString(16);
    if (hex.length % 2 === 1) hex = `0${hex}`;
    if (parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
    return hex;
  }
}

// forge writes PEM with CRLF line ends; files on Linux hosts read better with LF.
function toLf(pem: string): string {
  return pem.replace(/\r\n/g, '\n');
}
