// Which members a backup streams from, in order: the healthy followers first, the leader last (a snapshot costs
// its member disk and network; the leader has the cluster's work to do), learners only when no voter answers.
import type { ClusterView } from '../etcd-view';

export function backupSources(view: ClusterView): string[] {
  const answered = view.statuses.filter((s) => s.ok && s.memberId !== undefined);
  const rank = (s: (typeof answered)[number]) => (s.isLearner ? 2 : s.memberId === s.leaderId ? 1 : 0);
  return answered
    .map((status, index) => ({ status, index }))
    .sort((a, b) => rank(a.status) - rank(b.status) || a.index - b.index)
    .map(({ status }) => status.endpoint);
}
