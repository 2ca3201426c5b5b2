// `etcd-ha connect-control-plane --cluster NAME [--instance ID ...]` (the deployed ConnectControlPlane),
// `etcd-ha local connect-control-plane --host NAME=ADDRESS ...` (the same workflow on the local runner, endpoints by
// address until local names exist) and `etcd-ha local control-plane-host --host NAME=ADDRESS` (a simulated kubeadm
// control-plane host to try it on). Prints which hosts got files and which API servers were restarted; never a key.
import { join } from 'node:path';
import type { WorkflowOutcome } from '../../lambdas/workflow-runner/port';
import { makeControlPlaneHost } from '../../lambdas/local-runner/control-plane-host';
import { localRunner, requireRecordedCluster } from './local-cluster';
import { ProgressPrinter } from './progress';
import { EXIT, UsageError, printJson, progressOutput, type Output, type OutputFormat } from './output';
import { WORKFLOWS, defaultExecutionName, startAndFollow, type StartDeps } from './aws-start';

/** `NAME=ADDRESS` (repeatable --host) as a simulated host. */
export function parseHostOption(value: string): { name: string; address: string } {
  const match = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)=(127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(value);
  if (!match) throw new UsageError(`--host must be NAME=LOOPBACK_ADDRESS such as cp-0=127.0.0.31, got "${value}"`);
  return { name: match[1]!, address: match[3]! };
}

export function reportConnect(result: WorkflowOutcome, output: Output): number {
  if (result.status === 'FAILED') {
    output.err(`\nConnectControlPlane failed: ${result.error}`);
    output.err(result.cause ?? '');
    output.err('Hosts after the one that failed were not touched; the lock was released.');
    return EXIT.failed;
  }
  const summary = result.output as { clusterName?: string; endpoints?: string[]; pushed?: { host: string; changed: boolean }[]; apiServers?: { host: string; changed: boolean }[] };
  output.out(`\nThe control plane of "${summary.clusterName ?? ''}" uses ${(summary.endpoints ?? []).join(',')}`);
  for (const api of summary.apiServers ?? []) {
    const pushed = summary.pushed?.find((p) => p.host === api.host)?.changed;
    output.out(`  ${api.host}: client files ${pushed ? 'installed' : 'unchanged'}; kube-apiserver ${api.changed ? 'restarted and healthy' : 'unchanged (no restart)'}`);
  }
  return EXIT.done;
}

export async function localConnect(options: { readonly hosts: readonly string[]; readonly format?: OutputFormat }, given: Output): Promise<number> {
  if (options.hosts.length === 0) throw new UsageError('local connect-control-plane needs --host NAME=ADDRESS (repeatable)');
  const format = options.format ?? 'text';
  const output = progressOutput(given, format);
  const runner = localRunner();
  const record = requireRecordedCluster(runner.home);
  const hosts = options.hosts.map(parseHostOption);
  output.out(`etcd-ha: connecting ${hosts.map((h) => h.name).join(', ')} to ${record.clusterName} with the ConnectControlPlane workflow (one API server at a time)`);
  const progress = new ProgressPrinter(output.out);
  const result = await runner.execute({
    workflow: 'connect-control-plane',
    // Local hosts have no resolver for the cluster's name yet: the members' addresses.
    input: { clusterName: record.clusterName, hosts, endpoints: 'addresses' },
    onEvent: (event) => progress.onEvent(event),
  });
  if (format === 'json') printJson(given, { workflow: 'ConnectControlPlane', ...result });
  return reportConnect(result, output);
}

export function localControlPlaneHost(options: { readonly host: string }, output: Output): Promise<number> {
  const { name, address } = parseHostOption(options.host);
  const root = join(localRunner().home.hostsDir, name);
  const written = makeControlPlaneHost(root, address);
  output.out(`${written ? 'made' : 'kept'} control-plane host ${name} (${address}): ${root}; its stand-in kube-apiserver answers http://${address}:6443/livez`);
  return Promise.resolve(EXIT.done);
}

export interface AwsConnectOptions {
  readonly cluster: string;
  readonly instances: readonly string[];
  readonly stateMachineArn?: string;
  readonly name?: string;
  readonly watch: boolean;
  readonly format?: OutputFormat;
}

export async function awsConnect(options: AwsConnectOptions, output: Output, deps: StartDeps = {}): Promise<number> {
  return startAndFollow(
    {
      workflow: WORKFLOWS.connect,
      ...(options.stateMachineArn !== undefined && { stateMachineArn: options.stateMachineArn }),
      name: options.name ?? defaultExecutionName(`${options.cluster}-connect`.slice(0, 63), (deps.now ?? (() => new Date()))()),
      input: { clusterName: options.cluster, ...(options.instances.length > 0 && { instanceIds: [...options.instances] }) },
      subject: `the control plane of "${options.cluster}" (${options.instances.length > 0 ? options.instances.join(', ') : 'instances tagged etcd-ha:control-plane'})`,
      watch: options.watch,
      ...(options.format !== undefined && { format: options.format }),
    },
    output,
    deps,
  );
}
