// The cluster's certificate revocation list: signed by the etcd CA (node-forge cannot write CRLs, @peculiar/x509
// can), loaded by every member with --client-crl-file and --peer-crl-file. etcd (3.4 and 3.5, pkg/transport
// listener_tls.go checkCRL) reads the file on every accepted TLS connection and refuses a peer certificate whose
// serial is listed; it checks neither the signature nor nextUpdate, but other readers (openssl) do, so both are
// right. A missing or unparsable file makes etcd refuse every connection: the file goes out before the flag.
import { createPrivateKey, webcrypto } from 'node:crypto';
import './reflect-metadata-shim';
import * as x509 from '@peculiar/x509';
import { PkiError } from '../errors';
import { DAY_MS } from './issue';

/** A certificate on the list: its serial (hex, as in the certificate) and when it was revoked. */
export interface RevokedSerial {
  readonly serial: string;
  readonly revokedAt: string;
}

export interface CrlRequest {
  readonly caCertPem: string;
  readonly caKeyPem: string;
  readonly revoked: readonly RevokedSerial[];
  /** The CRL number (RFC 5280 5.2.3): grows with every list signed. */
  readonly number: number;
  readonly now: Date;
  /** @default 365: as long as a leaf lives; the list is signed again on every membership change and well before this. */
  readonly validityDays?: number;
}

export const CRL_VALIDITY_DAYS = 365;
const CRL_NUMBER_OID = '2.5.29.20';
const SIGNING = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

/** A serial as etcd compares it (Go's big.Int bytes): lower-case hex without leading zero bytes. */
export function normalSerial(hex: string): string {
  if (!/^[0-9a-fA-F]+$/.test(hex)) throw new PkiError(`certificate serial "${hex}" is not hexadecimal`);
  const trimmed = hex.toLowerCase().replace(/^(00)+/, '');
  return trimmed === '' ? '00' : trimmed;
}

/** The serial of a PEM certificate, normalised. */
export function serialOf(certPem: string): string {
  return normalSerial(new x509.X509Certificate(certPem).serialNumber);
}

/** The expiry of a PEM certificate. */
export function notAfterOf(certPem: string): Date {
  return new x509.X509Certificate(certPem).notAfter;
}

/** A non-negative integer as DER INTEGER bytes. */
function derInteger(value: number): Uint8Array {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  if (parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  const body = Buffer.from(hex, 'hex');
  return Uint8Array.from([0x02, body.length, ...body]);
}

/**
 * The CRL (PEM, "X509 CRL") listing `revoked`, signed with the CA key (PKCS#1 RSA PEM, SHA-256): issuer the CA's
 * subject, thisUpdate now, nextUpdate now + validityDays, a CRL number. An empty list is a valid CRL (bootstrap).
 * @throws PkiError when the key is not the CA certificate's, or a serial is not hexadecimal.
 */
export async function signRevocationList(request: CrlRequest): Promise<string> {
  if (!Number.isInteger(request.number) || request.number < 1) throw new PkiError(`CRL number must be a whole number >= 1, got ${request.number}`);
  const ca = new x509.X509Certificate(request.caCertPem);
  const pkcs8 = createPrivateKey(request.caKeyPem).export({ format: 'der', type: 'pkcs8' });
  const signingKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, SIGNING, false, ['sign']);
  const crl = await x509.X509CrlGenerator.create(
    {
      issuer: ca.subject,
      thisUpdate: request.now,
      nextUpdate: new Date(request.now.getTime() + (request.validityDays ?? CRL_VALIDITY_DAYS) * DAY_MS),
      signingAlgorithm: SIGNING,
      signingKey,
      extensions: [new x509.Extension(CRL_NUMBER_OID, false, derInteger(request.number))],
      entries: request.revoked.map((r) => ({ serialNumber: normalSerial(r.serial), revocationDate: new Date(r.revokedAt) })),
    },
    webcrypto as never,
  );
  if (!(await crl.verify({ publicKey: ca.publicKey }, webcrypto as never))) {
    throw new PkiError('the CRL does not verify with the CA certificate: the CA key and certificate are not a pair');
  }
  return crlPem(crl.rawData);
}

/**
 * PEM with the "X509 CRL" label: Go's x509.ParseCRL (etcd) takes PEM only with that label and reads anything else
 * as DER, so @peculiar/x509's own "CRL" label would make etcd refuse every connection. Lines of 64, LF.
 */
function crlPem(der: ArrayBuffer): string {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
  return ['-----BEGIN X509 CRL-----', ...lines, '-----END X509 CRL-----', ''].join('\n');
}

/** What a CRL says: its serials (normalised), its number, thisUpdate/nextUpdate, and whether the CA signed it. */
export async function readRevocationList(crlPem: string, caCertPem: string): Promise<{ serials: string[]; thisUpdate: Date; nextUpdate?: Date; signedByCa: boolean }> {
  const crl = new x509.X509Crl(crlPem);
  const ca = new x509.X509Certificate(caCertPem);
  const signedByCa = await crl.verify({ publicKey: ca.publicKey }, webcrypto as never).catch(() => false);
  return {
    serials: crl.entries.map((e) => normalSerial(e.serialNumber)),
    thisUpdate: crl.thisUpdate,
    ...(crl.nextUpdate && { nextUpdate: crl.nextUpdate }),
    signedByCa,
  };
}
