// `etcd-ha status --cluster NAME [-o json]`: a deployed cluster's record and live health, through a CheckClusterHealth
// execution (its step runs where etcd is reachable, with the healthcheck client this machine never holds). Starts
// it, waits for it through the Step Functions runner, prints the one member table. Exit 0 healthy, 3 not healthy,
// 1 when the execution or an AWS call failed or no such cluster is recorded.
import type { ClusterHealthReport, ValidatedHealthCheck } from '../../lambdas/workflow-runner/contracts';
import { StepFunctionsWorkflowRunner, type FollowedExecution } from '../../lambdas/workflow-runner/step-functions';
import { describeAwsError, executionConsoleUrl, isAwsError, sfnExecutionsApi } from './aws-sfn';
import { WORKFLOWS, checkExecutionName, defaultExecutionName, findStateMachine, type StartDeps } from './aws-start';
import { clusterHealthLines } from './members';
import { formatOutcome } from './outcome';
import { EXIT, printJson, type Output, type OutputFormat } from './output';

export interface StatusCommandOptions {
  readonly cluster: string;
  readonly stateMachineArn?: string;
  /** @default '<cluster>-status-<UTC time>' */
  readonly name?: string;
  /** @default 'text' */
  readonly format?: OutputFormat;
}

/** A health check takes a few seconds: poll more often than a provisioning's follower does. */
const STATUS_POLL_INTERVAL_MS = 1000;

export async function status(options: StatusCommandOptions, output: Output, deps: StartDeps = {}): Promise<number> {
  const format = options.format ?? 'text';
  const name = options.name ?? defaultExecutionName(`${options.cluster.slice(0, 56)}-status`, (deps.now ?? (() => new Date()))());
  checkExecutionName(name);
  const found = await findStateMachine(WORKFLOWS.health, options.stateMachineArn, deps, output);
  if (typeof found === 'number') return found;
  const api = (deps.api ?? sfnExecutionsApi)(found.region);
  let outcome: FollowedExecution;
  try {
    const runner = new StepFunctionsWorkflowRunner(api, () => found.arn, { pollIntervalMs: STATUS_POLL_INTERVAL_MS, ...deps.watch });
    outcome = await runner.execute({ workflow: WORKFLOWS.health.workflow, name, input: { clusterName: options.cluster } });
  } catch (error) {
    if (!isAwsError(error)) throw error;
    output.err(`etcd-ha: ${describeAwsError(error, 'checking the cluster\'s health (CheckClusterHealth)')}`);
    return EXIT.failed;
  } finally {
    api.close();
  }

  const report = outcome.status === 'SUCCEEDED' ? reportOf(outcome.output) : undefined;
  if (!report) {
    output.err(`etcd-ha: the health check of cluster "${options.cluster}" did not answer:`);
    for (const line of formatOutcome(outcome)) output.err(`  ${line}`);
    output.err(`  Console: ${executionConsoleUrl(outcome.executionId)}`);
    return EXIT.failed;
  }
  if (!report.isRecorded) {
    output.err(`etcd-ha: ${report.reason} (asked ${found.arn})`);
    return EXIT.failed;
  }
  if (format === 'json') {
    printJson(output, { ...report, executionArn: outcome.executionId });
  } else {
    for (const line of clusterHealthLines(report)) output.out(line);
  }
  return report.healthy ? EXIT.done : EXIT.notHealthy;
}

/** The execution's output when it is one CheckClusterHealth gives (a report, or Nothing To Check's answer). */
function reportOf(output: unknown): ClusterHealthReport | Extract<ValidatedHealthCheck, { isRecorded: false }> | undefined {
  if (output === null || typeof output !== 'object') return undefined;
  const o = output as { clusterName?: unknown; isRecorded?: unknown; reason?: unknown; healthy?: unknown; members?: unknown; problems?: unknown };
  if (typeof o.clusterName !== 'string') return undefined;
  if (o.isRecorded === false && typeof o.reason === 'string') return output as Extract<ValidatedHealthCheck, { isRecorded: false }>;
  if (o.isRecorded === true && typeof o.healthy === 'boolean' && Array.isArray(o.members) && Array.isArray(o.problems)) return output as ClusterHealthReport;
  return undefined;
}
