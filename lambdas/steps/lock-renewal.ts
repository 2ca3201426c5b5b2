// A step whose input carries the execution's lock (every step a workflow runs under it) renews the lock before
// it does anything: however long a change takes, its lock never expires while it runs (an expired lock item may
// be deleted by the table's TTL), and a step of an execution that lost its lock stops (ClusterLockLostError)
// instead of changing the cluster.
import type { StepHandler } from './deps';
import { LockRefSchema } from './replace/inputs';

export function renewingLock(handler: StepHandler, renewLock: StepHandler): StepHandler {
  return async (input) => {
    const held = LockRefSchema.safeParse((input as { lock?: unknown } | null)?.lock);
    if (held.success) await renewLock(held.data);
    return handler(input);
  };
}

export function renewingLocks<K extends string>(steps: Record<K, StepHandler>, renewLock: StepHandler): Record<K, StepHandler> {
  return Object.fromEntries(Object.entries<StepHandler>(steps).map(([name, handler]) => [name, renewingLock(handler, renewLock)])) as Record<K, StepHandler>;
}
