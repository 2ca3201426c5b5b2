import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { adoptedPki } from '../../../lambdas/core/adopt/adopted-pki';
import { APISERVER_ETCD_CLIENT, ETCD_CA, ETCD_HEALTHCHECK_CLIENT, ETCD_PEER, ETCD_SERVER, resolveSubject, type CertProfile } from '../../../lambdas/core/pki/cert-profiles';
import { issueCertificate, type CertKeyPair } from '../../../lambdas/core/pki/issue';
import { parseRecordedClusterSpec, type ClusterSpec } from '../../../lambdas/core/spec';
import { CaUnusableError } from '../../../lambdas/core/errors';

const NOW = new Date('2026-12-05T00:00:00Z');
const spec: ClusterSpec = parseRecordedClusterSpec({ clusterName: 'prod', members: [{ name: 'cp-1', address: '10.0.0.6' }], allowSingleMember: true });
const options = { validityDays: 365, keyAlgorithm: 'RSA-2048' as const, now: NOW };

type Files = Record<string, string>;
let files: Files;
let otherCa: CertKeyPair;

function leaf(profile: CertProfile, ca: CertKeyPair, address = '10.0.0.6'): CertKeyPair {
  const member = { name: 'cp-1', address };
  return issueCertificate(profile, resolveSubject(profile, spec, profile.scope === 'member' ? member : undefined), ca, options);
}

/** The upload text as upload-adopted-pki.sh writes it. */
function upload(f: Files): string {
  const body = Object.entries(f).map(([path, content]) => `=== ${path} ${path.endsWith('.key') ? '0600' : '0644'}\n${content}`);
  return ['# etcd-ha adoption upload, format 1: files of /etc/kubernetes/pki, each after a "=== <path> <mode>" line\n', ...body, '=== END\n'].join('');
}

function put(f: Files, base: string, pair: CertKeyPair): void {
  f[`${base}.crt`] = pair.certPem;
  f[`${base}.key`] = pair.keyPem;
}

before(() => {
  const ca = issueCertificate(ETCD_CA, resolveSubject(ETCD_CA, spec), 'self-signed', { ...options, validityDays: 3650 });
  otherCa = issueCertificate(ETCD_CA, resolveSubject(ETCD_CA, spec), 'self-signed', { ...options, validityDays: 3650 });
  files = {};
  put(files, 'etcd/ca', ca);
  put(files, 'etcd/server', leaf(ETCD_SERVER, ca));
  put(files, 'etcd/peer', leaf(ETCD_PEER, ca));
  put(files, 'etcd/healthcheck-client', leaf(ETCD_HEALTHCHECK_CLIENT, ca));
  put(files, 'apiserver-etcd-client', leaf(APISERVER_ETCD_CLIENT, ca));
});

describe('adoptedPki', () => {
  it("kubeadm's files become the cluster's PKI as they are: the CA pair kept, the member's pairs, both clients; nothing to note", () => {
    const { pki, notes } = adoptedPki(upload(files), spec, NOW);
    assert.equal(pki.ca.certPem, files['etcd/ca.crt']);
    assert.equal(pki.ca.keyPem, files['etcd/ca.key']);
    assert.equal(pki.members['cp-1']?.server.certPem, files['etcd/server.crt']);
    assert.equal(pki.members['cp-1']?.peer.keyPem, files['etcd/peer.key']);
    assert.equal(pki.healthcheckClient.certPem, files['etcd/healthcheck-client.crt']);
    assert.equal(pki.apiserverEtcdClient.certPem, files['apiserver-etcd-client.crt']);
    assert.deepEqual(notes, []);
  });

  it('a pair whose key is not its certificate\'s: refused naming the file', () => {
    assert.throws(() => adoptedPki(upload({ ...files, 'etcd/server.key': files['etcd/peer.key']! }), spec, NOW), /etcd\/server\.crt: the key does not match the certificate/);
  });

  it('a pair another CA signed: refused naming the file', () => {
    const f = { ...files };
    put(f, 'etcd/healthcheck-client', leaf(ETCD_HEALTHCHECK_CLIENT, otherCa));
    assert.throws(() => adoptedPki(upload(f), spec, NOW), /healthcheck-client\.crt: not signed by the host's etcd CA/);
  });

  it("a peer certificate without the host's address: refused (new members dial it)", () => {
    const f = { ...files };
    put(f, 'etcd/peer', leaf(ETCD_PEER, { certPem: files['etcd/ca.crt']!, keyPem: files['etcd/ca.key']! }, '10.0.0.99'));
    assert.throws(() => adoptedPki(upload(f), spec, NOW), /etcd\/peer\.crt: does not name the host's address 10\.0\.0\.6/);
  });

  it('an EC CA key: refused (RSA only)', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    assert.throws(() => adoptedPki(upload({ ...files, 'etcd/ca.key': ec }), spec, NOW), /etcd\/ca\.key: etcd-ha signs with RSA keys only/);
  });

  it('a CA key that is not the CA certificate\'s, or an expired CA: refused by the CA checks', () => {
    assert.throws(() => adoptedPki(upload({ ...files, 'etcd/ca.key': otherCa.keyPem }), spec, NOW), /CA certificate and key do not match/);
    assert.throws(() => adoptedPki(upload(files), spec, new Date('2037-01-01T00:00:00Z')), CaUnusableError);
  });

  it('a missing pair: refused naming the file', () => {
    const { ['apiserver-etcd-client.key']: _gone, ...f } = files;
    assert.throws(() => adoptedPki(upload(f), spec, NOW), /lacks \/etc\/kubernetes\/pki\/apiserver-etcd-client\.key/);
  });

  it('a leaf that differs from the profile (another CN) is kept and noted for reissue', () => {
    const f = { ...files };
    const ca = { certPem: files['etcd/ca.crt']!, keyPem: files['etcd/ca.key']! };
    put(f, 'etcd/healthcheck-client', issueCertificate(ETCD_HEALTHCHECK_CLIENT, { commonName: 'old-healthcheck', dnsNames: [], ipAddresses: [] }, ca, options));
    const { pki, notes } = adoptedPki(upload(f), spec, NOW);
    assert.equal(pki.healthcheckClient.certPem, f['etcd/healthcheck-client.crt']);
    assert.match(notes.join('\n'), /healthcheck-client\.crt: kept, reissued by the next Generate PKI \(CN is old-healthcheck/);
  });
});
