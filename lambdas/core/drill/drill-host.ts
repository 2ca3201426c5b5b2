// Which member host a restore drill runs on: one that answers, a follower when there is one (the drill costs its
// host disk and CPU; the leader has the cluster's work to do), then the leader, learners last. The same order a
// backup streams from (core/backup/source-order.ts), narrowed to one host.
import { backupSources } from '../backup/source-order';
import type { ClusterView } from '../etcd-view';

export interface DrillCandidate {
  /** The member's name (its host's). */
  readonly name: string;
  /** Its client URL, as the view's statuses name it. */
  readonly endpoint: string;
}

/** The member to drill on, or undefined when none answered. */
export function chooseDrillHost<C extends DrillCandidate>(candidates: readonly C[], view: ClusterView): C | undefined {
  for (const endpoint of backupSources(view)) {
    const found = candidates.find((c) => c.endpoint === endpoint);
    if (found) return found;
  }
  return undefined;
}
