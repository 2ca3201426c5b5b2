// `etcd-ha local up`: runs the ProvisionCluster workflow in the local interpreter and leaves a
// healthy mTLS cluster on loopback addresses. On a cluster that is already here (and with no --spec or
// --members) it provisions the recorded spec again: the workflow reconciles it, and with nothing changed it
// restarts nothing. A spec that changes the recorded membership is refused by the workflow, naming the difference.
import type { ClusterSummary } from '../../lambdas/workflow-runner/contracts';
import { parseClusterSpec, type ClusterSpec } from '../../lambdas/core/spec';
import { localHome } from '../../lambdas/local-runner/local-home';
import { membershipRefusal } from '../../lambdas/core/provision-plan';
import { ProgressPrinter } from './progress';
import { defaultLocalSpec, readLocalSpec } from './local-spec';
import { localRunner, recordedCluster } from './local-cluster';
import { writeClientFiles } from './local-files';
import { printMemberTable } from './members';
import { EXIT, UsageError, printJson, progressOutput, type Output, type OutputFormat } from './output';

export interface LocalUpOptions {
  readonly members?: number;
  readonly specFile?: string;
  /** @default 'text' */
  readonly format?: OutputFormat;
}

export async function localUp(options: LocalUpOptions, output: Output): Promise<number> {
  if (options.members !== undefined && options.specFile !== undefined) throw new UsageError('give --members or --spec, not both');
  const format = options.format ?? 'text';
  const say = progressOutput(output, format);
  // Validated before anything else looks at it: a malformed spec is a usage error naming the field, cluster or not.
  const given = options.specFile ? readLocalSpec(options.specFile) : options.members !== undefined ? parseClusterSpec(defaultLocalSpec(options.members)) : undefined;
  const record = recordedCluster(localHome());
  // Refused before the local runner starts anything: a refusal writes and starts nothing.
  const runner = localRunner();
  const spec = given ?? (record ? runner.recordedSpec(record) : parseClusterSpec(defaultLocalSpec(3)));
  refuseAnotherCluster(spec, record);

  const verb = record ? 'reconciling the recorded' : 'provisioning';
  say.out(`etcd-ha: ${verb} local cluster "${spec.clusterName}" with the ProvisionCluster workflow on ${runner.describeEtcd()}`);
  const progress = new ProgressPrinter(say.out);
  const result = await runner.execute({ workflow: 'provision-cluster', input: spec, onEvent: (event) => progress.onEvent(event) });
  if (result.status === 'FAILED') {
    say.err(`\nProvisionCluster failed: ${result.error}`);
    say.err(result.cause ?? '');
    say.err(`Step log: ${runner.home.stepLog}`);
    if (format === 'json') printJson(output, { workflow: 'ProvisionCluster', status: result.status, error: result.error, cause: result.cause, transitions: result.transitions });
    return EXIT.failed;
  }
  const summary = result.output as ClusterSummary;
  const client = await runner.healthcheckClient(summary.secrets);
  writeClientFiles(runner.home.clientDir, client);
  if (format === 'json') {
    printJson(output, { workflow: 'ProvisionCluster', status: result.status, transitions: result.transitions, cluster: summary });
    return EXIT.done;
  }
  output.out(`\nCluster "${summary.clusterName}" is healthy: ${summary.members.length} members (${result.transitions} state transitions).`);
  printMemberTable(output, summary.members);
  output.out('\nUse it with etcdctl:');
  output.out('  eval "$(npx etcd-ha local env)"');
  output.out('  etcdctl member list -w table');
  output.out('Status: npx etcd-ha local status    Stop and remove: npx etcd-ha local down');
  return EXIT.done;
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
