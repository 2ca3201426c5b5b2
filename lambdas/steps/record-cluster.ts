// Record Cluster: what outlives the execution — members with their etcd IDs, the secrets' names and
// the spec — goes into the cluster registry, as a running cluster. Returns the summary the execution ends with.
// Only the lock holder writes the record: the workflow passes its owner (`lockOwner`), and the write happens only
// while that owner holds the cluster's lock. Then, still as the lock holder, the cluster's stable names follow the
// recorded members (publish-names.ts).
import { z } from 'zod';
import { parseOrThrow } from '../core/parse';
import { ClusterSpecSchema } from '../core/spec';
import type { ClusterRecord } from '../ports';
import type { ClusterSummary } from '../core/workflow-io';
import type { RestoreNote } from '../core/restore/plan';
import type { StepDeps } from './deps';
import { HealthSchema, HostSchema, PkiRefsSchema } from './inputs';
import { publishClusterNames } from './publish-names';

const RecordInputSchema = z.object({
  spec: ClusterSpecSchema,
  hosts: z.array(HostSchema).min(1),
  pki: PkiRefsSchema,
  health: HealthSchema,
  /** The lock owner (`$$.Execution.Name`) of the workflow, which holds the cluster's lock. */
  lockOwner: z.string().min(1),
  /** The cluster's initial-cluster-token (provisioning); null: bootstrapped without one. @default - the record's */
  clusterToken: z.string().min(1).nullable().optional(),
  /** The member this change replaced: it leaves the record's list of removed members awaiting a replacement. */
  replaced: z.string().optional(),
  /** RestoreCluster: the restore that made this cluster (kept in the record as lastRestore). */
  restore: z.custom<RestoreNote>((v) => typeof v === 'object' && v !== null && typeof (v as RestoreNote).clusterId === 'string', 'must be the note Record Restored Cluster makes').optional(),
});


export function makeRecordCluster(deps: Pick<StepDeps, 'registry' | 'clock' | 'log' | 'names'>) {
  return async function recordCluster(raw: unknown): Promise<ClusterSummary> {
    const { spec, hosts, pki, health, lockOwner, replaced, clusterToken, restore } = parseOrThrow(RecordInputSchema, raw, 'Record Cluster input');
    const ids = new Map(health.members.map((m) => [m.name, m]));
    const before = await deps.registry.get(spec.clusterName);
    // A member that did not answer keeps the ID the record had for it.
    const idBefore = new Map(before?.members.map((m) => [m.name, m.id]) ?? []);
    // Dead members removed by this change (or earlier) and still awaiting their replacements stay listed, and
    // stay out of the members: the record is the truth, also about a voter removed after the hosts were chosen.
    const awaiting = (before?.removed ?? []).filter((m) => m.name !== replaced);
    const members = replaced === undefined ? hosts : hosts.filter((h) => !awaiting.some((m) => m.name === h.name));
    const removed = replaced === undefined ? awaiting.filter((m) => !hosts.some((h) => h.name === m.name)) : awaiting;
    const token = clusterToken === undefined ? before?.initialClusterToken : (clusterToken ?? undefined);
    // What other workflows keep in the record stays as it is; this step owns the fields below.
    const { removed: _removedBefore, initialClusterToken: _tokenBefore, ...kept } = before ?? ({} as Partial<ClusterRecord>);
    const record: ClusterRecord = {
      ...kept,
      clusterName: spec.clusterName,
      // Healthy and recorded: a bootstrapping cluster (its first run) is now running.
      status: 'running',
      runtime: spec.runtime,
      members: members.map((h) => ({
        name: h.name,
        id: ids.get(h.name)?.id || idBefore.get(h.name) || '',
        address: h.address,
        ...(h.instanceId && { instanceId: h.instanceId }),
        ...(h.placement && { placement: h.placement }),
      })),
      ...(removed.length > 0 && { removed }),
      ...(token !== undefined && { initialClusterToken: token }),
      secrets: { ca: pki.ca, healthcheckClient: pki.healthcheckClient, apiserverEtcdClient: pki.apiserverEtcdClient, ...pki.members },
      updatedAt: deps.clock.now().toISOString(),
      // The spec as it now stands: a replacement changes its member list.
      spec: { ...spec, members: members.map((h) => ({ name: h.name, address: h.address, ...(h.instanceId && { instanceId: h.instanceId }) })) },
      // A pause outlives provisioning and replacements: only Set Maintenance changes it.
      ...(before?.maintenance && { maintenance: before.maintenance }),
      ...(restore && { lastRestore: restore }),
    };
    await deps.registry.put(record, { lockOwner });
    deps.log.info('cluster recorded', { cluster: spec.clusterName, lockOwner });
    // Still under the lock, right after the record: the stable names follow the recorded voters (every member
    // here is a voter: learners are promoted before Record Cluster).
    const names = await publishClusterNames(deps, spec, record.members);
    return {
      clusterName: spec.clusterName,
      members: health.members.map((m) => ({ name: m.name, id: m.id, endpoint: m.endpoint, leader: m.leader })),
      secrets: { ca: pki.ca, healthcheckClient: pki.healthcheckClient, apiserverEtcdClient: pki.apiserverEtcdClient, members: pki.members },
      names,
    };
  };
}
