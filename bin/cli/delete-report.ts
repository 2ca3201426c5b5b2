// How `etcd-ha delete` and `etcd-ha local down` print DeleteCluster's answer: the dry run's list of what would go,
// or what went. Names, hosts and addresses only: no secret value is ever in it. Exit codes as every command's.
import type { DeletionDryRun, DeletionOutcome } from '../../lambdas/workflow-runner/contracts';
import type { WorkflowOutcome } from '../../lambdas/workflow-runner/port';
import { EXIT, printJson, type Output, type OutputFormat } from './output';

export function isDeletionAnswer(value: unknown): value is DeletionDryRun | DeletionOutcome {
  const answer = value as Partial<DeletionDryRun> | undefined;
  return answer !== null && typeof answer === 'object' && typeof answer.clusterName === 'string' && typeof answer.dryRun === 'boolean' && typeof answer.message === 'string';
}

/**
 * Prints the execution's end: with `-o json` one document (the workflow, its status, the answer or the error) on
 * stdout; otherwise the answer's message, or the error and its cause on stderr. 0 when it succeeded, else 1.
 */
export function printDeletion(result: Pick<WorkflowOutcome, 'status' | 'output' | 'error' | 'cause'> & { name?: string }, format: OutputFormat, output: Output): number {
  if (format === 'json') printJson(output, { workflow: 'DeleteCluster', ...result });
  const say = format === 'json' ? { out: output.err, err: output.err } : output;
  if (result.status !== 'SUCCEEDED') {
    say.err('');
    say.err(`DeleteCluster ${result.status.toLowerCase()}: ${result.error ?? '(no error given)'}`);
    if (result.cause) say.err(result.cause);
    return EXIT.failed;
  }
  if (!isDeletionAnswer(result.output)) {
    say.err('DeleteCluster succeeded without the answer it gives (a dry run or a deletion outcome)');
    return EXIT.failed;
  }
  say.out('');
  say.out(result.output.message);
  return EXIT.done;
}
