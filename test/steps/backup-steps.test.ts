// BackupCluster's steps without etcd or AWS (a stand-in registry, the local backup store in a temp dir): a request
// with a misspelt field is refused naming it (not read as "every cluster"); a bootstrapping or unknown cluster is
// nothing to back up; the schedule's {} lists every running cluster; Record Last Good Backup refuses a backup whose
// manifest is not stored; Prune Old Backups follows the tiers, never deletes the last good backup, and removes a
// manifest-less snapshot once it is an hour old.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackupSteps } from '../../lambdas/steps/backup';
import { DirBackupStore } from '../../lambdas/adapters/local/dir-backup-store';
import { backupNameAt, type BackupMetadata } from '../../lambdas/core/backup/metadata';
import type { ClusterLock, ClusterRecord, MetricPoint } from '../../lambdas/ports';
import { METRICS } from '../../lambdas/catalog/contracts';
import { NO_BACKUP_AGE_SECONDS } from '../../lambdas/core/backup/backup-age';

const base = mkdtempSync(join(tmpdir(), 'etcd-ha-backup-steps-'));
after(() => rmSync(base, { recursive: true, force: true }));

const record = (clusterName: string, status?: 'bootstrapping'): ClusterRecord => ({
  clusterName,
  ...(status && { status }),
  runtime: 'systemd',
  members: [],
  secrets: {},
  updatedAt: '2026-12-05T00:00:00.000Z',
  spec: {},
});
const RECORDS = [record('alpha'), record('beta'), record('young', 'bootstrapping')];

function steps(dir: string, now: Date, options: { failPublish?: boolean } = {}) {
  const store = new DirBackupStore({ dir });
  const published: MetricPoint[][] = [];
  const lock: ClusterLock = { acquire: async () => ({ acquired: true }), extend: async () => undefined, release: async () => undefined };
  return {
    store,
    published,
    steps: createBackupSteps({
      registry: {
        get: async (name) => RECORDS.find((r) => r.clusterName === name),
        findByInstanceId: async () => undefined,
        list: async () => RECORDS,
        put: async () => assert.fail('a backup never writes the cluster record'),
      },
      secrets: { nameFor: (c, i) => `etcd-ha/${c}/${i}`, get: async () => undefined, put: async () => assert.fail('no secret written') },
      etcd: { connect: () => assert.fail('no etcd here') },
      log: { info: () => undefined, warn: () => undefined },
      clock: { now: () => now },
      backups: store,
      lastBackup: store,
      backupLock: lock,
      backupRetention: { keepAllHours: 1, hourlyDays: 0, dailyDays: 2 },
      metrics: {
        publish: async (points) => {
          if (options.failPublish) throw Object.assign(new Error('PutMetricData refused'), { name: 'AccessDenied' });
          published.push([...points]);
        },
      },
    }),
  };
}

async function* bytes(n: number): AsyncGenerator<Uint8Array> {
  yield new Uint8Array(n);
}

async function stored(store: DirBackupStore, at: Date, withManifest = true): Promise<BackupMetadata> {
  const name = backupNameAt(at);
  const saved = await store.save('alpha', name, bytes(64));
  const meta: BackupMetadata = {
    clusterName: 'alpha', name, takenAt: at.toISOString(), location: saved.location, revision: 1, clusterId: 'ab', members: [],
    etcdVersion: '3.5.16', from: 'https://127.0.0.1:2379', bytes: 64, sha256: 'c'.repeat(64), execution: 'e',
  };
  if (withManifest) await store.describe(meta);
  return meta;
}

describe('BackupCluster steps', () => {
  const NOW = new Date('2026-12-05T12:00:00Z');

  it('Validate Backup Request: a misspelt field is refused naming it; {} lists the running clusters; an unknown or bootstrapping one is nothing to back up', async () => {
    const { steps: s } = steps(join(base, 'v'), NOW);
    await assert.rejects(s.validateBackupRequest({ request: { clustername: 'alpha' } }), /invalid BackupCluster input[\s\S]*clustername/);
    await assert.rejects(s.validateBackupRequest({ request: { clusterName: 'Alpha!' } }), /clusterName: .*DNS-1123 label/);
    assert.deepEqual(await s.validateBackupRequest({ request: {} }), { clusters: ['alpha', 'beta'] });
    assert.deepEqual(await s.validateBackupRequest({ request: { trigger: 'schedule' } }), { clusters: ['alpha', 'beta'] });
    assert.deepEqual(await s.validateBackupRequest({ request: { clusterName: 'beta' } }), { clusters: ['beta'] });
    assert.deepEqual(await s.validateBackupRequest({ request: { clusterName: 'gamma' } }), { clusters: [], reason: 'no cluster "gamma" is recorded' });
    assert.equal(((await s.validateBackupRequest({ request: { clusterName: 'young' } })) as { clusters: string[] }).clusters.length, 0);
  });

  it('Record Last Good Backup refuses a backup without its stored manifest, and records one with it', async () => {
    const { steps: s, store } = steps(join(base, 'r'), NOW);
    const orphan = await stored(store, new Date('2026-12-05T11:00:00Z'), false);
    await assert.rejects(s.recordLastGoodBackup({ backup: orphan }), /has no stored manifest/);
    assert.equal(await store.get('alpha'), undefined);
    const good = await stored(store, new Date('2026-12-05T11:15:00Z'));
    await s.recordLastGoodBackup({ backup: good });
    assert.deepEqual(await store.get('alpha'), good);
  });

  it('Prune Old Backups follows the tiers, keeps the last good backup whatever its age, drops an hour-old snapshot without manifest', async () => {
    const { steps: s, store } = steps(join(base, 'p'), NOW);
    const ancient = await stored(store, new Date('2026-11-01T00:00:00Z'));
    await store.put(ancient); // the last good one, by assumption older than every tier
    const days = [3, 1.2, 1.5].map((d) => new Date(NOW.getTime() - d * 86_400_000));
    const [old, yesterday, yesterdayEarlier] = await Promise.all(days.map((d) => stored(store, d)));
    const recent = await stored(store, new Date(NOW.getTime() - 10 * 60_000));
    const staleOrphan = await stored(store, new Date(NOW.getTime() - 2 * 3_600_000), false);
    const freshOrphan = await stored(store, new Date(NOW.getTime() - 5 * 60_000), false);
    const result = (await s.pruneBackups({ clusterName: 'alpha' })) as { pruned: string[] };
    // yesterday and yesterdayEarlier share a UTC day (2026-12-04): the newer stands for it.
    assert.deepEqual(result.pruned.sort(), [old!.name, yesterdayEarlier!.name, staleOrphan.name].sort());
    const left = (await store.list('alpha')).map((b) => b.name).sort();
    assert.deepEqual(left, [ancient.name, yesterday!.name, recent.name, freshOrphan.name].sort());
    // Again: nothing more to do.
    assert.deepEqual(((await s.pruneBackups({ clusterName: 'alpha' })) as { pruned: string[] }).pruned, []);
  });

  it("Publish Backup Metrics: each running cluster's last good backup age (none: 10 years), the fleet's oldest without dimension; bootstrapping ones left out", async () => {
    const { steps: s, store, published } = steps(join(base, 'm'), NOW);
    await store.put(await stored(store, new Date(NOW.getTime() - 1800_000)));
    const output = await s.publishBackupMetrics({});
    const age = METRICS.lastGoodBackupAge;
    assert.deepEqual(published, [[
      { name: age, value: 1800, unit: 'Seconds', dimensions: { Cluster: 'alpha' } },
      { name: age, value: NO_BACKUP_AGE_SECONDS, unit: 'Seconds', dimensions: { Cluster: 'beta' } },
      { name: age, value: NO_BACKUP_AGE_SECONDS, unit: 'Seconds' },
    ]]);
    assert.equal(NO_BACKUP_AGE_SECONDS, 315_360_000);
    assert.deepEqual(output, {
      clusters: [{ clusterName: 'alpha', lastGoodBackupAgeSeconds: 1800 }, { clusterName: 'beta', lastGoodBackupAgeSeconds: NO_BACKUP_AGE_SECONDS }],
      fleetLastGoodBackupAgeSeconds: NO_BACKUP_AGE_SECONDS,
      published: 3,
    });
  });

  it('Publish Backup Metrics: a refused publish is the step\'s error (the workflow catches it)', async () => {
    const { steps: s } = steps(join(base, 'mf'), NOW, { failPublish: true });
    await assert.rejects(s.publishBackupMetrics({}), { name: 'AccessDenied' });
  });
});
