// Brings a cluster's stable names in line with its voters (Record Cluster, Record Restored Cluster) or removes them
// (DeleteCluster): reads what is published under `<cluster>.<zone>`, changes only what differs. Called by the lock
// holder right after it wrote the record, so the names follow the record; a repeated call changes nothing.
import { clientDnsName, clientUrlByName, clusterNames, memberDnsName, planNameChanges, type NameScope, type NamesOutcome } from '../core/names';
import type { StepDeps } from './deps';

export interface NamedCluster extends NameScope {
  readonly etcd: { readonly clientPort: number };
}

export async function publishClusterNames(
  deps: Pick<StepDeps, 'names' | 'log'>,
  spec: NamedCluster,
  voters: readonly { readonly name: string; readonly address: string }[],
): Promise<NamesOutcome> {
  const base = {
    clientName: clientDnsName(spec),
    clientUrl: clientUrlByName(spec, spec.etcd.clientPort),
    members: Object.fromEntries(voters.map((v) => [v.name, memberDnsName(spec, v.name)])),
  };
  const skipped = skipReason(deps, spec);
  if (skipped) {
    deps.log.warn('stable names not published', { cluster: spec.clusterName, reason: skipped });
    return { ...base, published: false, upserted: 0, deleted: 0, note: skipped };
  }
  const desired = clusterNames(spec, voters);
  const changes = planNameChanges(desired, await deps.names!.published(desired.domain));
  await deps.names!.apply(desired.domain, changes);
  deps.log.info('stable names published', { cluster: spec.clusterName, clientName: desired.clientName, upserted: changes.upsert.map((r) => r.name), deleted: changes.delete.map((r) => r.name) });
  return { ...base, published: true, upserted: changes.upsert.length, deleted: changes.delete.length };
}

/** Removes every name of the cluster (DeleteCluster); names of other clusters stay. */
export async function removeClusterNames(deps: Pick<StepDeps, 'names' | 'log'>, spec: NameScope): Promise<{ readonly deleted: number; readonly note?: string }> {
  const skipped = skipReason(deps, spec);
  if (skipped) return { deleted: 0, note: skipped };
  const desired = clusterNames(spec, []);
  const changes = planNameChanges(desired, await deps.names!.published(desired.domain));
  await deps.names!.apply(desired.domain, changes);
  deps.log.info('stable names removed', { cluster: spec.clusterName, deleted: changes.delete.map((r) => r.name) });
  return { deleted: changes.delete.length };
}

function skipReason(deps: Pick<StepDeps, 'names'>, spec: NameScope): string | undefined {
  if (!deps.names) return 'no hosted zone is configured for this deployment (the stack was given neither a VPC nor a hosted zone)';
  if (deps.names.zone !== undefined && deps.names.zone.replace(/\.$/, '') !== spec.dnsZone) {
    return `spec.dnsZone "${spec.dnsZone}" is not this deployment's hosted zone "${deps.names.zone}"`;
  }
  return undefined;
}
