// `etcd-ha drill --cluster NAME` (the deployed DrillRestore, followed until it ends) and `etcd-ha local drill` (the same
// workflow on the local runner, over the local cluster's last good backup). A cluster name the workflow would refuse
// is refused here, before anything starts (exit 2).
import { DrillRequestSchema } from '../../lambdas/workflow-runner/contracts';
import { describeIssue } from '../../lambdas/core/parse';
import { StepFunctionsWorkflowRunner, type FollowedExecution } from '../../lambdas/workflow-runner/step-functions';
import { describeAwsError, executionConsoleUrl, isAwsError, sfnExecutionsApi } from './aws-sfn';
import { WORKFLOWS, checkExecutionName, defaultExecutionName, findStateMachine, type StartDeps } from './aws-start';
import { localRunner, requireRecordedCluster } from './local-cluster';
import { printDrillOutcome } from './drill-report';
import { ProgressPrinter } from './progress';
import { EXIT, UsageError, progressOutput, type Output, type OutputFormat } from './output';

export interface DrillCommandOptions {
  readonly cluster: string;
  readonly stateMachineArn?: string;
  /** @default '<cluster>-drill-<UTC time>' */
  readonly name?: string;
  /** @default 'text' */
  readonly format?: OutputFormat;
}

export function drillRequest(cluster: string) {
  const parsed = DrillRequestSchema.safeParse({ clusterName: cluster });
  if (!parsed.success) throw new UsageError(parsed.error.issues.flatMap(describeIssue).map((line) => line.replace(/^clusterName:/, '--cluster:')).join('\n'));
  return parsed.data;
}

export async function drill(options: DrillCommandOptions, given: Output, deps: StartDeps = {}): Promise<number> {
  const format = options.format ?? 'text';
  const output = progressOutput(given, format);
  const input = drillRequest(options.cluster);
  const name = options.name ?? defaultExecutionName(`${options.cluster.slice(0, 56)}-drill`, (deps.now ?? (() => new Date()))());
  checkExecutionName(name);
  const found = await findStateMachine(WORKFLOWS.drill, options.stateMachineArn, deps, output);
  if (typeof found === 'number') return found;
  const api = (deps.api ?? sfnExecutionsApi)(found.region);
  let outcome: FollowedExecution;
  try {
    output.out(`Drilling a restore of cluster "${options.cluster}": DrillRestore execution ${name}`);
    const progress = new ProgressPrinter(output.out);
    const runner = new StepFunctionsWorkflowRunner(api, () => found.arn, { ...deps.watch });
    outcome = await runner.execute({ workflow: WORKFLOWS.drill.workflow, name, input, onEvent: (event) => progress.onEvent(event) });
  } catch (error) {
    if (!isAwsError(error)) throw error;
    output.err(`etcd-ha: ${describeAwsError(error, 'running DrillRestore')}`);
    return EXIT.failed;
  } finally {
    api.close();
  }
  const code = printDrillOutcome(outcome, format, given);
  if (code !== EXIT.done) output.err(`  Console: ${executionConsoleUrl(outcome.executionId)}`);
  return code;
}

export async function localDrill(options: { format: OutputFormat }, given: Output): Promise<number> {
  const output = progressOutput(given, options.format);
  const runner = localRunner();
  const record = requireRecordedCluster(runner.home);
  output.out(`Drilling a restore of the local cluster "${record.clusterName}" (DrillRestore)`);
  const progress = new ProgressPrinter(output.out);
  const outcome = await runner.execute({ workflow: 'drill-restore', input: { clusterName: record.clusterName }, onEvent: (event) => progress.onEvent(event) });
  return printDrillOutcome(outcome, options.format, given);
}
