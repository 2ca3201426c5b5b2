// A deployment's spec policy: image registries, binary directories and security flags, on their own and as part of
// parseClusterSpec (every problem, of the schema and of the policy, in one answer).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SPEC_POLICY, SpecPolicySchema, specPolicyProblems, type SpecPolicy } from '../../lambdas/core/spec-policy';
import { parseClusterSpec } from '../../lambdas/core/spec';
import { SpecValidationError } from '../../lambdas/core/errors';

const etcd = (over: Partial<{ imageRepository: string; binaryPath: string; extraArgs: Record<string, string> }> = {}) => ({
  binaryPath: '/usr/local/bin/etcd',
  extraArgs: {},
  ...over,
});
const problems = (settings: ReturnType<typeof etcd>, policy: SpecPolicy = DEFAULT_SPEC_POLICY) =>
  specPolicyProblems(settings, policy).map((p) => `${p.path.join('.')}: ${p.message}`);

describe('specPolicyProblems: imageRepository', () => {
  it('accepts none (kubeadm picks its own) and kubeadm\'s registry', () => {
    assert.deepEqual(problems(etcd()), []);
    assert.deepEqual(problems(etcd({ imageRepository: 'registry.k8s.io' })), []);
  });
  for (const repo of ['evil.example.com', 'docker.io/attacker', 'registry.k8s.io.evil.com', 'registry.k8s.io:5000', 'registry.k8s.iox']) {
    it(`refuses ${repo}, naming the field, the reason and the allowed ones`, () => {
      const [problem] = problems(etcd({ imageRepository: repo }));
      assert.match(problem ?? '', new RegExp(`^etcd\\.imageRepository: "${repo.replace(/\./g, '\\.')}" is not an allowed registry \\(the image runs privileged.*allowed: "registry\\.k8s\\.io" \\(context allowedImageRepositories\\)$`));
    });
  }
  it('an entry allows the paths below it, and the deployment may name its own registry', () => {
    const policy = { ...DEFAULT_SPEC_POLICY, imageRepositories: ['123456789012.dkr.ecr.us-east-1.amazonaws.com/k8s'] };
    assert.deepEqual(problems(etcd({ imageRepository: '123456789012.dkr.ecr.us-east-1.amazonaws.com/k8s' }), policy), []);
    assert.deepEqual(problems(etcd({ imageRepository: '123456789012.dkr.ecr.us-east-1.amazonaws.com/k8s/etcd-mirror' }), policy), []);
    assert.equal(problems(etcd({ imageRepository: '123456789012.dkr.ecr.us-east-1.amazonaws.com/k8s-evil' }), policy).length, 1);
    assert.equal(problems(etcd({ imageRepository: 'registry.k8s.io' }), policy).length, 1, 'the list replaces the default');
  });
});

describe('specPolicyProblems: binaryPath', () => {
  for (const path of ['/usr/local/bin/etcd', '/usr/bin/etcd', '/opt/etcd/etcd', '/opt/etcd/v3.5.16/etcd', '/opt/etcd/v3.5.16/bin/etcd']) {
    it(`accepts ${path}`, () => assert.deepEqual(problems(etcd({ binaryPath: path })), []));
  }
  const refused: Array<[string, RegExp]> = [
    ['/tmp/etcd', /is not below an allowed directory \(the unit starts it as root\); allowed: "\/usr\/local\/bin", "\/usr\/bin", "\/opt\/etcd" \(context allowedBinaryDirectories\)/],
    ['/usr/local/bin-evil/etcd', /is not below an allowed directory/],
    ['/opt/etcd-v3.5.16/etcd', /is not below an allowed directory/],
    ['/home/alice/etcd', /is not below an allowed directory/],
    ['/bin/sh', /is not below an allowed directory/],
    ['/usr/local/bin', /is not below an allowed directory/],
    ['/usr/local/bin/../../../tmp/etcd', /must not contain "\.\." segments/],
    ['/usr/bin/./etcd', /must not contain "\." segments/],
  ];
  for (const [path, reason] of refused) {
    it(`refuses ${path}`, () => {
      const [problem] = problems(etcd({ binaryPath: path }));
      assert.ok(problem?.startsWith('etcd.binaryPath: '), problem);
      assert.match(problem, reason);
    });
  }
});

describe('specPolicyProblems: extraArgs', () => {
  it('names each refused flag by its field', () => {
    assert.deepEqual(
      problems(etcd({ extraArgs: { 'config-file': '/x.yaml', 'quota-backend-bytes': '1', 'auto-tls': 'true' } })).map((p) => p.split(':')[0]),
      ['etcd.extraArgs.config-file', 'etcd.extraArgs.auto-tls'],
    );
  });
  it("lets through the flags the deployment's allow-list names", () => {
    assert.deepEqual(problems(etcd({ extraArgs: { 'config-file': '/x.yaml' } }), { ...DEFAULT_SPEC_POLICY, etcdSecurityFlags: ['config-file'] }), []);
  });
});

describe('parseClusterSpec with a policy', () => {
  const spec = { clusterName: 'demo', members: [{ name: 'infra0' }, { name: 'infra1' }, { name: 'infra2' }] };
  it('reports the schema\'s and the policy\'s problems together', () => {
    try {
      parseClusterSpec({ ...spec, clusterName: 'Demo', etcd: { imageRepository: 'evil.example.com', extraArgs: { 'config-file': '/x.yaml' } } }, DEFAULT_SPEC_POLICY);
      assert.fail('accepted');
    } catch (error) {
      assert.ok(error instanceof SpecValidationError);
      assert.deepEqual(error.problems.map((p) => p.split(':')[0]), ['clusterName', 'etcd.imageRepository', 'etcd.extraArgs.config-file']);
    }
  });
  it('without a policy, judges the schema only (a recorded spec is not re-judged by the policy)', () => {
    assert.equal(parseClusterSpec({ ...spec, etcd: { imageRepository: 'mirror.example.com' } }).etcd.imageRepository, 'mirror.example.com');
  });
  it('a cert-file override needs the deployment\'s allow-list, not only the spec\'s allowOwnedFlagOverrides', () => {
    const input = { ...spec, etcd: { extraArgs: { 'cert-file': '/etc/etcd/other.crt' }, allowOwnedFlagOverrides: ['cert-file'] } };
    assert.throws(() => parseClusterSpec(input, DEFAULT_SPEC_POLICY), /etcd\.extraArgs\.cert-file: "--cert-file" replaces the TLS/);
    assert.equal(parseClusterSpec(input, { ...DEFAULT_SPEC_POLICY, etcdSecurityFlags: ['cert-file'] }).etcd.extraArgs['cert-file'], '/etc/etcd/other.crt');
  });
});

describe('SpecPolicySchema (the SPEC_POLICY the stack writes)', () => {
  it('fills every list left out with its default', () => {
    assert.deepEqual(SpecPolicySchema.parse({}), DEFAULT_SPEC_POLICY);
  });
  const refused: Array<[string, unknown, RegExp]> = [
    ['"/" as a binary directory', { binaryDirectories: ['/'] }, /must not be "\/"/],
    ['a relative binary directory', { binaryDirectories: ['opt/etcd'] }, /absolute path/],
    ['a binary directory with ".."', { binaryDirectories: ['/opt/etcd/../../tmp'] }, /"\.\."/],
    ['no binary directory', { binaryDirectories: [] }, /at least one directory/],
    ['a registry with a scheme', { imageRepositories: ['https://evil.example.com'] }, /registry path/],
    ['a flag that is no security flag', { etcdSecurityFlags: ['quota-backend-bytes'] }, /must name a security-sensitive etcd flag/],
    ['an unknown field', { binaries: [] }, /Unrecognized key/],
  ];
  for (const [what, input, message] of refused) {
    it(`refuses ${what}`, () => assert.match(SpecPolicySchema.safeParse(input).error?.issues.map((i) => i.message).join('; ') ?? 'accepted', message));
  }
});
