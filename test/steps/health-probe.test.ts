// The health probe step without etcd or AWS: the stand-in etcd says who answers, a fake EC2 says what each
// instance does, an in-memory probe store with a version, and a recording starter. It proves the probe's
// contract around the pure decision: EC2 asked only for silent members, the probe's own item written before
// anything starts, nothing started by a probe whose write lost the race, one cluster's trouble not stopping others.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ProbeState } from '../../lambdas/core/health-probe';
import type { ClusterRecord, ClusterRegistry, MachinePower, ProbeStateStore, StoredProbeState } from '../../lambdas/ports';
import { makeHealthProbe } from '../../lambdas/steps/probe/health-probe';
import { Ec2HostDirectory } from '../../lambdas/adapters/aws/ec2-host-directory';
import { etcdAnswering, secretsWithHealthcheckClient, viewOf } from './etcd-stand-in';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const record = (clusterName: string): ClusterRecord => ({
  clusterName,
  runtime: 'systemd',
  members: [0, 1, 2].map((i) => ({ name: `infra${i}`, id: String(i), address: `10.0.0.${10 + i}`, instanceId: `i-0${i}00000000000000${i}` })),
  secrets: {},
  updatedAt: 'x',
  spec: { clusterName, runtime: 'systemd', members: [0, 1, 2].map((i) => ({ name: `infra${i}`, address: `10.0.0.${10 + i}` })) },
});

function memoryStore(refuse = false): ProbeStateStore & { stored: Map<string, StoredProbeState> } {
  const stored = new Map<string, StoredProbeState>();
  return {
    stored,
    get: async (c) => stored.get(c),
    put: async (c, state: ProbeState, read) => {
      if (refuse || stored.get(c)?.version !== read) return false;
      stored.set(c, { state, version: (read ?? 0) + 1 });
      return true;
    },
  };
}

function probeWith(options: { clusters: ClusterRecord[]; silent: string[]; store: ProbeStateStore; now: () => number; failing?: string }) {
  const asked: string[] = [];
  const started: string[] = [];
  const machines: MachinePower = {
    stateOf: async (m) => {
      asked.push(m.name);
      return 'running';
    },
    retire: async () => assert.fail('the probe retires nothing'),
  };
  const registry: ClusterRegistry = {
    get: async () => assert.fail('by list'),
    findByInstanceId: async () => assert.fail('by list'),
    list: async () => options.clusters,
    put: async () => assert.fail('the probe never writes the cluster record'),
  };
  const { etcd } = etcdAnswering((endpoints) => viewOf(endpoints, [], endpoints.filter((e) => options.silent.some((s) => e.includes(s)))), 'the probe');
  const secrets = secretsWithHealthcheckClient('the probe');
  const probe = makeHealthProbe({
    registry,
    secrets: options.failing ? { ...secrets, get: async (name) => (name.includes(`/${options.failing}/`) ? Promise.reject(new Error('AccessDenied')) : secrets.get(name)) } : secrets,
    etcd,
    directory: new Ec2HostDirectory({ ec2: {} as never }),
    clock: { now: () => new Date(options.now()) },
    log: { info: () => undefined, warn: () => undefined },
    probeStates: options.store,
    machines,
    starter: { start: async (r) => (started.push(`${r.clusterName}/${r.member} ${r.executionName} ${r.trigger}`), { execution: r.executionName, started: true }) },
    graceSeconds: 600,
  });
  return { probe, asked, started };
}

describe('the health probe step', () => {
  it('asks EC2 only about silent members, and starts ReplaceMember once the grace period is over, once per outage', async () => {
    let now = T0;
    const store = memoryStore();
    const { probe, asked, started } = probeWith({ clusters: [record('demo')], silent: ['10.0.0.12'], store, now: () => now });
    await probe();
    assert.deepEqual(asked, ['infra2']);
    assert.deepEqual(started, []);
    now = T0 + 600_000;
    const { clusters } = await probe();
    assert.deepEqual(started, ['demo/infra2 probe-demo-infra2-20260301T000000Z health-probe']);
    assert.deepEqual(clusters[0]!.started.map((s) => s.member), ['infra2']);
    assert.equal(store.stored.get('demo')!.state.down.infra2!.replacement, 'probe-demo-infra2-20260301T000000Z');
    now = T0 + 660_000;
    await probe();
    assert.equal(started.length, 1, 'not started twice for one outage');
  });

  it('starts nothing when its write loses to another probe of the same cluster', async () => {
    const store = memoryStore();
    await store.put('demo', { down: { infra2: { since: new Date(T0).toISOString() } } }, undefined);
    const losing = { ...store, put: async () => false };
    const { probe, started } = probeWith({ clusters: [record('demo')], silent: ['10.0.0.12'], store: losing, now: () => T0 + 900_000 });
    const { clusters } = await probe();
    assert.deepEqual(started, []);
    assert.equal(clusters[0]!.skipped, 'another probe of this cluster ran at the same time');
  });

  it("goes on with the other clusters when one cannot be probed", async () => {
    const { probe } = probeWith({ clusters: [record('broken'), record('fine')], silent: [], store: memoryStore(), now: () => T0, failing: 'broken' });
    const { clusters } = await probe();
    assert.deepEqual(clusters.map((c) => [c.clusterName, c.skipped]), [['broken', 'AccessDenied'], ['fine', undefined]]);
  });
});
