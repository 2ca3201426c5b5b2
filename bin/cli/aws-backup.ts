// `etcd-ha backup --cluster NAME [-o json]`: starts the deployed BackupCluster workflow for one cluster and waits for
// it (its steps run where etcd is reachable; the snapshot goes from etcd to the bucket, never through this machine).
// A cluster name the workflow would refuse is refused here, before anything starts (exit 2).
import { BackupRequestSchema } from '../../lambdas/workflow-runner/contracts';
import { describeIssue } from '../../lambdas/core/parse';
import { StepFunctionsWorkflowRunner, type FollowedExecution } from '../../lambdas/workflow-runner/step-functions';
import { describeAwsError, executionConsoleUrl, isAwsError, sfnExecutionsApi } from './aws-sfn';
import { WORKFLOWS, checkExecutionName, defaultExecutionName, findStateMachine, type StartDeps } from './aws-start';
import { printBackupOutcome } from './backup-report';
import { ProgressPrinter } from './progress';
import { EXIT, UsageError, progressOutput, type Output, type OutputFormat } from './output';

export interface BackupCommandOptions {
  readonly cluster: string;
  readonly stateMachineArn?: string;
  /** @default '<cluster>-backup-<UTC time>' */
  readonly name?: string;
  /** @default 'text' */
  readonly format?: OutputFormat;
}

export function backupRequest(cluster: string) {
  const parsed = BackupRequestSchema.safeParse({ clusterName: cluster });
  if (!parsed.success) throw new UsageError(parsed.error.issues.flatMap(describeIssue).map((line) => line.replace(/^clusterName:/, '--cluster:')).join('\n'));
  return parsed.data;
}

export async function backup(options: BackupCommandOptions, given: Output, deps: StartDeps = {}): Promise<number> {
  const format = options.format ?? 'text';
  const output = progressOutput(given, format);
  const input = backupRequest(options.cluster);
  const name = options.name ?? defaultExecutionName(`${options.cluster.slice(0, 56)}-backup`, (deps.now ?? (() => new Date()))());
  checkExecutionName(name);
  const found = await findStateMachine(WORKFLOWS.backup, options.stateMachineArn, deps, output);
  if (typeof found === 'number') return found;
  const api = (deps.api ?? sfnExecutionsApi)(found.region);
  let outcome: FollowedExecution;
  try {
    output.out(`Backing up cluster "${options.cluster}": BackupCluster execution ${name}`);
    const progress = new ProgressPrinter(output.out);
    const runner = new StepFunctionsWorkflowRunner(api, () => found.arn, { ...deps.watch });
    outcome = await runner.execute({ workflow: WORKFLOWS.backup.workflow, name, input, onEvent: (event) => progress.onEvent(event) });
  } catch (error) {
    if (!isAwsError(error)) throw error;
    output.err(`etcd-ha: ${describeAwsError(error, 'running BackupCluster')}`);
    return EXIT.failed;
  } finally {
    api.close();
  }
  const code = printBackupOutcome(outcome, format, given);
  if (code !== EXIT.done) output.err(`  Console: ${executionConsoleUrl(outcome.executionId)}`);
  return code;
}
