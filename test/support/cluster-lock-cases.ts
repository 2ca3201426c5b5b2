// The cases every ClusterLock must pass, shared by the local file lock's test and the DynamoDB lock's
// moto test, so that both prove the same semantics. Each case gets a fresh cluster name and its own clock.
import assert from 'node:assert/strict';
import { SpecValidationError } from '../../lambdas/core/errors';
import type { ClusterLock } from '../../lambdas/ports';

/** A clock a case moves by hand. */
export class ManualClock {
  private current: Date;
  constructor(start = '2025-06-01T12:00:00.000Z') {
    this.current = new Date(start);
  }
  readonly now = (): Date => new Date(this.current);
  advanceSeconds(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}

export interface ClusterLockCase {
  readonly title: string;
  run(lock: ClusterLock, clock: ManualClock, clusterName: string): Promise<void>;
}

const TTL = 60;

export const CLUSTER_LOCK_CASES: readonly ClusterLockCase[] = [
  {
    title: 'A acquires a free lock; B is refused and told A holds it since when',
    async run(lock, clock, cluster) {
      const since = clock.now().toISOString();
      assert.deepEqual(await lock.acquire(cluster, 'exec-a', TTL), { acquired: true });
      clock.advanceSeconds(5);
      assert.deepEqual(await lock.acquire(cluster, 'exec-b', TTL), { acquired: false, heldBy: 'exec-a', since });
    },
  },
  {
    title: 'A acquiring again succeeds (a retried step converges), without a takeover',
    async run(lock, clock, cluster) {
      assert.deepEqual(await lock.acquire(cluster, 'exec-a', TTL), { acquired: true });
      clock.advanceSeconds(10);
      assert.deepEqual(await lock.acquire(cluster, 'exec-a', TTL), { acquired: true });
      const refused = await lock.acquire(cluster, 'exec-b', TTL);
      assert.equal(refused.acquired, false);
      assert.equal(!refused.acquired && refused.heldBy, 'exec-a');
    },
  },
  {
    title: "a release by B is a no-op while A holds the lock; after A's release B acquires",
    async run(lock, clock, cluster) {
      assert.deepEqual(await lock.acquire(cluster, 'exec-a', TTL), { acquired: true });
      await lock.release(cluster, 'exec-b');
      const stillHeld = await lock.acquire(cluster, 'exec-b', TTL);
      assert.equal(!stillHeld.acquired && stillHeld.heldBy, 'exec-a');
      await lock.release(cluster, 'exec-a');
      clock.advanceSeconds(1);
      assert.deepEqual(await lock.acquire(cluster, 'exec-b', TTL), { acquired: true });
    },
  },
  {
    title: 'releasing a lock nobody took, or releasing twice, is a no-op',
    async run(lock, _clock, cluster) {
      await lock.release(cluster, 'exec-a');
      assert.deepEqual(await lock.acquire(cluster, 'exec-a', TTL), { acquired: true });
      await lock.release(cluster, 'exec-a');
      await lock.release(cluster, 'exec-a');
      assert.deepEqual(await lock.acquire(cluster, 'exec-b', TTL), { acquired: true });
    },
  },
  {
    title: 'a lock within its TTL holds; past its TTL it is stale and taken over, naming the previous owner',
    async run(lock, clock, cluster) {
      assert.deepEqual(await lock.acquire(cluster, 'exec-a', TTL), { acquired: true });
      clock.advanceSeconds(TTL - 5);
      assert.equal((await lock.acquire(cluster, 'exec-b', TTL)).acquired, false);
      clock.advanceSeconds(10);
      assert.deepEqual(await lock.acquire(cluster, 'exec-b', TTL), { acquired: true, tookOverFrom: 'exec-a' });
      // The new owner's lock is fresh: A, back from the dead, is refused and its release changes nothing.
      const refused = await lock.acquire(cluster, 'exec-a', TTL);
      assert.equal(!refused.acquired && refused.heldBy, 'exec-b');
      await lock.release(cluster, 'exec-a');
      assert.equal((await lock.acquire(cluster, 'exec-a', TTL)).acquired, false);
    },
  },
  {
    title: "re-acquiring renews the owner's TTL",
    async run(lock, clock, cluster) {
      assert.deepEqual(await lock.acquire(cluster, 'exec-a', TTL), { acquired: true });
      clock.advanceSeconds(TTL - 5);
      assert.deepEqual(await lock.acquire(cluster, 'exec-a', TTL), { acquired: true });
      clock.advanceSeconds(TTL - 5);
      assert.equal((await lock.acquire(cluster, 'exec-b', TTL)).acquired, false);
    },
  },
  {
    title: 'locks of two clusters are independent',
    async run(lock, _clock, cluster) {
      assert.deepEqual(await lock.acquire(cluster, 'exec-a', TTL), { acquired: true });
      assert.deepEqual(await lock.acquire(`${cluster}-other`, 'exec-b', TTL), { acquired: true });
    },
  },
  {
    title: 'refuses a cluster name that is not a DNS-1123 label, an empty owner and a TTL below 1 s',
    async run(lock, _clock, cluster) {
      await assert.rejects(() => lock.acquire('../x', 'exec-a', TTL), SpecValidationError);
      await assert.rejects(() => lock.release('a/b', 'exec-a'), SpecValidationError);
      await assert.rejects(() => lock.acquire(cluster, '', TTL), /owner/);
      await assert.rejects(() => lock.acquire(cluster, 'exec-a', 0), /ttlSeconds/);
    },
  },
];
