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

/** Base of the PKI errors: the etcd certificates cannot be issued or reused as asked. */
export class PkiError extends EtcdHaError {}

/** The stored etcd CA's certificate and key are not a pair: refusing to sign with it or replace it. */
export class CaKeyMismatchError extends PkiError {}

/** The stored etcd CA cannot be reused (unreadable, not a CA, or expired); replacing it is a deliberate act. */
export class CaUnusableError extends PkiError {}

/** A member needs an address before its server and peer certificates can carry it as a SAN. */
export class MemberAddressMissingError extends PkiError {
  readonly member: string;
  constructor(member: string) {
    super(`member "${member}" has no address; its etcd server and peer certificates need one as an IP SAN`);
    this.member = member;
  }
}

/** A host bundle would carry the etcd CA key, which must never leave the PKI step. */
export class CaKeyInBundleError extends PkiError {}
