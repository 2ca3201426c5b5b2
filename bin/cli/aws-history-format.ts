// Step Functions execution history → the lines `etcd-ha watch` prints: one per state entered, exited,
// failed, retried or caught, naming the host inside a per-host Map, and the execution's outcome.
// Pure: events in, lines out (no clock, no I/O), so it is tested with recorded history events.
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { firstLine } from './output';
import { memberTableLines } from './members';

/** A failed attempt as the history reports it; `cause` is often a Lambda error JSON. */
export interface Failure {
  readonly error: string;
  readonly cause?: string;
}

/** A state as entered once (a state in a loop or in each Map iteration has one entry per visit). */
interface Entry {
  readonly state: string;
  readonly iteration?: Iteration;
  readonly at?: Date;
  attempts: number;
  /** The last attempt failed (and no later attempt succeeded): an exit after it means the error was caught. */
  lastFailure?: Failure;
}

interface Iteration {
  readonly map: string;
  readonly index: number;
  host?: string;
  at?: Date;
  /** The failure of the iteration's last attempt, if it failed. */
  lastFailure?: Failure;
}

/** What an event belongs to: a state entry, an iteration of a Map, or neither (execution events). */
interface Context {
  readonly entry?: Entry;
  readonly iteration?: Iteration;
}

const FAILURE_TYPES = new Set([
  'TaskFailed',
  'TaskTimedOut',
  'TaskStartFailed',
  'TaskSubmitFailed',
  'LambdaFunctionFailed',
  'LambdaFunctionTimedOut',
  'LambdaFunctionStartFailed',
  'LambdaFunctionScheduleFailed',
  'ActivityFailed',
  'ActivityTimedOut',
  'ActivityScheduleFailed',
]);
const SUCCESS_TYPES = new Set(['TaskSucceeded', 'LambdaFunctionSucceeded', 'ActivitySucceeded']);
const SCHEDULED_TYPES = new Set(['TaskScheduled', 'LambdaFunctionScheduled', 'ActivityScheduled']);
const EXECUTION_END_TYPES = new Set(['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionTimedOut', 'ExecutionAborted']);

/**
 * Turns history events into progress lines. Feed it the events of successive polls in order (it keeps
 * what it needs to follow Map iterations and retries across calls); events it has seen are skipped.
 */
export class HistoryFormatter {
  private readonly contexts = new Map<number, Context>();
  private readonly iterations = new Map<string, Iteration>();
  /** Map and Parallel states entered and not yet exited, innermost last. */
  private readonly openContainers: Entry[] = [];
  /** Per Map state, the host names its items carry (ItemsPath $.hosts), by index. */
  private readonly mapHosts = new Map<string, string[]>();
  /** Per Map state, why its last failed iteration failed (a Fail state inside leaves no error in the history). */
  private readonly iterationFailures = new Map<string, Failure>();
  private end: HistoryEvent | undefined;
  private lastId = 0;

  /** The ExecutionSucceeded/Failed/TimedOut/Aborted event, once seen. */
  get endEvent(): HistoryEvent | undefined {
    return this.end;
  }

  /** The highest event ID seen so far (0 before any). */
  get lastEventId(): number {
    return this.lastId;
  }

  lines(events: readonly HistoryEvent[]): string[] {
    const out: string[] = [];
    for (const event of [...events].sort((a, b) => (a.id ?? 0) - (b.id ?? 0))) {
      if (event.id === undefined || this.contexts.has(event.id)) continue;
      this.lastId = Math.max(this.lastId, event.id);
      const line = this.onEvent(event);
      if (line !== undefined) out.push(line);
    }
    return out;
  }

  private onEvent(event: HistoryEvent): string | undefined {
    const type = event.type ?? '';
    const previous = this.contexts.get(event.previousEventId ?? 0) ?? {};
    const remember = (context: Context) => this.contexts.set(event.id!, context);

    if (type.endsWith('StateEntered')) {
      const details = event.stateEnteredEventDetails;
      const state = details?.name ?? '?';
      const container = type === 'MapStateEntered' || type === 'ParallelStateEntered';
      const iteration = previous.iteration;
      const entry: Entry = { state, attempts: 0, ...(iteration && { iteration }), ...(event.timestamp && { at: event.timestamp }) };
      remember({ entry, ...(iteration && { iteration }) });
      if (container) this.openContainers.push(entry);
      const input = parseJson(details?.input);
      if (type === 'MapStateEntered') this.startMap(state, input);
      if (iteration && iteration.host === undefined) {
        const host = hostNameOf(input);
        if (host !== undefined) iteration.host = host;
      }
      return `${indent(entry)}→ ${label(entry)}`;
    }

    if (type.startsWith('MapIteration')) {
      const details =
        event.mapIterationStartedEventDetails ??
        event.mapIterationSucceededEventDetails ??
        event.mapIterationFailedEventDetails ??
        event.mapIterationAbortedEventDetails;
      const iteration = this.iteration(details?.name ?? '?', details?.index ?? -1);
      remember({ iteration });
      const name = `${iteration.map} [${iteration.host ?? `#${iteration.index}`}]`;
      if (type === 'MapIterationFailed') this.iterationFailures.set(iteration.map, iteration.lastFailure ?? { error: '' });
      switch (type) {
        case 'MapIterationStarted':
          if (event.timestamp) iteration.at = event.timestamp;
          return `    → ${name}`;
        case 'MapIterationSucceeded':
          return `    ✓ ${name}${duration(iteration.at, event.timestamp)}`;
        case 'MapIterationFailed':
          return `    ✗ ${name}: failed`;
        default:
          return `    ✗ ${name}: aborted`;
      }
    }

    if (/^(Map|Parallel)State(Started|Succeeded|Failed|Aborted)$/.test(type)) {
      // Their previousEventId may point into an iteration: they belong to the innermost open Map/Parallel.
      const entry = this.openContainers.at(-1);
      remember({ ...(entry && { entry }), ...(entry?.iteration && { iteration: entry.iteration }) });
      if (!entry) return undefined;
      if (type.endsWith('Failed')) {
        entry.lastFailure = this.iterationFailures.get(entry.state) ?? { error: '' };
        return `${indent(entry)}✗ ${label(entry)}: ${entry.lastFailure.error || 'failed'}`;
      }
      if (type.endsWith('Aborted')) return `${indent(entry)}✗ ${label(entry)}: aborted`;
      return undefined;
    }

    if (type.endsWith('StateExited')) {
      const name = event.stateExitedEventDetails?.name ?? '?';
      const entry = this.exitedEntry(type, name, previous.entry);
      remember({ ...(entry && { entry }), ...(entry?.iteration && { iteration: entry.iteration }) });
      if (!entry) return `  ✓ ${name}`;
      if (entry.lastFailure) return `${indent(entry)}⤷ ${label(entry)}: caught ${entry.lastFailure.error || 'the error'}`;
      return `${indent(entry)}✓ ${label(entry)}${duration(entry.at, event.timestamp)}`;
    }

    if (type.endsWith('StateAborted')) {
      remember(previous);
      return previous.entry ? `${indent(previous.entry)}✗ ${label(previous.entry)}: aborted` : undefined;
    }

    if (EXECUTION_END_TYPES.has(type)) {
      this.end = event;
      remember({});
      return undefined;
    }

    // Task, Lambda and activity events: they belong to the state entry their chain started from.
    remember(previous);
    const entry = previous.entry;
    if (!entry) return undefined;
    if (SCHEDULED_TYPES.has(type)) {
      entry.attempts += 1;
      if (entry.attempts === 1) return undefined;
      return `${indent(entry)}↻ ${label(entry)}: retrying (attempt ${entry.attempts})`;
    }
    if (SUCCESS_TYPES.has(type)) {
      delete entry.lastFailure;
      if (entry.iteration) delete entry.iteration.lastFailure;
      return undefined;
    }
    if (FAILURE_TYPES.has(type)) {
      const failure = failureOf(event);
      entry.lastFailure = failure;
      if (entry.iteration) entry.iteration.lastFailure = failure;
      return `${indent(entry)}✗ ${label(entry)}: ${firstLine(describeFailure(failure))}`;
    }
    return undefined;
  }

  private iteration(map: string, index: number): Iteration {
    const key = `${map}#${index}`;
    let iteration = this.iterations.get(key);
    if (!iteration) {
      const host = this.mapHosts.get(map)?.[index];
      iteration = { map, index, ...(host !== undefined && { host }) };
      this.iterations.set(key, iteration);
    }
    return iteration;
  }

  /**
   * A Map state entered (again): forget its earlier iterations. Our per-host Maps iterate over `$.hosts`:
   * their items name each iteration's host before any state of the iteration runs.
   */
  private startMap(map: string, input: unknown): void {
    for (const key of this.iterations.keys()) if (key.startsWith(`${map}#`)) this.iterations.delete(key);
    this.iterationFailures.delete(map);
    this.mapHosts.delete(map);
    const hosts = (input as { hosts?: unknown } | undefined)?.hosts;
    if (!Array.isArray(hosts)) return;
    const names = hosts.map((h) => (h !== null && typeof h === 'object' && typeof (h as { name?: unknown }).name === 'string' ? (h as { name: string }).name : undefined));
    if (names.every((n) => n !== undefined)) this.mapHosts.set(map, names as string[]);
  }

  private exitedEntry(type: string, name: string, previous: Entry | undefined): Entry | undefined {
    if (type === 'MapStateExited' || type === 'ParallelStateExited') {
      for (let i = this.openContainers.length - 1; i >= 0; i -= 1) {
        if (this.openContainers[i]!.state === name) return this.openContainers.splice(i, 1)[0];
      }
      return undefined;
    }
    return previous?.state === name ? previous : undefined;
  }
}

/** Every line the events make, from a fresh formatter. */
export function formatHistory(events: readonly HistoryEvent[]): string[] {
  return new HistoryFormatter().lines(events);
}

function label(entry: Entry): string {
  if (!entry.iteration) return entry.state;
  return `${entry.state} [${entry.iteration.host ?? `${entry.iteration.map} #${entry.iteration.index}`}]`;
}

function indent(entry: Entry): string {
  return entry.iteration ? '    ' : '  ';
}

function hostNameOf(input: unknown): string | undefined {
  const name = (input as { host?: { name?: unknown } } | undefined)?.host?.name;
  return typeof name === 'string' ? name : undefined;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function failureOf(event: HistoryEvent): Failure {
  for (const [key, value] of Object.entries(event)) {
    if (!key.endsWith('EventDetails') || value === null || typeof value !== 'object') continue;
    const { error, cause } = value as { error?: string; cause?: string };
    if (error !== undefined || cause !== undefined) return { error: error ?? event.type ?? 'Error', ...(cause !== undefined && { cause }) };
  }
  return { error: event.type ?? 'Error' };
}

/** A Lambda function's error as Step Functions reports it in `cause`. */
interface LambdaError {
  readonly errorType: string;
  readonly errorMessage: string;
}

function lambdaErrorOf(cause: string | undefined): LambdaError | undefined {
  const parsed = parseJson(cause) as { errorType?: unknown; errorMessage?: unknown } | undefined;
  if (parsed === null || typeof parsed !== 'object') return undefined;
  if (typeof parsed.errorType !== 'string' && typeof parsed.errorMessage !== 'string') return undefined;
  return { errorType: String(parsed.errorType ?? 'Error'), errorMessage: String(parsed.errorMessage ?? '') };
}

/**
 * "errorType: errorMessage" for a Lambda error JSON (its stack trace left out), "error: cause" for a
 * plain cause, the error name alone without one.
 */
export function describeFailure(failure: Failure): string {
  const lambda = lambdaErrorOf(failure.cause);
  if (lambda) return lambda.errorMessage === '' ? lambda.errorType : `${lambda.errorType}: ${lambda.errorMessage}`;
  const cause = failure.cause?.trim();
  return cause ? `${failure.error}: ${cause}` : failure.error;
}


function duration(from: Date | undefined, to: Date | undefined): string {
  if (!from || !to) return '';
  return ` (${formatDuration(to.getTime() - from.getTime())})`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
}

/** How an execution ended, from DescribeExecution and (where it says less) the history's last event. */
export interface ExecutionOutcome {
  readonly name?: string;
  readonly status: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly startDate?: Date;
  readonly stopDate?: Date;
}

/** The end of an execution as its history's final event reports it. */
export function outcomeFromEndEvent(event: HistoryEvent): Omit<ExecutionOutcome, 'name' | 'startDate'> {
  const stop = event.timestamp ? { stopDate: event.timestamp } : {};
  switch (event.type) {
    case 'ExecutionSucceeded': {
      const output = event.executionSucceededEventDetails?.output;
      return { status: 'SUCCEEDED', ...(output !== undefined && { output }), ...stop };
    }
    case 'ExecutionFailed':
      return { status: 'FAILED', ...failureFields(event.executionFailedEventDetails), ...stop };
    case 'ExecutionTimedOut':
      return { status: 'TIMED_OUT', ...failureFields(event.executionTimedOutEventDetails), ...stop };
    default:
      return { status: 'ABORTED', ...failureFields(event.executionAbortedEventDetails), ...stop };
  }
}

function failureFields(details: { error?: string; cause?: string } | undefined): { error?: string; cause?: string } {
  return { ...(details?.error !== undefined && { error: details.error }), ...(details?.cause !== undefined && { cause: details.cause }) };
}

/** A ProvisionCluster result (lambdas/steps/record-cluster.ts ClusterSummary), as far as the summary needs it. */
interface ClusterSummaryLike {
  readonly clusterName: string;
  readonly members: ReadonlyArray<{ name: string; id: string; endpoint: string; leader?: boolean }>;
}

function clusterSummaryOf(output: string | undefined): ClusterSummaryLike | undefined {
  const parsed = parseJson(output) as Partial<ClusterSummaryLike> | undefined;
  if (parsed === null || typeof parsed !== 'object' || typeof parsed.clusterName !== 'string' || !Array.isArray(parsed.members)) return undefined;
  const wellFormed = parsed.members.every((m) => m !== null && typeof m === 'object' && typeof m.name === 'string' && typeof m.id === 'string' && typeof m.endpoint === 'string');
  return wellFormed ? (parsed as ClusterSummaryLike) : undefined;
}

const MAX_RAW_OUTPUT = 2000;

/** The closing lines: for SUCCEEDED the cluster and its members, otherwise the error and its cause. */
export function formatOutcome(outcome: ExecutionOutcome): string[] {
  const took = outcome.startDate && outcome.stopDate ? ` after ${formatDuration(outcome.stopDate.getTime() - outcome.startDate.getTime())}` : '';
  const name = outcome.name ? `Execution ${outcome.name}` : 'Execution';
  if (outcome.status === 'SUCCEEDED') {
    const lines = [`${name} SUCCEEDED${took}.`];
    const summary = clusterSummaryOf(outcome.output);
    if (summary) {
      lines.push(`Cluster "${summary.clusterName}" is ready: ${summary.members.length} member${summary.members.length === 1 ? '' : 's'}.`);
      lines.push(...memberTableLines(summary.members));
    } else if (outcome.output !== undefined) {
      const raw = outcome.output.length > MAX_RAW_OUTPUT ? `${outcome.output.slice(0, MAX_RAW_OUTPUT)}…` : outcome.output;
      lines.push(`Output: ${raw}`);
    }
    return lines;
  }
  const lines = [`${name} ${outcome.status}${took}${outcome.error ? `: ${outcome.error}` : ''}`];
  if (outcome.error !== undefined || outcome.cause !== undefined) {
    const described = describeFailure({ error: outcome.error ?? outcome.status, ...(outcome.cause !== undefined && { cause: outcome.cause }) });
    if (described !== outcome.error) lines.push(...described.split('\n').map((line) => `  ${line}`));
  }
  return lines;
}
