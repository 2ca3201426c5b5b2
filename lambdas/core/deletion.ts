// DeleteCluster's plan, as pure data: what a deletion removes (members' hosts, data dirs, secrets, the record), the
// "deleting" pause written into the record first (so that no healing replaces a member while it is being stopped),
// and the sentences the dry run and the outcome end with. The steps (lambdas/steps/delete) read and write; this decides.
import { applyMaintenance, type MaintenanceState } from './maintenance';
import type { DeletionPlan } from './workflow-io';

/** A recorded member or a removed one awaiting its replacement: both have a host whose etcd must stop. */
export interface MemberHostLike {
  readonly name: string;
  readonly address: string;
  readonly instanceId?: string;
}

export interface DeletionFacts {
  readonly clusterName: string;
  /** The recorded members and removed ones (none when there is no record). */
  readonly members: readonly MemberHostLike[];
  readonly isRecorded: boolean;
  readonly secrets: readonly string[];
  readonly dataDir?: string;
  readonly runtime?: string;
}

export function planDeletion(facts: DeletionFacts): DeletionPlan {
  return {
    clusterName: facts.clusterName,
    isRecorded: facts.isRecorded,
    members: facts.members.map((m) => ({ name: m.name, address: m.address, ...(m.instanceId !== undefined && { instanceId: m.instanceId }) })),
    ...(facts.dataDir !== undefined && { dataDir: facts.dataDir }),
    ...(facts.runtime !== undefined && { runtime: facts.runtime }),
    secrets: [...facts.secrets].sort(),
    ...(facts.isRecorded && { record: `cluster record "${facts.clusterName}"` }),
  };
}

/** The reason the record's maintenance flag carries while a deletion runs: healing ends quietly, naming it. */
export function deletingReason(execution: string): string {
  return `deleting the cluster (DeleteCluster execution ${execution})`;
}

/** The record's maintenance after "deleting" is set: a pause, kept in the history like any other. */
export function deletingMaintenance(current: MaintenanceState | undefined, change: { readonly by: string; readonly at: string; readonly execution: string }): MaintenanceState {
  return applyMaintenance(current, { action: 'pause', reason: deletingReason(change.execution), by: change.by, at: change.at, execution: change.execution });
}

/** What the dry run says: each thing a confirmed run would remove, and how to confirm. */
export function dryRunMessage(plan: DeletionPlan): string {
  const hosts = plan.members.map((m) => `${m.name} (${m.instanceId ? `${m.instanceId}, ` : ''}${m.address})`);
  return [
    `Dry run: nothing was changed. Deleting cluster "${plan.clusterName}" would:`,
    hosts.length > 0 ? `  - stop etcd on ${hosts.join(', ')} and move ${plan.dataDir ?? 'the data dir'} aside on each (nothing deleted there)` : '  - stop no etcd (no member is recorded)',
    `  - delete ${plan.secrets.length} secret${plan.secrets.length === 1 ? '' : 's'} without a recovery window${plan.secrets.length > 0 ? `: ${plan.secrets.join(', ')}` : ''}`,
    plan.record ? `  - delete the ${plan.record}, then release the cluster's lock` : '  - delete no record (none exists)',
    `Confirm with confirm = "${plan.clusterName}".`,
  ].join('\n');
}

/** The closing sentence of a confirmed deletion. */
export function deletedMessage(plan: DeletionPlan, unreachable: readonly string[]): string {
  const stopped = plan.members.length - unreachable.length;
  const lines = [
    `Cluster "${plan.clusterName}" deleted: etcd stopped on ${stopped} host${stopped === 1 ? '' : 's'} (data dirs moved aside, not deleted), ` +
      `${plan.secrets.length} secret${plan.secrets.length === 1 ? '' : 's'} deleted${plan.record ? ', record deleted' : ''}; the name can be provisioned again.`,
  ];
  if (unreachable.length > 0) lines.push(`Not reached (etcd may still run there, data dir not moved): ${unreachable.join(', ')}`);
  return lines.join('\n');
}
