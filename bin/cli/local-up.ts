// `etcd-ha local up`: runs the ProvisionCluster workflow in the local interpreter and leaves a
// healthy mTLS cluster on loopback addresses. On a cluster that is already here (and with no --spec or
// --members) it provisions the recorded spec again: the workflow reconciles it, and with nothing changed it
// restarts nothing. A spec that changes the recorded membership is refused by the workflow, naming the difference.
import { renderAsl } from '../../statemachines/render-asl';
import { PROVISION_STEPS, provisionClusterDefinition } from '../../statemachines/provision-cluster';
import { createProvisionSteps } from '../../lambdas/steps';
import { runWorkflow } from '../../lambdas/local-runner/run-workflow';
import { readHealthcheckClient } from '../../lambdas/steps/pki-secrets';
import type { ClusterSummary } from '../../lambdas/steps/record-cluster';
import { parseClusterSpec, type ClusterSpec } from '../../lambdas/core/spec';
import { localHome } from '../../lambdas/local-runner/local-home';
import { recordedSpec } from '../../lambdas/steps/recorded-spec';
import { membershipRefusal } from '../../lambdas/core/provision-plan';
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
  const record = recordedCluster(localHome());
  // Validated before anything looks at it: a malformed spec is a usage error naming the field, cluster or not.
  const spec = options.specFile
    ? readLocalSpec(options.specFile)
    : options.members === undefined && record
      ? recordedSpec(record)
      : parseClusterSpec(defaultLocalSpec(options.members ?? 3));
  // Refused before the local context is made: a refusal writes and starts nothing.
  refuseAnotherCluster(spec, record);
  const { home, deps, describeEtcd } = localContext();

  const verb = record ? 'reconciling the recorded' : 'provisioning';
  output.out(`etcd-ha: ${verb} local cluster "${spec.clusterName}" with the ProvisionCluster workflow on ${describeEtcd()}`);
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

/**
 * Local mode runs one cluster at a time; a spec for the cluster that is here must keep its recorded members.
 * The workflow refuses the same under the lock; saying it here first starts nothing.
 */
function refuseAnotherCluster(spec: ClusterSpec, record: ReturnType<typeof recordedCluster>): void {
  if (!record) return;
  const recordedMembers = record.members.map((m) => m.name).sort().join(',');
  if (spec.clusterName !== record.clusterName) {
    throw new UsageError(
      `a local cluster "${record.clusterName}" (${recordedMembers}) is already here; local mode runs one cluster at a time: ` +
        'remove it with `npx etcd-ha local down` first',
    );
  }
  const refusal = membershipRefusal(spec, record);
  if (refusal !== undefined) throw new UsageError(`${refusal}; or start over with \`npx etcd-ha local down\``);
}
