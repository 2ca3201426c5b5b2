// A member's placement (subnet, availability zone, security groups, instance profile) goes from Resolve Hosts
// through Record Cluster into the registry, and back out through Read Cluster (under the lock, after Validate
// Request found the cluster by the failed instance) to the failed member a clone is launched from, and to the
// hosts a clone is placed among: EC2 no longer describes it once the instance is terminated. Real file registry;
// no AWS, no etcd (stand-ins: etcd-stand-in.ts).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileClusterRegistry } from '../../lambdas/adapters/local/file-cluster-registry';
import { parseClusterSpec } from '../../lambdas/core/spec';
import type { Logger } from '../../lambdas/ports';
import { makeRecordCluster } from '../../lambdas/steps/record-cluster';
import { FileClusterLock } from '../../lambdas/adapters/local/file-cluster-lock';
import { FakeLiveness } from '../support/cluster-lock-cases';
import { makeReadCluster } from '../../lambdas/steps/replace/read-cluster';
import { makeValidateRequest } from '../../lambdas/steps/replace/validate-request';
import { etcdAnswering, secretsWithHealthcheckClient, viewOf } from './etcd-stand-in';

const quiet: Logger = { info: () => undefined, warn: () => undefined };
const spec = parseClusterSpec(JSON.parse(readFileSync(join(__dirname, '../../samples/guide-3-members.json'), 'utf8')));
const placement = (i: number) => ({
  subnetId: `subnet-0a1b2c3d4e5f6000${i}`,
  availabilityZone: `us-east-1${'abc'[i]}`,
  securityGroupIds: ['sg-0a1b2c3d4e5f60001', `sg-0a1b2c3d4e5f6001${i}`],
  instanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/etcd-host',
});

describe('placement of member hosts in the registry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-ha-placement-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const lock = new FileClusterLock({ dir: join(dir, 'locks'), liveness: new FakeLiveness() });
  const registry = new FileClusterRegistry({ dir: join(dir, 'registry'), lock });
  const hosts = spec.members.map((m, i) => ({ name: m.name, address: m.address!, instanceId: m.instanceId!, placement: placement(i) }));

  it('Record Cluster keeps each host\'s placement, and Read Cluster hands it back with the failed member and the hosts', async () => {
    await lock.acquire('demo', { owner: 'exec-p', ref: 'ref-p' }, 60);
    await makeRecordCluster({ registry, clock: { now: () => new Date('2026-11-22T00:00:00Z') }, log: quiet })({
      spec,
      hosts,
      pki: { ca: 'etcd-ha/demo/ca', healthcheckClient: 'etcd-ha/demo/healthcheck-client', apiserverEtcdClient: 'etcd-ha/demo/apiserver-etcd-client', members: {} },
      health: { healthy: true, attempt: 1, members: hosts.map((h, i) => ({ name: h.name, id: String(100 + i), endpoint: `https://${h.address}:2379`, healthy: true, leader: i === 0, learner: false })) },
      lockOwner: 'exec-p',
    });
    await lock.release('demo', 'exec-p');
    const record = await registry.get('demo');
    assert.deepEqual(record?.members.map((m) => m.placement), [0, 1, 2].map(placement));
    assert.ok(
      (record?.spec as { members: Array<Record<string, unknown>> }).members.every((m) => !('placement' in m)),
      'the spec keeps its own fields only (it is validated again on a replacement)',
    );

    const validated = await makeValidateRequest({ registry, log: quiet })({ request: { failedInstanceId: 'i-0a1b2c3d4e5f60002' } });
    assert.ok(validated.isMember);
    assert.equal(validated.clusterName, 'demo');
    // Under the lock: every member answers but infra1 (only the statuses matter here).
    const { etcd } = etcdAnswering((endpoints) => viewOf(endpoints, [], ['https://10.0.0.7:2379']), 'Read Cluster');
    const read = await makeReadCluster({ registry, secrets: secretsWithHealthcheckClient('Read Cluster'), etcd, log: quiet })({ state: { ...validated, lock: { owner: 'exec-1' } } });
    assert.equal(read.stillNeeded, true);
    assert.deepEqual(read.failed, { name: 'infra1', id: '101', address: '10.0.0.7', instanceId: 'i-0a1b2c3d4e5f60002', placement: placement(1), removed: false });
    assert.deepEqual((read.hosts as Array<{ placement?: unknown }>).map((h) => h.placement), [0, 1, 2].map(placement));
  });
});
