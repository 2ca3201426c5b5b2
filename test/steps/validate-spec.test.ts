// Validate Spec against the specs that would take over a host (issue 13, item 4): each is refused naming the
// field and the reason, before anything is written. `validateSpec` is the step under the default policy (as
// before this rule existed, so each exploit here is accepted by the code that had no such rule);
// makeValidateSpec takes a deployment's policy.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeValidateSpec, validateSpec } from '../../lambdas/steps/validate-spec';
import { createProvisionSteps } from '../../lambdas/steps';
import { SpecValidationError } from '../../lambdas/core/errors';
import { DEFAULT_SPEC_POLICY } from '../../lambdas/core/spec-policy';
import { errorOf } from '../support/rejection';
import type { ProvisionDeps } from '../../lambdas/steps';

const members = [{ name: 'infra0' }, { name: 'infra1' }, { name: 'infra2' }];
const spec = (etcd: Record<string, unknown>, runtime = 'systemd') => ({ clusterName: 'victim', runtime, members, etcd });

/** [exploit, spec, field the error names, words of the reason] */
const exploits: Array<[string, unknown, string, RegExp]> = [
  ['config-file (etcd then ignores every other flag, TLS included)', spec({ extraArgs: { 'config-file': '/tmp/plain.yaml' } }), 'etcd.extraArgs.config-file', /ignore every other flag, TLS included/],
  ['a plaintext listen-client-http-urls', spec({ extraArgs: { 'listen-client-http-urls': 'http://0.0.0.0:2382' } }), 'etcd.extraArgs.listen-client-http-urls', /plaintext endpoint/],
  ['a plaintext client listener, even with allowOwnedFlagOverrides', spec({ extraArgs: { 'listen-client-urls': 'http://0.0.0.0:2379' }, allowOwnedFlagOverrides: ['listen-client-urls'] }), 'etcd.extraArgs.listen-client-urls', /plaintext endpoint/],
  ['client-cert-auth=false, even with allowOwnedFlagOverrides', spec({ extraArgs: { 'client-cert-auth': 'false' }, allowOwnedFlagOverrides: ['client-cert-auth'] }), 'etcd.extraArgs.client-cert-auth', /replaces the TLS/],
  ['a trusted CA of their own, even with allowOwnedFlagOverrides', spec({ extraArgs: { 'trusted-ca-file': '/tmp/evil-ca.crt' }, allowOwnedFlagOverrides: ['trusted-ca-file'] }), 'etcd.extraArgs.trusted-ca-file', /replaces the TLS/],
  ['auto-tls', spec({ extraArgs: { 'auto-tls': 'true' } }), 'etcd.extraArgs.auto-tls', /self-signed/],
  ['peer-auto-tls', spec({ extraArgs: { 'peer-auto-tls': 'true' } }), 'etcd.extraArgs.peer-auto-tls', /self-signed/],
  ['an empty CRL of their own, even with allowOwnedFlagOverrides', spec({ extraArgs: { 'peer-crl-file': '/dev/null' }, allowOwnedFlagOverrides: ['peer-crl-file'] }), 'etcd.extraArgs.peer-crl-file', /revocation list/],
  ['etcd logs appended to a root-owned file', spec({ extraArgs: { 'log-outputs': '/etc/cron.d/etcd' } }), 'etcd.extraArgs.log-outputs', /append to a file as root/],
  ['an image from any registry (it runs privileged with the PKI mounted)', spec({ imageRepository: 'evil.example.com/etcd' }, 'kubeadm'), 'etcd.imageRepository', /not an allowed registry/],
  ['any binary, run as root', spec({ binaryPath: '/tmp/etcd' }), 'etcd.binaryPath', /not below an allowed directory/],
  ['a binary beside an allowed directory', spec({ binaryPath: '/usr/local/bin-evil/etcd' }), 'etcd.binaryPath', /not below an allowed directory/],
  ['a binary that climbs out of an allowed directory', spec({ binaryPath: '/usr/local/bin/../../../tmp/etcd' }), 'etcd.binaryPath', /"\.\."/],
  ['dataDir "/" (the write script would chmod 0700 /)', spec({ dataDir: '/' }), 'etcd.dataDir', /system directory/],
  ['dataDir /etc', spec({ dataDir: '/etc' }), 'etcd.dataDir', /lies in \/etc/],
  ['dataDir a home', spec({ dataDir: '/home/ubuntu' }), 'etcd.dataDir', /home directory/],
  ['dataDir climbing out with ".."', spec({ dataDir: '/var/lib/etcd/../../..' }), 'etcd.dataDir', /"\.\."/],
];

describe('Validate Spec refuses a spec that would take over a host', () => {
  for (const [exploit, input, field, reason] of exploits) {
    it(`refuses ${exploit}`, async () => {
      const error = await errorOf(validateSpec({ spec: input }));
      assert.ok(error instanceof SpecValidationError, String(error));
      const problem = error.problems.find((p) => p.startsWith(`${field}: `));
      assert.ok(problem, `no problem names ${field}: ${error.problems.join(' | ')}`);
      assert.match(problem, reason);
    });
  }

  it('accepts the usual settings: kubeadm\'s registry, a versioned binary under /opt/etcd, https listeners, a dedicated data dir', async () => {
    const { spec: parsed } = await validateSpec({
      spec: spec({
        imageRepository: 'registry.k8s.io',
        binaryPath: '/opt/etcd/v3.5.16/etcd',
        dataDir: '/data/etcd',
        extraArgs: { 'listen-client-urls': 'https://0.0.0.0:2379', 'quota-backend-bytes': '8589934592', 'log-outputs': 'stderr' },
        allowOwnedFlagOverrides: ['listen-client-urls'],
      }),
    });
    assert.equal(parsed.etcd.binaryPath, '/opt/etcd/v3.5.16/etcd');
  });
});

describe('Validate Spec under a deployment\'s policy', () => {
  const policy = { imageRepositories: ['mirror.example.com/k8s'], binaryDirectories: ['/srv/bin'], etcdSecurityFlags: ['auto-tls'] };
  const step = makeValidateSpec({ specPolicy: policy });

  it('accepts what the policy allows', async () => {
    const { spec: parsed } = await step({ spec: spec({ imageRepository: 'mirror.example.com/k8s', binaryPath: '/srv/bin/etcd', extraArgs: { 'auto-tls': 'true' } }) });
    assert.equal(parsed.etcd.extraArgs['auto-tls'], 'true');
  });

  it('refuses what it does not, the defaults included (each list replaces its default)', async () => {
    const error = await errorOf(step({ spec: spec({ imageRepository: 'registry.k8s.io', binaryPath: '/usr/local/bin/etcd', extraArgs: { 'config-file': '/x.yaml' } }) }));
    assert.ok(error instanceof SpecValidationError);
    assert.deepEqual(error.problems.map((p) => p.split(':')[0]), ['etcd.imageRepository', 'etcd.binaryPath', 'etcd.extraArgs.config-file']);
  });

  it('is the policy the provision steps are built with (ProvisionDeps.specPolicy), the default without one', async () => {
    const deps = { specPolicy: policy } as unknown as ProvisionDeps;
    await createProvisionSteps(deps).validateSpec({ spec: spec({ binaryPath: '/srv/bin/etcd' }) });
    await assert.rejects(createProvisionSteps({} as ProvisionDeps).validateSpec({ spec: spec({ binaryPath: '/srv/bin/etcd' }) }), /etcd\.binaryPath/);
    assert.deepEqual(DEFAULT_SPEC_POLICY.binaryDirectories, ['/usr/local/bin', '/usr/bin', '/opt/etcd']);
  });
});
