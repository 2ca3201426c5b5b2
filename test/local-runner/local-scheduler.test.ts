// The local scheduler (lambdas/local-runner/local-scheduler.ts) over a stand-in runner, in real time with short
// intervals: runs at the start and then on the grid; never starts a workflow while its previous run goes on (a slow
// run skips slots, no burst after it); two workflows keep their own schedules; --runs and --for bound it; a stop
// starts nothing new and waits for the running workflow; one line per run.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { runSchedule } from '../../lambdas/local-runner/local-scheduler';
import type { RunRequest, WorkflowOutcome } from '../../lambdas/workflow-runner/port';

function standInRunner(durations: Partial<Record<string, number>>, fail?: string) {
  const log: Array<{ workflow: string; start: number; end: number }> = [];
  const running = new Map<string, number>();
  let overlapped = false;
  return {
    log,
    overlapped: () => overlapped,
    async execute(request: RunRequest): Promise<WorkflowOutcome> {
      if ((running.get(request.workflow) ?? 0) > 0) overlapped = true;
      running.set(request.workflow, (running.get(request.workflow) ?? 0) + 1);
      const start = Date.now();
      await sleep(durations[request.workflow] ?? 5);
      running.set(request.workflow, running.get(request.workflow)! - 1);
      log.push({ workflow: request.workflow, start, end: Date.now() });
      if (request.workflow === fail) return { status: 'FAILED', name: request.name!, executionId: 'x', error: 'BackupFailedError', cause: 'no member answered\nmore' };
      return { status: 'SUCCEEDED', name: request.name!, executionId: 'x', output: { backups: [] } };
    },
  };
}

describe('local scheduler', () => {
  it('runs at the start, then every interval, and stops after --runs; one line per run', async () => {
    const runner = standInRunner({ 'backup-cluster': 5 });
    const lines: string[] = [];
    const began = Date.now();
    const runs = await runSchedule({ runner, table: [{ workflow: 'backup-cluster', everyMs: 100, input: { trigger: 'schedule' }, describe: () => 'demo backed-up' }], onLine: (l) => lines.push(l), maxRuns: 3 });
    assert.equal(runs.length, 3);
    const offsets = runner.log.map((r) => r.start - began);
    assert.ok(offsets[0]! < 50, `first run at once, got ${offsets[0]} ms`);
    assert.ok(offsets[1]! >= 95 && offsets[1]! < 190, `second on the grid, got ${offsets[1]} ms`);
    assert.ok(offsets[2]! >= 195 && offsets[2]! < 290, `third on the grid, got ${offsets[2]} ms`);
    assert.equal(lines.length, 3);
    for (const line of lines) assert.match(line, /^\d{4}-\d\d-\d\dT\S+Z backup-cluster SUCCEEDED in \d+\.\ds demo backed-up$/);
  });

  it('never starts a workflow while its previous run goes on: a run longer than the interval skips slots, no burst', async () => {
    const runner = standInRunner({ 'backup-cluster': 130 });
    await runSchedule({ runner, table: [{ workflow: 'backup-cluster', everyMs: 50, input: {} }], onLine: () => undefined, maxRuns: 3 });
    assert.equal(runner.overlapped(), false);
    for (let i = 1; i < runner.log.length; i++) {
      assert.ok(runner.log[i]!.start >= runner.log[i - 1]!.end, 'each run starts after the previous one ended');
      assert.ok(runner.log[i]!.start - runner.log[i - 1]!.end <= 60, 'and at the next slot of the grid, not later');
    }
  });

  it('keeps each workflow on its own schedule (the drill beside the backups), and --for bounds the time', async () => {
    const runner = standInRunner({ 'backup-cluster': 5, 'check-cluster-health': 5 });
    const began = Date.now();
    await runSchedule({
      runner,
      table: [{ workflow: 'backup-cluster', everyMs: 60, input: {} }, { workflow: 'check-cluster-health', everyMs: 250, input: {} }],
      onLine: () => undefined,
      forMs: 400,
    });
    const count = (w: string) => runner.log.filter((r) => r.workflow === w).length;
    assert.ok(count('backup-cluster') >= 6 && count('backup-cluster') <= 8, `backups: ${count('backup-cluster')}`);
    assert.equal(count('check-cluster-health'), 2);
    assert.ok(Date.now() - began < 600);
  });

  it('a drill scheduled after the backups starts once the first backup has ended, then keeps its own grid', async () => {
    const runner = standInRunner({ 'backup-cluster': 80, 'drill-restore': 5 });
    await runSchedule({
      runner,
      table: [
        { workflow: 'backup-cluster', everyMs: 1000, input: {} },
        { workflow: 'drill-restore', everyMs: 1000, input: {}, firstAfter: 'backup-cluster' },
      ],
      onLine: () => undefined,
      maxRuns: 2,
    });
    const [backup, drill] = [runner.log.find((r) => r.workflow === 'backup-cluster')!, runner.log.find((r) => r.workflow === 'drill-restore')!];
    assert.ok(drill.start >= backup.end, `the drill starts after the first backup ended (${drill.start - backup.end} ms)`);
    assert.ok(drill.start - backup.end < 50, 'and right after it');
    // With no backup scheduled, nothing holds the drill back.
    const alone = standInRunner({ 'drill-restore': 5 });
    const began = Date.now();
    await runSchedule({ runner: alone, table: [{ workflow: 'drill-restore', everyMs: 1000, input: {}, firstAfter: 'backup-cluster' }], onLine: () => undefined, maxRuns: 1 });
    assert.ok(alone.log[0]!.start - began < 50);
  });

  it('a stop starts nothing new and waits for the running workflow to end; a failed run says why in its line', async () => {
    const runner = standInRunner({ 'backup-cluster': 150 }, 'backup-cluster');
    const stop = new AbortController();
    const lines: string[] = [];
    const done = runSchedule({ runner, table: [{ workflow: 'backup-cluster', everyMs: 20, input: {} }], onLine: (l) => lines.push(l), signal: stop.signal });
    await sleep(30);
    stop.abort();
    const runs = await done;
    assert.equal(runs.length, 1, 'the running one ended, nothing new started');
    assert.ok(runner.log[0]!.end - runner.log[0]!.start >= 145, 'it ran to its end');
    assert.match(lines[0]!, / backup-cluster FAILED in \d+\.\ds BackupFailedError: no member answered$/);
  });

  it('refuses a table entry without a positive interval', async () => {
    await assert.rejects(runSchedule({ runner: standInRunner({}), table: [{ workflow: 'backup-cluster', everyMs: 0, input: {} }], onLine: () => undefined }), /backup-cluster: everyMs must be a positive number/);
  });
});
