// The steps of CheckClusterHealth (`etcd-ha status`): Validate Request → Is Cluster Recorded? → Read Cluster Health.
// Read-only: no lock (nothing is changed, and a status must answer while a replacement holds the lock), no write.
// The verdict is the one every workflow uses (core/health.ts): "not healthy" is a result, not an error.
import { z } from 'zod';
import { parseOrThrow } from '../../core/parse';
import { SpecValidationError } from '../../core/errors';
import { clientUrl } from '../../core/etcd-flags';
import { judgeClusterHealth } from '../../core/health';
import { HealthCheckRequestSchema, type ClusterHealthReport, type ValidatedHealthCheck } from '../../core/workflow-io';
import type { ClusterRecord } from '../../ports';
import type { HealthCheckStep } from '../../catalog/steps';
import type { StepDeps, StepHandler } from '../deps';
import { pkiRefs } from '../pki-secrets';
import { bootstrappingReason, isBootstrapping } from '../../core/cluster-status';
import { recordedSpec } from '../recorded-spec';
import { withAdmin } from '../replace/membership';


const ReadClusterHealthInputSchema = z.object({ clusterName: z.string().min(1) });

export function createHealthCheckSteps(deps: Pick<StepDeps, 'registry' | 'secrets' | 'etcd' | 'log' | 'maxAppliedIndexLag'>): Record<HealthCheckStep, StepHandler> {
  return {
    async validateHealthCheckRequest(raw: unknown): Promise<ValidatedHealthCheck> {
      // The state passes the execution input as { request }.
      const { clusterName } = parseOrThrow(HealthCheckRequestSchema, (raw as { request?: unknown } | null)?.request, 'CheckClusterHealth input');
      const record = await deps.registry.get(clusterName);
      if (record && isBootstrapping(record)) return { clusterName, isRecorded: false, reason: bootstrappingReason(clusterName) };
      if (record) return { clusterName, isRecorded: true };
      return { clusterName, isRecorded: false, reason: `no cluster "${clusterName}" is recorded` };
    },

    async readClusterHealth(raw: unknown): Promise<ClusterHealthReport> {
      const { clusterName } = parseOrThrow(ReadClusterHealthInputSchema, raw, 'Read Cluster Health input');
      const record = await deps.registry.get(clusterName);
      if (!record) throw new SpecValidationError('CheckClusterHealth input', [`clusterName: no cluster "${clusterName}" is recorded`]);
      const report = await readHealth(deps, record);
      deps.log.info(report.healthy ? 'cluster healthy' : 'cluster not healthy', { cluster: clusterName, problems: report.problems });
      return report;
    },
  };
}

async function readHealth(deps: Pick<StepDeps, 'secrets' | 'etcd' | 'maxAppliedIndexLag'>, record: ClusterRecord): Promise<ClusterHealthReport> {
  const spec = recordedSpec(record);
  const pki = pkiRefs(deps.secrets, record.clusterName, record.members.map((m) => m.name));
  const view = await withAdmin(deps, pki, (admin) => admin.inspect(record.members.map((m) => clientUrl(m.address, spec))));
  const verdict = judgeClusterHealth(
    view,
    { members: record.members, clientPort: spec.etcd.clientPort, peerPort: spec.etcd.peerPort },
    { maxAppliedIndexLag: deps.maxAppliedIndexLag },
  );
  const recorded = new Map(record.members.map((m) => [m.name, m]));
  return {
    clusterName: record.clusterName,
    isRecorded: true,
    healthy: verdict.healthy,
    problems: [...verdict.problems],
    ...(verdict.leaderName !== undefined && { leader: verdict.leaderName }),
    ...(verdict.clusterId !== undefined && { clusterId: verdict.clusterId }),
    members: verdict.members.map((m) => {
      const instanceId = recorded.get(m.name)?.instanceId;
      return {
        name: m.name,
        id: m.id ?? recorded.get(m.name)?.id ?? '',
        endpoint: m.endpoint,
        ...(instanceId !== undefined && { instanceId }),
        healthy: m.healthy,
        leader: m.leader,
        learner: m.learner,
        ...(m.dbSize !== undefined && { dbSize: m.dbSize }),
      };
    }),
    awaitingReplacement: (record.removed ?? []).map((m) => ({ name: m.name, removedAt: m.removedAt, removedBy: m.removedBy })),
    runtime: record.runtime,
    updatedAt: record.updatedAt,
    maintenance: record.maintenance ?? { paused: false, history: [] },
  };
}
