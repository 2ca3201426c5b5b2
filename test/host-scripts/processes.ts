// Process helpers for tests that start real processes: every test stops what it started, by PID.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** argv[0] of a live process, or undefined when the PID does not exist (or is a zombie). */
export function argv0(pid: number): string | undefined {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline === '' ? undefined : cmdline.split('\0')[0];
  } catch {
    return undefined;
  }
}

/** True while the PID exists at all (a zombie still does). */
export function pidExists(pid: number): boolean {
  try {
    readFileSync(`/proc/${pid}/stat`);
    return true;
  } catch {
    return false;
  }
}

export async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * Stops `pid` if it still runs a program named `name` (never another process that reused the PID):
 * SIGTERM, up to 10 s, then SIGKILL; returns once the PID is gone or only a zombie is left after 15 s.
 */
export async function stopPid(pid: number, name: string): Promise<void> {
  if (!Number.isInteger(pid) || pid <= 1) return;
  const program = argv0(pid);
  if (program === undefined || program.split('/').pop() !== name) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (pidExists(pid) && Date.now() < deadline) await sleep(100);
  if (argv0(pid) !== undefined) process.kill(pid, 'SIGKILL');
  const killDeadline = Date.now() + 5_000;
  while (pidExists(pid) && Date.now() < killDeadline) await sleep(100);
}
