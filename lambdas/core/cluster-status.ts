// Whether a recorded cluster runs, or its first provisioning has not completed yet. The first run records the
// cluster as "bootstrapping" (under the lock, before its CA exists), so that a failed first run is re-run with
// the same CA and the same members, and nobody else's spec adopts that CA. Only Record Cluster, after a healthy
// cluster, makes it "running": until then there is nothing to heal, probe or replace.

export type ClusterStatus = 'bootstrapping' | 'running';

/** A record without a status was written before the field existed, by a completed provisioning: running. */
export function isBootstrapping(record: { readonly status?: ClusterStatus }): boolean {
  return record.status === 'bootstrapping';
}

/** Why a workflow that heals or inspects a running cluster has nothing to do with a bootstrapping one. */
export function bootstrappingReason(clusterName: string): string {
  return `cluster ${clusterName} is still bootstrapping (its first provisioning has not completed): not a running cluster, nothing to heal; re-run ProvisionCluster with the same spec`;
}
