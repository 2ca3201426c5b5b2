// The cases every ClusterLock (with the ClusterRegistry that writes under it) must pass, shared by the local
// file lock's test and the DynamoDB lock's moto test, so that both prove the same semantics: only the lock
// holder writes; a live holder is never robbed. Each case gets a fresh cluster name, its own clock and a fake
// ExecutionLiveness whose `ended` set says which holders have ended.
import assert from 'node:assert/strict';
import { ClusterLockLostError, SpecValidationError } from '../../lambdas/core/errors';
import type { ClusterLock, ClusterRecord, ClusterRegistry, ExecutionLiveness, LockHolder, LockOutcome } from '../../lambdas/ports';

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
  /** The current time plus `seconds`, as ISO 8601. */
  iso(seconds = 0): string {
    return new Date(this.current.getTime() + seconds * 1000).toISOString();
  }
}

/**
 * Holders whose ref is in `ended` have ended; every other one still runs. `asked` lists the refs asked about.
 * With `answerOnceAsked`, no answer comes before that many questions have arrived (to make takers race).
 */
export class FakeLiveness implements ExecutionLiveness {
  readonly ended = new Set<string>();
  readonly asked: string[] = [];
  private waiting: Array<() => void> = [];
  constructor(private readonly answerOnceAsked = 1) {}

  async hasEnded(ref: string): Promise<boolean> {
    this.asked.push(ref);
    if (this.asked.length < this.answerOnceAsked) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      for (const resume of this.waiting.splice(0)) resume();
    }
    return this.ended.has(ref);
  }
}

export interface LockCaseContext {
  readonly lock: ClusterLock;
  /** The registry that writes records under `lock` (the same table, or the same lock directory). */
  readonly registry: ClusterRegistry;
  readonly clock: ManualClock;
  readonly liveness: FakeLiveness;
  readonly cluster: string;
}

export interface ClusterLockCase {
  readonly title: string;
  /** How many liveness questions the fake waits for before answering (default 1: at once). */
  readonly answerOnceAsked?: number;
  run(context: LockCaseContext): Promise<void>;
}

const TTL = 60;
const A: LockHolder = { owner: 'exec-a', ref: 'ref-a' };
const B: LockHolder = { owner: 'exec-b', ref: 'ref-b' };
const C: LockHolder = { owner: 'exec-c', ref: 'ref-c' };

function refusal(outcome: LockOutcome): Extract<LockOutcome, { acquired: false }> {
  assert.equal(outcome.acquired, false, `expected a refusal, got ${JSON.stringify(outcome)}`);
  return outcome as Extract<LockOutcome, { acquired: false }>;
}

const record = (clusterName: string, updatedAt: string): ClusterRecord => ({
  clusterName,
  runtime: 'systemd',
  members: [{ name: 'infra0', id: '1000', address: '10.0.0.10' }],
  secrets: { ca: `etcd-ha/${clusterName}/ca` },
  updatedAt,
  spec: { clusterName },
});

export const CLUSTER_LOCK_CASES: readonly ClusterLockCase[] = [
  {
    title: 'A acquires a free lock; B is refused and told A holds it, since when, until when and how to ask about it',
    async run({ lock, clock, cluster }) {
      const since = clock.iso();
      assert.deepEqual(await lock.acquire(cluster, A, TTL), { acquired: true });
      clock.advanceSeconds(5);
      assert.deepEqual(await lock.acquire(cluster, B, TTL), {
        acquired: false,
        heldBy: 'exec-a',
        since,
        expiresAt: new Date(Date.parse(since) + TTL * 1000).toISOString(),
        expired: false,
        holderRef: 'ref-a',
      });
    },
  },
  {
    title: 'A acquiring again succeeds (a retried step converges), without a takeover, keeping since and pushing the expiry out',
    async run({ lock, clock, cluster }) {
      const since = clock.iso();
      assert.deepEqual(await lock.acquire(cluster, A, TTL), { acquired: true });
      clock.advanceSeconds(10);
      assert.deepEqual(await lock.acquire(cluster, A, TTL), { acquired: true });
      const refused = refusal(await lock.acquire(cluster, B, TTL));
      assert.equal(refused.heldBy, 'exec-a');
      assert.equal(refused.since, since);
      assert.equal(refused.expiresAt, clock.iso(TTL));
    },
  },
  {
    title: "a release by B is a no-op while A holds the lock; after A's release B acquires",
    async run({ lock, clock, cluster }) {
      assert.deepEqual(await lock.acquire(cluster, A, TTL), { acquired: true });
      await lock.release(cluster, 'exec-b');
      assert.equal(refusal(await lock.acquire(cluster, B, TTL)).heldBy, 'exec-a');
      await lock.release(cluster, 'exec-a');
      clock.advanceSeconds(1);
      assert.deepEqual(await lock.acquire(cluster, B, TTL), { acquired: true });
    },
  },
  {
    title: 'releasing a lock nobody took, or releasing twice, is a no-op',
    async run({ lock, cluster }) {
      await lock.release(cluster, 'exec-a');
      assert.deepEqual(await lock.acquire(cluster, A, TTL), { acquired: true });
      await lock.release(cluster, 'exec-a');
      await lock.release(cluster, 'exec-a');
      assert.deepEqual(await lock.acquire(cluster, B, TTL), { acquired: true });
    },
  },
  {
    title: 'a lock within its TTL is refused without asking about its holder',
    async run({ lock, clock, liveness, cluster }) {
      assert.deepEqual(await lock.acquire(cluster, A, TTL), { acquired: true });
      liveness.ended.add('ref-a');
      clock.advanceSeconds(TTL - 5);
      assert.equal(refusal(await lock.acquire(cluster, B, TTL)).expired, false);
      assert.deepEqual(liveness.asked, []);
    },
  },
  {
    title: 'past its TTL, a lock whose execution still runs is refused, saying it expired but its execution runs',
    async run({ lock, clock, liveness, cluster }) {
      const since = clock.iso();
      assert.deepEqual(await lock.acquire(cluster, A, TTL), { acquired: true });
      clock.advanceSeconds(TTL + 5);
      assert.deepEqual(await lock.acquire(cluster, B, TTL), {
        acquired: false,
        heldBy: 'exec-a',
        since,
        expiresAt: new Date(Date.parse(since) + TTL * 1000).toISOString(),
        expired: true,
        holderRef: 'ref-a',
      });
      assert.deepEqual(liveness.asked, ['ref-a']);
      // Still A's: it renews and writes the record as the holder.
      await lock.extend(cluster, 'exec-a', TTL);
    },
  },
  {
    title: 'past its TTL, a lock whose execution has ended is taken over, naming the previous owner; that owner, back, can neither take, release nor renew it',
    async run({ lock, clock, liveness, cluster }) {
      assert.deepEqual(await lock.acquire(cluster, A, TTL), { acquired: true });
      clock.advanceSeconds(TTL + 5);
      liveness.ended.add('ref-a');
      assert.deepEqual(await lock.acquire(cluster, B, TTL), { acquired: true, tookOverFrom: 'exec-a' });
      assert.deepEqual(liveness.asked, ['ref-a']);
      const refused = refusal(await lock.acquire(cluster, A, TTL));
      assert.equal(refused.heldBy, 'exec-b');
      assert.equal(refused.since, clock.iso());
      await lock.release(cluster, 'exec-a');
      await assert.rejects(() => lock.extend(cluster, 'exec-a', TTL), ClusterLockLostError);
      assert.equal(refusal(await lock.acquire(cluster, C, TTL)).heldBy, 'exec-b');
    },
  },
  {
    title: 'of two takers of one expired lock whose holder has ended, exactly one wins; the other is refused naming it',
    answerOnceAsked: 2,
    async run({ lock, clock, liveness, cluster }) {
      assert.deepEqual(await lock.acquire(cluster, A, TTL), { acquired: true });
      clock.advanceSeconds(TTL + 5);
      liveness.ended.add('ref-a');
      // The fake answers neither until both have asked: both go for the takeover with what they read.
      const outcomes = await Promise.all([lock.acquire(cluster, B, TTL), lock.acquire(cluster, C, TTL)]);
      assert.deepEqual(liveness.asked, ['ref-a', 'ref-a']);
      const winners = outcomes.filter((o) => o.acquired);
      assert.equal(winners.length, 1, JSON.stringify(outcomes));
      assert.deepEqual(winners[0], { acquired: true, tookOverFrom: 'exec-a' });
      const winner = outcomes[0]!.acquired ? 'exec-b' : 'exec-c';
      assert.equal(refusal(outcomes.find((o) => !o.acquired)!).heldBy, winner);
    },
  },
  {
    title: "re-acquiring renews the owner's TTL",
    async run({ lock, clock, liveness, cluster }) {
      liveness.ended.add('ref-a'); // only the expiry keeps B out
      assert.deepEqual(await lock.acquire(cluster, A, TTL), { acquired: true });
      clock.advanceSeconds(TTL - 5);
      assert.deepEqual(await lock.acquire(cluster, A, TTL), { acquired: true });
      clock.advanceSeconds(TTL - 5);
      assert.equal(refusal(await lock.acquire(cluster, B, TTL)).expired, false);
    },
  },
  {
    title: 'extend by the holder pushes expiresAt out (also once it expired, while nobody took it over)',
    async run({ lock, clock, liveness, cluster }) {
      liveness.ended.add('ref-a'); // only the expiry keeps B out
      assert.deepEqual(await lock.acquire(cluster, A, TTL), { acquired: true });
      clock.advanceSeconds(TTL - 5);
      await lock.extend(cluster, 'exec-a', TTL);
      const until = clock.iso(TTL);
      clock.advanceSeconds(10); // past the first expiry
      const refused = refusal(await lock.acquire(cluster, B, TTL));
      assert.equal(refused.expiresAt, until);
      assert.equal(refused.expired, false);
      clock.advanceSeconds(TTL); // past the second: A, late, still renews
      await lock.extend(cluster, 'exec-a', 2 * TTL);
      assert.equal(refusal(await lock.acquire(cluster, B, TTL)).expiresAt, clock.iso(2 * TTL));
    },
  },
  {
    title: 'extend by another owner, after the release, or of a lock never taken throws ClusterLockLostError naming the cluster and the owner',
    async run({ lock, cluster }) {
      await assert.rejects(() => lock.extend(cluster, 'exec-a', TTL), (error: Error) => {
        assert.ok(error instanceof ClusterLockLostError);
        assert.match(error.message, new RegExp(`execution exec-a does not hold the lock of cluster ${cluster} \\(nobody holds it\\)`));
        return true;
      });
      assert.deepEqual(await lock.acquire(cluster, A, TTL), { acquired: true });
      await assert.rejects(() => lock.extend(cluster, 'exec-b', TTL), (error: Error) => {
        assert.ok(error instanceof ClusterLockLostError);
        assert.match(error.message, new RegExp(`execution exec-b does not hold the lock of cluster ${cluster} \\(execution exec-a holds it since `));
        return true;
      });
      await lock.release(cluster, 'exec-a');
      await assert.rejects(() => lock.extend(cluster, 'exec-a', TTL), ClusterLockLostError);
      // A failed extend takes nothing: the lock is still free.
      assert.deepEqual(await lock.acquire(cluster, B, TTL), { acquired: true });
    },
  },
  {
    title: 'registry.put with lockOwner writes while that owner holds the lock, also past its expiry',
    async run({ lock, registry, clock, cluster }) {
      assert.deepEqual(await lock.acquire(cluster, A, TTL), { acquired: true });
      await registry.put(record(cluster, 'first'), { lockOwner: 'exec-a' });
      assert.deepEqual(await registry.get(cluster), record(cluster, 'first'));
      clock.advanceSeconds(TTL + 5);
      await registry.put(record(cluster, 'second'), { lockOwner: 'exec-a' });
      assert.deepEqual(await registry.get(cluster), record(cluster, 'second'));
    },
  },
  {
    title: 'registry.put with another owner, or with no lock held, throws ClusterLockLostError and leaves the record unchanged',
    async run({ lock, registry, liveness, clock, cluster }) {
      await assert.rejects(() => registry.put(record(cluster, 'unlocked'), { lockOwner: 'exec-a' }), (error: Error) => {
        assert.ok(error instanceof ClusterLockLostError);
        assert.match(error.message, new RegExp(`execution exec-a does not hold the lock of cluster ${cluster} \\(nobody holds it\\): the record was not written`));
        return true;
      });
      assert.equal(await registry.get(cluster), undefined);

      assert.deepEqual(await lock.acquire(cluster, A, TTL), { acquired: true });
      await registry.put(record(cluster, 'by-a'), { lockOwner: 'exec-a' });
      await assert.rejects(() => registry.put(record(cluster, 'by-b'), { lockOwner: 'exec-b' }), (error: Error) => {
        assert.ok(error instanceof ClusterLockLostError);
        assert.match(error.message, new RegExp(`execution exec-b does not hold the lock of cluster ${cluster} \\(execution exec-a holds it since .*\\): the record was not written`));
        return true;
      });
      assert.deepEqual(await registry.get(cluster), record(cluster, 'by-a'));

      // Taken over from A once it ended: A, back, writes nothing.
      clock.advanceSeconds(TTL + 5);
      liveness.ended.add('ref-a');
      assert.deepEqual(await lock.acquire(cluster, B, TTL), { acquired: true, tookOverFrom: 'exec-a' });
      await assert.rejects(() => registry.put(record(cluster, 'late-a'), { lockOwner: 'exec-a' }), ClusterLockLostError);
      await lock.release(cluster, 'exec-b');
      await assert.rejects(() => registry.put(record(cluster, 'released-b'), { lockOwner: 'exec-b' }), ClusterLockLostError);
      assert.deepEqual(await registry.get(cluster), record(cluster, 'by-a'));
    },
  },
  {
    title: 'registry.put without lockOwner writes unconditionally (provisioning), whoever holds the lock',
    async run({ lock, registry, cluster }) {
      await registry.put(record(cluster, 'unlocked'));
      assert.deepEqual(await registry.get(cluster), record(cluster, 'unlocked'));
      assert.deepEqual(await lock.acquire(cluster, A, TTL), { acquired: true });
      await registry.put(record(cluster, 'while-a-holds'));
      assert.deepEqual(await registry.get(cluster), record(cluster, 'while-a-holds'));
    },
  },
  {
    title: 'locks of two clusters are independent',
    async run({ lock, cluster }) {
      assert.deepEqual(await lock.acquire(cluster, A, TTL), { acquired: true });
      assert.deepEqual(await lock.acquire(`${cluster}-other`, B, TTL), { acquired: true });
    },
  },
  {
    title: 'refuses a cluster name that is not a DNS-1123 label, an empty owner or ref, and a TTL below 1 s',
    async run({ lock, cluster }) {
      await assert.rejects(() => lock.acquire('../x', A, TTL), SpecValidationError);
      await assert.rejects(() => lock.release('a/b', 'exec-a'), SpecValidationError);
      await assert.rejects(() => lock.extend('a/b', 'exec-a', TTL), SpecValidationError);
      await assert.rejects(() => lock.acquire(cluster, { owner: '', ref: 'ref-a' }, TTL), /owner/);
      await assert.rejects(() => lock.acquire(cluster, { owner: 'exec-a', ref: '' }, TTL), /ref/);
      await assert.rejects(() => lock.acquire(cluster, A, 0), /ttlSeconds/);
      await assert.rejects(() => lock.extend(cluster, 'exec-a', 0), /ttlSeconds/);
    },
  },
];
