// `etcd-ha local kill|replace`: break a member the way a host dies (SIGKILL, data dir left behind),
// and run the ReplaceMember workflow locally onto a new loopback address.
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowOutcome } from '../../lambdas/workflow-runner/port';
import type { ClusterSummary } from '../../lambdas/workflow-runner/contracts';
import { runningEtcdPid } from '../../lambdas/local-runner/member-process';
import { ProgressPrinter } from './progress';
import { localRunner, requireRecordedCluster } from './local-cluster';
import { printMemberTable } from './members';
import { EXIT, UsageError, printJson, progressOutput, type Output, type OutputFormat } from './output';

export async function localKill(member: string, output: Output): Promise<number> {
  const { home } = localRunner();
  const record = requireRecordedCluster(home);
  if (!record.members.some((m) => m.name === member)) {
    throw new UsageError(`--member: "${member}" is not a member of ${record.clusterName} (members: ${record.members.map((m) => m.name).join(', ')})`);
  }
  const pid = runningEtcdPid(home.hostsDir, member);
  if (pid === undefined) {
    output.out(`etcd of ${member} is not running`);
    return EXIT.done;
  }
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 200 && runningEtcdPid(home.hostsDir, member) === pid; i++) await sleep(25);
  output.out(`killed etcd of ${member} (pid ${pid}); its data dir is left behind, as on a dead host`);
  return EXIT.done;
}

export interface ReplaceOptions {
  readonly member: string;
  readonly replacementName?: string;
  readonly force?: boolean;
  readonly trigger?: string;
  /** @default 'text' */
  readonly format?: OutputFormat;
}

/** Runs ReplaceMember locally; resolves with the workflow result (the CLI and `heal` print it). */
export async function runLocalReplace(options: ReplaceOptions, output: Output): Promise<WorkflowOutcome> {
  const runner = localRunner();
  const record = requireRecordedCluster(runner.home);
  const progress = new ProgressPrinter(output.out);
  return runner.execute({
    workflow: 'replace-member',
    input: {
      clusterName: record.clusterName,
      failedMember: options.member,
      replacement: { address: runner.nextFreeAddress(record), ...(options.replacementName && { name: options.replacementName }) },
      force: options.force ?? false,
      trigger: options.trigger ?? 'manual',
    },
    onEvent: (event) => progress.onEvent(event),
  });
}

export async function localReplace(options: ReplaceOptions, output: Output): Promise<number> {
  const format = options.format ?? 'text';
  const say = progressOutput(output, format);
  say.out(`etcd-ha: replacing ${options.member} with the ReplaceMember workflow`);
  const result = await runLocalReplace(options, say);
  if (format === 'json') printJson(output, { workflow: 'ReplaceMember', ...result });
  return reportReplace(result, say);
}

export function reportReplace(result: WorkflowOutcome, output: Output): number {
  if (result.status === 'FAILED') {
    output.err(`\nReplaceMember failed: ${result.error}`);
    output.err(result.cause ?? '');
    return EXIT.failed;
  }
  const summary = result.output as Partial<ClusterSummary> & { reason?: string };
  if (!Array.isArray(summary.members)) {
    output.out(`\nNothing to replace: ${summary.reason ?? 'another execution already replaced the member'}`);
    return EXIT.done;
  }
  output.out(`\nCluster "${summary.clusterName ?? ''}" is healthy again: ${summary.members.length} members (${result.transitions ?? '?'} state transitions).`);
  printMemberTable(output, summary.members);
  return EXIT.done;
}
