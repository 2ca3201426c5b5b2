// A short public name of a CA: the first 16 hex digits of the SHA-256 of its certificate (DER). A cluster's CA
// is made once and kept, so this stays the same across re-runs and differs between clusters built apart.
import { createHash } from 'node:crypto';

export function caIdOf(caCertPem: string): string {
  const body = caCertPem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return createHash('sha256').update(Buffer.from(body, 'base64')).digest('hex').slice(0, 16);
}
