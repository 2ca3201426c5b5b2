// The faster paths of the PKI: keys generated in parallel (ensureClusterPkiConcurrently, generateKeyPem)
// and signatures made by Node's RSA. They must issue exactly what the one-key-at-a-time path issues.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import forge from 'node-forge';
import { ensureClusterPki, ensureClusterPkiConcurrently, type PkiAction } from '../../../lambdas/core/pki/bundle';
import { describeCertificate } from '../../../lambdas/core/pki/reconcile';
import { generateKeyPem, issueCertificate } from '../../../lambdas/core/pki/issue';
import { ETCD_CA, ETCD_PEER, ETCD_SERVER, resolveSubject } from '../../../lambdas/core/pki/cert-profiles';
import { MemberAddressMissingError, PkiError } from '../../../lambdas/core/errors';
import { DAY_MS, NOW, opensslVerify, sampleSpec } from './support';

const spec = sampleSpec();
const later = new Date(NOW.getTime() + 7 * DAY_MS);
const summary = (actions: readonly PkiAction[]) => actions.map((a) => `${a.cert}${a.member ? `/${a.member}` : ''}:${a.action}${a.reason ? ` (${a.reason})` : ''}`);
const modulus = (keyPem: string) => forge.pki.privateKeyFromPem(keyPem).n.toString(16);

describe('ensureClusterPkiConcurrently', () => {
  it('first run: the same actions as ensureClusterPki, each certificate with a key of its own, verified by openssl', async () => {
    const result = await ensureClusterPkiConcurrently(undefined, spec, NOW);
    assert.deepEqual(summary(result.actions), summary(ensureClusterPki(undefined, spec, NOW).actions));
    const pairs = [result.pki.ca, result.pki.healthcheckClient, result.pki.apiserverEtcdClient, ...Object.values(result.pki.members).flatMap((m) => [m.server, m.peer])];
    assert.equal(pairs.length, 9);
    assert.equal(new Set(pairs.map((p) => modulus(p.keyPem))).size, 9, 'nine distinct keys');
    for (const pair of pairs) {
      assert.match(pair.keyPem, /^-----BEGIN RSA PRIVATE KEY-----\n/);
      assert.equal(forge.pki.privateKeyFromPem(pair.keyPem).n.bitLength(), 2048);
      const cert = forge.pki.certificateFromPem(pair.certPem);
      assert.equal((cert.publicKey as forge.pki.rsa.PublicKey).n.toString(16), modulus(pair.keyPem), 'certificate and key are a pair');
    }
    for (const [name, member] of Object.entries(result.pki.members)) {
      assert.equal(describeCertificate(member.server.certPem).commonName, name);
      assert.equal(opensslVerify(result.pki.ca.certPem, member.server.certPem, NOW, 'sslserver').status, 0);
      assert.equal(opensslVerify(result.pki.ca.certPem, member.peer.certPem, NOW, 'sslclient').status, 0);
    }
    assert.equal(opensslVerify(result.pki.ca.certPem, result.pki.healthcheckClient.certPem, NOW, 'sslclient').status, 0);
  });

  it('re-run reuses everything; a changed address reissues exactly what ensureClusterPki reissues', async () => {
    const first = ensureClusterPki(undefined, spec, NOW);
    const again = await ensureClusterPkiConcurrently(first.pki, spec, later);
    assert.deepEqual(again.pki, first.pki);
    assert.ok(again.actions.every((a) => a.action === 'reused'));

    const moved = sampleSpec({
      members: [
        { name: 'infra0', address: '10.0.0.6' },
        { name: 'infra1', address: '10.0.0.9' },
        { name: 'infra3', address: '10.0.0.10' },
      ],
    });
    const concurrent = await ensureClusterPkiConcurrently(first.pki, moved, later);
    const serial = ensureClusterPki(first.pki, moved, later);
    assert.deepEqual(summary(concurrent.actions), summary(serial.actions));
    assert.deepEqual(concurrent.droppedMembers, ['infra2']);
    assert.deepEqual(concurrent.pki.members.infra0, first.pki.members.infra0);
    assert.notEqual(modulus(concurrent.pki.members.infra3!.server.keyPem), modulus(concurrent.pki.members.infra3!.peer.keyPem));
  });

  it('a missing CA reissues every stored leaf, naming the reason', async () => {
    const first = ensureClusterPki(undefined, spec, NOW);
    const result = await ensureClusterPkiConcurrently({ ...first.pki, ca: undefined }, spec, later);
    assert.equal(result.actions[0]!.action, 'issued');
    for (const action of result.actions.slice(1)) assert.equal(`${action.action}: ${action.reason}`, 'reissued: not signed by the current etcd CA');
    assert.equal(opensslVerify(result.pki.ca.certPem, result.pki.members.infra1!.server.certPem, later, 'sslserver').status, 0);
  });

  it('a member without an address fails before any key is generated', async () => {
    const partial = sampleSpec({ members: [{ name: 'infra0', address: '10.0.0.6' }, { name: 'infra1' }, { name: 'infra2', address: '10.0.0.8' }] });
    await assert.rejects(ensureClusterPkiConcurrently(undefined, partial, NOW), MemberAddressMissingError);
  });
});

describe('issueCertificate with a key generated beforehand, signed by Node', () => {
  const options = { validityDays: 365, keyAlgorithm: 'RSA-2048', now: NOW } as const;
  const infra0 = spec.members[0]!;

  it('certifies the given key; the certificate is byte for byte what forge’s own RSA signature gives', async () => {
    const [caKey, leafKey] = await Promise.all([generateKeyPem('RSA-2048'), generateKeyPem('RSA-2048')]);
    const ca = issueCertificate(ETCD_CA, resolveSubject(ETCD_CA, spec), 'self-signed', { ...options, keyPem: caKey });
    const leaf = issueCertificate(ETCD_SERVER, resolveSubject(ETCD_SERVER, spec, infra0), ca, { ...options, keyPem: leafKey });
    assert.equal(ca.keyPem, caKey);
    assert.equal(leaf.keyPem, leafKey);
    for (const [pair, signingKey] of [
      [ca, caKey],
      [leaf, caKey],
    ] as const) {
      const cert = forge.pki.certificateFromPem(pair.certPem);
      cert.sign(forge.pki.privateKeyFromPem(signingKey), forge.md.sha256.create());
      assert.equal(forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n'), pair.certPem);
    }
    assert.ok(forge.pki.certificateFromPem(ca.certPem).verify(forge.pki.certificateFromPem(leaf.certPem)));
  });

  it('refuses a key of another size or format', async () => {
    const ca = issueCertificate(ETCD_CA, resolveSubject(ETCD_CA, spec), 'self-signed', options);
    const subject = resolveSubject(ETCD_PEER, spec, infra0);
    const rsa3072 = await generateKeyPem('RSA-3072');
    assert.throws(() => issueCertificate(ETCD_PEER, subject, ca, { ...options, keyPem: rsa3072 }), (error: unknown) => {
      assert.ok(error instanceof PkiError);
      assert.match(error.message, /is RSA-3072, not RSA-2048/);
      return true;
    });
    const pkcs8 = forge.pki.privateKeyInfoToPem(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(forge.pki.privateKeyFromPem(rsa3072))));
    assert.throws(() => issueCertificate(ETCD_PEER, subject, ca, { ...options, keyAlgorithm: 'RSA-3072', keyPem: pkcs8 }), /not a PKCS#1 RSA key/);
  });
});
