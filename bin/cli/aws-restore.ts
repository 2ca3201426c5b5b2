// `etcd-ha restore --cluster NAME [--snapshot NAME] [--host MEMBER=INSTANCE ...] [--confirm NAME]`: starts the
// deployed RestoreCluster workflow and waits for it. Without --confirm it is a dry run: the execution plans under the
// cluster's lock (which backup, its revision and age, which hosts, the new token) and changes nothing. A request the
// workflow would refuse (a misspelt member, a --confirm naming another cluster) is refused here, before anything starts.
import { RestoreRequestSchema, type RestoreRequest } from '../../lambdas/core/restore/request';
import { describeIssue } from '../../lambdas/core/parse';
import { StepFunctionsWorkflowRunner, type FollowedExecution } from '../../lambdas/workflow-runner/step-functions';
import { describeAwsError, executionConsoleUrl, isAwsError, sfnExecutionsApi } from './aws-sfn';
import { WORKFLOWS, checkExecutionName, defaultExecutionName, findStateMachine, type StartDeps } from './aws-start';
import { printRestore } from './restore-report';
import { ProgressPrinter } from './progress';
import { EXIT, UsageError, progressOutput, type Output, type OutputFormat } from './output';
import { defaultOperator } from './who';

export interface RestoreCommandOptions {
  readonly cluster: string;
  /** A backup's name; absent: the last good one. */
  readonly snapshot?: string;
  /** `MEMBER=INSTANCE`: a replacement host for a member whose host is gone. */
  readonly hosts?: readonly string[];
  /** The cluster's name again: without it, a dry run. */
  readonly confirm?: string;
  /** @default user@host of this machine */
  readonly by?: string;
  readonly stateMachineArn?: string;
  readonly name?: string;
  /** @default 'text' */
  readonly format?: OutputFormat;
}

const OPTION_OF: Record<string, string> = { clusterName: '--cluster', snapshot: '--snapshot', confirm: '--confirm', hosts: '--host', by: '--by' };

/** "infra1=i-0abc…" pairs as the request's `hosts`; a malformed or repeated one is refused naming --host. */
export function parseHosts(pairs: readonly string[]): Record<string, string> {
  const hosts: Record<string, string> = {};
  for (const pair of pairs) {
    const match = /^([^=]+)=(.+)$/.exec(pair);
    if (!match) throw new UsageError(`--host: expected MEMBER=INSTANCE (e.g. infra1=i-0123456789abcdef0), got "${pair}"`);
    if (hosts[match[1]!] !== undefined) throw new UsageError(`--host: member "${match[1]}" is named twice`);
    hosts[match[1]!] = match[2]!;
  }
  return hosts;
}

/** The RestoreCluster input, checked as the workflow checks it (a bad one starts nothing): errors name the option. */
export function restoreRequest(options: Pick<RestoreCommandOptions, 'cluster' | 'snapshot' | 'hosts' | 'confirm' | 'by'>): RestoreRequest {
  const hosts = parseHosts(options.hosts ?? []);
  const parsed = RestoreRequestSchema.safeParse({
    clusterName: options.cluster,
    ...(options.snapshot !== undefined && { snapshot: options.snapshot }),
    ...(Object.keys(hosts).length > 0 && { hosts }),
    ...(options.confirm !== undefined && { confirm: options.confirm }),
    by: options.by ?? defaultOperator(),
  });
  if (!parsed.success) {
    const flag = (line: string) => line.replace(/^(\w+)(\.[\w-]+)?:/, (_, field: string, rest?: string) => `${OPTION_OF[field] ?? field}${rest ?? ''}:`).replace('equal clusterName', 'equal --cluster');
    throw new UsageError(parsed.error.issues.flatMap(describeIssue).map(flag).join('\n'));
  }
  return parsed.data;
}

export async function restore(options: RestoreCommandOptions, given: Output, deps: StartDeps = {}): Promise<number> {
  const format = options.format ?? 'text';
  const output = progressOutput(given, format);
  const input = restoreRequest(options);
  const name = options.name ?? defaultExecutionName(`${options.cluster.slice(0, 56)}-restore`, (deps.now ?? (() => new Date()))());
  checkExecutionName(name);
  const found = await findStateMachine(WORKFLOWS.restore, options.stateMachineArn, deps, output);
  if (typeof found === 'number') return found;
  const api = (deps.api ?? sfnExecutionsApi)(found.region);
  let outcome: FollowedExecution;
  try {
    output.out(`${input.confirm === undefined ? 'Dry run of a restore of' : 'Restoring'} cluster "${options.cluster}": RestoreCluster execution ${name}`);
    const progress = new ProgressPrinter(output.out);
    const runner = new StepFunctionsWorkflowRunner(api, () => found.arn, { ...deps.watch });
    outcome = await runner.execute({ workflow: WORKFLOWS.restore.workflow, name, input, onEvent: (event) => progress.onEvent(event) });
  } catch (error) {
    if (!isAwsError(error)) throw error;
    output.err(`etcd-ha: ${describeAwsError(error, 'running RestoreCluster')}`);
    return EXIT.failed;
  } finally {
    api.close();
  }
  const again = ['etcd-ha restore', `--cluster ${options.cluster}`, ...(options.snapshot ? [`--snapshot ${options.snapshot}`] : []), ...(options.hosts ?? []).map((h) => `--host ${h}`), `--confirm ${options.cluster}`];
  const code = printRestore(outcome, format, given, again.join(' '));
  if (code !== EXIT.done) output.err(`  Console: ${executionConsoleUrl(outcome.executionId)}`);
  return code;
}
