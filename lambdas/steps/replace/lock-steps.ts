// Acquire Lock / Release Lock: one membership change per cluster at a time. The owner is the
// execution's name, so a retried Acquire Lock of the same execution converges.
import { z } from 'zod';
import { parseOrThrow } from '../../core/parse';
import { ClusterLockedError } from '../../core/errors';
import type { ClusterLock, Logger } from '../../ports';

const LockInputSchema = z.object({ clusterName: z.string().min(1), owner: z.string().min(1) });

/** A lock older than this is stale: its execution died without releasing it. */
export const LOCK_TTL_SECONDS = 3600;

export function makeLockSteps(deps: { readonly lock: ClusterLock; readonly log: Logger }) {
  return {
    async acquireLock(raw: unknown): Promise<{ owner: string; tookOverFrom?: string }> {
      const { clusterName, owner } = parseOrThrow(LockInputSchema, raw, 'Acquire Lock input');
      const outcome = await deps.lock.acquire(clusterName, owner, LOCK_TTL_SECONDS);
      if (!outcome.acquired) {
        throw new ClusterLockedError(
          `cluster ${clusterName} is locked by execution ${outcome.heldBy} since ${outcome.since}: another membership change is running (one at a time)`,
        );
      }
      deps.log.info('lock acquired', { cluster: clusterName, owner, tookOverFrom: outcome.tookOverFrom });
      return { owner, ...(outcome.tookOverFrom && { tookOverFrom: outcome.tookOverFrom }) };
    },
    async releaseLock(raw: unknown): Promise<{ released: true }> {
      const { clusterName, owner } = parseOrThrow(LockInputSchema, raw, 'Release Lock input');
      await deps.lock.release(clusterName, owner);
      deps.log.info('lock released', { cluster: clusterName, owner });
      return { released: true };
    },
  };
}
