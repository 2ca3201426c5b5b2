// DrillRestore on the local runner with real etcd (a 3-member cluster on 127.0.1.40-42 only; every etcd it starts is
// stopped by PID after the suite, also on failure; each drill's temporary etcd listens on its host's own address):
// - a drill of a good backup passes with the backup's key count and revision, on a follower, publishes
//   RestoreDrillSucceeded 1 (per cluster and fleet-wide), and leaves the live cluster untouched: the same member
//   PIDs, the same data dir files with the same mtimes; no temporary etcd, drill dir, fetched snapshot or drill lock;
// - a backup whose bytes inside were overwritten and whose trailer (and manifest) were recomputed passes Verify
//   Snapshot and fetch-snapshot's check, then does not open: the member's own restore tool refuses it on the host
//   (Restore On Drill Host), the drill fails, publishes 0, and again leaves nothing behind and the cluster untouched.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LocalWorkflowRunner } from '../../lambdas/local-runner/local-workflow-runner';
import { localBackups } from '../../lambdas/local-runner/local-deps';
import type { BackupClusterOutput, BackupMetadata } from '../../lambdas/workflow-runner/contracts';
import type { DrillRestoreOutput } from '../../lambdas/core/drill/workflow-io';
import type { MetricLine } from '../../lambdas/adapters/local/file-metrics';
import { METRICS } from '../../lambdas/catalog/contracts';
import { sandboxesOfSuite, threeMembers, type LocalWorkflowSandbox } from '../support/local-workflow';
import { etcdUnderTest } from '../support/etcd-under-test';
import { etcdctl, readRecord } from '../support/local-cluster-oracle';
import { isRunning } from '../support/processes';

const ETCD = etcdUnderTest();
const CLUSTER = 'drilled';
const HOSTS = ['infra0', 'infra1', 'infra2'];

/** Every file and dir under the members' data dirs, with its mtime: what "untouched" means. */
function dataDirs(s: LocalWorkflowSandbox): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      out[relative(s.home.hostsDir, path)] = statSync(path).mtimeMs;
      if (entry.isDirectory()) walk(path);
    }
  };
  for (const host of HOSTS) walk(join(s.home.hostsDir, host, 'var/lib/etcd'));
  return out;
}

/**
 * The data dirs once the backup's own traces have settled: its alarm-list read is a raft entry, which etcd 3.5 applies
 * into the backend (the consistent index) and commits within its 100 ms batch interval.
 */
async function settledDataDirs(s: LocalWorkflowSandbox): Promise<Record<string, number>> {
  let last = dataDirs(s);
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const now = dataDirs(s);
    if (JSON.stringify(now) === JSON.stringify(last)) return now;
    last = now;
  }
  throw new Error('the members\' data dirs never settled');
}

/** What a drill must never leave: temporary dirs, fetched snapshots, temporary etcd processes, its lock. */
function leftBehind(s: LocalWorkflowSandbox): Record<string, unknown> {
  const list = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
  const drillProcesses = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('var/lib/etcd-ha/drills');
      } catch {
        return false;
      }
    });
  return {
    drills: HOSTS.flatMap((h) => list(join(s.home.hostsDir, h, 'var/lib/etcd-ha/drills'))),
    fetched: HOSTS.flatMap((h) => list(join(s.home.hostsDir, h, 'var/lib/etcd-ha/snapshots'))),
    processes: drillProcesses,
    locks: list(join(s.home.locksDir, 'drill')),
  };
}
const NOTHING_LEFT = { drills: [], fetched: [], processes: [], locks: [] };

/** The drill's points in metrics.jsonl (BackupCluster writes its own there too). */
function metricsOf(s: LocalWorkflowSandbox): MetricLine[] {
  const lines = existsSync(s.home.metricsFile) ? readFileSync(s.home.metricsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MetricLine) : [];
  return lines.filter((m) => m.name === METRICS.restoreDrillSucceeded);
}

/** Overwrites bolt's two meta pages (the first 8 KiB) and recomputes etcd's trailer: every hash check passes, the file does not open. */
function unopenable(snapshot: Buffer): Buffer {
  const body = Buffer.from(snapshot.subarray(0, snapshot.length - 32));
  body.fill(0xab, 0, 8192);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

describe(`DrillRestore on the local runner (real etcd) on ${ETCD.label}`, () => {
  const sandbox = sandboxesOfSuite();

  it('drills a good backup (keys and revision as recorded, nothing of the live cluster touched), then one that does not open', async () => {
    const s = sandbox('127.0.1.40');
    const provisioned = await s.provision(threeMembers(CLUSTER));
    assert.equal(provisioned.result.status, 'SUCCEEDED', provisioned.result.cause);
    const record = await readRecord(s, CLUSTER);
    const endpoints = record.members.map((m) => `https://${m.address}:2379`);
    for (let i = 0; i < 5; i++) assert.equal(etcdctl(s, CLUSTER, endpoints[0]!, ['put', `/drill/k${i}`, `v${i}`]).status, 0);
    const runner = new LocalWorkflowRunner({ home: s.home, deps: s.deps() });
    const backup = await runner.run('backup-cluster', { clusterName: CLUSTER }, { executionName: 'backup-1' });
    assert.equal(backup.status, 'SUCCEEDED', backup.cause);
    const [taken] = (backup.output as BackupClusterOutput).backups;
    assert.ok(taken?.outcome === 'backed-up');
    const meta: BackupMetadata = taken.backup;
    assert.equal(meta.keyCount, 5, 'Take Backup counts the keys at its revision');

    // 1. A good backup.
    const pids = HOSTS.map((h) => s.pidOf(h));
    const before = await settledDataDirs(s);
    assert.ok(Object.keys(before).some((p) => p.endsWith('member/snap/db')), 'the data dirs are where the test looks');
    const good = await runner.run('drill-restore', { clusterName: CLUSTER }, { executionName: 'drill-1' });
    assert.equal(good.status, 'SUCCEEDED', good.cause);
    const [passed] = (good.output as DrillRestoreOutput).drills;
    assert.ok(passed?.outcome === 'passed', JSON.stringify(good.output));
    assert.equal(passed.backup, meta.name);
    assert.equal(passed.keys, 5);
    assert.equal(passed.revision, meta.revision, 'a quiet cluster: the snapshot is at the manifest revision');
    const status = JSON.parse(etcdctl(s, CLUSTER, endpoints.join(','), ['endpoint', 'status', '-w', 'json']).stdout) as Array<{ Endpoint: string; Status: { header: { member_id: number }; leader: number } }>;
    const leader = status.find((e) => String(e.Status.header.member_id) === String(e.Status.leader))?.Endpoint;
    const drillHost = record.members.find((m) => m.name === passed.host);
    assert.notEqual(`https://${drillHost?.address}:2379`, leader, 'a follower, not the leader');
    assert.deepEqual(metricsOf(s).map((m) => [m.name, m.value, m.dimensions ?? null]), [
      ['RestoreDrillSucceeded', 1, { Cluster: CLUSTER }],
      ['RestoreDrillSucceeded', 1, null],
    ]);
    assert.deepEqual(HOSTS.map((h) => s.pidOf(h)), pids);
    assert.ok(pids.every((pid) => pid !== undefined && isRunning(pid)), 'every member still runs');
    assert.deepEqual(dataDirs(s), before, 'no file of a member data dir was added, removed or modified');
    assert.deepEqual(leftBehind(s), NOTHING_LEFT);

    // 2. The same backup with bytes inside overwritten and its trailer and manifest recomputed.
    const bad = unopenable(readFileSync(meta.location));
    writeFileSync(meta.location, bad);
    const rewritten = { ...meta, sha256: bad.subarray(bad.length - 32).toString('hex') };
    const { backups, lastBackup } = localBackups(s.home);
    await backups.describe(rewritten);
    await lastBackup.put(rewritten);
    const failed = await runner.run('drill-restore', { clusterName: CLUSTER }, { executionName: 'drill-2' });
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.error, 'RestoreDrillFailedError');
    // Where each check ran: Verify Snapshot (the Lambda) and fetch-snapshot (the host) passed, the restore tool refused.
    assert.ok(failed.events.some((e) => e.state === 'Verify Snapshot' && e.kind === 'succeeded'), 'Verify Snapshot passed: the trailer matches');
    assert.match(failed.cause ?? '', /HostScriptFailedError/);
    assert.match(failed.cause ?? '', /Restore On Drill Host failed on infra\d/);
    assert.match(failed.cause ?? '', /invalid database|failed to open database/);
    assert.match(failed.cause ?? '', /the snapshot does not open/);
    assert.deepEqual(metricsOf(s).slice(2).map((m) => [m.name, m.value, m.dimensions ?? null]), [
      ['RestoreDrillSucceeded', 0, { Cluster: CLUSTER }],
      ['RestoreDrillSucceeded', 0, null],
    ]);
    assert.deepEqual(HOSTS.map((h) => s.pidOf(h)), pids);
    assert.deepEqual(dataDirs(s), before);
    assert.deepEqual(leftBehind(s), NOTHING_LEFT);
  });
});
