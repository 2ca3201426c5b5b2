// `etcd-ha adopt --cluster NAME --member NODE --instance ID [--confirm NAME]` (the deployed AdoptCluster) and
// `etcd-ha local adopt --member NODE --address ADDR [--cluster NAME] [--confirm NAME]` (the same workflow on the local
// runner; the host is the simulated one under the home's hosts dir). Without --confirm both are dry runs: they print
// what was found and what adopting would do, the one restart included, and change nothing.
import type { WorkflowOutcome } from '../../lambdas/workflow-runner/port';
import { localRunner } from './local-cluster';
import { ProgressPrinter } from './progress';
import { EXIT, printJson, progressOutput, type Output, type OutputFormat } from './output';
import { WORKFLOWS, defaultExecutionName, startAndFollow, type StartDeps } from './aws-start';

export interface AdoptOptions {
  readonly cluster: string;
  readonly member: string;
  readonly instance?: string;
  readonly address?: string;
  readonly runtime?: 'kubeadm' | 'systemd';
  readonly confirm?: string;
}

/** The execution input AdoptCluster takes (lambdas/steps/adopt/inputs.ts AdoptRequestSchema); it validates it first. */
export function adoptRequest(options: AdoptOptions) {
  return {
    clusterName: options.cluster,
    member: { name: options.member, ...(options.instance && { instanceId: options.instance }), ...(options.address && { address: options.address }) },
    ...(options.runtime && { runtime: options.runtime }),
    ...(options.confirm !== undefined && { confirm: options.confirm }),
  };
}

interface Found {
  etcdVersion?: string;
  memberName?: string;
  memberId?: string;
  peerUrls?: string[];
  clientUrls?: string[];
  dataDir?: string;
  dataDirBytes?: number;
  dbSizeBytes?: number;
  image?: string;
  certificates?: { file: string; notAfter?: string; daysLeft?: number }[];
  caKey?: string;
}

function describeFound(found: Found): string[] {
  return [
    `  etcd ${found.etcdVersion ?? '?'}${found.image ? ` (image ${found.image})` : ''}, member ${found.memberName ?? '?'} ${found.memberId ?? ''}`,
    `  peer URLs ${(found.peerUrls ?? []).join(', ')}; client URLs ${(found.clientUrls ?? []).join(', ')}`,
    `  data dir ${found.dataDir ?? '?'}: ${found.dataDirBytes ?? '?'} bytes${found.dbSizeBytes !== undefined ? ` (database ${found.dbSizeBytes} bytes)` : ''}`,
    `  CA key ${found.caKey ?? '?'}`,
    ...(found.certificates ?? []).map((c) => `  ${c.file}: expires ${c.notAfter ?? '?'}${c.daysLeft !== undefined ? ` (${c.daysLeft} days)` : ''}`),
  ];
}

export function reportAdopt(result: WorkflowOutcome, output: Output): number {
  if (result.status === 'FAILED') {
    output.err(`\nAdoptCluster failed: ${result.error}`);
    output.err(result.cause ?? '');
    return EXIT.failed;
  }
  const summary = result.output as { clusterName?: string; dryRun?: boolean; found?: Found; actions?: string[]; caId?: string; notes?: string[]; members?: { name: string; id: string; endpoint: string }[] };
  output.out(`\nFound on the host:`);
  for (const line of describeFound(summary.found ?? {})) output.out(line);
  if (summary.dryRun) {
    output.out(`\nDry run: nothing changed. Adopting "${summary.clusterName ?? ''}" would:`);
    (summary.actions ?? []).forEach((action, i) => output.out(`  ${i + 1}. ${action}`));
    output.out(`\nTo adopt it, run the same command with --confirm ${summary.clusterName ?? ''}`);
    return EXIT.done;
  }
  output.out(`\nCluster "${summary.clusterName ?? ''}" adopted (CA ${summary.caId ?? '?'} kept): ${(summary.members ?? []).map((m) => `${m.name} ${m.id} ${m.endpoint}`).join(', ')}`);
  for (const note of summary.notes ?? []) output.out(`  note: ${note}`);
  return EXIT.done;
}

export async function localAdopt(options: AdoptOptions & { readonly format?: OutputFormat }, given: Output): Promise<number> {
  const format = options.format ?? 'text';
  const output = progressOutput(given, format);
  output.out(`etcd-ha: ${options.confirm === undefined ? 'inspecting' : 'adopting'} the etcd on ${options.member} (${options.address ?? '?'}) as cluster ${options.cluster} with the AdoptCluster workflow`);
  const progress = new ProgressPrinter(output.out);
  const result = await localRunner().execute({ workflow: 'adopt-cluster', input: adoptRequest({ ...options, runtime: 'systemd' }), onEvent: (event) => progress.onEvent(event) });
  if (format === 'json') printJson(given, { workflow: 'AdoptCluster', ...result });
  return reportAdopt(result, output);
}

export interface AwsAdoptOptions extends AdoptOptions {
  readonly stateMachineArn?: string;
  readonly name?: string;
  readonly watch: boolean;
  /** @default 'text' */
  readonly format?: OutputFormat;
}

export async function awsAdopt(options: AwsAdoptOptions, output: Output, deps: StartDeps = {}): Promise<number> {
  return startAndFollow(
    {
      workflow: WORKFLOWS.adopt,
      ...(options.stateMachineArn !== undefined && { stateMachineArn: options.stateMachineArn }),
      name: options.name ?? defaultExecutionName(`${options.cluster}-adopt`.slice(0, 63), (deps.now ?? (() => new Date()))()),
      input: adoptRequest(options),
      subject: `the etcd of ${options.member} (${options.instance ?? options.address ?? '?'}) as cluster "${options.cluster}"${options.confirm === undefined ? ' (dry run)' : ''}`,
      watch: options.watch,
      ...(options.format !== undefined && { format: options.format }),
    },
    output,
    deps,
  );
}
