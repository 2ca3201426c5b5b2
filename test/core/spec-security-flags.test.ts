// The security-sensitive etcd flags on their own: each refused with its reason unless the deployment allows it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ETCD_SECURITY_FLAGS, securityFlagProblems } from '../../lambdas/core/spec-security-flags';

const problemOf = (flag: string, value: string, allowed: readonly string[] = []) => securityFlagProblems({ [flag]: value }, allowed)[0]?.message;

describe('securityFlagProblems', () => {
  /** [flag, value, words the reason must contain] */
  const refused: Array<[string, string, RegExp]> = [
    ['config-file', '/etc/etcd/evil.yaml', /read its settings from that file and ignore every other flag, TLS included/],
    ['listen-client-http-urls', 'http://0.0.0.0:2382', /plaintext endpoint \(http:\/\/0\.0\.0\.0:2382\)/],
    ['listen-client-urls', 'https://10.0.0.6:2379,http://0.0.0.0:2379', /plaintext endpoint \(http:\/\/0\.0\.0\.0:2379\)/],
    ['advertise-client-urls', 'HTTP://10.0.0.6:2379', /plaintext endpoint/],
    ['listen-peer-urls', 'http://10.0.0.6:2380', /plaintext endpoint/],
    ['initial-advertise-peer-urls', 'http://10.0.0.6:2380', /plaintext endpoint/],
    ['initial-cluster', 'infra0=https://10.0.0.6:2380,evil=http://10.0.0.66:2380', /plaintext endpoint \(http:\/\/10\.0\.0\.66:2380\)/],
    ['listen-client-urls', 'unix://etcd.sock', /plaintext endpoint/],
    ['client-cert-auth', 'false', /replaces the TLS etcd-ha sets up/],
    ['peer-client-cert-auth', 'false', /replaces the TLS/],
    ['auto-tls', 'true', /self-signed certificate/],
    ['peer-auto-tls', 'true', /self-signed certificate/],
    ['cert-file', '/tmp/server.crt', /replaces the TLS/],
    ['key-file', '/tmp/server.key', /replaces the TLS/],
    ['trusted-ca-file', '/tmp/evil-ca.crt', /replaces the TLS/],
    ['peer-cert-file', '/tmp/peer.crt', /replaces the TLS/],
    ['peer-key-file', '/tmp/peer.key', /replaces the TLS/],
    ['peer-trusted-ca-file', '/tmp/evil-ca.crt', /replaces the TLS/],
    ['client-crl-file', '/dev/null', /revocation list/],
    ['peer-crl-file', '/dev/null', /revocation list/],
    ['experimental-peer-skip-client-san-verification', 'true', /peer certificate's names/],
    ['cipher-suites', 'TLS_RSA_WITH_AES_128_CBC_SHA', /weakens/],
    ['discovery', 'https://discovery.example.com/x', /discovery service/],
    ['force-new-cluster', 'true', /membership/],
    ['log-outputs', 'stderr,/etc/sudoers.d/etcd', /append to a file as root \(\/etc\/sudoers\.d\/etcd\)/],
    ['wal-dir', '/etc', /write-ahead log .* lies in \/etc/],
    ['wal-dir', '/', /write-ahead log .* system directory/],
  ];
  for (const [flag, value, reason] of refused) {
    it(`refuses --${flag}=${value}, naming the flag, the reason and the deployment's allow-list`, () => {
      const message = problemOf(flag, value);
      assert.ok(message, 'accepted');
      assert.ok(message.startsWith(`"--${flag}" `), message);
      assert.match(message, reason);
      assert.match(message, /allowedEtcdSecurityFlags/);
    });
  }

  /** Flags and values that hand nothing over. */
  const accepted: Array<[string, string]> = [
    ['quota-backend-bytes', '8589934592'],
    ['snapshot-count', '5000'],
    ['listen-client-urls', 'https://0.0.0.0:2379'],
    ['listen-client-http-urls', 'https://10.0.0.6:2382'],
    ['listen-metrics-urls', 'http://127.0.0.1:2381'],
    ['log-outputs', 'stderr'],
    ['log-outputs', 'default,systemd/journal'],
    ['wal-dir', '/var/lib/etcd-wal'],
  ];
  for (const [flag, value] of accepted) {
    it(`accepts --${flag}=${value}`, () => assert.equal(problemOf(flag, value), undefined));
  }

  it('lets a flag through when the deployment allows it, and only that flag', () => {
    const problems = securityFlagProblems({ 'config-file': '/etc/etcd/etcd.yaml', 'auto-tls': 'true' }, ['config-file']);
    assert.deepEqual(problems.map((p) => p.flag), ['auto-tls']);
  });

  it('lists every flag it judges (the names a deployment may allow)', () => {
    for (const flag of ['config-file', 'listen-client-http-urls', 'client-cert-auth', 'auto-tls', 'peer-auto-tls', 'cert-file', 'peer-crl-file', 'client-crl-file', 'log-outputs', 'wal-dir']) {
      assert.ok(ETCD_SECURITY_FLAGS.includes(flag), flag);
    }
  });
});
