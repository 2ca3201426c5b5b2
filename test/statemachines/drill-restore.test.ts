// DrillRestore's definition: valid ASL, and runs by the local interpreter over stand-in steps (no etcd, no AWS) with
// the real Publish Drill Result (its metric recorded): the Map drills each cluster; a failure on the way (no backup,
// a host that fails) still unstages and publishes 0, releases the drill lock and fails the execution naming the
// cluster, without stopping the others; a drill lock held by another execution ends that cluster quietly; a failed
// publish still releases the lock; an unknown cluster ends in Nothing To Drill.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import validator from 'asl-validator';
import { renderAsl } from '../../statemachines/render-asl';
import { DRILL_STEPS, drillRestoreDefinition } from '../../statemachines/drill-restore';
import { runWorkflow } from '../../lambdas/local-runner/run-workflow';
import { loadDefinition } from '../../lambdas/local-runner/definitions';
import { makePublishDrillResult } from '../../lambdas/steps/drill/publish-drill-result';
import type { StepHandler } from '../../lambdas/steps/deps';
import type { MetricPoint } from '../../lambdas/ports';

const definition = renderAsl(DRILL_STEPS, (scope, functions) => drillRestoreDefinition(scope, { functions }));
const quiet = { info: () => {}, warn: () => {} };

const backupOf = (clusterName: string) => ({
  clusterName,
  name: '2026-12-05T18-53-09-123Z',
  takenAt: '2026-12-05T18:53:09.123Z',
  location: `/backups/${clusterName}/2026-12-05T18-53-09-123Z.db`,
  revision: 7,
  keyCount: 3,
  clusterId: 'abc',
  members: [],
  etcdVersion: '3.5.16',
  from: 'https://10.0.0.1:2379',
  bytes: 20512,
  sha256: 'a'.repeat(64),
  execution: 'backup-1',
});

function stubSteps(options: { clusters: string[]; noBackupFor?: string; hostFailsFor?: string; heldFor?: string; publishFails?: boolean }) {
  const calls: string[] = [];
  const points: MetricPoint[] = [];
  const publish = makePublishDrillResult({ log: quiet, metrics: { publish: async (p) => void points.push(...p) } });
  const cluster = (raw: unknown) => (raw as { clusterName: string }).clusterName;
  const steps: Record<string, StepHandler> = {
    validateDrillRequest: async (raw) => {
      const request = (raw as { request: { clusterName?: string } }).request;
      const clusters = request.clusterName ? options.clusters.filter((c) => c === request.clusterName) : options.clusters;
      return { clusters, ...(clusters.length === 0 && { reason: 'no cluster is recorded' }) };
    },
    acquireDrillLock: async (raw) => {
      calls.push(`acquire ${cluster(raw)}`);
      return cluster(raw) === options.heldFor ? { acquired: false, heldBy: 'other-run' } : { acquired: true };
    },
    findLastGoodBackup: async (raw) => {
      if (cluster(raw) === options.noBackupFor) throw Object.assign(new Error(`no backup to drill: cluster ${cluster(raw)} has no last good backup`), { name: 'NoBackupToDrillError' });
      return backupOf(cluster(raw));
    },
    verifySnapshot: async () => ({ verified: true, bytes: 20512, sha256: 'a'.repeat(64) }),
    chooseDrillHost: async () => ({ host: { name: 'infra1', address: '10.0.0.2', instanceId: 'i-1' }, stageFor: 'i-1' }),
    stageSnapshot: async (raw) => {
      const { instanceId, purpose } = raw as { instanceId: string; purpose: string };
      calls.push(`stage ${instanceId} ${purpose}`);
      return { uri: 's3://b/restores/x.db', bytes: 20512, sha256: 'a'.repeat(64) };
    },
    restoreOnDrillHost: async (raw) => {
      calls.push(`restore ${cluster(raw)}`);
      if (cluster(raw) === options.hostFailsFor) throw Object.assign(new Error('Restore On Drill Host failed on infra1: the snapshot does not open'), { name: 'HostScriptFailedError' });
      return { keys: 3, revision: 7, keysAtBackupRevision: 3, host: 'infra1' };
    },
    unstageSnapshots: async (raw) => {
      calls.push(`unstage ${cluster(raw)} ${(raw as { purpose: string }).purpose}`);
      return {};
    },
    publishDrillResult: async (raw) => {
      if (options.publishFails) throw Object.assign(new Error('CloudWatch refused'), { name: 'EnvironmentConfigError' });
      return publish(raw);
    },
    releaseDrillLock: async (raw) => {
      calls.push(`release ${cluster(raw)}`);
      return { released: true };
    },
  };
  return { steps, calls, points };
}

const fleet = (points: MetricPoint[]) => points.filter((p) => p.dimensions === undefined).map((p) => p.value);

describe('DrillRestore definition', () => {
  it('is valid ASL, and the rendered local file has its Map', () => {
    const result = validator(structuredClone(definition) as never);
    assert.equal(result.isValid, true, JSON.stringify(result.errors, null, 2));
    assert.ok(loadDefinition('drill-restore').States['Drill Each Cluster'] !== undefined);
  });

  it('drills each recorded cluster (the schedule sends {}), staging for the chosen host under the execution name, then unstaging', async () => {
    const { steps, calls, points } = stubSteps({ clusters: ['a', 'b'] });
    const result = await runWorkflow({ definition, steps, input: { trigger: 'schedule' }, executionName: 'drill-run' });
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    const output = result.output as { drills: Array<{ clusterName: string; outcome: string; keys: number; revision: number; host: string }> };
    assert.deepEqual(output.drills.map((d) => `${d.clusterName} ${d.outcome} ${d.keys} ${d.revision} ${d.host}`), ['a passed 3 7 infra1', 'b passed 3 7 infra1']);
    assert.ok(calls.includes('stage i-1 drill-run') && calls.includes('unstage a drill-run') && calls.includes('release b'));
    assert.deepEqual(fleet(points), [1, 1]);
    assert.deepEqual(points.filter((p) => p.dimensions).map((p) => p.dimensions?.Cluster).sort(), ['a', 'b']);
  });

  it('no backup, or a host that fails: unstaged, 0 published, lock released, the execution fails naming the cluster; the others still drill', async () => {
    const { steps, calls, points } = stubSteps({ clusters: ['a', 'b', 'c'], noBackupFor: 'a', hostFailsFor: 'b' });
    const result = await runWorkflow({ definition, steps, input: {}, executionName: 'drill-run' });
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'RestoreDrillFailedError');
    const drills = JSON.parse(result.cause ?? '[]') as Array<{ clusterName: string; outcome: string; error?: string; cause?: string }>;
    assert.deepEqual(drills.map((d) => `${d.clusterName} ${d.outcome} ${d.error ?? ''}`), ['a failed NoBackupToDrillError', 'b failed HostScriptFailedError', 'c passed ']);
    assert.match(drills[0]!.cause!, /no backup to drill/);
    for (const c of ['a', 'b', 'c']) assert.ok(calls.includes(`unstage ${c} drill-run`) && calls.includes(`release ${c}`), c);
    assert.ok(!calls.includes('restore a'), 'nothing restored without a backup');
    assert.deepEqual(fleet(points).sort(), [0, 0, 1]);
  });

  it('a drill lock held by another execution ends that cluster quietly: nothing staged or published', async () => {
    const { steps, calls, points } = stubSteps({ clusters: ['a'], heldFor: 'a' });
    const result = await runWorkflow({ definition, steps, input: { clusterName: 'a' }, executionName: 'drill-run' });
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.deepEqual((result.output as { drills: unknown[] }).drills, [{ clusterName: 'a', outcome: 'already-running', heldBy: 'other-run' }]);
    assert.deepEqual(calls, ['acquire a']);
    assert.deepEqual(points, []);
  });

  it('a publish that fails still releases the lock and fails the drill naming why', async () => {
    const { steps, calls } = stubSteps({ clusters: ['a'], publishFails: true });
    const result = await runWorkflow({ definition, steps, input: { clusterName: 'a' }, executionName: 'drill-run' });
    assert.equal(result.status, 'FAILED');
    assert.match(result.cause ?? '', /EnvironmentConfigError/);
    assert.ok(calls.includes('release a'));
  });

  it('an unknown cluster: Nothing To Drill', async () => {
    const { steps, calls } = stubSteps({ clusters: ['a'] });
    const result = await runWorkflow({ definition, steps, input: { clusterName: 'zz' }, executionName: 'drill-run' });
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.deepEqual(result.output, { drills: [], reason: 'no cluster is recorded' });
    assert.deepEqual(calls, []);
  });
});
