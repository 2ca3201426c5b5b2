// What Generate PKI does before it creates or reuses a CA: a CA belongs to a cluster only when a record says the
// cluster exists. The first provisioning records the cluster as "bootstrapping" under the lock first (its members
// as resolved), so that a failed first run is re-run with the same CA, and another spec for the same name is refused
// by Read Cluster instead of being signed for. A CA secret that no record accounts for is refused by name: never
// adopted (someone may know its key) nor replaced (something may trust it).
import { ProvisionRefusedError, SpecValidationError, UnrecordedCaError } from '../core/errors';
import { isBootstrapping } from '../core/cluster-status';
import type { ClusterSpec } from '../core/spec';
import type { ClusterRecord, Host } from '../ports';
import type { StepDeps } from './deps';
import type { PkiRefs } from './inputs';

export interface BeforeCaRequest {
  readonly spec: ClusterSpec;
  readonly hosts: readonly Host[];
  readonly refs: PkiRefs;
  /** The execution that holds the cluster's lock: only it writes the record. */
  readonly lockOwner: string | undefined;
}

/** How the cluster stood when asked: "recorded now" (this call wrote the bootstrapping record), or its record's status. */
export type BeforeCaOutcome = 'recorded now' | 'bootstrapping' | 'running';

export async function recordClusterBeforeCa(deps: Pick<StepDeps, 'registry' | 'secrets' | 'clock' | 'log'>, request: BeforeCaRequest): Promise<BeforeCaOutcome> {
  const { spec, hosts, refs, lockOwner } = request;
  const record = await deps.registry.get(spec.clusterName);
  if (record) {
    if (isBootstrapping(record)) refuseOtherMembers(record, hosts);
    return isBootstrapping(record) ? 'bootstrapping' : 'running';
  }
  if ((await deps.secrets.get(refs.ca)) !== undefined) {
    throw new UnrecordedCaError(
      `the secret ${refs.ca} holds a CA, but no record says cluster ${spec.clusterName} exists: refusing to adopt or replace it. ` +
        `If it is this cluster's from before records were kept, restore the record; otherwise delete the secret`,
    );
  }
  if (lockOwner === undefined) {
    throw new SpecValidationError('Generate PKI input', [`lock.owner: required to record cluster ${spec.clusterName} before its CA is made (only the lock holder writes the record)`]);
  }
  await deps.registry.put(bootstrappingRecord(spec, hosts, refs, deps.clock.now()), { lockOwner });
  deps.log.info('cluster recorded as bootstrapping, before its CA', { cluster: spec.clusterName, members: hosts.map((h) => h.name), lockOwner });
  return 'recorded now';
}

function bootstrappingRecord(spec: ClusterSpec, hosts: readonly Host[], refs: PkiRefs, now: Date): ClusterRecord {
  const members = hosts.map((h) => ({ name: h.name, address: h.address, ...(h.instanceId && { instanceId: h.instanceId }) }));
  return {
    clusterName: spec.clusterName,
    status: 'bootstrapping',
    runtime: spec.runtime,
    // No etcd IDs yet: Record Cluster gives them once the cluster is healthy.
    members: hosts.map((h, i) => ({ ...members[i]!, id: '', ...(h.placement && { placement: h.placement }) })),
    secrets: { ca: refs.ca, healthcheckClient: refs.healthcheckClient, apiserverEtcdClient: refs.apiserverEtcdClient, ...refs.members },
    updatedAt: now.toISOString(),
    spec: { ...spec, members },
  };
}

/** Read Cluster checked this too; the CA is about to sign for `hosts`, so once more right here. */
function refuseOtherMembers(record: ClusterRecord, hosts: readonly Host[]): void {
  const recorded = new Map(record.members.map((m) => [m.name, m.instanceId]));
  const differ =
    hosts.length !== record.members.length ||
    hosts.some((h) => !recorded.has(h.name) || recorded.get(h.name) !== h.instanceId);
  if (differ) {
    throw new ProvisionRefusedError(
      `cluster ${record.clusterName} is bootstrapping with members ${record.members.map((m) => `${m.name}${m.instanceId ? ` (${m.instanceId})` : ''}`).join(', ')}; ` +
        `its CA signs for no other host (asked for ${hosts.map((h) => `${h.name}${h.instanceId ? ` (${h.instanceId})` : ''}`).join(', ')})`,
    );
  }
}
