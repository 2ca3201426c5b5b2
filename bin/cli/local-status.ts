// `etcd-ha local status [-o json]`: the local cluster's record and live health through a CheckClusterHealth run on
// the local runner, the workflow `etcd-ha status` starts on AWS, printed by the same code (exit 3 when not healthy).
import { localRunner, requireRecordedCluster } from './local-cluster';
import { healthCheckAnswerOf, printHealthReport } from './health-report';
import { formatOutcome } from './outcome';
import { EXIT, type Output, type OutputFormat } from './output';

export async function localStatus(options: { format: OutputFormat }, output: Output): Promise<number> {
  const runner = localRunner();
  const record = requireRecordedCluster(runner.home);
  const outcome = await runner.execute({ workflow: 'check-cluster-health', input: { clusterName: record.clusterName } });
  const report = outcome.status === 'SUCCEEDED' ? healthCheckAnswerOf(outcome.output) : undefined;
  if (!report || !report.isRecorded) {
    output.err(`etcd-ha: the health check of the local cluster "${record.clusterName}" did not answer:`);
    for (const line of report ? [report.reason] : formatOutcome(outcome)) output.err(`  ${line}`);
    return EXIT.failed;
  }
  return printHealthReport(report, options.format, output);
}
