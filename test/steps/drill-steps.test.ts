// DrillRestore's own steps without etcd or AWS (a stand-in registry, runner and metrics): a request with a misspelt
// field is refused naming it; a bootstrapping or unknown cluster is nothing to drill; no last good backup is a failed
// drill ("no backup to drill"); Restore On Drill Host runs fetch-snapshot + restore-drill with the staged snapshot,
// the host's drill address and the backup revision (only when the manifest counted its keys), carries no key
// material, and reads the result line (none: a named failure); Publish Drill Result publishes 1 or 0 per cluster and
// fleet-wide, 0 for a mismatch and for a failure on the way.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createDrillSteps, type DrillDeps } from '../../lambdas/steps/drill';
import type { BackupMetadata, ClusterRecord, HostCommand, MetricPoint } from '../../lambdas/ports';

/** Rejects with an error of that name whose message matches. */
async function rejectsWith(promise: Promise<unknown>, name: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (e: Error) => e.name === name && message.test(e.message));
}

const record = (clusterName: string, status?: 'bootstrapping'): ClusterRecord => ({
  clusterName,
  ...(status && { status }),
  runtime: 'systemd',
  members: [{ name: 'infra0', id: '1', address: '10.0.0.1' }, { name: 'infra1', id: '2', address: '10.0.0.2' }, { name: 'infra2', id: '3', address: '10.0.0.3' }],
  secrets: {},
  updatedAt: '2026-12-05T00:00:00.000Z',
  spec: { clusterName, runtime: 'systemd' },
});
const RECORDS = [record('alpha'), record('beta'), record('young', 'bootstrapping')];

const BACKUP: BackupMetadata = {
  clusterName: 'alpha',
  name: '2026-12-05T18-53-09-123Z',
  takenAt: '2026-12-05T18:53:09.123Z',
  location: '/backups/alpha/2026-12-05T18-53-09-123Z.db',
  revision: 7,
  keyCount: 3,
  clusterId: 'abc',
  members: [],
  etcdVersion: '3.5.16',
  from: 'https://10.0.0.1:2379',
  bytes: 20512,
  sha256: 'b'.repeat(64),
  execution: 'backup-1',
};
const HOST = { name: 'infra0', address: '10.0.0.1', instanceId: 'i-0123456789abcdef0' };
const STAGED = { uri: 's3://bucket/restores/alpha/drill-1/i-0123456789abcdef0.db', bytes: 20512, sha256: 'b'.repeat(64) };

function drillSteps(options: { stdout?: string; last?: BackupMetadata; drillAddressOf?: DrillDeps['drillAddressOf'] } = {}) {
  const commands: HostCommand[] = [];
  const points: MetricPoint[] = [];
  const steps = createDrillSteps({
    registry: {
      get: async (name) => RECORDS.find((r) => r.clusterName === name),
      findByInstanceId: async () => undefined,
      list: async () => RECORDS,
      put: async () => assert.fail('a drill never writes the cluster record'),
    },
    secrets: { nameFor: (c, i) => `etcd-ha/${c}/${i}`, get: async () => undefined, put: async () => assert.fail('no secret written') },
    etcd: { connect: () => assert.fail('no etcd here') },
    directory: { resolve: async () => assert.fail('no resolve'), recorded: () => assert.fail('no recorded') },
    runner: {
      run: async (hosts, command) => {
        commands.push(command);
        return hosts.map((h) => ({ host: h.name, exitCode: 0, stdoutTail: options.stdout ?? 'drill-result keys=3 revision=7 keys-at-backup-revision=3 etcd=3.5.16\nremoved /var/lib/etcd-ha/drills/drill.x\n', stderrTail: '' }));
      },
    },
    log: { info: () => undefined, warn: () => undefined },
    clock: { now: () => new Date('2026-12-06T00:00:00Z') },
    hostCommandTimeoutSeconds: 60,
    lastBackup: { get: async (c) => (c === 'alpha' ? options.last : undefined), put: async () => assert.fail('a drill records no backup') },
    drillLock: { acquire: async () => ({ acquired: true }), extend: async () => undefined, release: async () => undefined },
    metrics: { publish: async (p) => void points.push(...p) },
    ...(options.drillAddressOf && { drillAddressOf: options.drillAddressOf }),
  });
  return { steps, commands, points };
}

describe('Validate Drill Request', () => {
  it('refuses a misspelt field by name, rather than drilling every cluster', async () => {
    await rejectsWith(drillSteps().steps.validateDrillRequest({ request: { clustername: 'alpha' } }), 'SpecValidationError', /clustername: is not a known field/);
  });
  it('{} drills every running cluster; a bootstrapping or unknown one is nothing to drill', async () => {
    const { steps } = drillSteps();
    assert.deepEqual(await steps.validateDrillRequest({ request: {} }), { clusters: ['alpha', 'beta'] });
    assert.deepEqual(await steps.validateDrillRequest({ request: { clusterName: 'nope' } }), { clusters: [], reason: 'no cluster "nope" is recorded' });
    assert.equal(((await steps.validateDrillRequest({ request: { clusterName: 'young' } })) as { clusters: string[] }).clusters.length, 0);
  });
});

describe('Find Last Good Backup', () => {
  it('none: a failed drill, "no backup to drill"', async () => {
    await rejectsWith(drillSteps().steps.findLastGoodBackup({ clusterName: 'alpha' }), 'NoBackupToDrillError', /no backup to drill: cluster alpha has no last good backup/);
  });
  it('the last good one', async () => {
    assert.deepEqual(await drillSteps({ last: BACKUP }).steps.findLastGoodBackup({ clusterName: 'alpha' }), BACKUP);
  });
});

describe('Restore On Drill Host', () => {
  it('one command: fetch-snapshot + restore-drill with the staged copy, 127.0.0.1 and the backup revision; the result line read', async () => {
    const { steps, commands } = drillSteps();
    const restored = await steps.restoreOnDrillHost({ clusterName: 'alpha', backup: BACKUP, host: HOST, staged: STAGED });
    assert.deepEqual(restored, { keys: 3, revision: 7, keysAtBackupRevision: 3, etcdVersion: '3.5.16', host: 'infra0' });
    const text = commands[0]!.text;
    for (const line of [`export SNAPSHOT_URI='${STAGED.uri}'`, "export SNAPSHOT_BYTES='20512'", "export DRILL_ADDRESS='127.0.0.1'", "export BACKUP_REVISION='7'", "export RUNTIME='systemd'"]) {
      assert.ok(text.includes(line), line);
    }
    assert.ok(text.includes('SNAPSHOT_FETCH=') && text.includes('drill-result keys='), 'fetch-snapshot.sh, then restore-drill.sh');
    assert.doesNotMatch(text, /PRIVATE KEY/);
  });
  it('locally the host address; no BACKUP_REVISION for a manifest without a key count', async () => {
    const { steps, commands } = drillSteps({ drillAddressOf: (h) => h.address });
    const { keyCount: _, ...old } = BACKUP;
    await steps.restoreOnDrillHost({ clusterName: 'alpha', backup: old, host: HOST, staged: STAGED });
    assert.ok(commands[0]!.text.includes("export DRILL_ADDRESS='10.0.0.1'"));
    assert.ok(!commands[0]!.text.includes('export BACKUP_REVISION='));
  });
  it('no result line: a named failure with what the host printed', async () => {
    await rejectsWith(drillSteps({ stdout: 'temporary etcd stopped\n' }).steps.restoreOnDrillHost({ clusterName: 'alpha', backup: BACKUP, host: HOST, staged: STAGED }), 'HostScriptFailedError', /printed no drill-result line/);
  });
  it('a bad input names the field', async () => {
    await rejectsWith(drillSteps().steps.restoreOnDrillHost({ clusterName: 'alpha', backup: BACKUP, host: HOST, staged: { ...STAGED, bytes: -1 } }), 'SpecValidationError', /staged\.bytes/);
  });
});

describe('Publish Drill Result', () => {
  const state = { clusterName: 'alpha', backup: BACKUP, drillHost: { host: HOST, stageFor: HOST.instanceId }, lock: { acquired: true } };
  const published = (points: MetricPoint[]) => points.map((p) => [p.name, p.value, p.dimensions?.Cluster ?? 'fleet']);

  it('as recorded: passed, 1 per cluster and fleet-wide', async () => {
    const { steps, points } = drillSteps();
    const result = await steps.publishDrillResult({ drill: { ...state, restored: { keys: 3, revision: 7, keysAtBackupRevision: 3 } } });
    assert.deepEqual(result, { passed: true, outcome: { clusterName: 'alpha', outcome: 'passed', backup: BACKUP.name, host: 'infra0', keys: 3, revision: 7 } });
    assert.deepEqual(published(points), [['RestoreDrillSucceeded', 1, 'alpha'], ['RestoreDrillSucceeded', 1, 'fleet']]);
  });
  it('keys unlike the manifest: failed, 0, naming both counts', async () => {
    const { steps, points } = drillSteps();
    const result = (await steps.publishDrillResult({ drill: { ...state, restored: { keys: 2, revision: 7, keysAtBackupRevision: 2 } } })) as { passed: boolean; outcome: { error: string; cause: string } };
    assert.equal(result.passed, false);
    assert.equal(result.outcome.error, 'RestoreDrillMismatchError');
    assert.match(result.outcome.cause, /2 keys at revision 7, the manifest says 3/);
    assert.deepEqual(published(points), [['RestoreDrillSucceeded', 0, 'alpha'], ['RestoreDrillSucceeded', 0, 'fleet']]);
  });
  it('a failure on the way: failed with its error, 0', async () => {
    const { steps, points } = drillSteps();
    const result = (await steps.publishDrillResult({ drill: { clusterName: 'alpha', failure: { Error: 'NoBackupToDrillError', Cause: 'no backup to drill' } } })) as { outcome: unknown };
    assert.deepEqual(result.outcome, { clusterName: 'alpha', outcome: 'failed', error: 'NoBackupToDrillError', cause: 'no backup to drill' });
    assert.deepEqual(published(points).map(([, v]) => v), [0, 0]);
  });
});
