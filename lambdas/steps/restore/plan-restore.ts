// Validate Restore Request (before the lock) and Plan Restore (under it): the request checked, then the record read,
// the backup chosen (the last good one, or the one named: its manifest must be stored) and each member's host resolved
// to its current address (a replacement host checked as ReplaceMember checks one: tagged for this cluster, not retired).
// Both are read-only: a dry run ends with Plan Restore's plan and changes nothing.
import { memberRef, type MemberRef } from '../../core/membership-event';
import { z } from 'zod';
import { parseOrThrow } from '../../core/parse';
import { HostNotFoundError, SpecValidationError } from '../../core/errors';
import { bootstrappingReason, isBootstrapping } from '../../core/cluster-status';
import { RestoreRequestSchema } from '../../core/restore/request';
import { chooseRestoreHosts, describeRestorePlan, planRestore, type RestorePlan } from '../../core/restore/plan';
import type { RestoreDryRun } from '../../core/restore/outcome';

export type { RestoreDryRun };
import type { BackupMetadata } from '../../core/backup/metadata';
import type { ClusterSpec, Member } from '../../core/spec';
import type { BackupStore, ClusterRecord, Host, LastBackupStore } from '../../ports';
import type { StepDeps } from '../deps';
import type { PkiRefs } from '../inputs';
import { pkiRefs } from '../pki-secrets';
import { recordedSpec } from '../recorded-spec';

export interface RestorePlanDeps extends Pick<StepDeps, 'registry' | 'directory' | 'secrets' | 'clock' | 'log'> {
  readonly backups: BackupStore;
  readonly lastBackup: LastBackupStore;
}

/** Validate Restore Request's answer: the request as the later states read it. */
export interface ValidatedRestore {
  readonly clusterName: string;
  readonly confirmed: boolean;
  readonly by: string;
  readonly snapshot: string | null;
  readonly hosts: Record<string, string>;
}

/** Plan Restore's answer: the plan, and what the later states need to follow it. */
export interface PlannedRestore {
  readonly plan: RestorePlan;
  readonly dryRun: RestoreDryRun;
  /** The recorded spec with each member on its host (current address). */
  readonly spec: ClusterSpec;
  readonly hosts: Host[];
  readonly pki: PkiRefs;
  readonly backup: BackupMetadata;
  /** The Map items of the host states: each host with the spec, and the host Stage Snapshot stages for (its instance; locally its name). */
  readonly members: Array<{ readonly spec: ClusterSpec; readonly host: Host; readonly stageFor: string }>;
  /** The record's members before the restore: the old members of the membership event the run ends with. */
  readonly membersBefore: MemberRef[];
}

const PlanInputSchema = z.object({
  clusterName: z.string().min(1),
  snapshot: z.string().min(1).nullable(),
  hosts: z.record(z.string(), z.string()),
  execution: z.string().min(1),
});

function refused(field: string, message: string): SpecValidationError {
  return new SpecValidationError('RestoreCluster input', [`${field}: ${message}`]);
}

function requireRecord(record: ClusterRecord | undefined, clusterName: string): ClusterRecord {
  if (!record) throw refused('clusterName', `no cluster "${clusterName}" is recorded: nothing to restore`);
  if (isBootstrapping(record)) throw refused('clusterName', bootstrappingReason(clusterName));
  return record;
}

export function makeValidateRestoreRequest(deps: Pick<StepDeps, 'registry'>) {
  return async function validateRestoreRequest(raw: unknown): Promise<ValidatedRestore> {
    // The state passes the execution input as { request }.
    const request = parseOrThrow(RestoreRequestSchema, (raw as { request?: unknown } | null)?.request, 'RestoreCluster input');
    requireRecord(await deps.registry.get(request.clusterName), request.clusterName);
    return {
      clusterName: request.clusterName,
      confirmed: request.confirm !== undefined,
      by: request.by ?? 'unknown',
      snapshot: request.snapshot ?? null,
      hosts: request.hosts ?? {},
    };
  };
}

export function makePlanRestore(deps: RestorePlanDeps) {
  return async function planRestoreStep(raw: unknown): Promise<PlannedRestore> {
    const input = parseOrThrow(PlanInputSchema, raw, 'Plan Restore input');
    const record = requireRecord(await deps.registry.get(input.clusterName), input.clusterName);
    const backup = await chooseBackup(deps, input.clusterName, input.snapshot);
    const choice = chooseRestoreHosts(
      [...record.members, ...(record.removed ?? []).map((m) => ({ ...m, removed: true }))],
      input.hosts,
    );
    if (choice.problems.length > 0) throw new SpecValidationError('RestoreCluster input', choice.problems);
    // Each host's current address; a named replacement is checked as ReplaceMember checks one (tag, not retired).
    const wanted: Member[] = choice.members.map((m) => (m.instanceId ? { name: m.name, instanceId: m.instanceId } : { name: m.name, address: m.address }));
    const resolved = await deps.directory.resolve(input.clusterName, wanted).catch((error: unknown) => {
      // A recorded host that is gone (terminated, retired): say how to name another for its member.
      if (error instanceof HostNotFoundError) {
        throw new HostNotFoundError(`${error.message}. Name a replacement host for that member: hosts: { "<member>": "<instance-id>" } (etcd-ha restore --host MEMBER=INSTANCE)`, { cause: error });
      }
      throw error;
    });
    const replaces = new Map(choice.members.map((m) => [m.name, m.replaces]));
    const recorded = recordedSpec(record);
    const spec: ClusterSpec = { ...recorded, members: resolved.map((h) => ({ name: h.name, address: h.address, ...(h.instanceId && { instanceId: h.instanceId }) })) };
    const plan = planRestore({
      clusterName: input.clusterName,
      backup: backup.metadata,
      lastGood: backup.lastGood,
      hosts: resolved.map((h) => ({ name: h.name, address: h.address, ...(h.instanceId && { instanceId: h.instanceId }), ...(replaces.get(h.name) && { replaces: replaces.get(h.name) }) })),
      runtime: spec.runtime,
      dataDir: spec.etcd.dataDir,
      executionName: input.execution,
      now: deps.clock.now(),
    });
    deps.log.info('restore planned', { cluster: input.clusterName, backup: plan.snapshot.name, revision: plan.snapshot.revision, hosts: plan.hosts.map((h) => h.name), bump: plan.bumpRevision });
    return {
      plan,
      dryRun: { clusterName: input.clusterName, dryRun: true, plan, message: describeRestorePlan(plan) },
      spec,
      hosts: resolved,
      pki: pkiRefs(deps.secrets, input.clusterName, resolved.map((h) => h.name)),
      backup: backup.metadata,
      members: resolved.map((host) => ({ spec, host, stageFor: host.instanceId ?? host.name })),
      membersBefore: record.members.map(memberRef),
    };
  };
}

/** The last good backup, or the one named; a named one without its stored manifest is refused by name. */
async function chooseBackup(deps: RestorePlanDeps, clusterName: string, named: string | null): Promise<{ metadata: BackupMetadata; lastGood: boolean }> {
  const last = await deps.lastBackup.get(clusterName);
  if (named === null) {
    if (!last) throw refused('snapshot', `cluster "${clusterName}" has no good backup yet: take one first (etcd-ha backup / etcd-ha local backup), or name one`);
    return { metadata: last, lastGood: true };
  }
  const metadata = await deps.backups.read(clusterName, named);
  if (!metadata) throw refused('snapshot', `backup "${named}" of cluster "${clusterName}" has no stored manifest (unknown, incomplete or pruned): list the backups and name a complete one`);
  return { metadata, lastGood: last?.name === named };
}
