// A moto_server on a free loopback port for integration tests, stopped by its PID.
// Usage: `const moto = await startMoto()` in before(), `await moto?.stop()` in after().
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunning, waitUntilGone } from './processes';

export interface Moto {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  /** Client settings for any SDK v3 client: endpoint, us-east-1, dummy credentials. */
  readonly clientConfig: {
    readonly endpoint: string;
    readonly region: string;
    readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  };
  /** SIGTERM, then SIGKILL if needed; resolves once the process is gone. Safe to call twice. */
  stop(): Promise<void>;
}

/** A port the kernel has just handed out on 127.0.0.1 (free at that moment). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port from the kernel');
  return address.port;
}

export async function startMoto(options: { readyTimeoutMs?: number } = {}): Promise<Moto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const logDir = mkdtempSync(join(tmpdir(), 'etcd-ha-moto-'));
  const logFile = join(logDir, 'moto.log');
  const log = openSync(logFile, 'a');
  // moto_server may be a pyenv shim: it exec()s into Python, so the PID stays the server's.
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', log, log],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  closeSync(log);
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  spawnError.catch(() => undefined);
  if (child.pid === undefined) {
    await spawnError;
    throw new Error('could not start moto_server');
  }
  const pid = child.pid;

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (isRunning(pid)) process.kill(pid, 'SIGTERM');
    try {
      await waitUntilGone(pid, 5_000);
    } catch {
      if (isRunning(pid)) process.kill(pid, 'SIGKILL');
      await waitUntilGone(pid);
    }
    rmSync(logDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
  try {
    for (;;) {
      if (!isRunning(pid)) throw new Error(`moto_server exited before it answered:\n${readFileSync(logFile, 'utf8')}`);
      try {
        const answer = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
        await answer.arrayBuffer();
        if (answer.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`moto_server did not answer on ${endpoint}:\n${readFileSync(logFile, 'utf8')}`);
      await sleep(100);
    }
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    endpoint,
    port,
    pid,
    clientConfig: { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } },
    stop,
  };
}
