// ClusterLock on one machine, with the semantics of the DynamoDB lock: <dir>/<cluster>.lock holds
// { owner, ref, acquiredAt, expiresAt } and is replaced atomically (temp file + rename). Every read-decide-write
// runs under a guard, <dir>/<cluster>.lock.guard, created with O_EXCL and removed right after: so two
// processes never both take the lock, and a release never deletes a lock someone else just took.
// The section under the guard is synchronous, so it lasts milliseconds; a guard older than GUARD_STALE_MS
// is left over from a process that died inside it, and is broken. Asking whether an expired lock's holder
// has ended is not synchronous: it happens between two guarded sections, and the takeover goes ahead only if
// the lock file still names the owner and expiry that were read (as the DynamoDB lock's conditional write).
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { isAbsolute, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClusterLockLostError, EtcdHaError, SpecValidationError } from '../../core/errors';
import type { ClusterLock, ExecutionLiveness, LockHolder, LockOutcome } from '../../ports';

export interface FileClusterLockProps {
  /** Directory of the lock files; created 0700 on the first acquire. */
  readonly dir: string;
  /** Asked, before an expired lock is taken over, whether its holder has ended (ProcessExecutionLiveness). */
  readonly liveness: ExecutionLiveness;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /**
   * How long an acquire or release waits for another process's guard before giving up.
   * @default 5000 ms
   */
  readonly guardTimeoutMs?: number;
}

/** What a lock file holds. */
export interface LockFile {
  readonly owner: string;
  /** Absent in a lock file written before holder references were recorded. */
  readonly ref?: string;
  readonly acquiredAt: string;
  readonly expiresAt: string;
}

const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A guard is held for a few synchronous file operations: one this old belongs to a process that died. */
export const GUARD_STALE_MS = 10_000;
const GUARD_POLL_MS = 5;
/** Times a lock is asked for again when it changed while an expired holder was asked whether it has ended. */
const ACQUIRE_ATTEMPTS = 3;

function isCode(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}

function refused(held: LockFile, expired: boolean): LockOutcome {
  return {
    acquired: false,
    heldBy: held.owner,
    since: held.acquiredAt,
    expiresAt: held.expiresAt,
    expired,
    ...(held.ref !== undefined && { holderRef: held.ref }),
  };
}

function checkTtl(ttlSeconds: number): void {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new RangeError(`ttlSeconds must be a whole number ≥ 1, got ${ttlSeconds}`);
}

/** "execution X does not hold the lock of cluster C (execution Y holds it since T)", for ClusterLockLostError. */
export function lockLostMessage(clusterName: string, owner: string, holder: { owner: string; acquiredAt: string } | undefined): string {
  return `execution ${owner} does not hold the lock of cluster ${clusterName} (${holder ? `execution ${holder.owner} holds it since ${holder.acquiredAt}` : 'nobody holds it'})`;
}

export class FileClusterLock implements ClusterLock {
  private readonly dir: string;
  private readonly liveness: ExecutionLiveness;
  private readonly now: () => Date;
  private readonly guardTimeoutMs: number;

  constructor(props: FileClusterLockProps) {
    if (!isAbsolute(props.dir)) throw new RangeError(`dir must be an absolute path, got "${props.dir}"`);
    if (props.liveness === undefined) throw new RangeError('liveness is required: an expired lock is taken over only once its holder has ended');
    const guardTimeoutMs = props.guardTimeoutMs ?? 5_000;
    if (!(guardTimeoutMs >= 0)) throw new RangeError(`guardTimeoutMs must be ≥ 0, got ${guardTimeoutMs}`);
    this.dir = resolve(props.dir);
    this.liveness = props.liveness;
    this.now = props.now ?? (() => new Date());
    this.guardTimeoutMs = guardTimeoutMs;
  }

  /** The lock file of `clusterName`. */
  pathOf(clusterName: string): string {
    if (!CLUSTER_NAME.test(clusterName)) {
      throw new SpecValidationError('cluster name', [`"${clusterName}" must be a DNS-1123 label (lower-case letters, digits, "-")`]);
    }
    return join(this.dir, `${clusterName}.lock`);
  }

  /**
   * Takes the lock when it is free or already `holder.owner`'s (expiresAt is pushed out, acquiredAt kept), or,
   * once past its expiresAt, when its holder's execution has ended (the previous owner comes back as
   * `tookOverFrom`). The takeover happens only if the lock file still names the owner and expiry that were read.
   */
  async acquire(clusterName: string, holder: LockHolder, ttlSeconds: number): Promise<LockOutcome> {
    const path = this.pathOf(clusterName);
    if (holder.owner === '') throw new RangeError('owner must name the execution taking the lock, got ""');
    if (holder.ref === '') throw new RangeError(`ref must tell how to ask whether execution ${holder.owner} still runs, got ""`);
    checkTtl(ttlSeconds);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const fresh = (now: Date, acquiredAt = now.toISOString()): LockFile => ({
      owner: holder.owner,
      ref: holder.ref,
      acquiredAt,
      expiresAt: new Date(now.getTime() + ttlSeconds * 1000).toISOString(),
    });

    for (let attempt = 1; ; attempt += 1) {
      const first = await this.underGuard(path, (): LockOutcome | { readonly askAbout: LockFile } => {
        const now = this.now();
        const held = this.read(path);
        if (held === undefined || held.owner === holder.owner) {
          this.write(path, fresh(now, held?.acquiredAt));
          return { acquired: true };
        }
        return Date.parse(held.expiresAt) >= now.getTime() ? refused(held, false) : { askAbout: held };
      });
      if (!('askAbout' in first)) return first;

      const held = first.askAbout;
      // A lock file written before references were recorded cannot be asked about: expiry alone decides, as it did then.
      if (held.ref !== undefined && !(await this.liveness.hasEnded(held.ref))) return refused(held, true);
      const taken = await this.underGuard(path, () => {
        const current = this.read(path);
        if (current?.owner !== held.owner || current.expiresAt !== held.expiresAt) return false;
        this.write(path, fresh(this.now()));
        return true;
      });
      if (taken) return { acquired: true, tookOverFrom: held.owner };
      // Renewed, released or taken by someone else while its holder was asked: ask again.
      if (attempt >= ACQUIRE_ATTEMPTS) throw new EtcdHaError(`the lock of cluster "${clusterName}" changed hands ${attempt} times while taking it`);
    }
  }

  /** Pushes expiresAt out to now + ttlSeconds while `owner` holds the lock (expired or not). */
  async extend(clusterName: string, owner: string, ttlSeconds: number): Promise<void> {
    checkTtl(ttlSeconds);
    await this.whileHeldBy(clusterName, owner, (path, held) => {
      this.write(path, { ...held, expiresAt: new Date(this.now().getTime() + ttlSeconds * 1000).toISOString() });
    });
  }

  /** Removes the lock only when `owner` holds it; otherwise (free, or someone else's) nothing happens. */
  async release(clusterName: string, owner: string): Promise<void> {
    const path = this.pathOf(clusterName);
    if (!this.dirExists()) return; // no lock was ever taken here
    await this.underGuard(path, () => {
      if (this.read(path)?.owner === owner) rmSync(path, { force: true });
    });
  }

  /**
   * Runs `section` (synchronous) under the lock's guard, only while `owner` holds the cluster's lock: what the
   * file registry writes a record under, so that the holder cannot lose the lock between the check and the write.
   * @throws ClusterLockLostError when `owner` does not hold it; `section` does not run
   */
  async whileHeldBy<T>(clusterName: string, owner: string, section: (path: string, held: LockFile) => T): Promise<T> {
    const path = this.pathOf(clusterName);
    if (!this.dirExists()) throw new ClusterLockLostError(lockLostMessage(clusterName, owner, undefined));
    return this.underGuard(path, () => {
      const held = this.read(path);
      if (held?.owner !== owner) throw new ClusterLockLostError(lockLostMessage(clusterName, owner, held));
      return section(path, held);
    });
  }

  private dirExists(): boolean {
    try {
      statSync(this.dir);
      return true;
    } catch (error) {
      if (isCode(error, 'ENOENT')) return false;
      throw error;
    }
  }

  private read(path: string): LockFile | undefined {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if (isCode(error, 'ENOENT')) return undefined;
      throw error;
    }
    try {
      const lock = JSON.parse(text) as LockFile;
      if (
        typeof lock.owner === 'string' &&
        (lock.ref === undefined || typeof lock.ref === 'string') &&
        typeof lock.acquiredAt === 'string' &&
        typeof lock.expiresAt === 'string'
      ) {
        return lock;
      }
    } catch {
      // reported below
    }
    throw new EtcdHaError(`the lock file ${path} is not a lock ({ owner, ref, acquiredAt, expiresAt }); remove it if no change is running`);
  }

  private write(path: string, lock: LockFile): void {
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      writeFileSync(tmp, `${JSON.stringify(lock)}\n`, { mode: 0o600, flag: 'wx' });
      chmodSync(tmp, 0o600);
      renameSync(tmp, path);
    } catch (error) {
      rmSync(tmp, { force: true });
      throw error;
    }
  }

  /** Runs `section` (synchronous) while holding `<path>.guard`, created with O_EXCL. */
  private async underGuard<T>(path: string, section: () => T): Promise<T> {
    const guard = `${path}.guard`;
    const deadline = Date.now() + this.guardTimeoutMs;
    for (;;) {
      let fd: number;
      try {
        fd = openSync(guard, 'wx', 0o600);
      } catch (error) {
        if (!isCode(error, 'EEXIST')) throw error;
        this.breakIfStale(guard);
        if (Date.now() > deadline) {
          throw new EtcdHaError(`the lock guard ${guard} stayed taken for ${this.guardTimeoutMs} ms; another process is changing the lock`);
        }
        await sleep(GUARD_POLL_MS);
        continue;
      }
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      try {
        return section();
      } finally {
        rmSync(guard, { force: true });
      }
    }
  }

  private breakIfStale(guard: string): void {
    try {
      if (Date.now() - statSync(guard).mtimeMs > GUARD_STALE_MS) unlinkSync(guard);
    } catch (error) {
      if (!isCode(error, 'ENOENT')) throw error;
    }
  }
}
