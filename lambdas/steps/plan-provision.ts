// Read Cluster (ProvisionCluster): the first step under the cluster's lock. With no record, the run bootstraps
// the spec's members. With a bootstrapping record (a first run that did not complete), it bootstraps them again,
// if they are the recorded ones (names and instances). With a running one, it reads etcd at the recorded members and either reconciles — the recorded
// membership (hosts as recorded, never re-resolved) with the spec's settings, rolled one member at a time — or
// refuses, naming what differs (core/provision-plan.ts). Nothing is changed before this answer.
import { z } from 'zod';
import { parseOrThrow } from '../core/parse';
import { clientUrl } from '../core/etcd-flags';
import { parseClusterSpec, type ClusterSpec } from '../core/spec';
import { planProvision } from '../core/provision-plan';
import { ProvisionRefusedError, QuorumLostError } from '../core/errors';
import type { ClusterRecord, Host } from '../ports';
import type { StepDeps } from './deps';
import { recordedSpec } from './recorded-spec';
import { pkiRefs } from './pki-secrets';
import { withAdmin } from './replace/membership';
import { isBootstrapping } from '../core/cluster-status';
import { memberRef } from '../core/membership-event';

/** The whole state (the validated spec plus the lock), as { state }: this step adds to it. */
const PlanInputSchema = z.object({ state: z.object({ spec: z.unknown() }).loose() });

export type ProvisionMode = 'bootstrap' | 'reconcile';

export function makePlanProvision(deps: Pick<StepDeps, 'registry' | 'secrets' | 'etcd' | 'directory' | 'log'>) {
  return async function planProvisionStep(raw: unknown): Promise<Record<string, unknown>> {
    const { state } = parseOrThrow(PlanInputSchema, raw, 'Read Cluster input');
    const spec = parseClusterSpec(state.spec);
    const record = await deps.registry.get(spec.clusterName);
    if (!record) {
      deps.log.info('no record: bootstrapping a new cluster', { cluster: spec.clusterName, members: spec.members.map((m) => m.name) });
      return { ...state, spec, mode: 'bootstrap' satisfies ProvisionMode, membersBefore: [] };
    }
    if (isBootstrapping(record)) return resumeBootstrap(deps, state, spec, record);
    const recorded = recordedSpec(record);
    const hosts = deps.directory.recorded(spec.clusterName, record.members);
    const answered = await askRecordedMembers(deps, record, hosts, recorded);
    const plan = planProvision(spec, { members: record.members, ...(record.removed && { removed: record.removed }), spec: recorded }, answered);
    if ('refused' in plan) {
      deps.log.warn('provisioning refused', { cluster: spec.clusterName, refused: plan.refused });
      throw plan.refused === 'quorum' ? new QuorumLostError(plan.message) : new ProvisionRefusedError(plan.message);
    }
    // The spec's settings over the recorded membership (as recorded: a replacement's new name and address).
    const reconciled: ClusterSpec = parseClusterSpec({
      ...spec,
      members: record.members.map((m) => ({ name: m.name, address: m.address, ...(m.instanceId && { instanceId: m.instanceId }) })),
    });
    deps.log.info('recorded cluster: reconciling one member at a time', { cluster: spec.clusterName, down: plan.mode === 'reconcile' ? plan.down : [] });
    return {
      ...state,
      spec: reconciled,
      mode: 'reconcile' satisfies ProvisionMode,
      hosts,
      // The members as read under the lock: the old members of the membership event this run ends with.
      membersBefore: record.members.map(memberRef),
      // Bootstrap-only, but written into every member's config: the recorded one (none: etcd's default stays).
      token: { value: record.initialClusterToken ?? null },
    };
  };
}

/** A first run that did not complete: bootstrapping again, with the members it recorded and (Generate PKI) its CA. */
function resumeBootstrap(deps: Pick<StepDeps, 'log'>, state: Record<string, unknown>, spec: ClusterSpec, record: ClusterRecord): Record<string, unknown> {
  const plan = planProvision(spec, { status: 'bootstrapping', members: record.members, spec: recordedSpec(record) }, undefined);
  if ('refused' in plan) {
    deps.log.warn('provisioning refused', { cluster: spec.clusterName, refused: plan.refused });
    throw new ProvisionRefusedError(plan.message);
  }
  deps.log.info('bootstrapping record: bootstrapping again with the recorded members', { cluster: spec.clusterName, members: record.members.map((m) => m.name) });
  return { ...state, spec, mode: 'bootstrap' satisfies ProvisionMode, membersBefore: [] };
}

async function askRecordedMembers(deps: Pick<StepDeps, 'secrets' | 'etcd'>, record: ClusterRecord, hosts: readonly Host[], spec: ClusterSpec) {
  const pki = pkiRefs(deps.secrets, record.clusterName, record.members.map((m) => m.name));
  const view = await withAdmin(deps, pki, (admin) => admin.inspect(hosts.map((h) => clientUrl(h.address, spec))));
  const ok = new Set(view.statuses.filter((s) => s.ok).map((s) => s.endpoint));
  return {
    answered: hosts.filter((h) => ok.has(clientUrl(h.address, spec))).map((h) => h.name),
    // No member gave a list (3.5 without quorum, or nobody answered): judged from the statuses alone.
    ...(view.members.length > 0 && { members: view.members }),
  };
}
