// The workflow runner over Step Functions: StartExecution, then GetExecutionHistory polled (new events only) and
// turned into the runner's event stream, until DescribeExecution or the history says the execution ended.
// The SDK client takes everything but its region (credentials, AWS_ENDPOINT_URL) from the usual AWS settings.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
  type DescribeExecutionOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { HistoryEvents } from './history-events';
import { lambdaFailure, type ExecutionStatus, type RunEvent, type RunRequest, type WorkflowName, type WorkflowOutcome, type WorkflowRunner } from './port';

export interface HistoryPage {
  readonly events: readonly HistoryEvent[];
  readonly nextToken?: string;
}

/** What the runner needs of Step Functions (tests answer it with recorded histories). */
export interface ExecutionsApi {
  startExecution(input: { stateMachineArn: string; name?: string; input: string }): Promise<{ executionArn: string }>;
  describeExecution(executionArn: string): Promise<DescribeExecutionOutput>;
  /** One page of GetExecutionHistory, newest events first. */
  historyPage(executionArn: string, nextToken?: string): Promise<HistoryPage>;
  close(): void;
}

/** GetExecutionHistory's largest page. */
const HISTORY_PAGE_SIZE = 1000;

export function sfnExecutionsApi(region: string): ExecutionsApi {
  const client = new SFNClient({ region });
  return {
    async startExecution(input) {
      const answer = await client.send(new StartExecutionCommand(input));
      if (!answer.executionArn) throw new Error('StartExecution returned no executionArn');
      return { executionArn: answer.executionArn };
    },
    describeExecution: (executionArn) => client.send(new DescribeExecutionCommand({ executionArn })),
    async historyPage(executionArn, nextToken) {
      const answer = await client.send(
        new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: HISTORY_PAGE_SIZE, includeExecutionData: true, ...(nextToken && { nextToken }) }),
      );
      return { events: answer.events ?? [], ...(answer.nextToken && { nextToken: answer.nextToken }) };
    },
    close: () => client.destroy(),
  };
}

export const DEFAULT_POLL_INTERVAL_MS = 2000;

export interface FollowOptions {
  /** Wait between two polls. @default 2000 ms */
  readonly pollIntervalMs?: number;
  /** Injected for tests. @default node:timers/promises setTimeout */
  readonly sleep?: (ms: number) => Promise<unknown>;
}

/** An ended execution as DescribeExecution and its history tell it. */
export interface FollowedExecution extends WorkflowOutcome {
  /** The output as Step Functions returned it (JSON text). */
  readonly rawOutput?: string;
  readonly startDate?: Date;
  readonly stopDate?: Date;
}

/** Statuses of an execution that is still going (PENDING_REDRIVE: a redrive is about to run it again). */
const RUNNING = new Set(['RUNNING', 'PENDING_REDRIVE']);

export class StepFunctionsWorkflowRunner implements WorkflowRunner {
  constructor(
    private readonly api: ExecutionsApi,
    /** The state machine of each workflow (found by its tags, an option or an environment variable). */
    private readonly stateMachineArn: (workflow: WorkflowName) => string,
    private readonly options: FollowOptions = {},
  ) {}

  async execute(request: RunRequest): Promise<FollowedExecution> {
    const { executionArn } = await this.start(request);
    return this.follow(executionArn, request.onEvent);
  }

  start(request: Omit<RunRequest, 'onEvent'>): Promise<{ executionArn: string }> {
    return this.api.startExecution({
      stateMachineArn: this.stateMachineArn(request.workflow),
      ...(request.name !== undefined && { name: request.name }),
      input: JSON.stringify(request.input),
    });
  }

  /** Follows an execution (started here or elsewhere) until it ends; `onEvent` hears each event once, in order. */
  async follow(executionArn: string, onEvent: (event: RunEvent) => void = () => undefined): Promise<FollowedExecution> {
    const interval = this.options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    const wait = this.options.sleep ?? sleep;
    const history = new HistoryEvents();
    const readNew = async () => {
      for (const event of history.events(await newEvents(this.api, executionArn, history.lastEventId))) onEvent(event);
    };
    for (;;) {
      await readNew();
      const described = await this.api.describeExecution(executionArn);
      if (!RUNNING.has(described.status ?? 'RUNNING') || history.endEvent) {
        // Events written between the history call and DescribeExecution.
        if (!history.endEvent) await readNew();
        const outcome = outcomeOf(executionArn, described, history.endEvent);
        onEvent({
          kind: 'ended',
          status: outcome.status,
          at: outcome.stopDate?.getTime() ?? Date.now(),
          ...(outcome.output !== undefined && { output: outcome.output }),
          ...(outcome.error !== undefined && { error: outcome.error }),
          ...(outcome.cause !== undefined && { cause: outcome.cause }),
        });
        return outcome;
      }
      await wait(interval);
    }
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

/** The end of an execution as its history's final event reports it. */
export function outcomeFromEndEvent(event: HistoryEvent): { status: ExecutionStatus; output?: string; error?: string; cause?: string; stopDate?: Date } {
  const stop = event.timestamp ? { stopDate: event.timestamp } : {};
  const fields = (details: { error?: string; cause?: string } | undefined) => ({
    ...(details?.error !== undefined && { error: details.error }),
    ...(details?.cause !== undefined && { cause: details.cause }),
  });
  switch (event.type) {
    case 'ExecutionSucceeded': {
      const output = event.executionSucceededEventDetails?.output;
      return { status: 'SUCCEEDED', ...(output !== undefined && { output }), ...stop };
    }
    case 'ExecutionFailed':
      return { status: 'FAILED', ...fields(event.executionFailedEventDetails), ...stop };
    case 'ExecutionTimedOut':
      return { status: 'TIMED_OUT', ...fields(event.executionTimedOutEventDetails), ...stop };
    default:
      return { status: 'ABORTED', ...fields(event.executionAbortedEventDetails), ...stop };
  }
}

/**
 * DescribeExecution says how the execution ended; the history's final event fills in what it leaves out
 * (older APIs and emulators give no error/cause there) and decides when DescribeExecution lags behind.
 */
function outcomeOf(executionArn: string, described: DescribeExecutionOutput, end: HistoryEvent | undefined): FollowedExecution {
  const fromHistory = end ? outcomeFromEndEvent(end) : undefined;
  const describedEnded = described.status !== undefined && !RUNNING.has(described.status);
  const status = (describedEnded ? described.status : (fromHistory?.status ?? described.status ?? 'FAILED')) as ExecutionStatus;
  const rawOutput = described.output ?? fromHistory?.output;
  const failure = lambdaFailure(described.error ?? fromHistory?.error, described.cause ?? fromHistory?.cause);
  const stopDate = described.stopDate ?? fromHistory?.stopDate;
  return {
    status,
    name: described.name ?? executionArn.split(':').at(-1)!,
    executionId: executionArn,
    ...(rawOutput !== undefined && { rawOutput, output: parsedOutput(rawOutput) }),
    ...(failure.error !== undefined && { error: failure.error }),
    ...(failure.cause !== undefined && { cause: failure.cause }),
    ...(described.startDate && { startDate: described.startDate }),
    ...(stopDate && { stopDate }),
  };
}

/** The execution's output as JSON when it is JSON (it always is from our workflows), else the raw string. */
function parsedOutput(output: string): unknown {
  try {
    return JSON.parse(output) as unknown;
  } catch {
    return output;
  }
}
