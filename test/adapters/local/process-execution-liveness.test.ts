// ProcessExecutionLiveness and localExecutionRef on this machine's /proc: this process still runs; a child that
// was killed has ended (once reaped, and as a zombie before); a PID with another start time (the kernel hands
// PIDs out again) has ended; a ref of another shape is an error. Then the file lock with it: an expired lock of
// a killed process is taken over, this process's is not.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessExecutionLiveness, localExecutionRef } from '../../../lambdas/adapters/local/process-execution-liveness';
import { FileClusterLock } from '../../../lambdas/adapters/local/file-cluster-lock';
import { EtcdHaError } from '../../../lambdas/core/errors';
import { isRunning, waitUntilGone } from '../../support/processes';

/** A child that sleeps until killed; the test kills it by its PID. */
function sleeper(): ChildProcess & { pid: number } {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  if (child.pid === undefined) throw new Error('could not start sleep');
  return child as ChildProcess & { pid: number };
}

const state = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(') ') + 2)[0];
};

describe('ProcessExecutionLiveness', () => {
  const liveness = new ProcessExecutionLiveness();
  const children: Array<ChildProcess & { pid: number }> = [];
  const work = mkdtempSync(join(tmpdir(), 'etcd-ha-liveness-'));
  after(async () => {
    for (const child of children) {
      if (isRunning(child.pid)) process.kill(child.pid, 'SIGKILL');
      await waitUntilGone(child.pid);
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('localExecutionRef is "local:<pid>:<start time>" of this process, which has not ended', async () => {
    const ref = localExecutionRef();
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const start = stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[22 - 3];
    assert.equal(ref, `local:${process.pid}:${start}`);
    assert.equal(await liveness.hasEnded(ref), false);
  });

  it('a child that runs has not ended; killed, it has: as a zombie before it is reaped, and once gone', async (t) => {
    const child = sleeper();
    children.push(child);
    const ref = localExecutionRef(child.pid);
    assert.equal(await liveness.hasEnded(ref), false);

    // Not reaped until Node sees its exit: for a moment it is a zombie with the same PID and start time.
    const exited = once(child, 'exit');
    process.kill(child.pid, 'SIGKILL');
    const deadline = Date.now() + 5_000;
    let sawZombie = false;
    while (Date.now() < deadline) {
      try {
        if (state(child.pid) === 'Z') {
          sawZombie = true;
          assert.equal(await liveness.hasEnded(ref), true, 'a zombie has ended');
          break;
        }
      } catch {
        break; // already reaped
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await exited;
    await waitUntilGone(child.pid);
    assert.equal(await liveness.hasEnded(ref), true);
    assert.throws(() => localExecutionRef(child.pid), /process \d+ has no \/proc\/\d+\/stat/);
    if (!sawZombie) t.diagnostic('the child was reaped before its zombie state could be seen');
  });

  it('a PID whose start time is not the recorded one (the PID was handed out again) has ended', async () => {
    const [, pid, start] = localExecutionRef().split(':');
    assert.equal(await liveness.hasEnded(`local:${pid}:${Number(start) + 1}`), true);
    assert.equal(await liveness.hasEnded(`local:${pid}:0`), true);
  });

  it('a ref of another shape is an error naming it', async () => {
    for (const ref of ['arn:aws:states:us-east-1:123456789012:execution:M:e', 'local:0:1', 'local:12', `local:${process.pid}:x`, '']) {
      await assert.rejects(
        () => liveness.hasEnded(ref),
        (error: Error) => error instanceof EtcdHaError && error.message.startsWith(`lock holder "${ref}" is not a local execution reference`),
      );
    }
  });

  it('with the file lock: an expired lock of a killed process is taken over, an expired lock of this process is not', async () => {
    let now = new Date('2025-06-01T12:00:00.000Z');
    const lock = new FileClusterLock({ dir: join(work, 'locks'), liveness, now: () => now });
    const child = sleeper();
    children.push(child);
    assert.deepEqual(await lock.acquire('dead', { owner: 'local-dead', ref: localExecutionRef(child.pid) }, 60), { acquired: true });
    assert.deepEqual(await lock.acquire('alive', { owner: 'local-alive', ref: localExecutionRef() }, 60), { acquired: true });
    process.kill(child.pid, 'SIGKILL');
    await once(child, 'exit');
    await waitUntilGone(child.pid);

    now = new Date('2025-06-01T12:05:00.000Z');
    const taker = { owner: 'local-taker', ref: localExecutionRef() };
    assert.deepEqual(await lock.acquire('dead', taker, 60), { acquired: true, tookOverFrom: 'local-dead' });
    const refused = await lock.acquire('alive', taker, 60);
    assert.equal(refused.acquired, false);
    assert.equal(!refused.acquired && refused.expired, true);
    assert.equal(!refused.acquired && refused.holderRef, localExecutionRef());
  });
});
