// Set Maintenance and the steps that honour the flag, over the real file registry and lock (a fake liveness):
// the flag is written only by the lock holder, kept by Record Cluster, and stops automatic requests in Validate
// Request while a request by hand goes on. Also the probe's file store: of two writes over one version, one wins.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileClusterLock } from '../../lambdas/adapters/local/file-cluster-lock';
import { FileClusterRegistry } from '../../lambdas/adapters/local/file-cluster-registry';
import { FileProbeStateStore } from '../../lambdas/adapters/local/file-probe-state-store';
import { ClusterLockLostError, SpecValidationError } from '../../lambdas/core/errors';
import { parseClusterSpec } from '../../lambdas/core/spec';
import type { Logger } from '../../lambdas/ports';
import { createMaintenanceSteps } from '../../lambdas/steps/maintenance';
import { makeRecordCluster } from '../../lambdas/steps/record-cluster';
import { makeValidateRequest } from '../../lambdas/steps/replace/validate-request';
import { FakeLiveness } from '../support/cluster-lock-cases';

const quiet: Logger = { info: () => undefined, warn: () => undefined };
const spec = parseClusterSpec(JSON.parse(readFileSync(join(__dirname, '../../samples/guide-3-members.json'), 'utf8')));
const hosts = spec.members.map((m) => ({ name: m.name, address: m.address!, instanceId: m.instanceId! }));
const recordInput = {
  spec,
  hosts,
  pki: { ca: 'etcd-ha/demo/ca', healthcheckClient: 'etcd-ha/demo/healthcheck-client', apiserverEtcdClient: 'etcd-ha/demo/apiserver-etcd-client', members: {} },
  health: { healthy: true, attempt: 1, members: hosts.map((h, i) => ({ name: h.name, id: String(100 + i), endpoint: `https://${h.address}:2379`, healthy: true, leader: i === 0, learner: false })) },
};

describe('the maintenance flag in the steps', () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-ha-maintenance-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const lock = new FileClusterLock({ dir: join(dir, 'locks'), liveness: new FakeLiveness() });
  const registry = new FileClusterRegistry({ dir: join(dir, 'registry'), lock });
  const clock = { now: () => new Date('2026-02-01T08:00:00.000Z') };
  const steps = createMaintenanceSteps({ registry, lock, clock, log: quiet });
  const pause = { clusterName: 'demo', action: 'pause', reason: 'resizing', by: 'alice' } as const;
  /** A provisioning's Record Cluster, as the lock holder it always is. */
  const recordAsProvisioning = async () => {
    await lock.acquire('demo', { owner: 'exec-p', ref: 'ref-p' }, 60);
    await makeRecordCluster({ registry, clock, log: quiet })({ ...recordInput, lockOwner: 'exec-p' });
    await lock.release('demo', 'exec-p');
  };

  it('refuses an unknown cluster and a pause without a reason, naming the field', async () => {
    await assert.rejects(steps.validateMaintenanceRequest({ request: pause }), (e: unknown) => e instanceof SpecValidationError && /clusterName: no cluster "demo" is recorded/.test(e.message));
    await recordAsProvisioning();
    await assert.rejects(steps.validateMaintenanceRequest({ request: { clusterName: 'demo', action: 'pause', by: 'alice' } }), /reason: a pause needs a reason/);
    await assert.rejects(steps.validateMaintenanceRequest({ request: { ...pause, action: 'halt' } }), /action: must be "pause" or "resume"/);
    assert.deepEqual(await steps.validateMaintenanceRequest({ request: pause }), { ...pause, request: pause });
  });

  it('is written only by the lock holder, and kept by a later Record Cluster', async () => {
    await assert.rejects(steps.setMaintenance({ request: pause, execution: 'exec-m' }), ClusterLockLostError);
    assert.equal((await registry.get('demo'))?.maintenance, undefined);
    await lock.acquire('demo', { owner: 'exec-m', ref: 'ref-m' }, 60);
    const outcome = (await steps.setMaintenance({ request: pause, execution: 'exec-m' })) as { message: string; paused: boolean };
    assert.equal(outcome.message, 'healing paused by alice since 2026-02-01T08:00:00.000Z: resizing');
    await lock.release('demo', 'exec-m');
    const record = await registry.get('demo');
    assert.deepEqual(record?.maintenance, { paused: true, reason: 'resizing', by: 'alice', since: '2026-02-01T08:00:00.000Z', history: [{ action: 'pause', by: 'alice', at: '2026-02-01T08:00:00.000Z', reason: 'resizing', execution: 'exec-m' }] });
    assert.equal(record?.members.length, 3, 'the rest of the record as it was');
    await recordAsProvisioning();
    assert.equal((await registry.get('demo'))?.maintenance?.paused, true, 'a provisioning run keeps the pause');
  });

  it('ends automatic requests in Validate Request while paused; a request by hand goes on', async () => {
    const validate = makeValidateRequest({ registry, log: quiet });
    const automatic = (await validate({ request: { clusterName: 'demo', failedMember: 'infra1', trigger: 'health-probe' } })) as { healingPaused?: boolean; reason?: string };
    assert.equal(automatic.healingPaused, true);
    assert.equal(automatic.reason, 'healing paused by alice since 2026-02-01T08:00:00.000Z: resizing');
    const byInstance = (await validate({ request: { failedInstanceId: hosts[1]!.instanceId, trigger: 'ec2-state-change', instanceState: 'terminated' } })) as { healingPaused?: boolean };
    assert.equal(byInstance.healingPaused, true);
    const manual = (await validate({ request: { clusterName: 'demo', failedMember: 'infra1', trigger: 'manual' } })) as { healingPaused?: boolean; isMember: boolean };
    assert.equal(manual.isMember, true);
    assert.equal(manual.healingPaused, undefined);
  });

  it('the probe\'s file store writes only over the version it read', async () => {
    const store = new FileProbeStateStore({ dir: join(dir, 'probes') });
    assert.equal(await store.put('demo', { down: {} }, undefined), true);
    assert.equal(await store.put('demo', { down: {} }, undefined), false);
    assert.equal(await store.put('demo', { down: { infra1: { since: 't' } } }, 1), true);
    assert.deepEqual(await store.get('demo'), { version: 2, state: { down: { infra1: { since: 't' } } } });
    assert.throws(() => new FileProbeStateStore({ dir: 'relative' }), /dir must be an absolute path, got "relative"/);
  });
});
