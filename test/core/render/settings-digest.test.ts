import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseClusterSpec, type ClusterSpecInput } from '../../../lambdas/core/spec';
import type { EtcdFlagsRequest } from '../../../lambdas/core/etcd-flags';
import { etcdSettingsDigest, renderedEtcdSettings, withoutBootstrapFlags } from '../../../lambdas/core/render/settings-digest';
import { renderEtcdEnvFile, renderEtcdUnit } from '../../../lambdas/core/render/systemd';

const members = [
  { name: 'infra0', address: '10.0.0.6' },
  { name: 'infra1', address: '10.0.0.7' },
  { name: 'infra2', address: '10.0.0.8' },
];
const joiner = { name: 'infra3', address: '10.0.0.9' };
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

type Runtime = 'systemd' | 'kubeadm';
const spec = (runtime: Runtime, over: Partial<ClusterSpecInput> = {}) => parseClusterSpec({ clusterName: 'demo', runtime, members, ...over });
const request = (runtime: Runtime, over: Partial<EtcdFlagsRequest> = {}): EtcdFlagsRequest => ({
  spec: spec(runtime),
  member: members[0]!,
  clusterState: 'new',
  initialCluster: members,
  ...over,
});

// Pairs of requests for the same member: [case, runtimes it applies to, a, b].
const sameDigest: Array<[string, Runtime[], (r: Runtime) => EtcdFlagsRequest, (r: Runtime) => EtcdFlagsRequest]> = [
  ['bootstrap vs. a later re-render with the current membership', ['systemd', 'kubeadm'], (r) => request(r), (r) =>
    request(r, { clusterState: 'existing', initialCluster: [...members, joiner] })],
  ['another initial cluster (a member replaced)', ['systemd', 'kubeadm'], (r) => request(r), (r) =>
    request(r, { initialCluster: [members[0]!, members[1]!, joiner] })],
  ['a cluster token given or not', ['systemd', 'kubeadm'], (r) => request(r), (r) => request(r, { initialClusterToken: 'demo-4f1c2a' })],
  ['two different tokens', ['systemd', 'kubeadm'], (r) => request(r, { initialClusterToken: 'a' }), (r) => request(r, { initialClusterToken: 'b' })],
  ['a bootstrap flag overridden in extraArgs (allowed)', ['systemd', 'kubeadm'], (r) => request(r), (r) =>
    request(r, { spec: spec(r, { etcd: { extraArgs: { 'initial-cluster-token': 'x' }, allowOwnedFlagOverrides: ['initial-cluster-token'] } }) })],
  ['a larger member list in the spec', ['systemd', 'kubeadm'], (r) => request(r), (r) =>
    request(r, { spec: spec(r, { members: [...members, joiner, { name: 'infra4', address: '10.0.0.10' }] }) })],
];

const otherDigest: Array<[string, Runtime[], (r: Runtime) => EtcdFlagsRequest]> = [
  ['an extra flag', ['systemd', 'kubeadm'], (r) => request(r, { spec: spec(r, { etcd: { extraArgs: { 'snapshot-count': '5000' } } }) })],
  ['another value of an extra flag', ['systemd', 'kubeadm'], (r) => request(r, { spec: spec(r, { etcd: { extraArgs: { 'quota-backend-bytes': '1' } } }) })],
  ['another data dir', ['systemd', 'kubeadm'], (r) => request(r, { spec: spec(r, { etcd: { dataDir: '/data/etcd' } }) })],
  ['another client port', ['systemd', 'kubeadm'], (r) => request(r, { spec: spec(r, { etcd: { clientPort: 12379 } }) })],
  ['another binary (the unit ExecStart)', ['systemd'], (r) => request(r, { spec: spec(r, { etcd: { binaryPath: '/opt/etcd-v3.5.16/etcd' } }) })],
  ['another image tag', ['kubeadm'], (r) => request(r, { spec: spec(r, { etcd: { imageTag: '3.5.21-0' } }) })],
  ['extra server certificate SANs', ['kubeadm'], (r) => request(r, { spec: spec(r, { certificates: { serverCertSANs: ['etcd.example.com'] } }) })],
  ['another host root (certificate paths)', ['systemd'], (r) => request(r, { root: '/tmp/hosts/infra0' })],
  ['another member on the same spec', ['systemd', 'kubeadm'], (r) => request(r, { member: members[1]! })],
];

describe('etcdSettingsDigest', () => {
  for (const [name, runtimes, a, b] of sameDigest) {
    for (const runtime of runtimes) {
      it(`${runtime}: same digest for ${name}`, () => assert.equal(etcdSettingsDigest(a(runtime)), etcdSettingsDigest(b(runtime))));
    }
  }
  for (const [name, runtimes, changed] of otherDigest) {
    for (const runtime of runtimes) {
      it(`${runtime}: another digest for ${name}`, () => assert.notEqual(etcdSettingsDigest(changed(runtime)), etcdSettingsDigest(request(runtime))));
    }
  }

  it('is 64 hex digits, the sha256 of the sha256sum-style listing of the normalised files', () => {
    const digest = etcdSettingsDigest(request('systemd', { clusterState: 'existing', initialClusterToken: 't' }));
    assert.match(digest, /^[0-9a-f]{64}$/);
    const normal = request('systemd', { initialCluster: [members[0]!] });
    const listing = `${sha256(renderEtcdEnvFile(normal))}  /etc/etcd/etcd.conf\n${sha256(renderEtcdUnit(normal.spec))}  /etc/systemd/system/etcd.service\n`;
    assert.equal(digest, sha256(listing));
  });

  it('covers the kubeadm config alone for kubeadm, the env file and the unit for systemd', () => {
    assert.deepEqual(renderedEtcdSettings(request('kubeadm')).map(([path]) => path), ['/etc/etcd-ha/kubeadmcfg.yaml']);
    assert.deepEqual(renderedEtcdSettings(request('systemd')).map(([path]) => path), ['/etc/etcd/etcd.conf', '/etc/systemd/system/etcd.service']);
  });

  it('normalises only the bootstrap-only flags', () => {
    const normal = withoutBootstrapFlags(
      request('systemd', {
        clusterState: 'existing',
        initialClusterToken: 't',
        root: '/r',
        spec: spec('systemd', { etcd: { extraArgs: { 'initial-cluster': 'x=https://1.2.3.4:2380', 'snapshot-count': '5000' }, allowOwnedFlagOverrides: ['initial-cluster'] } }),
      }),
    );
    assert.equal(normal.clusterState, 'new');
    assert.deepEqual(normal.initialCluster, [members[0]]);
    assert.equal(normal.initialClusterToken, undefined);
    assert.equal(normal.root, '/r');
    assert.deepEqual(normal.spec.etcd.extraArgs, { 'snapshot-count': '5000' });
  });
});
