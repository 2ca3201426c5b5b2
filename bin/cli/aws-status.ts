// `etcd-ha status --cluster NAME [-o json]`: a deployed cluster's record and live health, through a CheckClusterHealth
// execution (its step runs where etcd is reachable, with the healthcheck client this machine never holds). Starts
// it, waits for it through the Step Functions runner, prints the one member table. Exit 0 healthy, 3 not healthy,
// 1 when the execution or an AWS call failed or no such cluster is recorded.
import { StepFunctionsWorkflowRunner, type FollowedExecution } from '../../lambdas/workflow-runner/step-functions';
import { describeAwsError, executionConsoleUrl, isAwsError, sfnExecutionsApi } from './aws-sfn';
import { WORKFLOWS, checkExecutionName, defaultExecutionName, findStateMachine, type StartDeps } from './aws-start';
import { healthCheckAnswerOf, printHealthReport } from './health-report';
import { formatOutcome } from './outcome';
import { EXIT, type Output, type OutputFormat } from './output';

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

  const report = outcome.status === 'SUCCEEDED' ? healthCheckAnswerOf(outcome.output) : undefined;
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
  return printHealthReport(report, format, output, { executionArn: outcome.executionId });
}
