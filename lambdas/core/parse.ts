// Turns zod's issues into messages that name the field path and the rule, e.g.
// `members[1].address: must be an IPv4 address such as 10.0.0.6`.
import type { z } from 'zod';
import { SpecValidationError } from './errors';

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

export function describeIssue(issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${formatPath([...issue.path, key])}: is not a known field`);
  }
  if (issue.code === 'invalid_key') {
    // A record key broke its own rule: report that rule, not zod's generic "Invalid key in record".
    return issue.issues.map((inner) => `${formatPath(issue.path)}: ${inner.message}`);
  }
  return [`${formatPath(issue.path)}: ${issue.message}`];
}

/** Parses `input` with `schema` or throws SpecValidationError listing every problem found. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, subject: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new SpecValidationError(subject, result.error.issues.flatMap(describeIssue));
}
