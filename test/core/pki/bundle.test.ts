// What a member's host receives: kubeadm's layout, key modes, and never the CA key.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { memberHostFiles, type MemberPki } from '../../../lambdas/core/pki/bundle';
import { ETCD_CA, ETCD_PEER, ETCD_SERVER, resolveSubject } from '../../../lambdas/core/pki/cert-profiles';
import { issueCertificate } from '../../../lambdas/core/pki/issue';
import { CaKeyInBundleError } from '../../../lambdas/core/errors';
import { NOW, sampleSpec } from './support';

const spec = sampleSpec();
const infra0 = spec.members[0]!;
const options = { validityDays: 365, keyAlgorithm: 'RSA-2048', now: NOW } as const;
const ca = issueCertificate(ETCD_CA, resolveSubject(ETCD_CA, spec), 'self-signed', options);
const member: MemberPki = {
  server: issueCertificate(ETCD_SERVER, resolveSubject(ETCD_SERVER, spec, infra0), ca, options),
  peer: issueCertificate(ETCD_PEER, resolveSubject(ETCD_PEER, spec, infra0), ca, options),
};

describe('memberHostFiles', () => {
  const files = memberHostFiles(ca.certPem, member);

  it('lays out kubeadm paths under certificatesDir: certs 0644, keys 0600', () => {
    assert.deepEqual(
      files.map((f) => [f.path, f.mode.toString(8)]),
      [
        ['etcd/ca.crt', '644'],
        ['etcd/server.crt', '644'],
        ['etcd/server.key', '600'],
        ['etcd/peer.crt', '644'],
        ['etcd/peer.key', '600'],
      ],
    );
    assert.deepEqual(
      files.map((f) => f.content),
      [ca.certPem, member.server.certPem, member.server.keyPem, member.peer.certPem, member.peer.keyPem],
    );
  });

  it('never carries the CA key', () => {
    assert.ok(files.every((f) => f.content !== ca.keyPem && !f.content.includes(ca.keyPem.trim())));
    assert.ok(!files.some((f) => f.path === 'etcd/ca.key'));
    for (const file of files) {
      assert.equal(file.content.includes('PRIVATE KEY'), file.path.endsWith('.key'), file.path);
    }
  });

  it('refuses the CA pair handed over as a member pair', () => {
    assert.throws(() => memberHostFiles(ca.certPem, { server: ca, peer: member.peer }), (error: unknown) => {
      assert.ok(error instanceof CaKeyInBundleError);
      assert.equal(error.name, 'CaKeyInBundleError');
      return true;
    });
    assert.throws(() => memberHostFiles(ca.certPem, { server: member.server, peer: { certPem: member.peer.certPem, keyPem: ca.keyPem } }), CaKeyInBundleError);
  });

  it('refuses a CA "certificate" that carries the CA key', () => {
    assert.throws(() => memberHostFiles(ca.certPem + ca.keyPem, member), CaKeyInBundleError);
  });
});
