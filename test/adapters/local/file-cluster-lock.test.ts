// FileClusterLock: the ClusterLock cases shared with the DynamoDB lock, then what only files have
// (the guard, a corrupt lock file, several processes racing for one lock).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FileClusterLock } from '../../../lambdas/adapters/local/file-cluster-lock';
import { CLUSTER_LOCK_CASES, ManualClock } from '../../support/cluster-lock-cases';

describe('FileClusterLock', () => {
  const work = mkdtempSync(join(tmpdir(), 'etcd-ha-lock-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  CLUSTER_LOCK_CASES.forEach((c, i) => {
    test(c.title, async () => {
      const clock = new ManualClock();
      await c.run(new FileClusterLock({ dir: join(work, `case${i}`), now: clock.now }), clock, `demo${i}`);
    });
  });

  test('keeps one 0600 lock file per cluster, and no guard or temp file once done', async () => {
    const dir = join(work, 'files');
    const lock = new FileClusterLock({ dir });
    assert.deepEqual(await lock.acquire('demo', 'exec-a', 60), { acquired: true });
    assert.deepEqual(readdirSync(dir), ['demo.lock']);
    assert.equal((statSync(join(dir, 'demo.lock')).mode & 0o777).toString(8), '600');
    assert.equal((statSync(dir).mode & 0o777).toString(8), '700');
    await lock.release('demo', 'exec-a');
    assert.deepEqual(readdirSync(dir), []);
  });

  test('a release in a directory that does not exist is a no-op and creates nothing', async () => {
    const dir = join(work, 'never');
    await new FileClusterLock({ dir }).release('demo', 'exec-a');
    assert.equal(existsSync(dir), false);
  });

  test('waits for a guard another process holds, and breaks one left over by a dead process', async () => {
    const dir = join(work, 'guard');
    mkdirSync(dir, { recursive: true });
    const guard = join(dir, 'demo.lock.guard');
    writeFileSync(guard, '999999\n');
    await assert.rejects(
      () => new FileClusterLock({ dir, guardTimeoutMs: 50 }).acquire('demo', 'exec-a', 60),
      /lock guard .*demo\.lock\.guard stayed taken for 50 ms/,
    );
    const old = new Date(Date.now() - 60_000);
    utimesSync(guard, old, old);
    assert.deepEqual(await new FileClusterLock({ dir, guardTimeoutMs: 50 }).acquire('demo', 'exec-a', 60), { acquired: true });
    assert.equal(existsSync(guard), false);
  });

  test('a lock file that is not a lock is an error naming the file', async () => {
    const dir = join(work, 'corrupt');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'demo.lock'), '{"owner": 1}');
    await assert.rejects(() => new FileClusterLock({ dir }).acquire('demo', 'exec-a', 60), /demo\.lock is not a lock/);
  });

  test('refuses a relative dir', () => {
    assert.throws(() => new FileClusterLock({ dir: 'locks' }), /dir must be an absolute path, got "locks"/);
  });

  test('of 8 processes racing for one lock, exactly one acquires it', async () => {
    const dir = join(work, 'race');
    const script = [
      `const { FileClusterLock } = require(${JSON.stringify(require.resolve('../../../lambdas/adapters/local/file-cluster-lock'))});`,
      `new FileClusterLock({ dir: ${JSON.stringify(dir)} }).acquire('demo', process.argv[1], 60)`,
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
