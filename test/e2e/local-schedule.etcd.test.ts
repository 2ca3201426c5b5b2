// `etcd-ha local schedule` on the real command line with real etcd (a 3-member cluster on 127.0.1.70-72 only): the
// scheduler, with an injected schedule (every second) and retention (all of the last hour, hourly for a day, daily
// for a week), runs BackupCluster again and again; the first run prunes the seeded old backups to exactly the
// tiers; every run records the last good backup's age per cluster and fleet-wide in <home>/metrics.jsonl; SIGTERM
// (by PID) stops it after the running workflow, exit 0. The scheduler and every etcd are stopped by PID after the
// suite, also on failure.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DirBackupStore } from '../../lambdas/adapters/local/dir-backup-store';
import { backupNameAt } from '../../lambdas/core/backup/metadata';
import { METRICS } from '../../lambdas/catalog/contracts';
import { etcdUnderTest } from '../support/etcd-under-test';
import { CLI, LocalCliSandbox } from '../support/local-cli';
import { ProcessGroup } from '../support/processes';

const ETCD = etcdUnderTest();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function* bytes(n: number): AsyncGenerator<Uint8Array> {
  yield new Uint8Array(n);
}

/** A complete backup (snapshot and manifest) taken at `at`, as an earlier run would have left it. */
async function seed(store: DirBackupStore, clusterName: string, at: Date): Promise<string> {
  const name = backupNameAt(at);
  const saved = await store.save(clusterName, name, bytes(64));
  await store.describe({
    clusterName, name, takenAt: at.toISOString(), location: saved.location, revision: 1, clusterId: 'ab', members: [],
    etcdVersion: '3.5.16', from: 'https://127.0.1.70:2379', bytes: 64, sha256: 'c'.repeat(64), execution: 'seeded',
  });
  return name;
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe(`etcd-ha local schedule (real etcd) on ${ETCD.label}`, () => {
  const cli = new LocalCliSandbox('127.0.1.70');
  const processes = new ProcessGroup();
  after(async () => {
    await processes.stopAll();
    await cli.cleanUp();
  });

  it('backs up every second, prunes to the tiers, records the metric points, and stops cleanly on SIGTERM', async () => {
    const up = cli.run(['local', 'up']);
    assert.equal(up.status, 0, up.stderr);
    const clusterName = readdirSync(join(cli.home, 'registry')).find((f) => f.endsWith('.json'))!.replace(/\.json$/, '');

    // Old backups at fixed places of the UTC hour and day grid, so that no boundary falls between a pair.
    const store = new DirBackupStore({ dir: join(cli.home, 'backups') });
    const now = Date.now();
    const hourStart = Math.floor(now / HOUR) * HOUR;
    const dayStart = Math.floor(now / DAY) * DAY;
    const hourlyKept = await seed(store, clusterName, new Date(hourStart - 5 * HOUR + 20 * 60_000));
    const hourlyPruned = await seed(store, clusterName, new Date(hourStart - 5 * HOUR + 10 * 60_000));
    const dailyKept = await seed(store, clusterName, new Date(dayStart - 3 * DAY + 2 * HOUR));
    const dailyPruned = await seed(store, clusterName, new Date(dayStart - 3 * DAY + 1 * HOUR));
    const tooOld = await seed(store, clusterName, new Date(dayStart - 10 * DAY + HOUR));

    const logFile = join(cli.home, '..', 'schedule.log');
    const scheduler = processes.start(
      process.execPath,
      [CLI, 'local', 'schedule', '--backup-every', '1s', '--backup-retention', '{"keepAllHours": 1, "hourlyDays": 1, "dailyDays": 7}'],
      { env: cli.env, logFile },
    );
    const exited = once(scheduler.child, 'exit');
    const runLines = () => readFileSync(logFile, 'utf8').split('\n').filter((l) => / backup-cluster (SUCCEEDED|FAILED) in /.test(l));
    const drillLines = () => readFileSync(logFile, 'utf8').split('\n').filter((l) => / drill-restore (SUCCEEDED|FAILED) in /.test(l));
    await waitFor('three scheduled backups and the drill', () => (runLines().length >= 3 && drillLines().length >= 1 ? true : undefined));
    process.kill(scheduler.pid, 'SIGTERM');
    const [code] = (await exited) as [number | null];
    const log = readFileSync(logFile, 'utf8');
    assert.equal(code, 0, log);
    assert.match(log, /SIGTERM: stopping after the running workflow/);
    assert.match(log, /stopped after \d+ run\(s\), 0 failed/);

    // One line per run; the first pruned the three the tiers no longer keep, the later ones nothing.
    const lines = runLines();
    const runs = Number(/stopped after (\d+) run/.exec(log)![1]) - 1;
    assert.equal(lines.length, runs);
    // The drill (the stack's default schedule, rate(1 day)) ran once, after the first backup, and restored it.
    const drills = drillLines();
    assert.equal(drills.length, 1, log);
    assert.match(drills[0]!, new RegExp(`^\\S+Z drill-restore SUCCEEDED in \\d+\\.\\ds ${clusterName} drill passed \\(\\d+ keys, revision \\d+\\)$`));
    assert.ok(Date.parse(drills[0]!.split(' ')[0]!) >= Date.parse(lines[0]!.split(' ')[0]!), 'the drill started after the first backup');
    assert.ok(runs >= 3);
    for (const line of lines) assert.match(line, new RegExp(`^\\S+Z backup-cluster SUCCEEDED in \\d+\\.\\ds ${clusterName} backed up \\(revision \\d+, pruned \\d+\\)$`));
    assert.match(lines[0]!, /pruned 3\)$/);
    for (const line of lines.slice(1)) assert.match(line, /pruned 0\)$/);
    // On a one-second grid from the first start (a start late under load makes the next gap shorter, as with
    // EventBridge's rate schedules), and never two at once: each run starts after the previous one ended.
    const starts = lines.map((l) => Date.parse(l.split(' ')[0]!));
    const durations = lines.map((l) => Number(/ in (\d+\.\d)s /.exec(l)![1]) * 1000);
    for (let i = 1; i < starts.length; i++) {
      assert.ok(starts[i]! - starts[0]! >= i * 1000 - 100, `run ${i} started ${starts[i]! - starts[0]!} ms after run 0, before its slot`);
      assert.ok(starts[i]! >= starts[i - 1]! + durations[i - 1]! - 100, `run ${i} started before run ${i - 1} ended`);
    }

    // Exactly the tiers: every scheduled backup (the last hour), the newest of the hour 5 h ago, of the day 3 days ago.
    const listed = await store.list(clusterName);
    const names = listed.map((b) => b.name);
    assert.equal(listed.length, runs + 2, names.join(' '));
    assert.ok(listed.every((b) => b.complete));
    for (const kept of [hourlyKept, dailyKept]) assert.ok(names.includes(kept), kept);
    for (const pruned of [hourlyPruned, dailyPruned, tooOld]) assert.ok(!names.includes(pruned), pruned);
    assert.equal((await store.get(clusterName))?.name, names[0], 'the newest is the last good one');

    // Two points per run: the cluster's and the fleet's, each with its time; the last good backup is seconds old.
    const metricsFile = join(cli.home, 'metrics.jsonl');
    assert.ok(existsSync(metricsFile));
    const all = readFileSync(metricsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { namespace: string; at: string; name: string; value: number; unit: string; dimensions?: Record<string, string> });
    const drillPoints = all.filter((p) => p.name === METRICS.restoreDrillSucceeded);
    assert.deepEqual(drillPoints.map((p) => [p.value, p.dimensions?.Cluster ?? 'fleet']).sort(), [[1, clusterName], [1, 'fleet']].sort());
    const points = all.filter((p) => p.name !== METRICS.restoreDrillSucceeded);
    assert.equal(points.length, 2 * runs);
    for (const p of points) {
      assert.equal(p.name, METRICS.lastGoodBackupAge);
      assert.equal(p.unit, 'Seconds');
      assert.ok(!Number.isNaN(Date.parse(p.at)));
      assert.equal(p.namespace, METRICS.namespace);
      assert.ok(p.value >= 0 && p.value < 30, `a fresh backup's age, got ${p.value}`);
    }
    assert.equal(points.filter((p) => p.dimensions?.Cluster === clusterName).length, runs);
    assert.equal(points.filter((p) => p.dimensions === undefined).length, runs);
  });
});
