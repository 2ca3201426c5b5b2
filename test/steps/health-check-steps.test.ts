// CheckClusterHealth's steps without etcd or AWS: an in-memory registry that refuses every write, the healthcheck
// client from the stand-in secret store, and a stand-in etcd that answers a ClusterView built here (every membership
// change or snapshot fails the test). They prove: read-only, the recorded members asked over mTLS with the
// healthcheck client, the verdict of the core health rules, the record's summary, an unknown cluster said plainly.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterMember, ClusterRecord, ClusterRegistry, MemberStatus } from '../../lambdas/ports';
import { createHealthCheckSteps } from '../../lambdas/steps/health-check';
import type { ClusterHealthReport } from '../../lambdas/core/workflow-io';
import { SpecValidationError } from '../../lambdas/core/errors';
import { HEALTHCHECK_CLIENT, etcdAnswering, secretsWithHealthcheckClient } from './etcd-stand-in';

const ID = { infra0: '10276657743932975437', infra1: '10501334649042878790', infra2: '18249187646912138824' } as const; // 8e9e05c52164694d, 91bc3c398fb3c146, fd422379fda50e48
const NAMES = ['infra0', 'infra1', 'infra2'] as const;
const CLUSTER_ID = '14841639068965178418';
const address = (i: number) => `10.0.0.${6 + i}`;
const endpoint = (i: number) => `https://${address(i)}:2379`;

const RECORD: ClusterRecord = {
  clusterName: 'demo',
  runtime: 'kubeadm',
  members: NAMES.map((name, i) => ({ name, id: i === 2 ? '' : ID[name], address: address(i), instanceId: `i-0a1b2c3d4e5f6000${i}` })),
  secrets: { ca: 'etcd-ha/demo/ca', healthcheckClient: 'etcd-ha/demo/healthcheck-client', apiserverEtcdClient: 'etcd-ha/demo/apiserver-etcd-client' },
  updatedAt: '2026-11-20T08:00:00.000Z',
  spec: { clusterName: 'demo', runtime: 'kubeadm', members: NAMES.map((name, i) => ({ name, address: address(i) })) },
};

function status(i: number, over: Partial<MemberStatus> = {}): MemberStatus {
  const name = NAMES[i]!;
  return { endpoint: endpoint(i), ok: true, memberId: ID[name], clusterId: CLUSTER_ID, leaderId: ID.infra1, raftIndex: 900, raftAppliedIndex: 900, dbSize: 4096 + i, isLearner: false, ...over };
}
const listed = (i: number): ClusterMember => ({ id: ID[NAMES[i]!], name: NAMES[i]!, peerURLs: [`https://${address(i)}:2380`], clientURLs: [endpoint(i)], isLearner: false });

/** A registry holding `records` that fails the test on any write. */
function readOnlyRegistry(...records: ClusterRecord[]): ClusterRegistry {
  return {
    get: async (name) => records.find((r) => r.clusterName === name),
    findByInstanceId: async () => assert.fail('a health check names its cluster'),
    list: async () => assert.fail('a health check reads one cluster'),
    put: async () => assert.fail('a health check writes no record'),
  };
}

function stepsWith(records: ClusterRecord[], statuses: (endpoints: readonly string[]) => MemberStatus[]) {
  const { etcd, calls } = etcdAnswering((endpoints) => ({ statuses: statuses(endpoints), members: NAMES.map((_, i) => listed(i)), alarms: [] }), 'a health check');
  const logged: Array<[string, Record<string, unknown> | undefined]> = [];
  const steps = createHealthCheckSteps({
    registry: readOnlyRegistry(...records),
    secrets: secretsWithHealthcheckClient('a health check'),
    etcd,
    log: { info: (message, fields) => void logged.push([message, fields]), warn: (message, fields) => void logged.push([message, fields]) },
    maxAppliedIndexLag: 50,
  });
  return { steps, calls, logged };
}

describe('CheckClusterHealth steps', () => {
  it('Validate Request: a recorded cluster goes on; an unknown one is said, not thrown; a malformed request is refused', async () => {
    const { steps } = stepsWith([RECORD], () => assert.fail('Validate Request asks no member'));
    assert.deepEqual(await steps.validateHealthCheckRequest({ request: { clusterName: 'demo' } }), { clusterName: 'demo', isRecorded: true });
    assert.deepEqual(await steps.validateHealthCheckRequest({ request: { clusterName: 'dmeo' } }), { clusterName: 'dmeo', isRecorded: false, reason: 'no cluster "dmeo" is recorded' });
    await assert.rejects(steps.validateHealthCheckRequest({ request: { clusterName: 'demo', force: true } }), SpecValidationError);
    await assert.rejects(steps.validateHealthCheckRequest({ request: {} }), /clusterName/);
  });

  it('Read Cluster Health, healthy: every recorded member asked over mTLS with the healthcheck client, the verdict and the record\'s summary', async () => {
    const { steps, calls } = stepsWith([RECORD], (endpoints) => endpoints.map((_, i) => status(i)));
    const report = (await steps.readClusterHealth({ clusterName: 'demo' })) as ClusterHealthReport;
    assert.deepEqual(calls.connectedWith, [HEALTHCHECK_CLIENT]);
    assert.deepEqual(calls.inspected, [NAMES.map((_, i) => endpoint(i))]);
    assert.equal(calls.closed, 1, 'the client is closed');
    assert.deepEqual(report, {
      clusterName: 'demo',
      isRecorded: true,
      healthy: true,
      problems: [],
      leader: 'infra1',
      clusterId: 'cdf818194e3a8c32',
      members: [
        { name: 'infra0', id: '8e9e05c52164694d', endpoint: endpoint(0), instanceId: 'i-0a1b2c3d4e5f60000', healthy: true, leader: false, learner: false, dbSize: 4096 },
        { name: 'infra1', id: '91bc3c398fb3c146', endpoint: endpoint(1), instanceId: 'i-0a1b2c3d4e5f60001', healthy: true, leader: true, learner: false, dbSize: 4097 },
        { name: 'infra2', id: 'fd422379fda50e48', endpoint: endpoint(2), instanceId: 'i-0a1b2c3d4e5f60002', healthy: true, leader: false, learner: false, dbSize: 4098 },
      ],
      awaitingReplacement: [],
      runtime: 'kubeadm',
      updatedAt: '2026-11-20T08:00:00.000Z',
      maintenance: { paused: false, history: [] },
    });
  });

  it('Read Cluster Health, one member silent: "not healthy" is a result naming the member, with the recorded ID kept; pauses and removed members from the record', async () => {
    const paused = {
      ...RECORD,
      members: RECORD.members.filter((m) => m.name !== 'infra2'),
      removed: [{ ...RECORD.members[2]!, id: 'fd422379fda50e48', removedAt: '2026-11-20T09:00:00.000Z', removedBy: 'demo-infra2-20261120T085900Z' }],
      maintenance: { paused: true, reason: 'kernel update', by: 'alice@ops', since: '2026-11-20T08:30:00.000Z', history: [] },
    };
    const { steps, logged } = stepsWith([paused], (endpoints) => endpoints.map((e, i) => (i === 0 ? { endpoint: e, ok: false, error: 'connect ECONNREFUSED' } : status(i))));
    const report = (await steps.readClusterHealth({ clusterName: 'demo' })) as ClusterHealthReport;
    assert.equal(report.healthy, false);
    assert.ok(report.problems.some((p) => p.includes('infra0')), report.problems.join('\n'));
    const infra0 = report.members.find((m) => m.name === 'infra0')!;
    assert.deepEqual([infra0.healthy, infra0.id], [false, '8e9e05c52164694d']);
    assert.deepEqual(report.awaitingReplacement, [{ name: 'infra2', removedAt: '2026-11-20T09:00:00.000Z', removedBy: 'demo-infra2-20261120T085900Z' }]);
    assert.deepEqual(report.maintenance, paused.maintenance);
    assert.deepEqual(logged.map(([message]) => message), ['cluster not healthy']);
  });

  it('Read Cluster Health of a cluster no longer recorded fails with SpecValidationError', async () => {
    const { steps } = stepsWith([], () => assert.fail('nobody to ask'));
    await assert.rejects(steps.readClusterHealth({ clusterName: 'demo' }), (e: unknown) => e instanceof SpecValidationError && /no cluster "demo" is recorded/.test(e.message));
  });
});
