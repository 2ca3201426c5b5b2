// A Step Functions execution history → the runner's event stream (port.ts): a state entered, succeeded, failed with
// its cause, retried or caught, naming the host inside a per-host Map. Pure: history events in, run events out, fed
// poll by poll (events already seen are skipped). The execution's own end is kept for the runner, which merges it
// with DescribeExecution.
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { lambdaFailure, type StateEvent } from './port';

interface Failure {
  readonly error: string;
  readonly cause?: string;
}

/** A state as entered once (a state in a loop or in each Map iteration has one entry per visit). */
interface Entry {
  readonly state: string;
  readonly type: string;
  readonly iteration?: Iteration;
  attempts: number;
  /** The last attempt failed (and no later attempt succeeded): an exit after it means the error was caught. */
  lastFailure?: Failure;
}

interface Iteration {
  readonly map: string;
  readonly index: number;
  host?: string;
  lastFailure?: Failure;
}

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

export class HistoryEvents {
  private readonly contexts = new Map<number, Context>();
  private readonly iterations = new Map<string, Iteration>();
  /** Map and Parallel states entered and not yet exited, innermost last. */
  private readonly openContainers: Entry[] = [];
  private readonly mapHosts = new Map<string, string[]>();
  /** Per Map state, why its last failed iteration failed. */
  private readonly iterationFailures = new Map<string, Failure>();
  private lastEntered: Entry | undefined;
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

  events(history: readonly HistoryEvent[]): StateEvent[] {
    const out: StateEvent[] = [];
    for (const event of [...history].sort((a, b) => (a.id ?? 0) - (b.id ?? 0))) {
      if (event.id === undefined || this.contexts.has(event.id)) continue;
      this.lastId = Math.max(this.lastId, event.id);
      const produced = this.onEvent(event);
      if (produced !== undefined) out.push(produced);
    }
    return out;
  }

  private onEvent(event: HistoryEvent): StateEvent | undefined {
    const type = event.type ?? '';
    const at = event.timestamp?.getTime() ?? 0;
    const previous = this.contexts.get(event.previousEventId ?? 0) ?? {};
    const remember = (context: Context) => this.contexts.set(event.id!, context);
    const about = (entry: Entry) => ({ state: entry.state, at, ...where(entry) });

    if (type.endsWith('StateEntered')) {
      const details = event.stateEnteredEventDetails;
      const iteration = previous.iteration;
      const entry: Entry = { state: details?.name ?? '?', type, attempts: 0, ...(iteration && { iteration }) };
      remember({ entry, ...(iteration && { iteration }) });
      if (type === 'MapStateEntered' || type === 'ParallelStateEntered') this.openContainers.push(entry);
      const input = parseJson(details?.input);
      if (type === 'MapStateEntered') this.startMap(entry.state, input);
      if (iteration && iteration.host === undefined) {
        const host = (input as { host?: { name?: unknown } } | undefined)?.host?.name;
        if (typeof host === 'string') iteration.host = host;
      }
      this.lastEntered = entry;
      return { kind: 'entered', ...about(entry), ...(input !== undefined && { input }) };
    }

    if (type.startsWith('MapIteration')) {
      const details =
        event.mapIterationStartedEventDetails ??
        event.mapIterationSucceededEventDetails ??
        event.mapIterationFailedEventDetails ??
        event.mapIterationAbortedEventDetails;
      const iteration = this.iteration(details?.name ?? '?', details?.index ?? -1);
      remember({ iteration });
      if (type === 'MapIterationFailed') this.iterationFailures.set(iteration.map, iteration.lastFailure ?? { error: 'States.BranchFailed' });
      return undefined;
    }

    if (/^(Map|Parallel)State(Started|Succeeded|Failed|Aborted)$/.test(type)) {
      // Their previousEventId may point into an iteration: they belong to the innermost open Map/Parallel.
      const entry = this.openContainers.at(-1);
      remember({ ...(entry && { entry }), ...(entry?.iteration && { iteration: entry.iteration }) });
      if (!entry) return undefined;
      if (type.endsWith('Failed')) {
        entry.lastFailure = this.iterationFailures.get(entry.state) ?? { error: 'States.BranchFailed' };
        return { kind: 'failed', ...about(entry), ...entry.lastFailure };
      }
      if (type.endsWith('Aborted')) {
        entry.lastFailure = { error: 'Aborted' };
        return { kind: 'failed', ...about(entry), error: 'Aborted' };
      }
      return undefined;
    }

    if (type.endsWith('StateExited')) {
      const details = event.stateExitedEventDetails;
      const entry = this.exitedEntry(type, details?.name ?? '?', previous.entry);
      remember({ ...(entry && { entry }), ...(entry?.iteration && { iteration: entry.iteration }) });
      if (!entry) return undefined;
      if (entry.lastFailure) return { kind: 'caught', ...about(entry), error: entry.lastFailure.error };
      const output = parseJson(details?.output);
      return { kind: 'succeeded', ...about(entry), ...(output !== undefined && { output }) };
    }

    if (type.endsWith('StateAborted')) {
      remember(previous);
      return previous.entry ? { kind: 'failed', ...about(previous.entry), error: 'Aborted' } : undefined;
    }

    if (EXECUTION_END_TYPES.has(type)) {
      this.end = event;
      remember({});
      // A Fail state fails the execution with its error: said of the state, as the local interpreter does.
      const failState = this.lastEntered?.type === 'FailStateEntered' ? this.lastEntered : undefined;
      if (type === 'ExecutionFailed' && failState) {
        return { kind: 'failed', ...about(failState), ...normalised(event.executionFailedEventDetails ?? {}, 'States.Failed') };
      }
      return undefined;
    }

    // Task, Lambda and activity events belong to the state entry their chain started from.
    remember(previous);
    const entry = previous.entry;
    if (!entry) return undefined;
    if (SCHEDULED_TYPES.has(type)) {
      entry.attempts += 1;
      return entry.attempts === 1 ? undefined : { kind: 'retried', ...about(entry), attempt: entry.attempts };
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
      return { kind: 'failed', ...about(entry), ...failure };
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

  /** A Map state entered (again): forget its earlier iterations; its items ($.hosts) name each iteration's host. */
  private startMap(map: string, input: unknown): void {
    for (const key of this.iterations.keys()) if (key.startsWith(`${map}#`)) this.iterations.delete(key);
    this.iterationFailures.delete(map);
    this.mapHosts.delete(map);
    const names = hostNames(input);
    if (names) this.mapHosts.set(map, names);
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

/** The host names of a per-host Map's items (`$.hosts`), when every item names one. */
export function hostNames(input: unknown): string[] | undefined {
  const hosts = (input as { hosts?: unknown } | undefined)?.hosts;
  if (!Array.isArray(hosts)) return undefined;
  const names = hosts.map((h) => (h !== null && typeof h === 'object' && typeof (h as { name?: unknown }).name === 'string' ? (h as { name: string }).name : undefined));
  return names.every((n) => n !== undefined) ? (names as string[]) : undefined;
}

function where(entry: Entry): { host?: string; index?: number } {
  if (!entry.iteration) return {};
  return { index: entry.iteration.index, ...(entry.iteration.host !== undefined && { host: entry.iteration.host }) };
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function normalised(details: { error?: string; cause?: string }, fallback: string): Failure {
  const { error, cause } = lambdaFailure(details.error, details.cause);
  return { error: error ?? fallback, ...(cause !== undefined && cause !== '' && { cause }) };
}

function failureOf(event: HistoryEvent): Failure {
  for (const [key, value] of Object.entries(event)) {
    if (!key.endsWith('EventDetails') || value === null || typeof value !== 'object') continue;
    const details = value as { error?: string; cause?: string };
    if (details.error !== undefined || details.cause !== undefined) return normalised(details, event.type ?? 'Error');
  }
  return { error: event.type ?? 'Error' };
}
