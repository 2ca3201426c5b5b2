// `etcd-ha pause --cluster NAME --reason TEXT` / `etcd-ha resume --cluster NAME`: starts the deployed SetMaintenance
// workflow (the flag is written under the cluster's lock) and follows it. While paused, the EC2 rule's executions,
// the stop grace period's second look and the health probe end quietly; `etcd-ha replace` still works.
import { MaintenanceRequestSchema } from '../../lambdas/workflow-runner/contracts';
import { describeIssue } from '../../lambdas/core/parse';
import { UsageError, type Output, type OutputFormat } from './output';
import { WORKFLOWS, defaultExecutionName, startAndFollow, type StartDeps } from './aws-start';
import { defaultOperator } from './who';

export interface MaintenanceCommandOptions {
  readonly cluster: string;
  readonly action: 'pause' | 'resume';
  readonly reason?: string;
  /** @default user@host of this machine */
  readonly by?: string;
  readonly stateMachineArn?: string;
  readonly name?: string;
  readonly watch: boolean;
  /** @default 'text' */
  readonly format?: OutputFormat;
}

/** The SetMaintenance input, checked as the workflow checks it (a bad one starts nothing): errors name the option. */
export function maintenanceRequest(options: Pick<MaintenanceCommandOptions, 'cluster' | 'action' | 'reason' | 'by'>) {
  const parsed = MaintenanceRequestSchema.safeParse({
    clusterName: options.cluster,
    action: options.action,
    ...(options.reason !== undefined && { reason: options.reason }),
    by: options.by ?? defaultOperator(),
  });
  if (!parsed.success) {
    const flag = (line: string) => line.replace(/^clusterName:/, '--cluster:').replace(/^reason:/, '--reason:').replace(/^by:/, '--by:');
    throw new UsageError(parsed.error.issues.flatMap(describeIssue).map(flag).join('\n'));
  }
  return parsed.data;
}

export async function setMaintenance(options: MaintenanceCommandOptions, output: Output, deps: StartDeps = {}): Promise<number> {
  const input = maintenanceRequest(options);
  const now = (deps.now ?? (() => new Date()))();
  return startAndFollow(
    {
      workflow: WORKFLOWS.maintenance,
      ...(options.stateMachineArn !== undefined && { stateMachineArn: options.stateMachineArn }),
      name: options.name ?? defaultExecutionName(`${options.cluster}-${options.action}`.slice(0, 63), now),
      input,
      subject: `cluster "${options.cluster}" (${options.action === 'pause' ? 'pause automatic healing' : 'resume automatic healing'})`,
      watch: options.watch,
      ...(options.format !== undefined && { format: options.format }),
    },
    output,
    deps,
  );
}
