// Acquire Lock, Renew Lock and Release Lock over the file lock with a fake ExecutionLiveness (the lock's own
// semantics are test/support/cluster-lock-cases.ts): the input each takes, what ClusterLockedError says (who holds
// the lock, since when, and for an expired lock that its execution still runs), a takeover from an ended
// execution, and a renewal that pushes the expiry out or fails with ClusterLockLostError once the lock is lost.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FileClusterLock } from '../../lambdas/adapters/local/file-cluster-lock';
import { ClusterLockedError, ClusterLockLostError, SpecValidationError } from '../../lambdas/core/errors';
import type { Logger } from '../../lambdas/ports';
import { LOCK_TTL_SECONDS, makeLockSteps } from '../../lambdas/steps/replace/lock-steps';
import { FakeLiveness, ManualClock } from '../support/cluster-lock-cases';

const quiet: Logger = { info: () => undefined, warn: () => undefined };
const A = { clusterName: 'demo', owner: 'exec-a', holder: 'arn:aws:states:eu-west-1:123456789012:execution:ReplaceMember:exec-a' };
const B = { clusterName: 'demo', owner: 'exec-b', holder: 'arn:aws:states:eu-west-1:123456789012:execution:ReplaceMember:exec-b' };

describe('lock steps', () => {
  const work = mkdtempSync(join(tmpdir(), 'etcd-ha-lock-steps-'));
  after(() => rmSync(work, { recursive: true, force: true }));
  let n = 0;
  const setup = () => {
    const clock = new ManualClock();
    const liveness = new FakeLiveness();
    const dir = join(work, `case${(n += 1)}`);
    const steps = makeLockSteps({ lock: new FileClusterLock({ dir, liveness, now: clock.now }), clock, log: quiet });
    return { clock, liveness, steps, dir };
  };

  it('the lock lasts 15 minutes past its last acquire or renewal', () => {
    assert.equal(LOCK_TTL_SECONDS, 900);
  });

  it('Acquire Lock takes { clusterName, owner, holder } and records the holder; without a holder it is refused', async () => {
    const { steps, dir } = setup();
    assert.deepEqual(await steps.acquireLock(A), { owner: 'exec-a' });
    assert.equal(JSON.parse(readFileSync(join(dir, 'demo.lock'), 'utf8')).ref, A.holder);
    await assert.rejects(
      () => steps.acquireLock({ clusterName: 'demo', owner: 'exec-a' }),
      (error: Error) => error instanceof SpecValidationError && /Acquire Lock input/.test(error.message) && /holder/.test(error.message),
    );
  });

  it('a lock held by another execution is refused, naming it, since when and until when', async () => {
    const { steps, clock } = setup();
    await steps.acquireLock(A);
    clock.advanceSeconds(30);
    await assert.rejects(
      () => steps.acquireLock(B),
      (error: Error) =>
        error instanceof ClusterLockedError &&
        error.message ===
          'cluster demo is locked by execution exec-a since 2025-06-01T12:00:00.000Z (until 2025-06-01T12:15:00.000Z): another membership change is running (one at a time)',
    );
  });

  it('an expired lock whose execution still runs is refused, saying so; once it has ended it is taken over', async () => {
    const { steps, clock, liveness } = setup();
    await steps.acquireLock(A);
    clock.advanceSeconds(LOCK_TTL_SECONDS + 60);
    await assert.rejects(
      () => steps.acquireLock(B),
      (error: Error) =>
        error instanceof ClusterLockedError &&
        error.message ===
          `cluster demo is locked by execution exec-a since 2025-06-01T12:00:00.000Z; its lock expired at 2025-06-01T12:15:00.000Z but its execution ${A.holder} still runs: another membership change is running (one at a time)`,
    );
    liveness.ended.add(A.holder);
    assert.deepEqual(await steps.acquireLock(B), { owner: 'exec-b', tookOverFrom: 'exec-a' });
  });

  it('Renew Lock pushes the expiry out and says until when; once the lock is lost it throws ClusterLockLostError', async () => {
    const { steps, clock, liveness } = setup();
    await steps.acquireLock(A);
    clock.advanceSeconds(600);
    assert.deepEqual(await steps.renewLock({ clusterName: 'demo', owner: 'exec-a', holder: A.holder }), { renewed: true, until: '2025-06-01T12:25:00.000Z' });
    liveness.ended.add(A.holder); // only the renewed expiry keeps B out now
    clock.advanceSeconds(600);
    await assert.rejects(() => steps.acquireLock(B), /since 2025-06-01T12:00:00.000Z \(until 2025-06-01T12:25:00.000Z\)/);
    await assert.rejects(() => steps.renewLock({ clusterName: 'demo', owner: 'exec-b' }), ClusterLockLostError);
    assert.deepEqual(await steps.releaseLock({ clusterName: 'demo', owner: 'exec-a' }), { released: true });
    await assert.rejects(
      () => steps.renewLock({ clusterName: 'demo', owner: 'exec-a' }),
      (error: Error) => error instanceof ClusterLockLostError && error.message === 'execution exec-a does not hold the lock of cluster demo (nobody holds it)',
    );
  });
});
