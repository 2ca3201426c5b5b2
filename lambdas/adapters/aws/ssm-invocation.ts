// Pure pieces of the SSM host runner: SSM's limits, what an invocation's status means for us,
// trimming output to a tail, and splitting instance IDs into SendCommand-sized chunks. No I/O here.

/** SendCommand accepts at most 50 instance IDs per call. */
export const SSM_MAX_INSTANCES_PER_COMMAND = 50;
/** Document + runtime parameters must fit in 64 KB. */
export const SSM_MAX_PARAMETERS_BYTES = 64 * 1024;
/** SendCommand Comment: at most 100 characters. */
export const SSM_MAX_COMMENT_CHARS = 100;
/** SendCommand TimeoutSeconds (the delivery timeout) range. */
export const SSM_DELIVERY_TIMEOUT_RANGE = { min: 30, max: 2_592_000 } as const;
/** AWS-RunShellScript executionTimeout range, seconds. */
export const SSM_EXECUTION_TIMEOUT_RANGE = { min: 1, max: 172_800 } as const;
/** GetCommandInvocation returns only the first 24,000 characters of stdout and 8,000 of stderr. */
export const SSM_STDOUT_CHARS = 24_000;
export const SSM_STDERR_CHARS = 8_000;
/** How much of each stream a HostRunResult keeps. */
export const TAIL_BYTES = 4 * 1024;

/** The fields of a GetCommandInvocation answer that decide the outcome. */
export interface InvocationState {
  readonly Status?: string | undefined;
  readonly StatusDetails?: string | undefined;
  readonly ResponseCode?: number | undefined;
}

export type InvocationOutcome =
  /** Not final yet: poll again. `delivered` tells whether the host has the command (InProgress). */
  | { readonly kind: 'pending'; readonly delivered: boolean }
  /** The script ran to its end: exit code 0 (Success) or non-zero (Failed). */
  | { readonly kind: 'exited'; readonly exitCode: number }
  /** The script started but did not finish within executionTimeout. */
  | { readonly kind: 'timed-out'; readonly reason: string }
  /** The command never ran, or was stopped, for reasons of the host or of delivery. */
  | { readonly kind: 'unreachable'; readonly reason: string };

const UNREACHABLE_DETAILS = new Set(['DeliveryTimedOut', 'Undeliverable', 'Terminated']);
const PENDING_STATUSES = new Set(['Pending', 'Delayed', 'Cancelling']);

/**
 * Maps an invocation's Status/StatusDetails/ResponseCode to what the runner does next. StatusDetails is
 * read first: Status "TimedOut" covers both delivery and execution timeouts, and "Undeliverable" /
 * "Terminated" show only there.
 */
export function invocationOutcome(state: InvocationState): InvocationOutcome {
  const status = state.Status ?? '';
  const details = (state.StatusDetails ?? '').replace(/\s+/g, '');
  if (UNREACHABLE_DETAILS.has(details)) return { kind: 'unreachable', reason: details };
  if (details === 'ExecutionTimedOut') return { kind: 'timed-out', reason: details };
  switch (status) {
    case 'Success':
      return { kind: 'exited', exitCode: 0 };
    case 'Failed': {
      const code = state.ResponseCode;
      // -1: "the command hasn't started running on the managed node, or it wasn't received by the node".
      if (code === -1) return { kind: 'unreachable', reason: `Failed (${details || 'no details'}, response code -1: never started)` };
      // Failed must never read as success: an absent or zero code becomes 1.
      return { kind: 'exited', exitCode: code !== undefined && Number.isInteger(code) && code > 0 ? code : 1 };
    }
    case 'TimedOut':
      return { kind: 'timed-out', reason: details || 'TimedOut' };
    case 'Cancelled':
      // The runner never cancels: a cancellation came from outside, before or during delivery.
      return { kind: 'unreachable', reason: details ? `Cancelled (${details})` : 'Cancelled' };
    case 'InProgress':
      return { kind: 'pending', delivered: true };
    default:
      // Pending, Delayed, Cancelling and any status SSM adds later: not final, the deadline bounds it.
      return { kind: 'pending', delivered: !PENDING_STATUSES.has(status) && status !== '' };
  }
}

/**
 * The last `maxBytes` bytes of `text` (UTF-8), starting on a character boundary, with "…" in front when
 * something was cut.
 */
export function tailBytes(text: string, maxBytes = TAIL_BYTES): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let start = bytes.length - maxBytes;
  // Skip UTF-8 continuation bytes (10xxxxxx) so that the tail starts on a whole character.
  while (start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start++;
  return `…${bytes.subarray(start).toString('utf8')}`;
}

/**
 * The tail of one stream as SSM returned it. SSM keeps the FIRST `ssmLimitChars` characters, so when the
 * content reaches that limit its end is not the end of the output: say so, and where the full text is.
 */
export function outputTail(content: string | undefined, ssmLimitChars: number, fullOutputUrl?: string): string {
  const text = content ?? '';
  const tail = tailBytes(text);
  if (text.length < ssmLimitChars) return tail;
  const where = fullOutputUrl ? `full output: ${fullOutputUrl}` : 'full output only in S3/CloudWatch Logs when configured';
  return `[SSM returned only the first ${ssmLimitChars} characters; ${where}]\n${tail}`;
}

/** Splits `items` into consecutive chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size = SSM_MAX_INSTANCES_PER_COMMAND): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** SendCommand's Comment: the title, cut to 100 characters. */
export function commandComment(title: string): string {
  if (title.length <= SSM_MAX_COMMENT_CHARS) return title;
  // Cut in UTF-16 units (what the limit counts), never between the two halves of a surrogate pair.
  const head = title.slice(0, SSM_MAX_COMMENT_CHARS - 1).replace(/[\uD800-\uDBFF]$/, '');
  return `${head}…`;
}

/** The AWS-RunShellScript runtime parameters for one command. */
export function runShellScriptParameters(text: string, executionTimeoutSeconds: number): Record<string, string[]> {
  return { commands: [text], executionTimeout: [String(executionTimeoutSeconds)] };
}

/**
 * Size that counts against SSM's 64 KB: the runtime parameters as sent (JSON, UTF-8). This is at least
 * the byte length of the command text, a little more for its escaped newlines and quotes.
 */
export function parametersBytes(parameters: Record<string, string[]>): number {
  return Buffer.byteLength(JSON.stringify(parameters), 'utf8');
}
