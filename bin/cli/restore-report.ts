// How `etcd-ha restore` and `etcd-ha local restore` print RestoreCluster's answer: the dry run's plan (which backup,
// its revision and age, which hosts, the new token, whether the revision is bumped), or the restored cluster. Names,
// addresses and figures only: no key material is ever in it. Exit codes as every command's.
import { isRestoreAnswer, type RestoreDryRun, type RestoreOutcome } from '../../lambdas/core/restore/outcome';
import type { WorkflowOutcome } from '../../lambdas/workflow-runner/port';
import { EXIT, printJson, type Output, type OutputFormat } from './output';

/** The plan, readably: the backup, then one line per member's host, then what a restore changes. */
export function planLines(answer: RestoreDryRun | RestoreOutcome): string[] {
  const { plan } = answer;
  const s = plan.snapshot;
  return [
    `  backup     ${s.name}${s.lastGood ? ' (the last good one)' : ''}`,
    `  revision   ${s.revision}, taken ${s.takenAt} (${s.age} ago), ${s.bytes} bytes, etcd ${s.etcdVersion}`,
    `  token      ${plan.token} (a new cluster ID and new member IDs)`,
    `  revision   ${plan.revisionBumped ? `bumped by ${plan.bumpRevision} and marked compacted` : 'NOT bumped (etcd 3.4): restart every kube-apiserver afterwards'}`,
    `  data dirs  ${plan.dataDir} moved aside on every host (never deleted); every write after ${s.takenAt} is lost`,
    `  ${'MEMBER'.padEnd(16)}${'ADDRESS'.padEnd(18)}HOST`,
    ...plan.hosts.map((h) => `  ${h.name.padEnd(16)}${h.address.padEnd(18)}${h.instanceId ?? '-'}${h.replaces ? ` (replaces ${h.replaces})` : ''}`),
  ];
}

/**
 * Prints the execution's end: with `-o json` one document (the workflow, its status, the answer or the error) on
 * stdout; otherwise the plan (a dry run) or the outcome, or the error and its cause on stderr. 0 when it succeeded.
 */
export function printRestore(result: Pick<WorkflowOutcome, 'status' | 'output' | 'error' | 'cause'>, format: OutputFormat, output: Output, confirmHint: string): number {
  if (format === 'json') printJson(output, { workflow: 'RestoreCluster', ...result });
  const say = format === 'json' ? { out: output.err, err: output.err } : output;
  if (result.status !== 'SUCCEEDED') {
    say.err('');
    say.err(`RestoreCluster ${result.status.toLowerCase()}: ${result.error ?? '(no error given)'}`);
    if (result.cause) say.err(result.cause);
    return EXIT.failed;
  }
  if (!isRestoreAnswer(result.output)) {
    say.err('RestoreCluster succeeded without the answer it gives (a plan or a restored cluster)');
    return EXIT.failed;
  }
  const answer = result.output;
  say.out('');
  if (answer.dryRun) {
    say.out(`Dry run: nothing was changed. A restore of cluster "${answer.clusterName}" would use:`);
    for (const line of planLines(answer)) say.out(line);
    say.out('');
    say.out(`To restore: ${confirmHint}`);
    return EXIT.done;
  }
  say.out(answer.message);
  for (const line of planLines(answer)) say.out(line);
  say.out(`  cluster ID ${answer.previousClusterId} → ${answer.clusterId}; revision now ${answer.revision ?? 'unknown'}`);
  for (const moved of answer.movedAside) say.out(`  ${moved.host}: old data dir kept at ${moved.to}`);
  return EXIT.done;
}
