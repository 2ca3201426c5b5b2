// Which recorded clusters a fleet-wide workflow (BackupCluster, DrillRestore) visits: the one a request names, or,
// for the schedule's request without a name, every recorded cluster. A bootstrapping one is never visited (it has
// no members to read yet); nothing to visit comes with the reason, which the workflow's quiet end reports.
import { bootstrappingReason, isBootstrapping } from '../core/cluster-status';
import type { ClusterRegistry } from '../ports';

export async function clustersToVisit(registry: Pick<ClusterRegistry, 'list' | 'get'>, clusterName: string | undefined): Promise<{ clusters: string[]; reason?: string }> {
  if (clusterName === undefined) {
    const clusters = (await registry.list()).filter((r) => !isBootstrapping(r)).map((r) => r.clusterName);
    return { clusters, ...(clusters.length === 0 && { reason: 'no cluster is recorded' }) };
  }
  const record = await registry.get(clusterName);
  if (!record) return { clusters: [], reason: `no cluster "${clusterName}" is recorded` };
  if (isBootstrapping(record)) return { clusters: [], reason: bootstrappingReason(clusterName) };
  return { clusters: [clusterName] };
}
