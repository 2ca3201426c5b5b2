// BackupCluster's definition: valid ASL, and runs by the local interpreter over stand-in steps (no etcd, no AWS):
// the Map backs up each cluster, one cluster's failure releases its backup lock and fails the execution naming it
// without stopping the others, a backup lock held by another execution ends that cluster quietly, an unknown
// cluster and an empty registry end in Nothing To Back Up.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import validator from 'asl-validator';
import { renderAsl } from '../../statemachines/render-asl';
import { BACKUP_STEPS, backupClusterDefinition } from '../../statemachines/backup-cluster';
import { runWorkflow } from '../../lambdas/local-runner/run-workflow';
import type { StepHandler } from '../../lambdas/steps/deps';
import { loadDefinition } from '../../lambdas/local-runner/definitions';

const definition = renderAsl(BACKUP_STEPS, (scope, functions) => backupClusterDefinition(scope, { functions }));

function stubSteps(options: { clusters: string[]; failTakeOf?: string; heldFor?: string; failPublish?: boolean }) {
  const calls: string[] = [];
  const steps: Record<string, StepHandler> = {
    validateBackupRequest: async (raw) => {
      const request = (raw as { request: { clusterName?: string } }).request;
      const clusters = request.clusterName ? options.clusters.filter((c) => c === request.clusterName) : options.clusters;
      return { clusters, ...(clusters.length === 0 && { reason: 'no cluster is recorded' }) };
    },
    acquireBackupLock: async (raw) => {
      const { clusterName } = raw as { clusterName: string };
      calls.push(`acquire ${clusterName}`);
      return clusterName === options.heldFor ? { acquired: false, heldBy: 'other-run' } : { acquired: true };
    },
    takeBackup: async (raw) => {
      const { clusterName } = raw as { clusterName: string };
      calls.push(`take ${clusterName}`);
      if (clusterName === options.failTakeOf) throw Object.assign(new Error(`snapshot of ${clusterName} is corrupt`), { name: 'SnapshotCorruptError' });
      return { clusterName, name: 'n', revision: 7 };
    },
    recordLastGoodBackup: async (raw) => {
      calls.push(`record ${(raw as { backup: { clusterName: string } }).backup.clusterName}`);
      return { recorded: true };
    },
    pruneBackups: async () => ({ kept: 1, pruned: ['old'] }),
    releaseBackupLock: async (raw) => {
      calls.push(`release ${(raw as { clusterName: string }).clusterName}`);
      return { released: true };
    },
    publishBackupMetrics: async () => {
      calls.push('publish');
      if (options.failPublish) throw Object.assign(new Error('PutMetricData refused'), { name: 'AccessDenied' });
      return { clusters: [], fleetLastGoodBackupAgeSeconds: 0, published: 1 };
    },
  };
  return { steps, calls };
}

describe('BackupCluster definition', () => {
  it('is valid ASL, and the rendered local file is the same', () => {
    const result = validator(structuredClone(definition) as never);
    assert.equal(result.isValid, true, JSON.stringify(result.errors, null, 2));
    assert.deepEqual(loadDefinition('backup-cluster').States['Back Up Each Cluster'] !== undefined, true);
  });

  it('backs up each recorded cluster (the schedule sends {}), recording and pruning each', async () => {
    const { steps, calls } = stubSteps({ clusters: ['a', 'b'] });
    const result = await runWorkflow({ definition, steps, input: {}, executionName: 'scheduled' });
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    const output = result.output as { backups: Array<{ clusterName: string; outcome: string; pruned: string[] }> };
    assert.deepEqual(output.backups.map((b) => `${b.clusterName} ${b.outcome} ${b.pruned}`), ['a backed-up old', 'b backed-up old']);
    assert.equal(calls.at(-1), 'publish', 'the metrics go last, once');
    assert.equal(calls.filter((c) => c === 'publish').length, 1);
    for (const c of ['a', 'b']) assert.deepEqual(calls.filter((x) => x.endsWith(` ${c}`)), [`acquire ${c}`, `take ${c}`, `record ${c}`, `release ${c}`]);
  });

  it("fails naming a corrupt cluster's error, releases its backup lock, records nothing for it, and still backs up the others", async () => {
    const { steps, calls } = stubSteps({ clusters: ['a', 'b'], failTakeOf: 'a' });
    const result = await runWorkflow({ definition, steps, input: {}, executionName: 'scheduled' });
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'BackupFailedError');
    assert.match(result.cause ?? '', /SnapshotCorruptError/);
    assert.ok(calls.includes('release a') && !calls.includes('record a'));
    assert.ok(calls.includes('record b'));
    assert.equal(calls.at(-1), 'publish', 'a failed backup still publishes the ages');
  });

  it('a publish that fails does not fail the run (the alarm treats the missing point as breaching), nor hide a failed backup', async () => {
    const ok = stubSteps({ clusters: ['a'], failPublish: true });
    const result = await runWorkflow({ definition, steps: ok.steps, input: {}, executionName: 'scheduled' });
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.deepEqual((result.output as { backups: Array<{ outcome: string }> }).backups.map((b) => b.outcome), ['backed-up']);
    const bad = stubSteps({ clusters: ['a'], failTakeOf: 'a', failPublish: true });
    const failed = await runWorkflow({ definition, steps: bad.steps, input: {}, executionName: 'scheduled' });
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.error, 'BackupFailedError');
  });

  it('ends quietly when another execution holds the backup lock', async () => {
    const { steps, calls } = stubSteps({ clusters: ['a'], heldFor: 'a' });
    const result = await runWorkflow({ definition, steps, input: { clusterName: 'a' }, executionName: 'second' });
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.deepEqual((result.output as { backups: unknown[] }).backups, [{ clusterName: 'a', outcome: 'already-running', heldBy: 'other-run' }]);
    assert.deepEqual(calls, ['acquire a', 'publish']);
  });

  it('ends in Nothing To Back Up for an unknown cluster', async () => {
    const { steps } = stubSteps({ clusters: ['a'] });
    const result = await runWorkflow({ definition, steps, input: { clusterName: 'zz' }, executionName: 'x' });
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.deepEqual(result.output, { backups: [], reason: 'no cluster is recorded' });
  });

  it('publishes the ages also when there is nothing to back up (no cluster recorded: the fleet figure keeps coming)', async () => {
    const { steps, calls } = stubSteps({ clusters: [] });
    const result = await runWorkflow({ definition, steps, input: {}, executionName: 'x' });
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.deepEqual(result.output, { backups: [], reason: 'no cluster is recorded' });
    assert.deepEqual(calls, ['publish']);
  });
});
