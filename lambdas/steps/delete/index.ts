// The steps of DeleteCluster: Validate Delete Request (the dry run's answer) → Acquire Lock → Mark Cluster Deleting
// → per member Stop Etcd And Set Data Aside (resetJoiningHost, shared with ReplaceMember) → Delete Secrets → Delete
// Record → Release Lock. The record goes last but one, and says "deleting" from the first write on: the health
// probe, the EC2 rule and `local heal` end quietly meanwhile, and the lock keeps every other workflow out.
import { z } from 'zod';
import { parseOrThrow } from '../../core/parse';
import { SpecValidationError } from '../../core/errors';
import { deletedMessage, deletingMaintenance, dryRunMessage, planDeletion } from '../../core/deletion';
import { DeleteRequestSchema, type DeletionDryRun, type DeletionOutcome, type DeletionPlan } from '../../core/workflow-io';
import type { ClusterSpec } from '../../core/spec';
import type { ClusterLock, ClusterRecord, Host, RecordDeletion, SecretDeletion } from '../../ports';
import type { DeleteStep } from '../../catalog/steps';
import type { StepDeps, StepHandler } from '../deps';
import { makeLockSteps } from '../replace/lock-steps';
import { makeResetJoiningHost } from '../replace/reset-joining-host';
import { renewingLocks } from '../lock-renewal';
import { recordedSpec } from '../recorded-spec';
import { removeClusterNames } from '../publish-names';

export interface DeleteDeps extends StepDeps {
  readonly lock: ClusterLock;
  readonly secretDeletion: SecretDeletion;
  readonly recordDeletion: RecordDeletion;
}

/** Validate Delete Request's answer: the Choice reads `confirmed`; a dry run ends with `dryRun`. */
export interface ValidatedDeletion {
  readonly clusterName: string;
  readonly by: string;
  readonly confirmed: boolean;
  readonly dryRun: DeletionDryRun;
}

/** One member's host to stop, with the spec its runtime and data dir come from (the Map's items). */
export interface HostToStop {
  readonly spec: ClusterSpec;
  readonly host: Host;
}

export interface MarkedDeletion {
  readonly plan: DeletionPlan;
  readonly stops: readonly HostToStop[];
}

const ClusterInputSchema = z.object({ clusterName: z.string().min(1) });
const MarkInputSchema = z.object({ clusterName: z.string().min(1), by: z.string().min(1), execution: z.string().min(1) });
const DeleteRecordInputSchema = z.object({
  clusterName: z.string().min(1),
  execution: z.string().min(1),
  plan: z.custom<DeletionPlan>((v) => typeof v === 'object' && v !== null, 'must be the plan Mark Cluster Deleting made'),
  /** Each Map iteration's answer: `{ host }` once stopped, `{ host, unreachable: true }` when it could not be reached. */
  stopped: z.array(z.object({ host: z.string(), unreachable: z.boolean().optional() })),
});

/** What is there to delete now: the record (if any), its members' hosts and the cluster's secrets. */
async function survey(deps: Pick<DeleteDeps, 'registry' | 'secretDeletion' | 'directory'>, clusterName: string) {
  const [record, secrets] = await Promise.all([deps.registry.get(clusterName), deps.secretDeletion.secretsOf(clusterName)]);
  const members = record ? [...record.members, ...(record.removed ?? [])] : [];
  const spec = record ? recordedSpec(record) : undefined;
  const plan = planDeletion({
    clusterName,
    members,
    isRecorded: record !== undefined,
    secrets,
    ...(spec && { dataDir: spec.etcd.dataDir, runtime: spec.runtime }),
  });
  const hosts = record ? deps.directory.recorded(clusterName, members) : [];
  return { record, plan, stops: spec ? hosts.map((host) => ({ spec, host })) : [] };
}

function nothingThere(clusterName: string): SpecValidationError {
  return new SpecValidationError('DeleteCluster input', [`clusterName: no cluster "${clusterName}" is recorded and no secret of it exists: nothing to delete`]);
}

export function createDeleteSteps(deps: DeleteDeps): Record<DeleteStep, StepHandler> {
  const { acquireLock, releaseLock, renewLock } = makeLockSteps(deps);

  const underLock = renewingLocks(
    {
      /** Under the lock: the plan again (it may have changed since the request was read), and "deleting" in the record. */
      async markClusterDeleting(raw: unknown): Promise<MarkedDeletion> {
        const { clusterName, by, execution } = parseOrThrow(MarkInputSchema, raw, 'Mark Cluster Deleting input');
        const { record, plan, stops } = await survey(deps, clusterName);
        if (!record && plan.secrets.length === 0) throw nothingThere(clusterName);
        if (record) {
          const at = deps.clock.now().toISOString();
          const marked: ClusterRecord = { ...record, maintenance: deletingMaintenance(record.maintenance, { by, at, execution }), updatedAt: at };
          await deps.registry.put(marked, { lockOwner: execution });
        }
        deps.log.info('cluster marked deleting', { cluster: clusterName, by, execution, members: plan.members.length, secrets: plan.secrets.length });
        return { plan, stops };
      },
      resetJoiningHost: makeResetJoiningHost(deps),
      async deleteClusterSecrets(raw: unknown): Promise<{ deleted: string[]; alreadyGone: string[] }> {
        const { clusterName } = parseOrThrow(ClusterInputSchema, raw, 'Delete Secrets input');
        const names = await deps.secretDeletion.secretsOf(clusterName);
        const deleted: string[] = [];
        const alreadyGone: string[] = [];
        // One at a time: Secrets Manager's write calls share a small rate.
        for (const name of names) ((await deps.secretDeletion.deleteNow(name)).deleted ? deleted : alreadyGone).push(name);
        deps.log.info('cluster secrets deleted', { cluster: clusterName, deleted, alreadyGone });
        return { deleted, alreadyGone };
      },
      async deleteClusterRecord(raw: unknown): Promise<DeletionOutcome> {
        const { clusterName, execution, plan, stopped } = parseOrThrow(DeleteRecordInputSchema, raw, 'Delete Record input');
        // The names go before the record that says which zone they are in: a retry after the record is gone finds
        // them gone too.
        const record = await deps.registry.get(clusterName);
        if (record) await removeClusterNames(deps, recordedSpec(record));
        const { deleted } = await deps.recordDeletion.deleteRecord(clusterName, execution);
        const unreachable = stopped.filter((s) => s.unreachable).map((s) => s.host);
        deps.log.info(deleted ? 'cluster record deleted' : 'no cluster record to delete', { cluster: clusterName, execution, unreachable });
        return { clusterName, dryRun: false, deleted: plan, unreachable, message: deletedMessage(plan, unreachable) };
      },
    },
    renewLock,
  );

  return {
    /** Before the lock, read-only: the request, and what a confirmed run would delete (a dry run's whole answer). */
    async validateDeleteRequest(raw: unknown): Promise<ValidatedDeletion> {
      const request = parseOrThrow(DeleteRequestSchema, (raw as { request?: unknown } | null)?.request, 'DeleteCluster input');
      const { record, plan } = await survey(deps, request.clusterName);
      if (!record && plan.secrets.length === 0) throw nothingThere(request.clusterName);
      const confirmed = request.confirm !== undefined;
      return {
        clusterName: request.clusterName,
        by: request.by,
        confirmed,
        dryRun: { clusterName: request.clusterName, dryRun: true, wouldDelete: plan, message: dryRunMessage(plan) },
      };
    },
    acquireLock,
    ...underLock,
    releaseLock,
  };
}
