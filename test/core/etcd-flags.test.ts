import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseClusterSpec } from '../../lambdas/core/spec';
import { BOOTSTRAP_ONLY_FLAGS, etcdFlags, type EtcdFlagsRequest } from '../../lambdas/core/etcd-flags';

const guideMembers = [
  { name: 'infra0', address: '10.0.0.6' },
  { name: 'infra1', address: '10.0.0.7' },
  { name: 'infra2', address: '10.0.0.8' },
];
const spec = (extra: Record<string, unknown> = {}) => parseClusterSpec({ clusterName: 'demo', members: guideMembers, ...extra });
const request = (over: Partial<EtcdFlagsRequest> = {}): EtcdFlagsRequest => ({
  spec: spec(),
  member: guideMembers[0]!,
  clusterState: 'new',
  initialCluster: guideMembers,
  ...over,
});

// Like kubeadm's getEtcdCommand table test: each case names the flags it must see with their values.
const cases: Array<[string, EtcdFlagsRequest, Record<string, string>]> = [
  [
    'new cluster: kubeadm defaults for a member of the guide',
    request(),
    {
      name: 'infra0',
      'data-dir': '/var/lib/etcd',
      'listen-client-urls': 'https://10.0.0.6:2379',
      'advertise-client-urls': 'https://10.0.0.6:2379',
      'listen-peer-urls': 'https://10.0.0.6:2380',
      'initial-advertise-peer-urls': 'https://10.0.0.6:2380',
      'initial-cluster': 'infra0=https://10.0.0.6:2380,infra1=https://10.0.0.7:2380,infra2=https://10.0.0.8:2380',
      'initial-cluster-state': 'new',
      'cert-file': '/etc/kubernetes/pki/etcd/server.crt',
      'key-file': '/etc/kubernetes/pki/etcd/server.key',
      'trusted-ca-file': '/etc/kubernetes/pki/etcd/ca.crt',
      'client-cert-auth': 'true',
      'peer-cert-file': '/etc/kubernetes/pki/etcd/peer.crt',
      'peer-key-file': '/etc/kubernetes/pki/etcd/peer.key',
      'peer-trusted-ca-file': '/etc/kubernetes/pki/etcd/ca.crt',
      'peer-client-cert-auth': 'true',
      // The cluster's CRL on both listeners (not kubeadm's: etcd-ha's revocation of removed members).
      'client-crl-file': '/etc/kubernetes/pki/etcd/crl.pem',
      'peer-crl-file': '/etc/kubernetes/pki/etcd/crl.pem',
      'listen-metrics-urls': 'http://127.0.0.1:2381',
      'snapshot-count': '10000',
      'experimental-initial-corrupt-check': 'true',
      'experimental-watch-progress-notify-interval': '5s',
    },
  ],
  [
    'joining member: existing state, initial cluster = current voters + itself',
    request({
      member: { name: 'infra3', address: '10.0.0.9' },
      clusterState: 'existing',
      initialCluster: [guideMembers[1]!, guideMembers[2]!, { name: 'infra3', address: '10.0.0.9' }],
    }),
    {
      name: 'infra3',
      'initial-cluster-state': 'existing',
      'initial-cluster': 'infra1=https://10.0.0.7:2380,infra2=https://10.0.0.8:2380,infra3=https://10.0.0.9:2380',
      'listen-peer-urls': 'https://10.0.0.9:2380',
    },
  ],
  [
    'a cluster token becomes --initial-cluster-token',
    request({ initialClusterToken: 'demo-4f1c2a' }),
    { 'initial-cluster-token': 'demo-4f1c2a', 'initial-cluster-state': 'new' },
  ],
  [
    'custom ports and data dir',
    request({ spec: spec({ etcd: { clientPort: 12379, peerPort: 12380, metricsPort: 12381, dataDir: '/data/etcd' } }) }),
    {
      'listen-client-urls': 'https://10.0.0.6:12379',
      'listen-peer-urls': 'https://10.0.0.6:12380',
      'listen-metrics-urls': 'http://127.0.0.1:12381',
      'data-dir': '/data/etcd',
      'initial-cluster': 'infra0=https://10.0.0.6:12380,infra1=https://10.0.0.7:12380,infra2=https://10.0.0.8:12380',
    },
  ],
  [
    'simulated host: paths under its root, metrics on its own loopback address',
    request({
      spec: parseClusterSpec({ clusterName: 'local', members: [{ name: 'infra0', address: '127.0.0.11' }, { name: 'b' }, { name: 'c' }] }),
      member: { name: 'infra0', address: '127.0.0.11' },
      initialCluster: [{ name: 'infra0', address: '127.0.0.11' }],
      root: '/tmp/hosts/infra0',
    }),
    {
      'data-dir': '/tmp/hosts/infra0/var/lib/etcd',
      'cert-file': '/tmp/hosts/infra0/etc/kubernetes/pki/etcd/server.crt',
      'listen-metrics-urls': 'http://127.0.0.11:2381',
      'listen-client-urls': 'https://127.0.0.11:2379',
    },
  ],
  [
    'extra args add flags and deliberately allowed overrides win',
    request({
      spec: spec({
        etcd: {
          extraArgs: { 'quota-backend-bytes': '8589934592', 'listen-client-urls': 'https://10.0.0.6:2379,https://127.0.0.1:2379' },
          allowOwnedFlagOverrides: ['listen-client-urls'],
        },
      }),
    }),
    { 'quota-backend-bytes': '8589934592', 'listen-client-urls': 'https://10.0.0.6:2379,https://127.0.0.1:2379' },
  ],
];

describe('etcdFlags', () => {
  for (const [name, req, expected] of cases) {
    it(name, () => {
      const flags = etcdFlags(req);
      for (const [flag, value] of Object.entries(expected)) assert.equal(flags[flag], value, `--${flag}`);
    });
  }

  it('sorts flags by name, as kubeadm does', () => {
    const names = Object.keys(etcdFlags(request()));
    assert.deepEqual(names, [...names].sort());
  });

  it('sets no --initial-cluster-token without a token: etcd keeps its default "etcd-cluster"', () => {
    assert.equal('initial-cluster-token' in etcdFlags(request()), false);
  });

  it('names the flags etcd reads only when a member starts with an empty data dir', () => {
    assert.deepEqual([...BOOTSTRAP_ONLY_FLAGS], ['initial-cluster', 'initial-cluster-state', 'initial-cluster-token']);
    const flags = etcdFlags(request({ initialClusterToken: 't' }));
    for (const flag of BOOTSTRAP_ONLY_FLAGS) assert.ok(flag in flags, flag);
  });

  it('refuses an initial cluster that leaves the member out', () => {
    assert.throws(() => etcdFlags(request({ initialCluster: guideMembers.slice(1) })), /must include the member itself/);
  });
});
