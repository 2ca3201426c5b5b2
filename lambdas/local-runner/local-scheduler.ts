// The local stand-in for EventBridge's schedules: a table of {workflow, schedule, input}, each started through the
// workflow runner when it is due (lambdas/core/schedule.ts). A workflow is never started while its previous run is
// still going; a stop (SIGINT/SIGTERM in the CLI) starts nothing new and waits for the running workflows to end, so
// no run is cut between its steps (a backup keeps its lock until Release Backup Lock). One line per finished run.
import { setTimeout as sleepFor } from 'node:timers/promises';
import { nextDue } from '../core/schedule';
import type { Clock } from '../ports';
import type { RunRequest, WorkflowName, WorkflowOutcome } from '../workflow-runner/port';

export interface ScheduledWorkflow {
  readonly workflow: WorkflowName;
  /** Milliseconds between two starts (a schedule that is off has no entry). */
  readonly everyMs: number;
  readonly input: unknown;
  /** What the run's line says after its status (e.g. the backups taken and pruned). @default - nothing more */
  readonly describe?: (outcome: WorkflowOutcome) => string;
  /**
   * Its first run waits until a run of this workflow (when scheduled too) has ended: a drill restores the last good
   * backup, so at the start it follows the first backup instead of racing it. @default - none: runs at the start
   */
  readonly firstAfter?: WorkflowName;
}

export interface ScheduledRun {
  readonly workflow: WorkflowName;
  readonly startedAt: Date;
  readonly endedAt: Date;
  readonly outcome: WorkflowOutcome;
}

export interface LocalSchedulerOptions {
  readonly runner: { execute(request: RunRequest): Promise<WorkflowOutcome> };
  readonly table: readonly ScheduledWorkflow[];
  /** Hears one line per finished run. */
  readonly onLine: (line: string) => void;
  /** Stop after this many runs in all. @default - no limit */
  readonly maxRuns?: number;
  /** Start nothing after this many milliseconds. @default - no limit */
  readonly forMs?: number;
  /** Stops the scheduler: nothing new starts, the running workflows end. */
  readonly signal?: AbortSignal;
  /** @default - the system clock */
  readonly clock?: Clock;
}

interface Slot {
  readonly entry: ScheduledWorkflow;
  due: Date;
  running?: Promise<void>;
}

export async function runSchedule(options: LocalSchedulerOptions): Promise<ScheduledRun[]> {
  const clock = options.clock ?? { now: () => new Date() };
  for (const entry of options.table) {
    if (!(entry.everyMs > 0)) throw new RangeError(`${entry.workflow}: everyMs must be a positive number of milliseconds, got ${entry.everyMs}`);
  }
  const began = clock.now();
  const deadline = options.forMs === undefined ? undefined : began.getTime() + options.forMs;
  // Every workflow runs once at the start, then on its grid.
  const slots: Slot[] = options.table.map((entry) => ({ entry, due: began }));
  const runs: ScheduledRun[] = [];
  const scheduled = new Set(options.table.map((entry) => entry.workflow));
  const waiting = (slot: Slot) => slot.entry.firstAfter !== undefined && scheduled.has(slot.entry.firstAfter) && !runs.some((r) => r.workflow === slot.entry.firstAfter);
  let started = 0;
  const stopped = () => options.signal?.aborted === true || (deadline !== undefined && clock.now().getTime() >= deadline) || (options.maxRuns !== undefined && started >= options.maxRuns);

  const start = (slot: Slot) => {
    started += 1;
    const startedAt = clock.now();
    slot.running = options.runner
      .execute({ workflow: slot.entry.workflow, input: slot.entry.input, name: `scheduled-${slot.entry.workflow}-${startedAt.getTime().toString(36)}` })
      .catch((error: unknown): WorkflowOutcome => ({ status: 'FAILED', name: '-', executionId: '-', error: (error as Error).name, cause: (error as Error).message }))
      .then((outcome) => {
        const endedAt = clock.now();
        runs.push({ workflow: slot.entry.workflow, startedAt, endedAt, outcome });
        options.onLine(runLine(slot.entry, startedAt, endedAt, outcome));
        slot.due = nextDue(slot.due, endedAt, slot.entry.everyMs);
        slot.running = undefined;
      });
  };

  const aborted = options.signal && new Promise<void>((resolve) => options.signal!.addEventListener('abort', () => resolve(), { once: true }));
  while (!stopped()) {
    const now = clock.now();
    for (const slot of slots) if (slot.running === undefined && !waiting(slot) && slot.due.getTime() <= now.getTime() && !stopped()) start(slot);
    if (stopped()) break;
    // Wait for the next due time of an idle workflow, a run's end, the deadline or a stop, whichever comes first.
    const idleDue = slots.filter((s) => s.running === undefined && !waiting(s)).map((s) => s.due.getTime());
    const wakeAt = Math.min(...idleDue, deadline ?? Infinity);
    const waits: Array<Promise<unknown>> = slots.flatMap((s) => (s.running ? [s.running] : []));
    if (Number.isFinite(wakeAt)) waits.push(sleepFor(Math.max(0, wakeAt - clock.now().getTime()), undefined, { signal: options.signal }).catch(() => undefined));
    if (aborted) waits.push(aborted);
    await Promise.race(waits);
  }
  // Stopped: the workflows already running finish their steps.
  await Promise.all(slots.flatMap((s) => (s.running ? [s.running] : [])));
  return runs;
}

/** One line per run: when it started, the workflow, how it ended, how long it took, and what it did. */
export function runLine(entry: Pick<ScheduledWorkflow, 'workflow' | 'describe'>, startedAt: Date, endedAt: Date, outcome: WorkflowOutcome): string {
  const seconds = ((endedAt.getTime() - startedAt.getTime()) / 1000).toFixed(1);
  const failure = outcome.status === 'SUCCEEDED' ? '' : ` ${outcome.error ?? 'failed'}${outcome.cause ? `: ${outcome.cause.split('\n')[0]!.slice(0, 200)}` : ''}`;
  const what = entry.describe ? entry.describe(outcome) : '';
  return `${startedAt.toISOString()} ${entry.workflow} ${outcome.status} in ${seconds}s${what ? ` ${what}` : ''}${failure}`;
}
