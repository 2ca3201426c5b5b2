// Each profile issued once and checked against kubeadm's facts twice: decoded by node-forge and
// read back by openssl (an independent X.509 implementation).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import forge from 'node-forge';
import {
  APISERVER_ETCD_CLIENT,
  ETCD_CA,
  ETCD_HEALTHCHECK_CLIENT,
  ETCD_PEER,
  ETCD_SERVER,
  resolveSubject,
  type CertProfile,
} from '../../../lambdas/core/pki/cert-profiles';
import { issueCertificate, randomSerialHex, type CertKeyPair } from '../../../lambdas/core/pki/issue';
import { PkiError } from '../../../lambdas/core/errors';
import { DAY_MS, NOW, opensslExtension, opensslText, opensslVerify, sampleSpec } from './support';

const spec = sampleSpec({
  certificates: { serverCertSANs: ['etcd.example.com', '10.0.1.10'], peerCertSANs: ['peer.example.com', 'fd00::20'] },
});
const infra0 = spec.members[0]!;
const leafOptions = { validityDays: 365, keyAlgorithm: 'RSA-2048', now: NOW } as const;
const ca = issueCertificate(ETCD_CA, resolveSubject(ETCD_CA, spec), 'self-signed', { ...leafOptions, validityDays: 3650 });
const caCert = forge.pki.certificateFromPem(ca.certPem);

interface Case {
  readonly profile: CertProfile;
  readonly pair: CertKeyPair;
  readonly cn: string;
  readonly isCA: boolean;
  /** openssl's wording. */
  readonly keyUsage: string;
  readonly eku?: string;
  readonly forgeEku: readonly string[];
  readonly san?: string;
  readonly days: number;
  readonly purpose?: 'sslserver' | 'sslclient';
}

const leaf = (profile: CertProfile, member?: typeof infra0) =>
  issueCertificate(profile, resolveSubject(profile, spec, member), ca, leafOptions);

const cases: Case[] = [
  {
    profile: ETCD_CA,
    pair: ca,
    cn: 'etcd-ca',
    isCA: true,
    keyUsage: 'Digital Signature, Key Encipherment, Certificate Sign',
    forgeEku: [],
    san: 'DNS:etcd-ca',
    days: 3650,
  },
  {
    profile: ETCD_SERVER,
    pair: leaf(ETCD_SERVER, infra0),
    cn: 'infra0',
    isCA: false,
    keyUsage: 'Digital Signature, Key Encipherment',
    eku: 'TLS Web Server Authentication, TLS Web Client Authentication',
    forgeEku: ['serverAuth', 'clientAuth'],
    // kubeadm's SANs plus the stable names (lambdas/core/names.ts): the member's own and the clients'.
    san: 'DNS:infra0, DNS:localhost, DNS:infra0.demo.etcd-ha.internal, DNS:etcd.demo.etcd-ha.internal, DNS:etcd.example.com, IP Address:10.0.0.6, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:10.0.1.10',
    days: 365,
    purpose: 'sslserver',
  },
  {
    profile: ETCD_PEER,
    pair: leaf(ETCD_PEER, infra0),
    cn: 'infra0',
    isCA: false,
    keyUsage: 'Digital Signature, Key Encipherment',
    eku: 'TLS Web Server Authentication, TLS Web Client Authentication',
    forgeEku: ['serverAuth', 'clientAuth'],
    // kubeadm's SANs plus the stable names (lambdas/core/names.ts): the member's own and the clients'.
    san: 'DNS:infra0, DNS:localhost, DNS:infra0.demo.etcd-ha.internal, DNS:etcd.demo.etcd-ha.internal, DNS:peer.example.com, IP Address:10.0.0.6, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:FD00:0:0:0:0:0:0:20',
    days: 365,
    purpose: 'sslserver',
  },
  {
    profile: ETCD_HEALTHCHECK_CLIENT,
    pair: leaf(ETCD_HEALTHCHECK_CLIENT),
    cn: 'kube-etcd-healthcheck-client',
    isCA: false,
    keyUsage: 'Digital Signature, Key Encipherment',
    eku: 'TLS Web Client Authentication',
    forgeEku: ['clientAuth'],
    days: 365,
    purpose: 'sslclient',
  },
  {
    profile: APISERVER_ETCD_CLIENT,
    pair: leaf(APISERVER_ETCD_CLIENT),
    cn: 'kube-apiserver-etcd-client',
    isCA: false,
    keyUsage: 'Digital Signature, Key Encipherment',
    eku: 'TLS Web Client Authentication',
    forgeEku: ['clientAuth'],
    days: 365,
    purpose: 'sslclient',
  },
];

type Ext = Record<string, unknown> & { critical?: boolean };
const ext = (cert: forge.pki.Certificate, name: string) => cert.getExtension(name) as Ext | null;

describe('issueCertificate: each profile as kubeadm issues it', () => {
  for (const c of cases) {
    describe(c.profile.name, () => {
      const cert = forge.pki.certificateFromPem(c.pair.certPem);
      const text = opensslText(c.pair.certPem);

      it('PEM headers: CERTIFICATE and PKCS#1 RSA PRIVATE KEY, LF line ends', () => {
        assert.match(c.pair.certPem, /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/);
        assert.match(c.pair.keyPem, /^-----BEGIN RSA PRIVATE KEY-----\n[\s\S]+\n-----END RSA PRIVATE KEY-----\n$/);
        assert.ok(!c.pair.certPem.includes('\r') && !c.pair.keyPem.includes('\r'));
      });

      it('subject is CN only (no O=system:masters), issuer is etcd-ca', () => {
        assert.deepEqual(cert.subject.attributes.map((a) => [a.shortName, a.value]), [['CN', c.cn]]);
        assert.deepEqual(cert.issuer.attributes.map((a) => [a.shortName, a.value]), [['CN', 'etcd-ca']]);
        assert.match(text, new RegExp(`\\n\\s*Subject: CN = ${c.cn}\\n`));
        assert.match(text, /\n\s*Issuer: CN = etcd-ca\n/);
      });

      it('SHA-256 with RSA, 2048-bit key matching the certificate', () => {
        assert.equal(forge.pki.oids[cert.signatureOid], 'sha256WithRSAEncryption');
        assert.equal((text.match(/Signature Algorithm: sha256WithRSAEncryption/g) ?? []).length, 2);
        assert.match(text, /Public-Key: \(2048 bit\)/);
        const key = forge.pki.privateKeyFromPem(c.pair.keyPem);
        assert.ok((cert.publicKey as forge.pki.rsa.PublicKey).n.equals(key.n));
      });

      it(`validity: NotBefore now - 5 min, NotAfter now + ${c.days} days`, () => {
        assert.equal(cert.validity.notBefore.toISOString(), new Date(NOW.getTime() - 5 * 60 * 1000).toISOString());
        assert.equal(cert.validity.notAfter.toISOString(), new Date(NOW.getTime() + c.days * DAY_MS).toISOString());
        const notBefore = /Not Before: (.+)\n/.exec(text)![1]!;
        const notAfter = /Not After : (.+)\n/.exec(text)![1]!;
        assert.equal(new Date(notBefore).getTime(), NOW.getTime() - 5 * 60 * 1000);
        assert.equal(new Date(notAfter).getTime(), NOW.getTime() + c.days * DAY_MS);
      });

      it('serial is positive, at most 63 bits, minimally encoded', () => {
        assert.match(cert.serialNumber, /^[0-7][0-9a-f]|^00[89a-f]/);
        assert.ok(BigInt(`0x${cert.serialNumber}`) < 2n ** 63n);
        assert.doesNotMatch(text, /Negative/);
      });

      it('basic constraints and key usage are critical', () => {
        assert.equal(ext(cert, 'basicConstraints')?.cA, c.isCA);
        assert.equal(ext(cert, 'basicConstraints')?.critical, true);
        assert.deepEqual(opensslExtension(text, 'X509v3 Basic Constraints'), { critical: true, value: c.isCA ? 'CA:TRUE' : 'CA:FALSE' });
        assert.deepEqual(opensslExtension(text, 'X509v3 Key Usage'), { critical: true, value: c.keyUsage });
        const ku = ext(cert, 'keyUsage')!;
        assert.equal(ku.critical, true);
        assert.equal(ku.keyCertSign, c.isCA);
      });

      it('extended key usage', () => {
        assert.deepEqual(opensslExtension(text, 'X509v3 Extended Key Usage')?.value, c.eku);
        const eku = ext(cert, 'extKeyUsage') ?? {};
        for (const name of ['serverAuth', 'clientAuth', 'codeSigning']) {
          assert.equal(eku[name] === true, c.forgeEku.includes(name), name);
        }
      });

      it('subject alternative names', () => {
        assert.equal(opensslExtension(text, 'X509v3 Subject Alternative Name')?.value, c.san);
      });

      it('key identifiers: SKID always, AKID = CA SKID on leaves', () => {
        const skid = opensslExtension(text, 'X509v3 Subject Key Identifier')?.value;
        assert.ok(skid);
        const caSkid = opensslExtension(opensslText(ca.certPem), 'X509v3 Subject Key Identifier')!.value;
        const akid = opensslExtension(text, 'X509v3 Authority Key Identifier')?.value;
        if (c.isCA) assert.equal(akid, undefined);
        else assert.equal(akid?.replace(/^keyid:/, ''), caSkid);
      });

      it('openssl verify -x509_strict accepts it under the CA' + (c.purpose ? ` for ${c.purpose}` : ''), () => {
        const result = opensslVerify(ca.certPem, c.pair.certPem, NOW, c.purpose);
        assert.equal(result.status, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /: OK\n$/);
        assert.ok(caCert.verify(cert));
      });
    });
  }

  it('a client certificate does not pass as a server certificate', () => {
    const client = cases.find((c) => c.profile === ETCD_HEALTHCHECK_CLIENT)!;
    assert.notEqual(opensslVerify(ca.certPem, client.pair.certPem, NOW, 'sslserver').status, 0);
  });

  it('two issues of one profile get different serials and keys', () => {
    const again = leaf(ETCD_SERVER, infra0);
    const first = cases.find((c) => c.profile === ETCD_SERVER)!.pair;
    assert.notEqual(forge.pki.certificateFromPem(again.certPem).serialNumber, forge.pki.certificateFromPem(first.certPem).serialNumber);
    assert.notEqual(again.keyPem, first.keyPem);
  });

  it('RSA-3072 when the spec asks for it', () => {
    const pair = issueCertificate(ETCD_PEER, resolveSubject(ETCD_PEER, spec, infra0), ca, { ...leafOptions, keyAlgorithm: 'RSA-3072' });
    assert.match(opensslText(pair.certPem), /Public-Key: \(3072 bit\)/);
    assert.equal(forge.pki.privateKeyFromPem(pair.keyPem).n.bitLength(), 3072);
    assert.equal(opensslVerify(ca.certPem, pair.certPem, NOW, 'sslserver').status, 0);
  });

  it('a CA must be self-signed and a leaf must have a CA signer', () => {
    assert.throws(() => issueCertificate(ETCD_CA, resolveSubject(ETCD_CA, spec), ca, leafOptions), PkiError);
    assert.throws(() => issueCertificate(ETCD_SERVER, resolveSubject(ETCD_SERVER, spec, infra0), 'self-signed', leafOptions), PkiError);
  });
});

describe('randomSerialHex', () => {
  it('is positive, below 2^63, minimal DER, and does not repeat', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const hex = randomSerialHex();
      assert.equal(hex.length % 2, 0);
      const first = parseInt(hex.slice(0, 2), 16);
      // A leading 00 is only there to keep a following high bit from reading as a sign.
      if (first === 0) assert.ok(parseInt(hex.slice(2, 4), 16) >= 0x80, hex);
      else assert.ok(first < 0x80, hex);
      const value = BigInt(`0x${hex}`);
      assert.ok(value > 0n && value < 2n ** 63n, hex);
      seen.add(hex);
    }
    assert.equal(seen.size, 5000);
  });
});
