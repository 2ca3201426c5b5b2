// Acquire Lock / Renew Lock / Release Lock: one membership change per cluster at a time. The owner is the
// execution's name, so a retried Acquire Lock of the same execution converges; the holder is how to ask
// whether the execution still runs (its ARN on AWS, the local runner's process locally), so that a lock past
// its expiry is taken over only from an execution that has ended. The workflow renews the lock as it goes.
import { z } from 'zod';
import { parseOrThrow } from '../../core/parse';
import { ClusterLockedError } from '../../core/errors';
import type { ClusterLock, Clock, Logger } from '../../ports';

const LockInputSchema = z.object({ clusterName: z.string().min(1), owner: z.string().min(1) });
/** `holder`: `$$.Execution.Id` (the execution ARN on AWS; the local runner sets "local:<pid>:<start time>"). */
const AcquireLockInputSchema = LockInputSchema.extend({ holder: z.string().min(1) });

/**
 * How long a lock lasts past its last acquire or renewal. A lapse costs a live holder nothing (a takeover asks
 * whether its execution has ended first); what the TTL bounds is how long the lock of an execution that ended
 * without releasing it (aborted, timed out) blocks the cluster. 15 minutes: Lambda's longest invocation (Snapshot
 * Before Change may take all of it), so renewing around the long steps keeps a running holder's lock from even
 * expiring. It was an hour while nothing renewed it.
 */
export const LOCK_TTL_SECONDS = 15 * 60;

export function makeLockSteps(deps: { readonly lock: ClusterLock; readonly clock: Clock; readonly log: Logger }) {
  return {
    async acquireLock(raw: unknown): Promise<{ owner: string; tookOverFrom?: string }> {
      const { clusterName, owner, holder } = parseOrThrow(AcquireLockInputSchema, raw, 'Acquire Lock input');
      const outcome = await deps.lock.acquire(clusterName, { owner, ref: holder }, LOCK_TTL_SECONDS);
      if (!outcome.acquired) {
        const state = outcome.expired
          ? `; its lock expired at ${outcome.expiresAt} but its execution ${outcome.holderRef ?? outcome.heldBy} still runs`
          : ` (until ${outcome.expiresAt})`;
        throw new ClusterLockedError(
          `cluster ${clusterName} is locked by execution ${outcome.heldBy} since ${outcome.since}${state}: another membership change is running (one at a time)`,
        );
      }
      if (outcome.tookOverFrom) {
        deps.log.warn('lock taken over from an execution that ended without releasing it', { cluster: clusterName, owner, tookOverFrom: outcome.tookOverFrom });
      } else {
        deps.log.info('lock acquired', { cluster: clusterName, owner });
      }
      return { owner, ...(outcome.tookOverFrom && { tookOverFrom: outcome.tookOverFrom }) };
    },
    /** Throws ClusterLockLostError when the execution no longer holds the lock: it must stop changing the cluster. */
    async renewLock(raw: unknown): Promise<{ renewed: true; until: string }> {
      const { clusterName, owner } = parseOrThrow(LockInputSchema, raw, 'Renew Lock input');
      await deps.lock.extend(clusterName, owner, LOCK_TTL_SECONDS);
      const until = new Date(deps.clock.now().getTime() + LOCK_TTL_SECONDS * 1000).toISOString();
      deps.log.info('lock renewed', { cluster: clusterName, owner, until });
      return { renewed: true, until };
    },
    async releaseLock(raw: unknown): Promise<{ released: true }> {
      const { clusterName, owner } = parseOrThrow(LockInputSchema, raw, 'Release Lock input');
      await deps.lock.release(clusterName, owner);
      deps.log.info('lock released', { cluster: clusterName, owner });
      return { released: true };
    },
  };
}
