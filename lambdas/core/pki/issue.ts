// Issues any certificate profile: a fresh RSA key (or one generated beforehand, generateKeyPem) and an
// X.509 certificate shaped like kubeadm's (pkiutil NewSelfSignedCACert / NewSignedCert), built by forge
// and signed by Node. Time comes in through options.now, never the clock.
import { generateKeyPair, generateKeyPairSync, randomBytes, sign, type RSAKeyPairOptions } from 'node:crypto';
import { promisify } from 'node:util';
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
  /**
   * The private key to certify (PKCS#1 PEM, of keyAlgorithm), generated beforehand with generateKeyPem so
   * that several keys can be generated at once.
   * @default - a fresh key, generated here
   */
  readonly keyPem?: string;
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
  const keyPem = options.keyPem ?? generateKeyPairSync('rsa', rsaKeyOptions(options.keyAlgorithm)).privateKey;
  if (!keyPem.startsWith('-----BEGIN RSA PRIVATE KEY-----')) throw new PkiError(`the key given for ${profile.name} is not a PKCS#1 RSA key`);
  const key = forge.pki.privateKeyFromPem(keyPem);
  if (key.n.bitLength() !== KEY_BITS[options.keyAlgorithm]) {
    throw new PkiError(`the key given for ${profile.name} is RSA-${key.n.bitLength()}, not ${options.keyAlgorithm}`);
  }

  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = new Date(options.now.getTime() - BACKDATE_MS);
  cert.validity.notAfter = new Date(options.now.getTime() + options.validityDays * DAY_MS);
  cert.setSubject([{ name: 'commonName', value: subject.commonName }]);

  let signingKeyPem = keyPem;
  let authority: forge.pki.Certificate | undefined;
  if (signer === 'self-signed') {
    cert.setIssuer(cert.subject.attributes);
  } else {
    authority = forge.pki.certificateFromPem(signer.certPem);
    signingKeyPem = signer.keyPem;
    cert.setIssuer(authority.subject.attributes);
  }
  cert.setExtensions(extensionsFor(profile, subject, authority));
  signSha256WithRsa(cert, signingKeyPem);
  return { certPem: toLf(forge.pki.certificateToPem(cert)), keyPem: toLf(keyPem) };
}

/** Part of forge's x509 API that its type definitions leave out. */
interface ForgeTbs {
  getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1;
}

/**
 * What forge's `cert.sign(key, forge.md.sha256.create())` does (forge signs with SHA-1 unless told
 * otherwise), with Node's native RSA in place of forge's pure-JS one (~2 ms instead of ~40-80 ms a
 * signature). RSA PKCS#1 v1.5 signatures are deterministic: the certificate is byte for byte the one
 * forge would produce.
 */
function signSha256WithRsa(cert: forge.pki.Certificate, signingKeyPem: string): void {
  cert.signatureOid = cert.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption!;
  cert.tbsCertificate = (forge.pki as unknown as ForgeTbs).getTBSCertificate(cert);
  const tbs = Buffer.from(forge.asn1.toDer(cert.tbsCertificate).getBytes(), 'binary');
  cert.signature = sign('sha256', tbs, signingKeyPem).toString('binary');
}

// Node generates RSA keys natively (forge's pure-JS generation takes seconds) and writes PKCS#1 directly.
function rsaKeyOptions(keyAlgorithm: KeyAlgorithm): RSAKeyPairOptions<'pem', 'pem'> {
  return {
    modulusLength: KEY_BITS[keyAlgorithm],
    publicExponent: 0x10001,
    publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  };
}

const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * A fresh RSA private key (PKCS#1 PEM) for issueCertificate's keyPem. Generated on libuv's thread pool, so
 * keys requested together are generated in parallel (one RSA-2048 key is ~0.1-0.3 s of CPU).
 */
export async function generateKeyPem(keyAlgorithm: KeyAlgorithm): Promise<string> {
  const { privateKey } = await generateKeyPairAsync('rsa', rsaKeyOptions(keyAlgorithm));
  return privateKey;
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
