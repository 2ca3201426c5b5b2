// `etcd-ha local up`: runs the ProvisionCluster workflow in the local interpreter and leaves a
// healthy mTLS cluster on loopback addresses. Running it again on a healthy cluster changes nothing.
import { renderAsl } from '../../statemachines/render-asl';
import { PROVISION_STEPS, provisionClusterDefinition } from '../../statemachines/provision-cluster';
import { createProvisionSteps } from '../../lambdas/steps';
import { runWorkflow } from '../../lambdas/local-runner/run-workflow';
import { readHealthcheckClient } from '../../lambdas/steps/pki-secrets';
import type { ClusterSummary } from '../../lambdas/steps/record-cluster';
import { ProgressPrinter } from './progress';
import { defaultLocalSpec, readLocalSpec } from './local-spec';
import { localContext, recordedCluster } from './local-cluster';
import { writeClientFiles } from './local-files';
import { UsageError, type Output } from './output';

export interface LocalUpOptions {
  readonly members?: number;
  readonly specFile?: string;
}

export async function localUp(options: LocalUpOptions, output: Output): Promise<number> {
  if (options.members !== undefined && options.specFile !== undefined) throw new UsageError('give --members or --spec, not both');
  const spec = options.specFile ? readLocalSpec(options.specFile) : defaultLocalSpec(options.members ?? 3);
  const { home, deps, describeEtcd } = localContext();
  refuseAnotherCluster(spec, recordedCluster(home));

  const name = (spec as { clusterName?: unknown }).clusterName;
  output.out(`etcd-ha: provisioning local cluster "${String(name)}" with the ProvisionCluster workflow on ${describeEtcd()}`);
  const progress = new ProgressPrinter(output.out);
  const result = await runWorkflow({
    definition: renderAsl(PROVISION_STEPS, (scope, functions) => provisionClusterDefinition(scope, { functions, healthCheckAttempts: 60 })),
    steps: createProvisionSteps(deps),
    input: spec,
    onEvent: (event) => progress.onEvent(event),
  });
  if (result.status === 'FAILED') {
    output.err(`\nProvisionCluster failed: ${result.error}`);
    output.err(result.cause ?? '');
    output.err(`Step log: ${home.stepLog}`);
    return 1;
  }
  const summary = result.output as ClusterSummary;
  const client = await readHealthcheckClient(deps.secrets, { ...summary.secrets });
  writeClientFiles(home.clientDir, client);
  output.out(`\nCluster "${summary.clusterName}" is healthy: ${summary.members.length} members (${result.transitions} state transitions).`);
  for (const member of summary.members) {
    output.out(`  ${member.name.padEnd(10)} ${member.id.padEnd(17)} ${member.endpoint}${member.leader ? '  (leader)' : ''}`);
  }
  output.out('\nUse it with etcdctl:');
  output.out('  eval "$(npx etcd-ha local env)"');
  output.out('  etcdctl member list -w table');
  output.out('Status: npx etcd-ha local status    Stop and remove: npx etcd-ha local down');
  return 0;
}

function refuseAnotherCluster(spec: unknown, record: ReturnType<typeof recordedCluster>): void {
  if (!record || spec === null || typeof spec !== 'object') return;
  const wanted = spec as { clusterName?: unknown; members?: Array<{ name?: unknown }> };
  const sameName = wanted.clusterName === record.clusterName;
  const wantedMembers = (wanted.members ?? []).map((m) => String(m.name)).sort().join(',');
  const recordedMembers = record.members.map((m) => m.name).sort().join(',');
  if (!sameName || wantedMembers !== recordedMembers) {
    throw new UsageError(
      `a local cluster "${record.clusterName}" (${recordedMembers}) is already here; local mode runs one cluster at a time: ` +
        'remove it with `npx etcd-ha local down` first',
    );
  }
}
