// One base class and named subclasses. Step Functions matches Retry/Catch on `name`, so the
// names below are part of the workflows' contract: rename one only together with the workflows.
export class EtcdHaError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The input does not satisfy its schema; `problems` lists "field.path: rule" lines. */
export class SpecValidationError extends EtcdHaError {
  readonly problems: readonly string[];
  constructor(subject: string, problems: readonly string[]) {
    super(`invalid ${subject}:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}
