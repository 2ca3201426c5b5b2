// Runs a workflow definition (rendered from the same CDK chain lib/ deploys) in a local Step
// Functions interpreter, each Lambda task answered by the step handler it names.
import './polyfill';
import { randomBytes } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import { allStates, stepOfState, type AslDefinition } from './asl';
import { localExecutionRef } from '../adapters/local/process-execution-liveness';
import type { StepHandler } from '../steps/deps';

/** The interpreter's event type (not exported by the package itself). */
type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

export interface WorkflowEvent {
  readonly kind: 'entered' | 'succeeded' | 'failed' | 'retried' | 'caught';
  readonly state: string;
  /** Map iteration index, for per-host states. */
  readonly index?: number;
  readonly input?: unknown;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  readonly at: number;
}

export interface RunWorkflowOptions {
  readonly definition: AslDefinition;
  readonly steps: Readonly<Record<string, StepHandler>>;
  readonly input: unknown;
  /**
   * Milliseconds each Wait state pauses locally (the deployed workflow waits its seconds). Short: a health
   * check that reaches a member still starting waits for its answer (up to its call timeout) anyway.
   * @default 50
   */
  readonly waitMs?: number;
  /** Milliseconds before each retry of an error that does not wait for etcd (see localRetryIntervals). */
  readonly retryMs?: number;
  readonly onEvent?: (event: WorkflowEvent) => void;
  /** `$$.Execution.Name` (the deployed workflows use it as the lock owner). */
  readonly executionName?: string;
  /**
   * `$$.Execution.Id`: the execution ARN on AWS, which Acquire Lock records as the lock's holder. Locally the
   * execution runs in this process, so it is this process's reference, which ProcessExecutionLiveness can ask about.
   * @default - localExecutionRef(): "local:<this process's pid>:<its start time>"
   */
  readonly executionRef?: string;
}

export interface WorkflowResult {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  /** State transitions, counted as Step Functions bills them (every state entered, retries included). */
  readonly transitions: number;
  readonly events: readonly WorkflowEvent[];
}

interface Retrier {
  readonly ErrorEquals: readonly string[];
}

/**
 * Retries that wait for something outside etcd (Lambda service hiccups, an SSM agent, another
 * execution's lock, an instance that is shutting down while its member still answers) are shortened
 * locally; retries that wait for etcd itself (a learner catching up, the ~5 s after a membership change)
 * keep the definition's real timing (-1: no override).
 */
const SHORTENED_LOCALLY = /^(Lambda\.|HostUnreachableError$|ClusterLockedError$|MemberStillHealthyError$)/;

function localRetryIntervals(retriers: readonly Retrier[], ms: number): number[] {
  return retriers.map((r) => (r.ErrorEquals.every((e) => SHORTENED_LOCALLY.test(e)) ? ms : -1));
}

export async function runWorkflow(options: RunWorkflowOptions): Promise<WorkflowResult> {
  const taskResourceLocalHandlers: Record<string, (input: never) => Promise<unknown>> = {};
  const waitTimeOverrides: Record<string, number> = {};
  const retryIntervalOverrides: Record<string, number | number[]> = {};
  for (const [name, state] of allStates(options.definition)) {
    const step = stepOfState(state);
    if (step !== undefined) {
      const handler = options.steps[step];
      if (!handler) throw new Error(`state "${name}" invokes step "${step}", which has no local handler`);
      taskResourceLocalHandlers[name] = (input) => handler(input);
    }
    if (state.Type === 'Wait') waitTimeOverrides[name] = options.waitMs ?? 50;
    if (Array.isArray(state.Retry)) retryIntervalOverrides[name] = localRetryIntervals(state.Retry as Retrier[], options.retryMs ?? 50);
  }
  // Our definitions are generated (statemachines/) and checked with asl-validator in their tests; validating
  // again here cost 150–370 ms of every local run (bench/README.md).
  const machine = new StateMachine(options.definition as never, { validationOptions: { noValidate: true } });
  const execution = machine.run(options.input as never, {
    overrides: { taskResourceLocalHandlers: taskResourceLocalHandlers as never, waitTimeOverrides, retryIntervalOverrides },
    context: {
      Execution: {
        Id: options.executionRef ?? localExecutionRef(),
        Name: options.executionName ?? `local-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
      },
    },
  });
  const events: WorkflowEvent[] = [];
  let transitions = 0;
  const collecting = (async () => {
    for await (const log of execution.eventLogs) {
      const event = toWorkflowEvent(log);
      if (!event) continue;
      if (event.kind === 'entered' || event.kind === 'retried') transitions += 1;
      events.push(event);
      options.onEvent?.(event);
    }
  })();
  try {
    const output = await execution.result;
    await collecting;
    return { status: 'SUCCEEDED', output, transitions, events };
  } catch (error) {
    await collecting.catch(() => undefined);
    const failure = failureOf(error);
    return { status: 'FAILED', ...failure, transitions, events };
  }
}

function toWorkflowEvent(log: EventLog): WorkflowEvent | undefined {
  if (!('state' in log)) return undefined;
  const base = { state: log.state.name, at: log.timestamp, ...(log.index !== undefined && { index: log.index }) };
  switch (log.type) {
    case 'StateEntered':
      return { kind: 'entered', ...base, input: log.state.input };
    case 'StateExited':
      return { kind: 'succeeded', ...base, output: log.state.output };
    case 'StateFailed':
      return { kind: 'failed', ...base, error: log.Error, cause: causeText(log.Cause) };
    case 'StateRetried':
      return { kind: 'retried', ...base };
    case 'StateCaught':
      return { kind: 'caught', ...base };
    default:
      return undefined;
  }
}

/** A step's error arrives as the Error itself (whose JSON is "{}"): its message is the cause Step Functions shows. */
function causeText(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return JSON.stringify(cause) ?? String(cause);
}

/** The interpreter wraps the Fail state's error; unwrap it to the Error/Cause Step Functions would report. */
function failureOf(error: unknown): { error: string; cause: string } {
  const inner = (error as { cause?: { name?: string; message?: string } }).cause;
  if (inner && typeof inner === 'object') return { error: inner.name ?? 'Error', cause: inner.message ?? '' };
  const e = error as Error;
  return { error: e.name, cause: e.message };
}
