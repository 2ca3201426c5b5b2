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
