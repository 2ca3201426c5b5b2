// Record Cluster publishes the cluster's stable names as the lock holder, right after the record: a name per member
// and the clients' name with every voter's address; a replacement moves both; a run that may not write the record
// publishes nothing; without a names adapter, or in another zone than the adapter's, nothing is published and the
// answer says why. Real file lock, registry and hosts maps (the local adapter), read back with the local resolver.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileClusterLock } from '../../lambdas/adapters/local/file-cluster-lock';
import { FileClusterRegistry } from '../../lambdas/adapters/local/file-cluster-registry';
import { HostsMapNames } from '../../lambdas/adapters/local/hosts-map-names';
import { HostsMapResolver } from '../../lambdas/adapters/local/hosts-map-resolver';
import { ClusterLockLostError } from '../../lambdas/core/errors';
import { parseClusterSpec } from '../../lambdas/core/spec';
import type { ClusterSummary } from '../../lambdas/core/workflow-io';
import type { Logger, MemberNames } from '../../lambdas/ports';
import { makeRecordCluster } from '../../lambdas/steps/record-cluster';
import { removeClusterNames } from '../../lambdas/steps/publish-names';
import { FakeLiveness } from '../support/cluster-lock-cases';

const warnings: string[] = [];
const log: Logger = { info: () => undefined, warn: (m, f) => warnings.push(`${m}: ${String(f?.reason)}`) };
const spec = parseClusterSpec(JSON.parse(readFileSync(join(__dirname, '../../samples/guide-3-members.json'), 'utf8')));
const hostsOf = (addresses: readonly string[]) => spec.members.map((m, i) => ({ name: m.name, address: addresses[i]!, instanceId: m.instanceId! }));
const input = (hosts: ReturnType<typeof hostsOf>, lockOwner: string, extra: Record<string, unknown> = {}) => ({
  spec,
  hosts,
  lockOwner,
  pki: { ca: 'etcd-ha/demo/ca', healthcheckClient: 'etcd-ha/demo/healthcheck-client', apiserverEtcdClient: 'etcd-ha/demo/apiserver-etcd-client', members: {} },
  health: { healthy: true, attempt: 1, members: hosts.map((h, i) => ({ name: h.name, id: String(100 + i), endpoint: `https://${h.address}:2379`, healthy: true, leader: i === 0, learner: false })) },
  ...extra,
});

describe('Record Cluster publishes the stable names', () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-ha-record-names-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const lock = new FileClusterLock({ dir: join(dir, 'locks'), liveness: new FakeLiveness() });
  const registry = new FileClusterRegistry({ dir: join(dir, 'registry'), lock });
  const names = new HostsMapNames({ dir: join(dir, 'dns') });
  const resolver = new HostsMapResolver(join(dir, 'dns'));
  const record = (deps: { names?: MemberNames } = { names }) => makeRecordCluster({ registry, clock: { now: () => new Date('2026-12-01T00:00:00Z') }, log, ...deps });
  const first = ['10.0.0.6', '10.0.0.7', '10.0.0.8'];

  it('provisioning: every member name and the clients\' name with the three addresses', async () => {
    assert.deepEqual(await lock.acquire('demo', { owner: 'exec-a', ref: 'ref-a' }, 60), { acquired: true });
    const summary = (await record()(input(hostsOf(first), 'exec-a'))) as ClusterSummary;
    assert.deepEqual(summary.names, {
      clientName: 'etcd.demo.etcd-ha.internal',
      clientUrl: 'https://etcd.demo.etcd-ha.internal:2379',
      members: { infra0: 'infra0.demo.etcd-ha.internal', infra1: 'infra1.demo.etcd-ha.internal', infra2: 'infra2.demo.etcd-ha.internal' },
      published: true,
      upserted: 4,
      deleted: 0,
    });
    assert.deepEqual(resolver.resolve('etcd.demo.etcd-ha.internal'), first);
    assert.deepEqual(resolver.resolve('infra1.demo.etcd-ha.internal.'), ['10.0.0.7']);
    // A re-run (a retried step) changes nothing.
    assert.equal(((await record()(input(hostsOf(first), 'exec-a'))) as ClusterSummary).names?.upserted, 0);
  });

  it('a run that does not hold the lock writes neither the record nor the names', async () => {
    await assert.rejects(() => record()(input(hostsOf(['10.0.0.6', '10.0.0.7', '10.0.0.99']), 'exec-b')), ClusterLockLostError);
    assert.deepEqual(resolver.resolve('etcd.demo.etcd-ha.internal'), first);
  });

  it('a replacement moves the member\'s name and the clients\' name to the new address', async () => {
    const summary = (await record()(input(hostsOf(['10.0.0.6', '10.0.0.20', '10.0.0.8']), 'exec-a', { replaced: 'infra1' }))) as ClusterSummary;
    assert.equal(summary.names?.upserted, 2);
    assert.deepEqual(resolver.resolve('infra1.demo.etcd-ha.internal'), ['10.0.0.20']);
    assert.deepEqual(resolver.resolve('etcd.demo.etcd-ha.internal'), ['10.0.0.20', '10.0.0.6', '10.0.0.8']);
  });

  it('no names adapter, or a spec in another zone than the adapter\'s: recorded, nothing published, and the answer says why', async () => {
    const none = (await record({})(input(hostsOf(first), 'exec-a'))) as ClusterSummary;
    assert.equal(none.names?.published, false);
    assert.match(none.names?.note ?? '', /no hosted zone is configured/);
    const otherZone: MemberNames = { zone: 'corp.example', published: async () => assert.fail('must not be asked'), apply: async () => assert.fail('must not be asked') };
    const other = (await record({ names: otherZone })(input(hostsOf(first), 'exec-a'))) as ClusterSummary;
    assert.match(other.names?.note ?? '', /spec\.dnsZone "etcd-ha\.internal" is not this deployment's hosted zone "corp\.example"/);
    assert.ok(warnings.length >= 2);
    assert.deepEqual(resolver.resolve('infra1.demo.etcd-ha.internal'), ['10.0.0.20'], 'the names as the last publishing run left them');
  });

  it('DeleteCluster\'s removal deletes every name of the cluster, and the map with them; a repeat finds nothing', async () => {
    assert.deepEqual(await removeClusterNames({ names, log }, spec), { deleted: 4 });
    assert.deepEqual(resolver.resolve('etcd.demo.etcd-ha.internal'), []);
    assert.equal(existsSync(join(dir, 'dns', 'demo.etcd-ha.internal.hosts')), false);
    assert.deepEqual(await removeClusterNames({ names, log }, spec), { deleted: 0 });
  });
});
