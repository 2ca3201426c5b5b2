// Record Cluster under the cluster's lock: with `lockOwner` (a workflow that holds the lock) the record is written
// only while that execution holds it, else ClusterLockLostError and the record stays as it was; without
// (provisioning) it is written unconditionally. Real file lock and registry; a fake ExecutionLiveness.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileClusterLock } from '../../lambdas/adapters/local/file-cluster-lock';
import { FileClusterRegistry } from '../../lambdas/adapters/local/file-cluster-registry';
import { ClusterLockLostError } from '../../lambdas/core/errors';
import { parseClusterSpec } from '../../lambdas/core/spec';
import type { Logger } from '../../lambdas/ports';
import { makeRecordCluster } from '../../lambdas/steps/record-cluster';
import { FakeLiveness } from '../support/cluster-lock-cases';

const quiet: Logger = { info: () => undefined, warn: () => undefined };
const spec = parseClusterSpec(JSON.parse(readFileSync(join(__dirname, '../../samples/guide-3-members.json'), 'utf8')));
const hosts = spec.members.map((m) => ({ name: m.name, address: m.address!, instanceId: m.instanceId! }));
const input = (extra: Record<string, unknown> = {}) => ({
  spec,
  hosts,
  pki: { ca: 'etcd-ha/demo/ca', healthcheckClient: 'etcd-ha/demo/healthcheck-client', apiserverEtcdClient: 'etcd-ha/demo/apiserver-etcd-client', members: {} },
  health: { healthy: true, attempt: 1, members: hosts.map((h, i) => ({ name: h.name, id: String(100 + i), endpoint: `https://${h.address}:2379`, healthy: true, leader: i === 0, learner: false })) },
  ...extra,
});

describe('Record Cluster under the lock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-ha-record-lock-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const lock = new FileClusterLock({ dir: join(dir, 'locks'), liveness: new FakeLiveness() });
  const registry = new FileClusterRegistry({ dir: join(dir, 'registry'), lock });
  const at = (time: string) => makeRecordCluster({ registry, clock: { now: () => new Date(time) }, log: quiet });

  it('without lockOwner (provisioning) writes whoever holds the lock; with it, only while that execution holds the lock', async () => {
    await at('2026-01-01T00:00:00.000Z')(input());
    assert.equal((await registry.get('demo'))?.updatedAt, '2026-01-01T00:00:00.000Z');

    await assert.rejects(() => at('2026-01-02T00:00:00.000Z')(input({ lockOwner: 'exec-a' })), ClusterLockLostError);
    assert.equal((await registry.get('demo'))?.updatedAt, '2026-01-01T00:00:00.000Z', 'unchanged');

    assert.deepEqual(await lock.acquire('demo', { owner: 'exec-a', ref: 'ref-a' }, 60), { acquired: true });
    await at('2026-01-03T00:00:00.000Z')(input({ lockOwner: 'exec-a' }));
    assert.equal((await registry.get('demo'))?.updatedAt, '2026-01-03T00:00:00.000Z');

    await assert.rejects(
      () => at('2026-01-04T00:00:00.000Z')(input({ lockOwner: 'exec-b' })),
      (error: Error) => error instanceof ClusterLockLostError && /execution exec-b does not hold the lock of cluster demo \(execution exec-a holds it since .*\): the record was not written/.test(error.message),
    );
    assert.equal((await registry.get('demo'))?.updatedAt, '2026-01-03T00:00:00.000Z', 'unchanged');

    await at('2026-01-05T00:00:00.000Z')(input());
    assert.equal((await registry.get('demo'))?.updatedAt, '2026-01-05T00:00:00.000Z', 'provisioning writes while exec-a holds the lock');
  });
});
