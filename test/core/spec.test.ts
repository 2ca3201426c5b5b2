import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseClusterSpec, type ClusterSpecInput } from '../../lambdas/core/spec';
import { SpecValidationError } from '../../lambdas/core/errors';

const three = (): ClusterSpecInput['members'] => [
  { name: 'infra0', address: '10.0.0.6', instanceId: 'i-0a1b2c3d4e5f60001' },
  { name: 'infra1', address: '10.0.0.7', instanceId: 'i-0a1b2c3d4e5f60002' },
  { name: 'infra2', address: '10.0.0.8', instanceId: 'i-0a1b2c3d4e5f60003' },
];
const base = (): Record<string, unknown> => ({ clusterName: 'demo', members: three() });
const membersNamed = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `m${i}` }));

function problemsOf(input: unknown): readonly string[] {
  try {
    parseClusterSpec(input);
  } catch (error) {
    assert.ok(error instanceof SpecValidationError, `expected SpecValidationError, got ${String(error)}`);
    assert.equal(error.name, 'SpecValidationError');
    return error.problems;
  }
  assert.fail('the spec was accepted');
}

/** [case, input, field path the error must name, words the rule must contain] */
const badInputs: Array<[string, unknown, string, RegExp]> = [
  ['not an object', 'demo', '(root)', /expected object/],
  ['null', null, '(root)', /^\(root\): expected object, received null: a cluster spec is a JSON object/],
  ['an array', [], '(root)', /expected object, received array/],
  ['missing clusterName', { members: three() }, 'clusterName', /expected string/],
  ['members as a string', { ...base(), members: 'infra0' }, 'members', /^members: expected array, received string: a list of members such as \[\{ "name": "infra0" \}/],
  ['members as an object', { ...base(), members: {} }, 'members', /expected array, received object/],
  ['members missing', { clusterName: 'demo' }, 'members', /expected array, received nothing/],
  ['clusterName upper case', { ...base(), clusterName: 'Demo' }, 'clusterName', /DNS-1123 label/],
  ['clusterName with a dot', { ...base(), clusterName: 'demo.prod' }, 'clusterName', /DNS-1123 label/],
  ['clusterName of 64 characters', { ...base(), clusterName: 'a'.repeat(64) }, 'clusterName', /at most 63/],
  ['no members', { ...base(), members: [] }, 'members', /at least one member/],
  ['2 members', { ...base(), members: membersNamed(2) }, 'members', /has 2 members.*odd size of 3, 5 or 7/],
  ['4 members', { ...base(), members: membersNamed(4) }, 'members', /has 4 members/],
  ['9 members', { ...base(), members: membersNamed(9) }, 'members', /has 9 members/],
  ['1 member without allowSingleMember', { ...base(), members: membersNamed(1) }, 'members', /allowSingleMember/],
  ['duplicate names', { ...base(), members: [...three().slice(0, 2), { name: 'infra0' }] }, 'members[2].name', /duplicates members\[0\]\.name "infra0"/],
  ['duplicate addresses', { ...base(), members: [...three().slice(0, 2), { name: 'infra2', address: '10.0.0.7' }] }, 'members[2].address', /duplicates members\[1\]\.address/],
  ['duplicate instance IDs', { ...base(), members: [...three().slice(0, 2), { name: 'infra2', instanceId: 'i-0a1b2c3d4e5f60001' }] }, 'members[2].instanceId', /duplicates members\[0\]\.instanceId/],
  ['member name with underscore', { ...base(), members: [{ name: 'infra_0' }, ...three().slice(1)] }, 'members[0].name', /DNS-1123 subdomain/],
  ['address with a 256 octet', { ...base(), members: [{ name: 'infra0', address: '10.0.0.256' }, ...three().slice(1)] }, 'members[0].address', /IPv4 address/],
  ['address with three octets', { ...base(), members: [{ name: 'infra0', address: '10.0.0' }, ...three().slice(1)] }, 'members[0].address', /IPv4 address/],
  ['short instance ID', { ...base(), members: [{ name: 'infra0', instanceId: 'i-123' }, ...three().slice(1)] }, 'members[0].instanceId', /EC2 instance ID/],
  ['instance ID with wrong prefix', { ...base(), members: [{ name: 'infra0', instanceId: 'x-0123456789abcdef0' }, ...three().slice(1)] }, 'members[0].instanceId', /EC2 instance ID/],
  ['unknown top-level field', { ...base(), replicas: 3 }, 'replicas', /is not a known field/],
  ['unknown member field', { ...base(), members: [{ name: 'infra0', ip: '10.0.0.6' }, ...three().slice(1)] }, 'members[0].ip', /is not a known field/],
  ['unknown etcd field', { ...base(), etcd: { dataDirectory: '/var/lib/etcd' } }, 'etcd.dataDirectory', /is not a known field/],
  ['client port 0', { ...base(), etcd: { clientPort: 0 } }, 'etcd.clientPort', /between 1 and 65535/],
  ['peer port 70000', { ...base(), etcd: { peerPort: 70000 } }, 'etcd.peerPort', /between 1 and 65535/],
  ['fractional port', { ...base(), etcd: { clientPort: 2379.5 } }, 'etcd.clientPort', /whole number/],
  ['port as a string', { ...base(), etcd: { clientPort: '2379' } }, 'etcd.clientPort', /port number/],
  ['equal client and peer ports', { ...base(), etcd: { clientPort: 2380 } }, 'etcd.peerPort', /must differ from etcd.clientPort/],
  ['metrics port equal to the client port', { ...base(), etcd: { metricsPort: 2379 } }, 'etcd.metricsPort', /must differ/],
  ['extraArgs overriding the data dir', { ...base(), etcd: { extraArgs: { 'data-dir': '/tmp/x' } } }, 'etcd.extraArgs.data-dir', /etcd-ha sets itself.*allowOwnedFlagOverrides/],
  ['extraArgs overriding a cert path', { ...base(), etcd: { extraArgs: { 'cert-file': '/tmp/server.crt' } } }, 'etcd.extraArgs.cert-file', /etcd-ha sets itself/],
  ['data dir "/" (the write script would chmod 0700 /)', { ...base(), etcd: { dataDir: '/' } }, 'etcd.dataDir', /system directory/],
  ['data dir /etc', { ...base(), etcd: { dataDir: '/etc' } }, 'etcd.dataDir', /lies in \/etc/],
  ['data dir a home', { ...base(), etcd: { dataDir: '/home/ubuntu' } }, 'etcd.dataDir', /home directory/],
  ['data dir climbing out with ".."', { ...base(), etcd: { dataDir: '/var/lib/etcd/../..' } }, 'etcd.dataDir', /"\.\."/],
  ['extraArgs with leading dashes', { ...base(), etcd: { extraArgs: { '--snapshot-count': '5000' } } }, 'etcd.extraArgs.--snapshot-count', /without leading dashes/],
  ['extraArgs value with a line break', { ...base(), etcd: { extraArgs: { 'log-level': 'info\nETCD_NAME=x' } } }, 'etcd.extraArgs.log-level', /line breaks/],
  ['extraArgs value with $', { ...base(), etcd: { extraArgs: { 'log-level': '$(reboot)' } } }, 'etcd.extraArgs.log-level', /"\$"/],
  ['override allowance for a flag etcd-ha does not own', { ...base(), etcd: { allowOwnedFlagOverrides: ['quota-backend-bytes'] } }, 'etcd.allowOwnedFlagOverrides[0]', /Invalid option/],
  ['relative data dir', { ...base(), etcd: { dataDir: 'var/lib/etcd' } }, 'etcd.dataDir', /absolute path/],
  ['unknown runtime', { ...base(), runtime: 'docker' }, 'runtime', /"kubeadm"\|"systemd"/],
  ['kubeadm v1beta2', { ...base(), kubeadmApiVersion: 'v1beta2' }, 'kubeadmApiVersion', /"v1beta4"\|"v1beta3"/],
  ['ECDSA keys (node-forge signs RSA only)', { ...base(), certificates: { keyAlgorithm: 'ECDSA-P256' } }, 'certificates.keyAlgorithm', /RSA-2048/],
  ['bad extra server SAN', { ...base(), certificates: { serverCertSANs: ['etcd.internal', 'Bad_Name'] } }, 'certificates.serverCertSANs[1]', /IP address or a DNS-1123 name/],
  ['renewal window as long as validity', { ...base(), certificates: { validityDays: 30, renewBeforeDays: 30 } }, 'certificates.renewBeforeDays', /less than certificates.validityDays/],
  ['TCP container runtime endpoint', { ...base(), kubelet: { containerRuntimeEndpoint: 'tcp://10.0.0.1:1234' } }, 'kubelet.containerRuntimeEndpoint', /unix socket URL/],
  ['unknown cgroup driver', { ...base(), kubelet: { cgroupDriver: 'cgroupv2' } }, 'kubelet.cgroupDriver', /"systemd"\|"cgroupfs"/],
];

describe('cluster spec: bad input names the field and the rule', () => {
  for (const [name, input, path, rule] of badInputs) {
    it(name, () => {
      const problems = problemsOf(input);
      const match = problems.find((p) => p.startsWith(`${path}: `));
      assert.ok(match, `no problem names "${path}"; got:\n${problems.join('\n')}`);
      assert.match(match, rule);
    });
  }

  it('reports every field problem at once', () => {
    const problems = problemsOf({ clusterName: 'Demo', members: [{ name: 'a', address: 'x' }, { name: 'b' }, { name: 'c' }], extra: 1 });
    assert.equal(problems.length, 3, problems.join('\n'));
  });
});

describe('cluster spec: good input', () => {
  it('fills kubeadm defaults', () => {
    const spec = parseClusterSpec(base());
    assert.equal(spec.runtime, 'kubeadm');
    assert.equal(spec.kubeadmApiVersion, 'v1beta4');
    assert.deepEqual(
      [spec.etcd.clientPort, spec.etcd.peerPort, spec.etcd.metricsPort, spec.etcd.dataDir],
      [2379, 2380, 2381, '/var/lib/etcd'],
    );
    assert.equal(spec.etcd.imageTag, undefined, 'no tag: kubeadm picks the etcd image of its version');
    assert.deepEqual(spec.kubelet, { cgroupDriver: 'systemd', containerRuntimeEndpoint: 'unix:///var/run/containerd/containerd.sock' });
    assert.equal(spec.certificates.keyAlgorithm, 'RSA-2048');
    assert.equal(spec.certificates.validityDays, 365);
    assert.equal(spec.certificates.caValidityDays, 3650);
  });

  it('accepts 1 member when asked for explicitly, and 5 and 7 members', () => {
    assert.equal(parseClusterSpec({ ...base(), members: membersNamed(1), allowSingleMember: true }).members.length, 1);
    assert.equal(parseClusterSpec({ ...base(), members: membersNamed(5) }).members.length, 5);
    assert.equal(parseClusterSpec({ ...base(), members: membersNamed(7) }).members.length, 7);
  });

  it('lets a deliberately allowed owned flag through', () => {
    const spec = parseClusterSpec({
      ...base(),
      etcd: { extraArgs: { 'listen-client-urls': 'https://0.0.0.0:2379' }, allowOwnedFlagOverrides: ['listen-client-urls'] },
    });
    assert.equal(spec.etcd.extraArgs['listen-client-urls'], 'https://0.0.0.0:2379');
  });

  it('does not change its input', () => {
    const input = base();
    const before = JSON.stringify(input);
    parseClusterSpec(input);
    assert.equal(JSON.stringify(input), before);
  });

  const samplesDir = join(__dirname, '..', '..', 'samples');
  for (const file of readdirSync(samplesDir).filter((f) => f.endsWith('.json'))) {
    it(`sample ${file} is a valid spec`, () => {
      parseClusterSpec(JSON.parse(readFileSync(join(samplesDir, file), 'utf8')));
    });
  }
});
