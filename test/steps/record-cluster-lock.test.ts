// Record Cluster under the cluster's lock: the record is written only while `lockOwner` (the workflow's execution)
// holds it, else ClusterLockLostError and the record stays as it was; an input without `lockOwner` is refused (only
// the lock holder writes the record). Real file lock and registry; a fake ExecutionLiveness.
// Also the record's removed members (dead members removed, awaiting their replacements): after a replacement
// (`replaced`) the replaced one leaves them, the others stay there and out of the members even when the hosts
// still list them (a voter removed after the hosts were chosen); provisioning (no `replaced`) as before.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileClusterLock } from '../../lambdas/adapters/local/file-cluster-lock';
import { FileClusterRegistry } from '../../lambdas/adapters/local/file-cluster-registry';
import { ClusterLockLostError, SpecValidationError } from '../../lambdas/core/errors';
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

  it('writes only while lockOwner holds the lock, as a running cluster; without lockOwner nothing is written', async () => {
    await assert.rejects(
      () => at('2026-01-01T00:00:00.000Z')(input()),
      (error: Error) => error instanceof SpecValidationError && /lockOwner/.test(error.message),
    );
    assert.equal(await registry.get('demo'), undefined, 'nothing written');

    await assert.rejects(() => at('2026-01-02T00:00:00.000Z')(input({ lockOwner: 'exec-a' })), ClusterLockLostError);
    assert.equal(await registry.get('demo'), undefined, 'nothing written');

    assert.deepEqual(await lock.acquire('demo', { owner: 'exec-a', ref: 'ref-a' }, 60), { acquired: true });
    await at('2026-01-03T00:00:00.000Z')(input({ lockOwner: 'exec-a' }));
    assert.equal((await registry.get('demo'))?.updatedAt, '2026-01-03T00:00:00.000Z');
    assert.equal((await registry.get('demo'))?.status, 'running');

    await assert.rejects(
      () => at('2026-01-04T00:00:00.000Z')(input({ lockOwner: 'exec-b' })),
      (error: Error) => error instanceof ClusterLockLostError && /execution exec-b does not hold the lock of cluster demo \(execution exec-a holds it since .*\): the record was not written/.test(error.message),
    );
    assert.equal((await registry.get('demo'))?.updatedAt, '2026-01-03T00:00:00.000Z', 'unchanged');
  });
});

describe('Record Cluster and the removed members awaiting their replacements', () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-ha-record-removed-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const lock = new FileClusterLock({ dir: join(dir, 'locks'), liveness: new FakeLiveness() });
  const registry = new FileClusterRegistry({ dir: join(dir, 'registry'), lock });
  const record = makeRecordCluster({ registry, clock: { now: () => new Date('2026-12-01T11:00:00.000Z') }, log: quiet });
  const [infra0, infra1, infra2] = hosts as [(typeof hosts)[number], (typeof hosts)[number], (typeof hosts)[number]];
  const infra3 = { name: 'infra3', address: '10.0.0.9', instanceId: 'i-0a1b2c3d4e5f60004' };
  const removedBy = (name: string, member: { name: string; address: string; instanceId: string }, id: string) => ({ ...member, id, removedAt: '2026-12-01T10:00:00.000Z', removedBy: name });
  // infra1 failed and was removed by exec-r (this replacement); infra2 died meanwhile and was removed by exec-r too
  // (Add Member As Learner), after $.removal.hosts had been computed with it.
  const before = () => ({
    clusterName: 'demo',
    runtime: spec.runtime,
    members: [{ name: infra0.name, id: '64', address: infra0.address, instanceId: infra0.instanceId }],
    removed: [removedBy('exec-r', infra1, '65'), removedBy('exec-r', infra2, '66')],
    secrets: {},
    updatedAt: '2026-12-01T10:00:00.000Z',
    spec,
  });
  const healthOf = (answering: Array<{ name: string; address: string }>, ids: Record<string, string>) => ({
    healthy: true,
    attempt: 1,
    members: answering.map((h, i) => ({ name: h.name, id: ids[h.name]!, endpoint: `https://${h.address}:2379`, healthy: true, leader: i === 0, learner: false })),
  });

  it('with replaced: a host the record lists under removed stays out of the members and in removed; the replaced one leaves removed', async () => {
    await registry.put(before());
    assert.deepEqual(await lock.acquire('demo', { owner: 'exec-r', ref: 'ref-r' }, 60), { acquired: true });
    await record(
      input({
        hosts: [infra0, infra2, infra3],
        health: healthOf([infra0, infra3], { infra0: '64', infra3: '67' }),
        lockOwner: 'exec-r',
        replaced: 'infra1',
      }),
    );
    const written = (await registry.get('demo'))!;
    assert.deepEqual(written.members, [
      { name: 'infra0', id: '64', address: infra0.address, instanceId: infra0.instanceId },
      { name: 'infra3', id: '67', address: infra3.address, instanceId: infra3.instanceId },
    ]);
    assert.deepEqual(written.removed, [removedBy('exec-r', infra2, '66')], 'infra2 awaits its own replacement; infra1 is replaced');
    assert.deepEqual((written.spec as { members: Array<{ name: string }> }).members.map((m) => m.name), ['infra0', 'infra3']);
    assert.equal(written.updatedAt, '2026-12-01T11:00:00.000Z');
    await lock.release('demo', 'exec-r');
  });

  it('with replaced and nothing else removed: no removed list is left', async () => {
    await registry.put({ ...before(), members: [before().members[0]!, { name: infra2.name, id: '66', address: infra2.address, instanceId: infra2.instanceId }], removed: [removedBy('exec-s', infra1, '65')] });
    assert.deepEqual(await lock.acquire('demo', { owner: 'exec-s', ref: 'ref-s' }, 60), { acquired: true });
    await record(input({ hosts: [infra0, infra2, infra3], health: healthOf([infra0, infra2, infra3], { infra0: '64', infra2: '66', infra3: '67' }), lockOwner: 'exec-s', replaced: 'infra1' }));
    const written = (await registry.get('demo'))!;
    assert.deepEqual(written.members.map((m) => m.name), ['infra0', 'infra2', 'infra3']);
    assert.equal(written.removed, undefined);
    await lock.release('demo', 'exec-s');
  });

  it('without replaced (provisioning): the hosts are the members, and a removed one they list leaves removed', async () => {
    await registry.put(before());
    assert.deepEqual(await lock.acquire('demo', { owner: 'exec-p', ref: 'ref-p' }, 60), { acquired: true });
    await record(input({ hosts: [infra0, infra1, infra2], health: healthOf([infra0, infra1, infra2], { infra0: '64', infra1: '65', infra2: '66' }), lockOwner: 'exec-p' }));
    const written = (await registry.get('demo'))!;
    assert.deepEqual(written.members.map((m) => m.name), ['infra0', 'infra1', 'infra2']);
    assert.equal(written.removed, undefined);
    await lock.release('demo', 'exec-p');
  });
});
