// The workflow runner port: run one of the workflows (locally in the interpreter, or as a Step Functions execution)
// and hear what it does as ONE stream of events, the same from both adapters. The command line prints this stream;
// it never sees the interpreter's event log or a Step Functions history. SDK-free and CDK-free.

/** The workflows, by the name of their rendered definition. */
export type WorkflowName = 'provision-cluster' | 'replace-member' | 'set-maintenance' | 'check-cluster-health' | 'delete-cluster' | 'backup-cluster' | 'drill-restore' | 'restore-cluster' | 'scale-cluster' | 'adopt-cluster' | 'connect-control-plane';

/** What a state did. A state ended by its Catch is `caught`, never also `succeeded`. */
export interface StateEvent {
  readonly kind: 'entered' | 'succeeded' | 'failed' | 'retried' | 'caught';
  readonly state: string;
  /** The host a state inside a per-host Map iteration works on. @default - none: not in a per-host iteration */
  readonly host?: string;
  /** The Map iteration's index. @default - none: not in a Map iteration */
  readonly index?: number;
  /** Milliseconds since the epoch. */
  readonly at: number;
  /** entered: the state's input. @default - not known */
  readonly input?: unknown;
  /** succeeded: the state's output. @default - not known */
  readonly output?: unknown;
  /** failed and caught: the error name (a Lambda's errorType), as Retry and Catch match it. */
  readonly error?: string;
  /** failed: why (a Lambda's errorMessage, without its stack trace). */
  readonly cause?: string;
  /** retried: the attempt now starting (2 for the first retry). */
  readonly attempt?: number;
}

export type ExecutionStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** How an execution ended; always the last event of a run. */
export interface ExecutionEnded {
  readonly kind: 'ended';
  readonly status: ExecutionStatus;
  readonly at: number;
  /** SUCCEEDED: the execution's output (parsed JSON). */
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
}

export type RunEvent = StateEvent | ExecutionEnded;

export interface WorkflowOutcome {
  readonly status: ExecutionStatus;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  /** The execution's name ($$.Execution.Name). */
  readonly name: string;
  /** Step Functions: the execution ARN. Local: "local:<pid>:<start time>". */
  readonly executionId: string;
  /** State transitions, as Step Functions bills them. @default - not counted */
  readonly transitions?: number;
}

export interface RunRequest {
  readonly workflow: WorkflowName;
  readonly input: unknown;
  /** The execution name. @default - chosen by the adapter */
  readonly name?: string;
  /** Hears every event as it happens, the `ended` one last. */
  readonly onEvent?: (event: RunEvent) => void;
}

export interface WorkflowRunner {
  /** Runs the workflow to its end. Rejects only when the run itself could not be started or followed. */
  execute(request: RunRequest): Promise<WorkflowOutcome>;
}

/** A Lambda error as Step Functions reports it in `cause`: its errorType and errorMessage, without the trace. */
export function lambdaFailure(error: string | undefined, cause: string | undefined): { error?: string; cause?: string } {
  let parsed: { errorType?: unknown; errorMessage?: unknown } | undefined;
  try {
    parsed = cause === undefined ? undefined : (JSON.parse(cause) as typeof parsed);
  } catch {
    parsed = undefined;
  }
  if (parsed !== null && typeof parsed === 'object' && (typeof parsed.errorType === 'string' || typeof parsed.errorMessage === 'string')) {
    const errorType = typeof parsed.errorType === 'string' ? parsed.errorType : (error ?? 'Error');
    return { error: errorType, cause: typeof parsed.errorMessage === 'string' ? parsed.errorMessage : '' };
  }
  return { ...(error !== undefined && { error }), ...(cause !== undefined && { cause }) };
}
