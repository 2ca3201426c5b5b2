// Idempotency: running the PKI step again reuses what still fits and reissues only for a reason.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import forge from 'node-forge';
import { ensureClusterPki, type ClusterPki, type PkiAction } from '../../../lambdas/core/pki/bundle';
import { ensureCa, ensureLeaf, describeCertificate } from '../../../lambdas/core/pki/reconcile';
import { issueCertificate } from '../../../lambdas/core/pki/issue';
import { ETCD_PEER, ETCD_SERVER, resolveSubject } from '../../../lambdas/core/pki/cert-profiles';
import { CaKeyMismatchError, CaUnusableError, MemberAddressMissingError } from '../../../lambdas/core/errors';
import { DAY_MS, NOW, opensslVerify, sampleSpec } from './support';

const spec = sampleSpec();
const first = ensureClusterPki(undefined, spec, NOW);
const later = new Date(NOW.getTime() + 7 * DAY_MS);

const summary = (actions: readonly PkiAction[]) => actions.map((a) => `${a.cert}${a.member ? `/${a.member}` : ''}:${a.action}`);
const changed = (actions: readonly PkiAction[]) => actions.filter((a) => a.action !== 'reused');
const withMember = (pki: ClusterPki, name: string, patch: Partial<ClusterPki['members'][string]>): ClusterPki => ({
  ...pki,
  members: { ...pki.members, [name]: { ...pki.members[name]!, ...patch } },
});

describe('ensureClusterPki', () => {
  it('first run issues the CA, both clients, and server + peer per member', () => {
    assert.deepEqual(summary(first.actions), [
      'etcd-ca:issued',
      'etcd-healthcheck-client:issued',
      'apiserver-etcd-client:issued',
      'etcd-server/infra0:issued',
      'etcd-peer/infra0:issued',
      'etcd-server/infra1:issued',
      'etcd-peer/infra1:issued',
      'etcd-server/infra2:issued',
      'etcd-peer/infra2:issued',
    ]);
    assert.deepEqual(Object.keys(first.pki.members), ['infra0', 'infra1', 'infra2']);
    for (const [name, member] of Object.entries(first.pki.members)) {
      for (const pair of [member.server, member.peer]) {
        assert.equal(describeCertificate(pair.certPem).commonName, name);
        assert.equal(opensslVerify(first.pki.ca.certPem, pair.certPem, NOW, 'sslserver').status, 0);
      }
    }
  });

  it('second run reuses everything and returns identical PEMs', () => {
    const second = ensureClusterPki(first.pki, spec, later);
    assert.deepEqual(changed(second.actions), []);
    assert.equal(second.actions.length, 9);
    assert.deepEqual(second.pki, first.pki);
    assert.deepEqual(second.droppedMembers, []);
  });

  it('a certificate expiring within renewBeforeDays (10 days left) is reissued with the reason', () => {
    const subject = resolveSubject(ETCD_SERVER, spec, spec.members[1]);
    const expiring = issueCertificate(ETCD_SERVER, subject, first.pki.ca, { validityDays: 365, keyAlgorithm: 'RSA-2048', now: new Date(NOW.getTime() - 355 * DAY_MS) });
    const result = ensureClusterPki(withMember(first.pki, 'infra1', { server: expiring }), spec, NOW);
    const [action, ...others] = changed(result.actions);
    assert.equal(others.length, 0);
    assert.equal(action?.cert, 'etcd-server');
    assert.equal(action?.member, 'infra1');
    assert.equal(action?.action, 'reissued');
    assert.match(action?.reason ?? '', /expires 2025-06-11T12:00:00.000Z \(renewBeforeDays 30\)/);
    assert.equal(describeCertificate(result.pki.members.infra1!.server.certPem).notAfter.toISOString(), '2026-06-01T12:00:00.000Z');
  });

  it('a changed member address reissues that member\'s server and peer, naming the SANs', () => {
    const moved = sampleSpec({
      members: [
        { name: 'infra0', address: '10.0.0.6' },
        { name: 'infra1', address: '10.0.0.9' },
        { name: 'infra2', address: '10.0.0.8' },
      ],
    });
    const result = ensureClusterPki(first.pki, moved, later);
    assert.deepEqual(summary(changed(result.actions)), ['etcd-server/infra1:reissued', 'etcd-peer/infra1:reissued']);
    for (const action of changed(result.actions)) assert.equal(action.reason, 'SANs changed (+IP:10.0.0.9, -IP:10.0.0.7)');
    assert.ok(describeCertificate(result.pki.members.infra1!.peer.certPem).ipAddresses.includes('10.0.0.9'));
  });

  it('an extra serverCertSAN reissues every server certificate and no peer certificate', () => {
    const wider = sampleSpec({ certificates: { serverCertSANs: ['etcd.example.com'] } });
    const result = ensureClusterPki(first.pki, wider, later);
    assert.deepEqual(summary(changed(result.actions)), ['etcd-server/infra0:reissued', 'etcd-server/infra1:reissued', 'etcd-server/infra2:reissued']);
    assert.match(changed(result.actions)[0]!.reason!, /\+DNS:etcd\.example\.com/);
    // kubeadm's names, the stable names (lambdas/core/names.ts), then the extra SAN.
    assert.deepEqual(describeCertificate(result.pki.members.infra2!.server.certPem).dnsNames, ['infra2', 'localhost', 'infra2.demo.etcd-ha.internal', 'etcd.demo.etcd-ha.internal', 'etcd.example.com']);
  });

  it('a stored server or peer certificate without the stable names (issued before them) is reissued, and only it', () => {
    const infra1 = spec.members[1]!;
    const withoutNames = (profile: typeof ETCD_SERVER) => {
      const subject = resolveSubject(profile, spec, infra1);
      return { ...subject, dnsNames: subject.dnsNames.filter((n) => !n.endsWith('.etcd-ha.internal')) };
    };
    const options = { validityDays: 365, keyAlgorithm: 'RSA-2048' as const, now: NOW };
    const old = { server: issueCertificate(ETCD_SERVER, withoutNames(ETCD_SERVER), first.pki.ca, options), peer: issueCertificate(ETCD_PEER, withoutNames(ETCD_PEER), first.pki.ca, options) };
    const result = ensureClusterPki(withMember(first.pki, 'infra1', old), spec, later);
    assert.deepEqual(summary(changed(result.actions)), ['etcd-server/infra1:reissued', 'etcd-peer/infra1:reissued']);
    for (const action of changed(result.actions)) assert.equal(action.reason, 'SANs changed (+DNS:infra1.demo.etcd-ha.internal, +DNS:etcd.demo.etcd-ha.internal)');
    assert.ok(describeCertificate(result.pki.members.infra1!.server.certPem).dnsNames.includes('etcd.demo.etcd-ha.internal'));
  });

  it('a replaced CA reissues every leaf', () => {
    const result = ensureClusterPki({ ...first.pki, ca: undefined }, spec, later);
    assert.equal(result.actions[0]!.action, 'issued');
    const leaves = result.actions.slice(1);
    assert.equal(leaves.length, 8);
    for (const action of leaves) {
      assert.equal(action.action, 'reissued');
      assert.equal(action.reason, 'not signed by the current etcd CA');
    }
    assert.notEqual(result.pki.ca.certPem, first.pki.ca.certPem);
    assert.equal(opensslVerify(result.pki.ca.certPem, result.pki.apiserverEtcdClient.certPem, later, 'sslclient').status, 0);
    assert.notEqual(opensslVerify(first.pki.ca.certPem, result.pki.apiserverEtcdClient.certPem, later).status, 0);
  });

  it('a new member gets its certificates issued; the member it replaced is dropped; nothing else changes', () => {
    const replaced = sampleSpec({
      members: [
        { name: 'infra0', address: '10.0.0.6' },
        { name: 'infra1', address: '10.0.0.7' },
        { name: 'infra3', address: '10.0.0.9' },
      ],
    });
    const result = ensureClusterPki(first.pki, replaced, later);
    assert.deepEqual(summary(changed(result.actions)), ['etcd-server/infra3:issued', 'etcd-peer/infra3:issued']);
    assert.deepEqual(Object.keys(result.pki.members), ['infra0', 'infra1', 'infra3']);
    assert.deepEqual(result.droppedMembers, ['infra2']);
    assert.deepEqual(result.pki.members.infra0, first.pki.members.infra0);
  });

  it('a member without an address fails with a named error naming it', () => {
    const partial = sampleSpec({
      members: [
        { name: 'infra0', address: '10.0.0.6' },
        { name: 'infra1' },
        { name: 'infra2', address: '10.0.0.8' },
      ],
    });
    assert.throws(() => ensureClusterPki(undefined, partial, NOW), (error: unknown) => {
      assert.ok(error instanceof MemberAddressMissingError);
      assert.equal(error.name, 'MemberAddressMissingError');
      assert.equal(error.member, 'infra1');
      return true;
    });
  });

  it('a stored CA whose key does not match its certificate is refused with CaKeyMismatchError', () => {
    const mismatched = { ...first.pki, ca: { certPem: first.pki.ca.certPem, keyPem: first.pki.healthcheckClient.keyPem } };
    assert.throws(() => ensureClusterPki(mismatched, spec, later), (error: unknown) => {
      assert.ok(error instanceof CaKeyMismatchError);
      assert.equal(error.name, 'CaKeyMismatchError');
      return true;
    });
  });
});

describe('ensureCa', () => {
  it('reuses a valid CA as is', () => {
    assert.deepEqual(ensureCa(first.pki.ca, spec, later), { pair: first.pki.ca, action: 'reused' });
  });

  it('refuses an expired CA, a leaf posing as CA, and an unreadable one (CaUnusableError)', () => {
    const afterExpiry = new Date(NOW.getTime() + 3651 * DAY_MS);
    assert.throws(() => ensureCa(first.pki.ca, spec, afterExpiry), { name: 'CaUnusableError', message: /expired on 2035-05-30/ });
    assert.throws(() => ensureCa(first.pki.healthcheckClient, spec, later), { name: 'CaUnusableError', message: /not a CA/ });
    assert.throws(() => ensureCa({ certPem: 'garbage', keyPem: first.pki.ca.keyPem }, spec, later), CaUnusableError);
  });
});

describe('ensureLeaf', () => {
  const infra0 = spec.members[0]!;
  const subject = resolveSubject(ETCD_SERVER, spec, infra0);
  const stored = first.pki.members.infra0!.server;

  it('reissues when the key does not belong to the certificate', () => {
    const swapped = { certPem: stored.certPem, keyPem: first.pki.members.infra0!.peer.keyPem };
    const result = ensureLeaf(swapped, ETCD_SERVER, subject, first.pki.ca, spec, later);
    assert.equal(result.action, 'reissued');
    assert.equal(result.reason, 'key does not match certificate');
  });

  it('reissues when the spec asks for a different key size', () => {
    const bigger = sampleSpec({ certificates: { keyAlgorithm: 'RSA-3072' } });
    const result = ensureLeaf(stored, ETCD_SERVER, subject, first.pki.ca, bigger, later);
    assert.equal(result.action, 'reissued');
    assert.equal(result.reason, 'key is RSA-2048, spec wants RSA-3072');
    assert.equal(forge.pki.privateKeyFromPem(result.pair.keyPem).n.bitLength(), 3072);
  });

  it('reissues an unreadable certificate', () => {
    const result = ensureLeaf({ certPem: 'not a pem', keyPem: stored.keyPem }, ETCD_SERVER, subject, first.pki.ca, spec, later);
    assert.equal(result.action, 'reissued');
    assert.match(result.reason ?? '', /^certificate unreadable/);
  });

  it('reuses a fitting certificate and gives no reason', () => {
    const result = ensureLeaf(stored, ETCD_SERVER, subject, first.pki.ca, spec, later);
    assert.deepEqual(result, { pair: stored, action: 'reused' });
  });
});

describe('describeCertificate', () => {
  it('summarises a server certificate without key material', () => {
    const summaryOf = describeCertificate(first.pki.members.infra0!.server.certPem);
    assert.deepEqual({ ...summaryOf, serialHex: typeof summaryOf.serialHex }, {
      commonName: 'infra0',
      // kubeadm's two names, then the stable names (lambdas/core/names.ts).
      dnsNames: ['infra0', 'localhost', 'infra0.demo.etcd-ha.internal', 'etcd.demo.etcd-ha.internal'],
      ipAddresses: ['10.0.0.6', '127.0.0.1', '::1'],
      notBefore: new Date('2025-06-01T11:55:00Z'),
      notAfter: new Date('2026-06-01T12:00:00Z'),
      serialHex: 'string',
      issuerCN: 'etcd-ca',
      extKeyUsages: ['serverAuth', 'clientAuth'],
    });
    assert.doesNotMatch(JSON.stringify(summaryOf), /PRIVATE|BEGIN/);
    assert.equal(describeCertificate(first.pki.ca.certPem).extKeyUsages.length, 0);
  });
});
