// Where the CLI writes: injectable so that tests can capture it and check it for key material.
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

export const consoleOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The first line of a (multi-line) message, with "(…)" when more follows: one line per state in progress output. */
export function firstLine(text: string): string {
  const [first, ...rest] = text.split('\n');
  return rest.length > 0 ? `${first} (…)` : first!;
}

/** The exit codes of every command (also in `etcd-ha --help` and the README). */
export const EXIT = {
  /** The command did what was asked (a workflow succeeded; the cluster is healthy). */
  done: 0,
  /** It failed: a workflow failed, timed out or was aborted, or an AWS call or a local host failed. */
  failed: 1,
  /** The command line or an input file was refused before anything started. */
  usage: 2,
  /** `status` ran and the cluster is not healthy. */
  notHealthy: 3,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0  done (the workflow succeeded, the cluster is healthy)
  1  failed (a workflow failed, timed out or was aborted; an AWS call or a local host failed)
  2  usage error (an unknown command or option, a missing argument, a spec or option value refused); nothing started
  3  not healthy (status: the cluster answered, but not every member is healthy)`;

/** How a command that reports a cluster or an execution prints its result. */
export type OutputFormat = 'text' | 'json';

/**
 * With `-o json`, stdout carries one JSON document (the result) and everything else, progress included, goes to
 * stderr: `etcd-ha local up -o json | jq .members` works while the progress still shows.
 */
export function progressOutput(output: Output, format: OutputFormat): Output {
  return format === 'json' ? { out: output.err, err: output.err } : output;
}

export function printJson(output: Output, value: unknown): void {
  output.out(JSON.stringify(value, null, 2));
}
