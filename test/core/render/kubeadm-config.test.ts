import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseClusterSpec } from '../../../lambdas/core/spec';
import { renderKubeadmConfig, kubeadmExtraArgs } from '../../../lambdas/core/render/kubeadm-config';
import type { EtcdFlagsRequest } from '../../../lambdas/core/etcd-flags';

const guideMembers = [
  { name: 'infra0', address: '10.0.0.6' },
  { name: 'infra1', address: '10.0.0.7' },
  { name: 'infra2', address: '10.0.0.8' },
];
const request = (extra: Record<string, unknown> = {}): EtcdFlagsRequest => ({
  spec: parseClusterSpec({ clusterName: 'demo', members: guideMembers, ...extra }),
  member: guideMembers[0]!,
  clusterState: 'new',
  initialCluster: guideMembers,
});
const CRL_ARGS = [
  ['client-crl-file', '/etc/kubernetes/pki/etcd/crl.pem'],
  ['peer-crl-file', '/etc/kubernetes/pki/etcd/crl.pem'],
] as const;
const docs = (text: string) => parseAllDocuments(text).map((d) => d.toJS());

describe('kubeadm config renderer', () => {
  it('matches the guide for infra0 (v1beta4), field by field, plus the two CRL files', () => {
    const guide = docs(readFileSync(join(__dirname, '..', '..', 'fixtures', 'guide', 'kubeadmcfg-infra0.yaml'), 'utf8'));
    // The guide has no revocation; etcd-ha adds its CRL for both listeners (lambdas/core/etcd-flags.ts REVOCATION_FLAGS).
    guide[1].etcd.local.extraArgs.push(...CRL_ARGS.map(([name, value]) => ({ name, value })));
    const ours = docs(renderKubeadmConfig(request()));
    assert.equal(ours.length, 2);
    assert.deepEqual(ours, guide);
  });

  it('renders extraArgs as a map for v1beta3', () => {
    const [, cluster] = docs(renderKubeadmConfig(request({ kubeadmApiVersion: 'v1beta3' })));
    assert.equal(cluster.apiVersion, 'kubeadm.k8s.io/v1beta3');
    assert.deepEqual(cluster.etcd.local.extraArgs, {
      'initial-cluster': 'infra0=https://10.0.0.6:2380,infra1=https://10.0.0.7:2380,infra2=https://10.0.0.8:2380',
      'initial-cluster-state': 'new',
      name: 'infra0',
      'listen-peer-urls': 'https://10.0.0.6:2380',
      'listen-client-urls': 'https://10.0.0.6:2379',
      'advertise-client-urls': 'https://10.0.0.6:2379',
      'initial-advertise-peer-urls': 'https://10.0.0.6:2380',
      ...Object.fromEntries(CRL_ARGS),
    });
  });

  it('adds the spec image, data dir, extra SANs, metrics port and extra args', () => {
    const [, cluster] = docs(
      renderKubeadmConfig(
        request({
          etcd: { imageTag: '3.5.21-0', imageRepository: 'registry.example.com/k8s', dataDir: '/data/etcd', metricsPort: 12381, extraArgs: { 'quota-backend-bytes': '8589934592' } },
          certificates: { serverCertSANs: ['etcd.example.com'], peerCertSANs: ['10.1.0.6'] },
        }),
      ),
    );
    const local = cluster.etcd.local;
    assert.equal(local.imageTag, '3.5.21-0');
    assert.equal(local.imageRepository, 'registry.example.com/k8s');
    assert.equal(local.dataDir, '/data/etcd');
    assert.deepEqual(local.serverCertSANs, ['10.0.0.6', 'etcd.example.com']);
    assert.deepEqual(local.peerCertSANs, ['10.0.0.6', '10.1.0.6']);
    const args = Object.fromEntries(local.extraArgs.map((a: { name: string; value: string }) => [a.name, a.value]));
    assert.equal(args['listen-metrics-urls'], 'http://127.0.0.1:12381');
    assert.equal(args['quota-backend-bytes'], '8589934592');
  });

  it('puts the cluster token into extraArgs after the guide flags, and nothing without one', () => {
    const args = kubeadmExtraArgs({ ...request(), initialClusterToken: 'demo-4f1c2a' });
    assert.deepEqual(args[7], ['initial-cluster-token', 'demo-4f1c2a']);
    assert.equal(args.filter(([name]) => name === 'initial-cluster-token').length, 1);
    assert.equal(kubeadmExtraArgs(request()).some(([name]) => name === 'initial-cluster-token'), false);
    const [, cluster] = docs(renderKubeadmConfig({ ...request(), initialClusterToken: 'demo-4f1c2a' }));
    assert.ok(cluster.etcd.local.extraArgs.some((a: { name: string; value: string }) => a.name === 'initial-cluster-token' && a.value === 'demo-4f1c2a'));
  });

  it('marks a joining member existing', () => {
    const args = Object.fromEntries(kubeadmExtraArgs({ ...request(), clusterState: 'existing' }));
    assert.equal(args['initial-cluster-state'], 'existing');
  });
});
