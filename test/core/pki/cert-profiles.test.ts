import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CERT_PROFILES,
  ETCD_CA,
  ETCD_HEALTHCHECK_CLIENT,
  ETCD_PEER,
  ETCD_SERVER,
  APISERVER_ETCD_CLIENT,
  resolveSubject,
  canonicalIp,
} from '../../../lambdas/core/pki/cert-profiles';
import { MemberAddressMissingError } from '../../../lambdas/core/errors';
import { sampleSpec } from './support';

describe('etcd certificate profiles (kubeadm certlist.go)', () => {
  /** [name, files base, scope, isCA, key usages, EKUs, validity field] straight from REFERENCE.md §1. */
  const kubeadm: Array<[string, string, string, boolean, string[], string[], string]> = [
    ['etcd-ca', 'etcd/ca', 'cluster', true, ['keyCertSign', 'digitalSignature', 'keyEncipherment'], [], 'caValidityDays'],
    ['etcd-server', 'etcd/server', 'member', false, ['digitalSignature', 'keyEncipherment'], ['serverAuth', 'clientAuth'], 'validityDays'],
    ['etcd-peer', 'etcd/peer', 'member', false, ['digitalSignature', 'keyEncipherment'], ['serverAuth', 'clientAuth'], 'validityDays'],
    ['etcd-healthcheck-client', 'etcd/healthcheck-client', 'cluster', false, ['digitalSignature', 'keyEncipherment'], ['clientAuth'], 'validityDays'],
    ['apiserver-etcd-client', 'apiserver-etcd-client', 'cluster', false, ['digitalSignature', 'keyEncipherment'], ['clientAuth'], 'validityDays'],
  ];

  it('declares exactly the five kubeadm etcd certificates', () => {
    assert.deepEqual(CERT_PROFILES.map((p) => p.name), kubeadm.map(([name]) => name));
  });

  for (const [name, baseName, scope, isCA, keyUsages, extKeyUsages, validity] of kubeadm) {
    it(`${name}: files ${baseName}.crt/.key, ${scope}, ${isCA ? 'CA' : 'leaf'}`, () => {
      const profile = CERT_PROFILES.find((p) => p.name === name)!;
      assert.equal(profile.baseName, baseName);
      assert.equal(profile.scope, scope);
      assert.equal(profile.isCA, isCA);
      assert.deepEqual([...profile.keyUsages].sort(), [...keyUsages].sort());
      assert.deepEqual([...profile.extKeyUsages].sort(), [...extKeyUsages].sort());
      assert.equal(profile.validity, validity);
    });
  }
});

describe('resolveSubject', () => {
  const spec = sampleSpec({
    certificates: {
      serverCertSANs: ['etcd.example.com', '10.0.1.10', '10.0.0.6', 'localhost', '0:0::1', 'FD00::0010'],
      peerCertSANs: ['peer.example.com', 'fd00::20'],
    },
  });
  const infra0 = spec.members[0]!;

  it('fixed subjects: CA has DNS etcd-ca; the two clients have no SANs', () => {
    assert.deepEqual(resolveSubject(ETCD_CA, spec), { commonName: 'etcd-ca', dnsNames: ['etcd-ca'], ipAddresses: [] });
    assert.deepEqual(resolveSubject(ETCD_HEALTHCHECK_CLIENT, spec), {
      commonName: 'kube-etcd-healthcheck-client',
      dnsNames: [],
      ipAddresses: [],
    });
    assert.deepEqual(resolveSubject(APISERVER_ETCD_CLIENT, spec), {
      commonName: 'kube-apiserver-etcd-client',
      dnsNames: [],
      ipAddresses: [],
    });
  });

  // Beyond kubeadm's list (certlist.go): the member's stable name and the clients' name (lambdas/core/names.ts), so
  // that a client configured with `etcd.<cluster>.<zone>` verifies whichever member answers, also after replacements.
  it('server: member name, localhost, its stable names, address, loopbacks, then serverCertSANs split by kind and deduplicated', () => {
    assert.deepEqual(resolveSubject(ETCD_SERVER, spec, infra0), {
      commonName: 'infra0',
      dnsNames: ['infra0', 'localhost', 'infra0.demo.etcd-ha.internal', 'etcd.demo.etcd-ha.internal', 'etcd.example.com'],
      ipAddresses: ['10.0.0.6', '127.0.0.1', '::1', '10.0.1.10', 'fd00::10'],
    });
  });

  it('peer: same base, plus peerCertSANs instead of serverCertSANs', () => {
    assert.deepEqual(resolveSubject(ETCD_PEER, spec, infra0), {
      commonName: 'infra0',
      dnsNames: ['infra0', 'localhost', 'infra0.demo.etcd-ha.internal', 'etcd.demo.etcd-ha.internal', 'peer.example.com'],
      ipAddresses: ['10.0.0.6', '127.0.0.1', '::1', 'fd00::20'],
    });
  });

  it('the stable names follow the spec\'s dnsZone', () => {
    const other = sampleSpec({ dnsZone: 'etcd.corp.example' });
    assert.deepEqual(resolveSubject(ETCD_SERVER, other, other.members[0]!).dnsNames, ['infra0', 'localhost', 'infra0.demo.etcd.corp.example', 'etcd.demo.etcd.corp.example']);
  });

  it('a member without address is a named error naming the member', () => {
    const noAddress = { name: 'infra9' };
    assert.throws(() => resolveSubject(ETCD_SERVER, spec, noAddress), (error: unknown) => {
      assert.ok(error instanceof MemberAddressMissingError);
      assert.equal(error.name, 'MemberAddressMissingError');
      assert.equal(error.member, 'infra9');
      assert.match(error.message, /"infra9"/);
      return true;
    });
  });

  it('canonicalIp compresses IPv6 and keeps IPv4', () => {
    assert.equal(canonicalIp('0:0:0:0:0:0:0:1'), '::1');
    assert.equal(canonicalIp('FD00:0:0::0010'), 'fd00::10');
    assert.equal(canonicalIp('10.0.0.6'), '10.0.0.6');
  });
});
