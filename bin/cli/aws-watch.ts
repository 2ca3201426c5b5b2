// `etcd-ha watch EXECUTION_ARN`: follows a Step Functions execution until it ends — one line per
// state as the history grows, then the outcome. Exit 0 when it SUCCEEDED, 1 when it FAILED, TIMED_OUT
// or was ABORTED. Stopping the watch (Ctrl-C) does not stop the execution.
import { setTimeout as sleep } from 'node:timers/promises';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { HistoryFormatter, formatOutcome, outcomeFromEndEvent, type ExecutionOutcome } from './aws-history-format';
import { describeAwsError, isAwsError, parseStatesArn, sfnExecutionsApi, type ExecutionsApi } from './aws-sfn';
import { EXIT, printJson, progressOutput, type Output, type OutputFormat } from './output';

export const DEFAULT_POLL_INTERVAL_MS = 2000;

export interface WatchOptions {
  /** Wait between two polls. @default 2000 ms */
  readonly pollIntervalMs?: number;
  /** Injected for tests. @default node:timers/promises setTimeout */
  readonly sleep?: (ms: number) => Promise<unknown>;
  /** text: progress and outcome as lines; json: those on stderr, the outcome as one JSON document on stdout. @default 'text' */
  readonly format?: OutputFormat;
}

/** Statuses of an execution that is still going (PENDING_REDRIVE: a redrive is about to run it again). */
const RUNNING = new Set(['RUNNING', 'PENDING_REDRIVE']);

/** The `watch` command: checks the ARN, then follows the execution with the SDK. */
export async function watch(executionArn: string, output: Output, options: WatchOptions = {}): Promise<number> {
  const say = progressOutput(output, options.format ?? 'text');
  const { region } = parseStatesArn(executionArn, 'execution', 'EXECUTION_ARN');
  const api = sfnExecutionsApi(region);
  try {
    return await followExecution(api, executionArn, output, options);
  } catch (error) {
    if (!isAwsError(error)) throw error;
    say.err(`etcd-ha: ${describeAwsError(error, 'watching the execution')}`);
    return EXIT.failed;
  } finally {
    api.close();
  }
}

/** Polls the history (new events only) and the execution's status until it ends; prints as it goes. */
export async function followExecution(api: ExecutionsApi, executionArn: string, given: Output, options: WatchOptions = {}): Promise<number> {
  const format = options.format ?? 'text';
  const output = progressOutput(given, format);
  const interval = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const wait = options.sleep ?? sleep;
  const formatter = new HistoryFormatter();
  const printNewEvents = async () => {
    for (const line of formatter.lines(await newEvents(api, executionArn, formatter.lastEventId))) output.out(line);
  };
  for (;;) {
    await printNewEvents();
    const described = await api.describeExecution(executionArn);
    const status = described.status ?? 'RUNNING';
    if (!RUNNING.has(status) || formatter.endEvent) {
      // Events written between the history call and DescribeExecution.
      if (!formatter.endEvent) await printNewEvents();
      const outcome = outcomeOf(described, formatter.endEvent);
      const lines = formatOutcome(outcome);
      const write = (line: string) => (outcome.status === 'SUCCEEDED' ? output.out(line) : output.err(line));
      write('');
      for (const line of lines) write(line);
      if (format === 'json') printJson(given, { executionArn, ...outcome, output: parsedOutput(outcome.output) });
      return outcome.status === 'SUCCEEDED' ? EXIT.done : EXIT.failed;
    }
    await wait(interval);
  }
}

/**
 * The events after `afterId`, oldest first. Pages are read newest first (reverseOrder) until one reaches
 * an event already seen, so each poll reads only what is new, however long the history has grown.
 */
export async function newEvents(api: ExecutionsApi, executionArn: string, afterId: number): Promise<HistoryEvent[]> {
  const found = new Map<number, HistoryEvent>();
  let nextToken: string | undefined;
  do {
    const page = await api.historyPage(executionArn, nextToken);
    for (const event of page.events) if (event.id !== undefined && event.id > afterId) found.set(event.id, event);
    if (page.events.some((event) => event.id !== undefined && event.id <= afterId)) break;
    nextToken = page.nextToken;
  } while (nextToken);
  return [...found.values()].sort((a, b) => a.id! - b.id!);
}

/**
 * DescribeExecution says how the execution ended; the history's final event fills in what it leaves out
 * (older APIs and emulators give no error/cause there) and decides when DescribeExecution lags behind.
 */
function outcomeOf(described: { name?: string; status?: string; output?: string; error?: string; cause?: string; startDate?: Date; stopDate?: Date }, end: HistoryEvent | undefined): ExecutionOutcome {
  const fromHistory = end ? outcomeFromEndEvent(end) : undefined;
  const describedEnded = described.status !== undefined && !RUNNING.has(described.status);
  const status = describedEnded ? described.status! : (fromHistory?.status ?? described.status ?? 'UNKNOWN');
  const output = described.output ?? fromHistory?.output;
  const error = described.error ?? fromHistory?.error;
  const cause = described.cause ?? fromHistory?.cause;
  const stopDate = described.stopDate ?? fromHistory?.stopDate;
  return {
    status,
    ...(described.name !== undefined && { name: described.name }),
    ...(output !== undefined && { output }),
    ...(error !== undefined && { error }),
    ...(cause !== undefined && { cause }),
    ...(described.startDate && { startDate: described.startDate }),
    ...(stopDate && { stopDate }),
  };
}

/** The execution's output as JSON when it is JSON (it always is from our workflows), else the raw string. */
function parsedOutput(output: string | undefined): unknown {
  if (output === undefined) return undefined;
  try {
    return JSON.parse(output) as unknown;
  } catch {
    return output;
  }
}
