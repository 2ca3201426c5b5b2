// `etcd-ha scale --cluster NAME --members N [--instance ID ...]` (the deployed ScaleCluster) and `etcd-ha local scale
// --members N` (the same workflow on the local runner; new members go onto the next free loopback addresses).
import type { WorkflowOutcome } from '../../lambdas/workflow-runner/port';
import { localRunner, requireRecordedCluster } from './local-cluster';
import { ProgressPrinter } from './progress';
import { EXIT, UsageError, printJson, progressOutput, type Output, type OutputFormat } from './output';
import { WORKFLOWS, defaultExecutionName, startAndFollow, type StartDeps } from './aws-start';

const INSTANCE_ID = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;

/** The execution input ScaleCluster takes (lambdas/steps/scale/inputs.ts ScaleRequestSchema). */
export function scaleRequest(options: { cluster: string; members: number; allowSingleMember?: boolean; instances?: readonly string[] }) {
  for (const id of options.instances ?? []) {
    if (!INSTANCE_ID.test(id)) throw new UsageError(`--instance must be an EC2 instance ID such as i-0123456789abcdef0, got "${id}"`);
  }
  return {
    clusterName: options.cluster,
    members: options.members,
    ...(options.allowSingleMember && { allowSingleMember: true }),
    ...(options.instances && options.instances.length > 0 && { instances: [...options.instances] }),
  };
}

export interface LocalScaleOptions {
  readonly members: number;
  readonly allowSingleMember?: boolean;
  /** @default 'text' */
  readonly format?: OutputFormat;
}

export async function localScale(options: LocalScaleOptions, given: Output): Promise<number> {
  const format = options.format ?? 'text';
  const output = progressOutput(given, format);
  const runner = localRunner();
  const record = requireRecordedCluster(runner.home);
  output.out(`etcd-ha: scaling ${record.clusterName} from ${record.members.length} to ${options.members} members with the ScaleCluster workflow`);
  const progress = new ProgressPrinter(output.out);
  const result = await runner.execute({
    workflow: 'scale-cluster',
    input: scaleRequest({ cluster: record.clusterName, members: options.members, ...(options.allowSingleMember !== undefined && { allowSingleMember: options.allowSingleMember }) }),
    onEvent: (event) => progress.onEvent(event),
  });
  if (format === 'json') printJson(given, { workflow: 'ScaleCluster', ...result });
  return reportScale(result, output);
}

export function reportScale(result: WorkflowOutcome, output: Output): number {
  if (result.status === 'FAILED') {
    output.err(`\nScaleCluster failed: ${result.error}`);
    output.err(result.cause ?? '');
    return EXIT.failed;
  }
  const summary = result.output as { clusterName?: string; members?: number; hosts?: Array<{ name: string; address: string }> };
  output.out(`\nCluster "${summary.clusterName ?? ''}" has ${summary.members ?? '?'} members: ${(summary.hosts ?? []).map((h) => `${h.name} (${h.address})`).join(', ')}`);
  return EXIT.done;
}

export interface AwsScaleOptions {
  readonly cluster: string;
  readonly members: number;
  readonly instances: readonly string[];
  readonly allowSingleMember: boolean;
  readonly stateMachineArn?: string;
  readonly name?: string;
  readonly watch: boolean;
  /** @default 'text' */
  readonly format?: OutputFormat;
}

export async function awsScale(options: AwsScaleOptions, output: Output, deps: StartDeps = {}): Promise<number> {
  const input = scaleRequest(options);
  return startAndFollow(
    {
      workflow: WORKFLOWS.scale,
      ...(options.stateMachineArn !== undefined && { stateMachineArn: options.stateMachineArn }),
      name: options.name ?? defaultExecutionName(`${options.cluster}-scale`.slice(0, 63), (deps.now ?? (() => new Date()))()),
      input,
      subject: `cluster "${options.cluster}" to ${options.members} members${options.instances.length > 0 ? ` (new members on ${options.instances.join(', ')})` : ''}`,
      watch: options.watch,
      ...(options.format !== undefined && { format: options.format }),
    },
    output,
    deps,
  );
}
