// The real `etcd-ha` command as a child process, against a private ETCD_HA_HOME (never ~/.etcd-ha),
// timed from spawn to exit, and what its progress lines say about where the time went.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { CLI } from '../test/support/local-cli';

export interface CliTiming {
  readonly ms: number;
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `cli`: the bin/etcd-ha.js to run, this checkout's by default (another checkout's for a comparison). */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv, cli = CLI, timeoutMs = 180_000): Promise<CliTiming> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let exitedAt = 0;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', () => (exitedAt = performance.now()));
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ ms: (exitedAt || performance.now()) - started, status, stdout, stderr });
    });
  });
}

/** What one `local up` (or `local replace`: the same progress lines) printed, reduced to the numbers the report shows. */
export interface UpBreakdown {
  readonly transitions: number;
  /** Top-level states in the order they finished, with their ms, retries included (the per-host Map counts once). */
  readonly states: Readonly<Record<string, number>>;
  /** Slowest host, per per-host state. */
  readonly slowestHost: Readonly<Record<string, number>>;
  /** Check Health rounds (healthy or not). */
  readonly healthChecks: number;
  /** Retries per state, for the states that were retried. */
  readonly retries: Readonly<Record<string, number>>;
}

const DONE = /^ {2}✓ (.+?)(?: \[(.+)\])? \((\d+) ms\)$/;
const NOT_YET = /^ {2}… Check Health/;
const RETRIED = /^ {2}↻ (.+?)(?: \[.+\])?: retrying$/;
const TRANSITIONS = /\((\d+) state transitions\)/;

export function parseUpOutput(stdout: string): UpBreakdown {
  const match = TRANSITIONS.exec(stdout);
  if (!match) throw new Error(`no "(N state transitions)" in the output of the workflow:\n${stdout}`);
  const states: Record<string, number> = {};
  const slowestHost: Record<string, number> = {};
  const retries: Record<string, number> = {};
  let healthChecks = 0;
  for (const line of stdout.split('\n')) {
    if (NOT_YET.test(line)) healthChecks += 1;
    const retried = RETRIED.exec(line)?.[1];
    if (retried !== undefined) retries[retried] = (retries[retried] ?? 0) + 1;
    const done = DONE.exec(line);
    if (!done) continue;
    const [, state = '', host, ms = '0'] = done;
    if (state === 'Check Health') healthChecks += 1;
    if (host !== undefined) slowestHost[state] = Math.max(slowestHost[state] ?? 0, Number(ms));
    else states[state] = (states[state] ?? 0) + Number(ms);
  }
  return { transitions: Number(match[1]), states, slowestHost, healthChecks, retries };
}
