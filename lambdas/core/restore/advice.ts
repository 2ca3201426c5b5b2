// What to run when a cluster has lost quorum: the RestoreCluster workflow. The core cannot tell whether it runs
// on AWS or locally, so it names both commands; both are dry runs until --confirm names the cluster.

/** "`etcd-ha restore --cluster demo` (AWS) or `etcd-ha local restore` (local mode)". */
export function restoreCommands(clusterName: string | undefined): string {
  const name = clusterName ?? 'NAME';
  return `\`etcd-ha restore --cluster ${name}\` (AWS) or \`etcd-ha local restore\` (local mode); each shows its plan, then add --confirm ${name}`;
}

/** The sentence the quorum-lost refusals end with. */
export function restoreAdvice(clusterName: string | undefined): string {
  return `restore the cluster from its last good backup instead: ${restoreCommands(clusterName)}`;
}
