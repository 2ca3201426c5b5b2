// FileClusterLock (and FileClusterRegistry writing under it): the ClusterLock cases shared with the DynamoDB
// lock, then what only files have (the guard, a corrupt or older lock file, several processes racing for one lock).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FileClusterLock } from '../../../lambdas/adapters/local/file-cluster-lock';
import { FileClusterRegistry } from '../../../lambdas/adapters/local/file-cluster-registry';
import { ClusterLockLostError } from '../../../lambdas/core/errors';
import type { LockHolder } from '../../../lambdas/ports';
import { CLUSTER_LOCK_CASES, FakeLiveness, ManualClock } from '../../support/cluster-lock-cases';

const A: LockHolder = { owner: 'exec-a', ref: 'ref-a' };
/** For the tests below, where no expired lock is ever taken over: every holder still runs. */
const running = new FakeLiveness();

describe('FileClusterLock', () => {
  const work = mkdtempSync(join(tmpdir(), 'etcd-ha-lock-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  CLUSTER_LOCK_CASES.forEach((c, i) => {
    test(c.title, async () => {
      const clock = new ManualClock();
      const liveness = new FakeLiveness(c.answerOnceAsked);
      const lock = new FileClusterLock({ dir: join(work, `case${i}`, 'locks'), liveness, now: clock.now });
      const registry = new FileClusterRegistry({ dir: join(work, `case${i}`, 'registry'), lock });
      await c.run({ lock, registry, clock, liveness, cluster: `demo${i}` });
    });
  });

  test('keeps one 0600 lock file per cluster, and no guard or temp file once done', async () => {
    const dir = join(work, 'files');
    const lock = new FileClusterLock({ dir, liveness: running, now: () => new Date('2025-06-01T12:00:00.000Z') });
    assert.deepEqual(await lock.acquire('demo', A, 60), { acquired: true });
    assert.deepEqual(readdirSync(dir), ['demo.lock']);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'demo.lock'), 'utf8')), {
      owner: 'exec-a',
      ref: 'ref-a',
      acquiredAt: '2025-06-01T12:00:00.000Z',
      expiresAt: '2025-06-01T12:01:00.000Z',
    });
    assert.equal((statSync(join(dir, 'demo.lock')).mode & 0o777).toString(8), '600');
    assert.equal((statSync(dir).mode & 0o777).toString(8), '700');
    await lock.release('demo', 'exec-a');
    assert.deepEqual(readdirSync(dir), []);
  });

  test('a release in a directory that does not exist is a no-op and creates nothing', async () => {
    const dir = join(work, 'never');
    await new FileClusterLock({ dir, liveness: running }).release('demo', 'exec-a');
    await assert.rejects(() => new FileClusterLock({ dir, liveness: running }).extend('demo', 'exec-a', 60), ClusterLockLostError);
    assert.equal(existsSync(dir), false);
  });

  test('waits for a guard another process holds, and breaks one left over by a dead process', async () => {
    const dir = join(work, 'guard');
    mkdirSync(dir, { recursive: true });
    const guard = join(dir, 'demo.lock.guard');
    writeFileSync(guard, '999999\n');
    await assert.rejects(
      () => new FileClusterLock({ dir, liveness: running, guardTimeoutMs: 50 }).acquire('demo', A, 60),
      /lock guard .*demo\.lock\.guard stayed taken for 50 ms/,
    );
    const old = new Date(Date.now() - 60_000);
    utimesSync(guard, old, old);
    assert.deepEqual(await new FileClusterLock({ dir, liveness: running, guardTimeoutMs: 50 }).acquire('demo', A, 60), { acquired: true });
    assert.equal(existsSync(guard), false);
  });

  test('a lock file that is not a lock is an error naming the file', async () => {
    const dir = join(work, 'corrupt');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'demo.lock'), '{"owner": 1}');
    await assert.rejects(() => new FileClusterLock({ dir, liveness: running }).acquire('demo', A, 60), /demo\.lock is not a lock/);
  });

  test('an expired lock file written before holder references were recorded is taken over without asking', async () => {
    const dir = join(work, 'older');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'demo.lock'), JSON.stringify({ owner: 'exec-old', acquiredAt: '2025-06-01T10:00:00.000Z', expiresAt: '2025-06-01T11:00:00.000Z' }));
    const liveness = new FakeLiveness();
    const lock = new FileClusterLock({ dir, liveness, now: () => new Date('2025-06-01T12:00:00.000Z') });
    assert.deepEqual(await lock.acquire('demo', A, 60), { acquired: true, tookOverFrom: 'exec-old' });
    assert.deepEqual(liveness.asked, []);
  });

  test('a registry built without the lock refuses a put with lockOwner, and writes nothing', async () => {
    const dir = join(work, 'no-lock-registry');
    const registry = new FileClusterRegistry({ dir });
    const record = { clusterName: 'demo', runtime: 'systemd', members: [], secrets: {}, updatedAt: 'x', spec: {} };
    await assert.rejects(() => registry.put(record, { lockOwner: 'exec-a' }), /a record written for lock owner exec-a needs the registry's lock \(props\.lock\)/);
    assert.equal(await registry.get('demo'), undefined);
  });

  test('refuses a relative dir', () => {
    assert.throws(() => new FileClusterLock({ dir: 'locks', liveness: running }), /dir must be an absolute path, got "locks"/);
  });

  test('of 8 processes racing for one lock, exactly one acquires it', async () => {
    const dir = join(work, 'race');
    const script = [
      `const { FileClusterLock } = require(${JSON.stringify(require.resolve('../../../lambdas/adapters/local/file-cluster-lock'))});`,
      `new FileClusterLock({ dir: ${JSON.stringify(dir)}, liveness: { hasEnded: async () => false } })`,
      `  .acquire('demo', { owner: process.argv[1], ref: 'ref-' + process.argv[1] }, 60)`,
      '  .then((outcome) => process.stdout.write(JSON.stringify(outcome)));',
    ].join('\n');
    const run = (owner: string) =>
      new Promise<{ acquired: boolean }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '-e', script, owner], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.once('error', reject);
        child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`racer ${owner} exited ${code}`))));
      });
    const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => run(`exec-${i}`)));
    assert.equal(outcomes.filter((o) => o.acquired).length, 1, JSON.stringify(outcomes));
    assert.deepEqual(readdirSync(dir), ['demo.lock']);
  });
});
