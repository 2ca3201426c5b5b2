// Processes a test starts, stopped by PID by the test itself, also when it fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface StartedProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  readonly logFile: string;
}

/** Alive and not a zombie (a killed child can linger as a zombie until it is reaped). */
export function isRunning(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  try {
    const state = readFileSync(stat, 'utf8').split(') ')[1]?.[0];
    return state !== undefined && state !== 'Z';
  } catch {
    return false;
  }
}

export async function waitUntilGone(pid: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(pid)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} still running after ${timeoutMs} ms`);
    await sleep(25);
  }
}

export class ProcessGroup {
  private readonly started: StartedProcess[] = [];

  start(command: string, args: string[], options: { env: NodeJS.ProcessEnv; logFile: string; cwd?: string }): StartedProcess {
    const log = openSync(options.logFile, 'a');
    const child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', log, log] });
    closeSync(log);
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    const started = { pid: child.pid, child, logFile: options.logFile };
    this.started.push(started);
    return started;
  }

  async kill(pid: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (isRunning(pid)) process.kill(pid, signal);
    await waitUntilGone(pid);
  }

  /** SIGTERM, then SIGKILL for whatever is still there; waits until every PID is gone. */
  async stopAll(): Promise<void> {
    for (const { pid } of this.started) if (isRunning(pid)) process.kill(pid, 'SIGTERM');
    for (const { pid } of this.started) {
      try {
        await waitUntilGone(pid, 5_000);
      } catch {
        if (isRunning(pid)) process.kill(pid, 'SIGKILL');
        await waitUntilGone(pid);
      }
    }
    this.started.length = 0;
  }
}
