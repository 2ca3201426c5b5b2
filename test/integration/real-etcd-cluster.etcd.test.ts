// The proof under everything else: certificates from our PKI and env from our renderer start three
// real etcd members with client and peer mTLS. openssl is the oracle for the certificates.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Etcd3 } from 'etcd3';
import { ensureClusterPki, type ClusterPki } from '../../lambdas/core/pki/bundle';
import { hostLayout } from '../../lambdas/core/layout';
import { clientUrl, type PeerAddress } from '../../lambdas/core/etcd-flags';
import type { ClusterSpec } from '../../lambdas/core/spec';
import { startRealCluster, type RealCluster } from '../support/real-cluster';
import { mtlsClient, within } from '../support/etcd-client';
import { etcdUnderTest } from '../support/etcd-under-test';

const members: PeerAddress[] = [
  { name: 'infra0', address: '127.0.0.31' },
  { name: 'infra1', address: '127.0.0.32' },
  { name: 'infra2', address: '127.0.0.33' },
];

const ETCD = etcdUnderTest();

describe(`three real etcd members from our certificates and env files on ${ETCD.label}`, () => {
  const work = mkdtempSync(join(tmpdir(), 'etcd-ha-proof-'));
  const clients: Etcd3[] = [];
  let cluster: RealCluster | undefined;
  let spec: ClusterSpec;
  let pki: ClusterPki;
  const endpoints = members.map((m) => `https://${m.address}:2379`);
  const client = (endpoint: string, pair = pki.healthcheckClient, ca = pki.ca.certPem) => {
    const c = mtlsClient(endpoint, ca, pair);
    clients.push(c);
    return c;
  };
  const pem = (name: string, content: string) => {
    const path = join(work, 'oracle', name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    return path;
  };

  before(async () => {
    // Starts each member from the files a host would have, and waits until all 3 answer status with a leader.
    cluster = await startRealCluster({
      members,
      work,
      spec: { clusterName: 'proof', runtime: 'systemd', certificates: { serverCertSANs: ['etcd.proof.internal'] } },
    });
    ({ spec, pki } = cluster);
    assert.deepEqual(cluster.endpoints, endpoints);
  });

  after(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await cluster?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('keeps keys 0600 and certificates 0644 on each host', () => {
    const pkiDir = hostLayout(spec.etcd.dataDir, join(work, 'hosts', 'infra0')).pkiDir;
    assert.equal(statSync(join(pkiDir, 'etcd/server.key')).mode & 0o777, 0o600);
    assert.equal(statSync(join(pkiDir, 'etcd/peer.key')).mode & 0o777, 0o600);
    assert.equal(statSync(join(pkiDir, 'etcd/ca.crt')).mode & 0o777, 0o644);
    assert.throws(() => statSync(join(pkiDir, 'etcd/ca.key')), /ENOENT/, 'the CA key never reaches a host');
  });

  it('answers status on all 3 members over mTLS with the healthcheck-client cert: one leader, one cluster ID', async () => {
    const statuses = await Promise.all(endpoints.map((e) => within(3000, e, client(e).maintenance.status())));
    const leaders = new Set(statuses.map((s) => s.leader));
    assert.equal(leaders.size, 1, 'all members agree on the leader');
    const memberIds = statuses.map((s) => s.header.member_id);
    assert.equal(statuses.filter((s) => s.leader === s.header.member_id).length, 1, 'exactly one member is the leader');
    assert.equal(new Set(statuses.map((s) => s.header.cluster_id)).size, 1, 'same cluster ID everywhere');
    assert.equal(new Set(memberIds).size, 3);
    const list = await within(3000, 'member list', client(endpoints[0]!).cluster.memberList({}));
    assert.deepEqual(list.members.map((m) => m.name).sort(), ['infra0', 'infra1', 'infra2']);
    assert.deepEqual(list.members.map((m) => m.clientURLs[0]).sort(), members.map((m) => clientUrl(m.address, spec)));
  });

  it('lets the apiserver-etcd-client cert write and read', async () => {
    const writer = client(endpoints[1]!, pki.apiserverEtcdClient);
    await within(3000, 'put', writer.put('/registry/etcd-ha/proof').value('written-through-infra1').exec());
    const reader = client(endpoints[2]!, pki.apiserverEtcdClient);
    assert.equal(await within(3000, 'get', reader.get('/registry/etcd-ha/proof').string()), 'written-through-infra1');
  });

  it('refuses a client without a certificate', async () => {
    await assert.rejects(within(5000, 'no-cert put', client(endpoints[0]!, null as never).put('/x').value('y').exec()));
  });

  it('refuses a client whose certificate comes from another CA', async () => {
    const other = ensureClusterPki(undefined, spec, new Date()).pki;
    assert.notEqual(other.ca.certPem, pki.ca.certPem);
    await assert.rejects(within(5000, 'foreign-cert put', client(endpoints[0]!, other.healthcheckClient).put('/x').value('y').exec()));
  });

  it('passes openssl verify for every certificate, and openssl reads kubeadm profiles', () => {
    const ca = pem('ca.crt', pki.ca.certPem);
    const leaves = {
      'server-infra1.crt': pki.members.infra1!.server.certPem,
      'peer-infra1.crt': pki.members.infra1!.peer.certPem,
      'healthcheck-client.crt': pki.healthcheckClient.certPem,
      'apiserver-etcd-client.crt': pki.apiserverEtcdClient.certPem,
    };
    for (const [name, content] of Object.entries(leaves)) {
      const out = execFileSync('openssl', ['verify', '-CAfile', ca, pem(name, content)], { encoding: 'utf8' });
      assert.match(out, /: OK$/m, name);
    }
    const text = (path: string) => execFileSync('openssl', ['x509', '-noout', '-text', '-in', path], { encoding: 'utf8' });
    const server = text(pem('server-infra1.crt', leaves['server-infra1.crt']));
    assert.match(server, /Subject: CN ?= ?infra1/);
    assert.match(server, /Signature Algorithm: sha256WithRSAEncryption/);
    assert.match(server, /Public-Key: \(2048 bit\)/);
    assert.match(server, /TLS Web Server Authentication, TLS Web Client Authentication/);
    for (const san of ['DNS:infra1', 'DNS:localhost', 'DNS:etcd.proof.internal', 'IP Address:127.0.0.32', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1']) {
      assert.ok(server.includes(san), `server SANs include ${san}`);
    }
    const client = text(pem('apiserver-etcd-client.crt', leaves['apiserver-etcd-client.crt']));
    assert.match(client, /Subject: CN ?= ?kube-apiserver-etcd-client/);
    assert.match(client, /Extended Key Usage: *\n *TLS Web Client Authentication\n/);
    assert.doesNotMatch(client, /Subject Alternative Name/);
    const caText = text(ca);
    assert.match(caText, /CA:TRUE/);
    assert.match(caText, /Subject: CN ?= ?etcd-ca/);
    const days = (path: string) => {
      const end = execFileSync('openssl', ['x509', '-noout', '-enddate', '-in', path], { encoding: 'utf8' }).split('=')[1]!;
      return Math.round((Date.parse(end) - Date.now()) / 86_400_000);
    };
    assert.equal(days(ca), 3650);
    assert.equal(days(pem('server-infra1.crt', leaves['server-infra1.crt'])), 365);
  });

  it('has etcdctl agree, with the same files a host has', () => {
    const pkiDir = hostLayout(spec.etcd.dataDir, join(work, 'hosts', 'infra0')).pkiDir;
    const run = spawnSync(
      'etcdctl',
      ['--endpoints', endpoints.join(','), '--cacert', join(pkiDir, 'etcd/ca.crt'), '--cert', join(pkiDir, 'etcd/peer.crt'), '--key', join(pkiDir, 'etcd/peer.key'), 'endpoint', 'health'],
      { encoding: 'utf8', env: { PATH: process.env.PATH, ETCDCTL_API: '3' } },
    );
    assert.equal(run.status, 0, run.stderr);
    // etcdctl 3.4 prints endpoint health on stderr.
    assert.equal((run.stdout + run.stderr).match(/is healthy/g)?.length, 3, run.stdout + run.stderr);
  });
});
