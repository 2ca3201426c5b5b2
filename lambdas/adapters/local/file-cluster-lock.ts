// ClusterLock on one machine, with the semantics of the DynamoDB lock: <dir>/<cluster>.lock holds
// { owner, acquiredAt, expiresAt } and is replaced atomically (temp file + rename). Every read-decide-write
// runs under a guard, <dir>/<cluster>.lock.guard, created with O_EXCL and removed right after: so two
// processes never both take the lock, and a release never deletes a lock someone else just took.
// The section under the guard is synchronous, so it lasts milliseconds; a guard older than GUARD_STALE_MS
// is left over from a process that died inside it, and is broken.
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { isAbsolute, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EtcdHaError, SpecValidationError } from '../../core/errors';
import type { ClusterLock, LockOutcome } from '../../ports';

export interface FileClusterLockProps {
  /** Directory of the lock files; created 0700 on the first acquire. */
  readonly dir: string;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /**
   * How long an acquire or release waits for another process's guard before giving up.
   * @default 5000 ms
   */
  readonly guardTimeoutMs?: number;
}

interface LockFile {
  readonly owner: string;
  readonly acquiredAt: string;
  readonly expiresAt: string;
}

const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A guard is held for a few synchronous file operations: one this old belongs to a process that died. */
export const GUARD_STALE_MS = 10_000;
const GUARD_POLL_MS = 5;

function isCode(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}

export class FileClusterLock implements ClusterLock {
  private readonly dir: string;
  private readonly now: () => Date;
  private readonly guardTimeoutMs: number;

  constructor(props: FileClusterLockProps) {
    if (!isAbsolute(props.dir)) throw new RangeError(`dir must be an absolute path, got "${props.dir}"`);
    const guardTimeoutMs = props.guardTimeoutMs ?? 5_000;
    if (!(guardTimeoutMs >= 0)) throw new RangeError(`guardTimeoutMs must be ≥ 0, got ${guardTimeoutMs}`);
    this.dir = resolve(props.dir);
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
   * Takes the lock when it is free, already `owner`'s (acquiredAt and expiresAt are renewed) or stale
   * (expiresAt, acquire time + ttlSeconds, is past: the previous owner comes back as `tookOverFrom`).
   */
  async acquire(clusterName: string, owner: string, ttlSeconds: number): Promise<LockOutcome> {
    const path = this.pathOf(clusterName);
    if (owner === '') throw new RangeError('owner must name the execution taking the lock, got ""');
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new RangeError(`ttlSeconds must be a whole number ≥ 1, got ${ttlSeconds}`);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });

    return this.underGuard(path, (): LockOutcome => {
      const now = this.now();
      const held = this.read(path);
      if (held !== undefined && held.owner !== owner && Date.parse(held.expiresAt) >= now.getTime()) {
        return { acquired: false, heldBy: held.owner, since: held.acquiredAt };
      }
      this.write(path, {
        owner,
        acquiredAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + ttlSeconds * 1000).toISOString(),
      });
      return held !== undefined && held.owner !== owner ? { acquired: true, tookOverFrom: held.owner } : { acquired: true };
    });
  }

  /** Removes the lock only when `owner` holds it; otherwise (free, or someone else's) nothing happens. */
  async release(clusterName: string, owner: string): Promise<void> {
    const path = this.pathOf(clusterName);
    try {
      statSync(this.dir);
    } catch (error) {
      if (isCode(error, 'ENOENT')) return; // no lock was ever taken here
      throw error;
    }
    await this.underGuard(path, () => {
      if (this.read(path)?.owner === owner) rmSync(path, { force: true });
    });
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
      if (typeof lock.owner === 'string' && typeof lock.acquiredAt === 'string' && typeof lock.expiresAt === 'string') return lock;
    } catch {
      // reported below
    }
    throw new EtcdHaError(`the lock file ${path} is not a lock ({ owner, acquiredAt, expiresAt }); remove it if no change is running`);
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
