// The CRL signed with the etcd CA, read back by openssl (an independent X.509 implementation): the CA's
// signature, the listed serials and the CRL number.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ETCD_CA, ETCD_PEER, ETCD_SERVER, resolveSubject } from '../../../lambdas/core/pki/cert-profiles';
import { issueCertificate } from '../../../lambdas/core/pki/issue';
import { normalSerial, readRevocationList, serialOf, signRevocationList } from '../../../lambdas/core/pki/crl';
import { PkiError } from '../../../lambdas/core/errors';
import { NOW, openssl, sampleSpec } from './support';

const spec = sampleSpec();
const options = { validityDays: 365, keyAlgorithm: 'RSA-2048', now: NOW } as const;
const ca = issueCertificate(ETCD_CA, resolveSubject(ETCD_CA, spec), 'self-signed', { ...options, validityDays: 3650 });
const otherCa = issueCertificate(ETCD_CA, resolveSubject(ETCD_CA, spec), 'self-signed', { ...options, validityDays: 3650 });
const revokedLeaf = issueCertificate(ETCD_SERVER, resolveSubject(ETCD_SERVER, spec, spec.members[0]!), ca, options);
const keptLeaf = issueCertificate(ETCD_PEER, resolveSubject(ETCD_PEER, spec, spec.members[1]!), ca, options);

/** `openssl crl -CAfile`: whether openssl finds the CRL's signature to be the CA's. */
function opensslCrlSignature(crlPem: string, caPem: string) {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-ha-crl-'));
  try {
    writeFileSync(join(dir, 'ca.crt'), caPem);
    return openssl(['crl', '-noout', '-CAfile', join(dir, 'ca.crt')], crlPem);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The CA keeps kubeadm's key usages (certSign, digitalSignature, keyEncipherment; no cRLSign), so `openssl verify
// -crl_check` refuses the list ("key usage does not include CRL signing"); etcd checks serials only, never the CRL's
// signature (pkg/transport/listener_tls.go checkCRL). The refusal by etcd is shown with real etcd in
// test/e2e/revocation.etcd.test.ts.
describe('signRevocationList', () => {
  it('lists the revoked serials and only those, with a CRL number; openssl finds it signed by the CA and by no other', async () => {
    const crl = await signRevocationList({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, revoked: [{ serial: serialOf(revokedLeaf.certPem), revokedAt: NOW.toISOString() }], number: 2, now: NOW });
    assert.match(crl, /^-----BEGIN X509 CRL-----\n[\s\S]+\n-----END X509 CRL-----\n$/);
    const text = openssl(['crl', '-noout', '-text'], crl);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /X509v3 CRL Number:\s*\n\s*2\n/);
    assert.match(text.stdout, new RegExp(`Serial Number: ${serialOf(revokedLeaf.certPem).toUpperCase()}`));
    const signature = opensslCrlSignature(crl, ca.certPem);
    assert.equal(signature.status, 0, signature.stderr);
    assert.match(signature.stdout + signature.stderr, /verify OK/);
    assert.doesNotMatch(text.stdout, new RegExp(`Serial Number: ${serialOf(keptLeaf.certPem).toUpperCase()}`));
    const other = opensslCrlSignature(crl, otherCa.certPem);
    assert.doesNotMatch(other.stdout + other.stderr, /verify OK/);
  });

  it('an empty list is a valid CRL (what a new cluster starts with)', async () => {
    const crl = await signRevocationList({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, revoked: [], number: 1, now: NOW });
    const read = await readRevocationList(crl, ca.certPem);
    assert.deepEqual(read.serials, []);
    assert.equal(read.signedByCa, true);
    assert.equal(read.nextUpdate?.toISOString(), new Date(NOW.getTime() + 365 * 86_400_000).toISOString());
    assert.equal(opensslCrlSignature(crl, ca.certPem).status, 0);
  });

  it('reads back what it signed; a list signed by another CA does not verify with this one', async () => {
    const serials = [serialOf(revokedLeaf.certPem), serialOf(keptLeaf.certPem)];
    const crl = await signRevocationList({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, revoked: serials.map((serial) => ({ serial, revokedAt: NOW.toISOString() })), number: 3, now: NOW });
    assert.deepEqual((await readRevocationList(crl, ca.certPem)).serials.sort(), [...serials].sort());
    assert.equal((await readRevocationList(crl, otherCa.certPem)).signedByCa, false);
  });

  it('refuses a key that is not the CA certificate\'s, and a bad CRL number', async () => {
    await assert.rejects(signRevocationList({ caCertPem: ca.certPem, caKeyPem: otherCa.keyPem, revoked: [], number: 1, now: NOW }), PkiError);
    await assert.rejects(signRevocationList({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, revoked: [], number: 0, now: NOW }), /CRL number must be a whole number >= 1, got 0/);
  });
});

describe('normalSerial', () => {
  it('compares as etcd does: lower case, no leading zero bytes', () => {
    assert.equal(normalSerial('00ABCD'), 'abcd');
    assert.equal(normalSerial('0f'), '0f');
    assert.throws(() => normalSerial('xyz'), /certificate serial "xyz" is not hexadecimal/);
  });
});
