// `etcd-ha delete --cluster NAME [--confirm NAME]`: starts the deployed DeleteCluster workflow and waits for it.
// Without --confirm (or with a --confirm that names another cluster, refused here before anything starts) it is a
// dry run: the execution lists members, hosts, secrets and the record it would delete, and changes nothing.
import { DeleteRequestSchema } from '../../lambdas/workflow-runner/contracts';
import { describeIssue } from '../../lambdas/core/parse';
import { StepFunctionsWorkflowRunner, type FollowedExecution } from '../../lambdas/workflow-runner/step-functions';
import { describeAwsError, executionConsoleUrl, isAwsError, sfnExecutionsApi } from './aws-sfn';
import { WORKFLOWS, checkExecutionName, defaultExecutionName, findStateMachine, type StartDeps } from './aws-start';
import { printDeletion } from './delete-report';
import { ProgressPrinter } from './progress';
import { EXIT, UsageError, progressOutput, type Output, type OutputFormat } from './output';
import { defaultOperator } from './who';

export interface DeleteCommandOptions {
  readonly cluster: string;
  /** The cluster's name again: without it, a dry run. */
  readonly confirm?: string;
  /** @default user@host of this machine */
  readonly by?: string;
  readonly stateMachineArn?: string;
  readonly name?: string;
  /** @default 'text' */
  readonly format?: OutputFormat;
}

/** The DeleteCluster input, checked as the workflow checks it (a bad one starts nothing): errors name the option. */
export function deleteRequest(options: Pick<DeleteCommandOptions, 'cluster' | 'confirm' | 'by'>) {
  const parsed = DeleteRequestSchema.safeParse({
    clusterName: options.cluster,
    ...(options.confirm !== undefined && { confirm: options.confirm }),
    by: options.by ?? defaultOperator(),
  });
  if (!parsed.success) {
    const flag = (line: string) => line.replace(/^clusterName:/, '--cluster:').replace(/^confirm:/, '--confirm:').replace(/^by:/, '--by:').replace('equal clusterName', 'equal --cluster');
    throw new UsageError(parsed.error.issues.flatMap(describeIssue).map(flag).join('\n'));
  }
  return parsed.data;
}

export async function deleteCluster(options: DeleteCommandOptions, given: Output, deps: StartDeps = {}): Promise<number> {
  const format = options.format ?? 'text';
  const output = progressOutput(given, format);
  const input = deleteRequest(options);
  const name = options.name ?? defaultExecutionName(`${options.cluster.slice(0, 56)}-delete`, (deps.now ?? (() => new Date()))());
  checkExecutionName(name);
  const found = await findStateMachine(WORKFLOWS.delete, options.stateMachineArn, deps, output);
  if (typeof found === 'number') return found;
  const api = (deps.api ?? sfnExecutionsApi)(found.region);
  let outcome: FollowedExecution;
  try {
    output.out(`${input.confirm === undefined ? 'Dry run of' : 'Deleting'} cluster "${options.cluster}": DeleteCluster execution ${name}`);
    const progress = new ProgressPrinter(output.out);
    const runner = new StepFunctionsWorkflowRunner(api, () => found.arn, { ...deps.watch });
    outcome = await runner.execute({ workflow: WORKFLOWS.delete.workflow, name, input, onEvent: (event) => progress.onEvent(event) });
  } catch (error) {
    if (!isAwsError(error)) throw error;
    output.err(`etcd-ha: ${describeAwsError(error, 'running DeleteCluster')}`);
    return EXIT.failed;
  } finally {
    api.close();
  }
  const code = printDeletion(outcome, format, given);
  if (code !== EXIT.done) output.err(`  Console: ${executionConsoleUrl(outcome.executionId)}`);
  return code;
}
