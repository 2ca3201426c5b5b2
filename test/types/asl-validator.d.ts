// asl-validator 4 ships JavaScript without type declarations; this is the part the tests use.
declare module 'asl-validator' {
  interface ValidationResult {
    readonly isValid: boolean;
    readonly errors: ReadonlyArray<{ readonly message?: string; readonly path?: string }>;
  }
  /** Validates an ASL definition. It mutates its argument: pass a copy. */
  export default function validator(definition: unknown): ValidationResult;
}
