// Record Restored Cluster: once the restored members are healthy, the lock holder records them (Record Cluster: the
// members with their new IDs, the new token, the hosts) with a note of the restore: the backup, and the new cluster ID
// etcd answers with now. The execution ends with its answer.
import { z } from 'zod';
import { parseOrThrow } from '../../core/parse';
import { clientUrl } from '../../core/etcd-flags';
import { hexId } from '../../core/health';
import { EtcdNotReadyError } from '../../core/errors';
import { ClusterSpecSchema } from '../../core/spec';
import type { RestoreNote, RestorePlan } from '../../core/restore/plan';
import type { RestoreOutcome } from '../../core/restore/outcome';

export type { RestoreOutcome };
import type { StepDeps } from '../deps';
import { HealthSchema, HostSchema, PkiRefsSchema } from '../inputs';
import { readHealthcheckClient } from '../pki-secrets';
import { makeRecordCluster } from '../record-cluster';

const RecordRestoreInputSchema = z.object({
  spec: ClusterSpecSchema,
  hosts: z.array(HostSchema).min(1),
  pki: PkiRefsSchema,
  health: HealthSchema,
  plan: z.custom<RestorePlan>((v) => typeof v === 'object' && v !== null && typeof (v as RestorePlan).token === 'string', 'must be the plan Plan Restore made'),
  /** Restore Member's answers: where each old data dir went. */
  restored: z.array(z.object({ host: z.string(), movedAsideTo: z.string().optional(), alreadyRestored: z.boolean().default(false) }).loose()),
  lockOwner: z.string().min(1),
  by: z.string().min(1),
});

export function makeRecordRestoredCluster(deps: Pick<StepDeps, 'registry' | 'clock' | 'log' | 'secrets' | 'etcd' | 'names'>) {
  const recordCluster = makeRecordCluster(deps);
  return async function recordRestoredCluster(raw: unknown): Promise<RestoreOutcome> {
    const input = parseOrThrow(RecordRestoreInputSchema, raw, 'Record Restored Cluster input');
    const { spec, hosts, plan } = input;
    const admin = deps.etcd.connect(await readHealthcheckClient(deps.secrets, input.pki));
    let clusterId: string;
    let revision: number | undefined;
    try {
      const view = await admin.inspect(hosts.map((h) => clientUrl(h.address, spec)));
      const answered = view.statuses.find((s) => s.ok && s.clusterId !== undefined);
      if (!answered?.clusterId) throw new EtcdNotReadyError(`no restored member of ${spec.clusterName} answered with its cluster ID`);
      clusterId = hexId(answered.clusterId);
      revision = answered.revision;
    } finally {
      await admin.close();
    }
    const note: RestoreNote = {
      at: deps.clock.now().toISOString(),
      by: input.by,
      execution: input.lockOwner,
      backup: plan.snapshot.name,
      backupRevision: plan.snapshot.revision,
      backupTakenAt: plan.snapshot.takenAt,
      previousClusterId: plan.snapshot.clusterId,
      clusterId,
      token: plan.token,
      bumpRevision: plan.bumpRevision,
    };
    const summary = await recordCluster({ spec, hosts, pki: input.pki, health: input.health, lockOwner: input.lockOwner, clusterToken: plan.token, restore: note });
    const movedAside = input.restored.flatMap((r) => (r.movedAsideTo ? [{ host: r.host, to: r.movedAsideTo }] : []));
    deps.log.info('restored cluster recorded', { cluster: spec.clusterName, clusterId, revision, backup: plan.snapshot.name });
    return {
      clusterName: spec.clusterName,
      dryRun: false,
      restored: true,
      clusterId,
      previousClusterId: plan.snapshot.clusterId,
      revision: revision ?? null,
      plan,
      members: summary.members,
      movedAside,
      ...(summary.names && { names: summary.names }),
      message:
        `cluster "${spec.clusterName}" restored from backup ${plan.snapshot.name} (revision ${plan.snapshot.revision}): new cluster ID ${clusterId}` +
        `${plan.revisionBumped ? `, revision bumped by ${plan.bumpRevision}` : ', revision not bumped (etcd 3.4): restart every kube-apiserver'}` +
        `; old data dirs kept aside (${plan.dataDir}.removed-<UTC time> on each host)`,
    };
  };
}
