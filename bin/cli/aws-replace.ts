// `etcd-ha replace --cluster NAME --member NAME [--instance ID]`: starts the deployed ReplaceMember
// workflow by hand (EventBridge starts it on its own when a member's instance fails).
import { UsageError, type Output, type OutputFormat } from './output';
import { WORKFLOWS, defaultExecutionName, startAndFollow, type StartDeps } from './aws-start';

export interface ReplaceCommandOptions {
  readonly cluster: string;
  readonly member: string;
  /** The instance that takes the member's place. */
  readonly instance?: string;
  readonly replacementName?: string;
  readonly force: boolean;
  readonly stateMachineArn?: string;
  readonly name?: string;
  readonly watch: boolean;
  /** @default 'text' */
  readonly format?: OutputFormat;
}

const INSTANCE_ID = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;

export async function replace(options: ReplaceCommandOptions, output: Output, deps: StartDeps = {}): Promise<number> {
  if (options.instance !== undefined && !INSTANCE_ID.test(options.instance)) {
    throw new UsageError(`--instance must be an EC2 instance ID such as i-0123456789abcdef0, got "${options.instance}"`);
  }
  const input = {
    clusterName: options.cluster,
    failedMember: options.member,
    replacement: { ...(options.instance && { instanceId: options.instance }), ...(options.replacementName && { name: options.replacementName }) },
    force: options.force,
    trigger: 'manual',
  };
  return startAndFollow(
    {
      workflow: WORKFLOWS.replace,
      ...(options.stateMachineArn !== undefined && { stateMachineArn: options.stateMachineArn }),
      name: options.name ?? defaultExecutionName(`${options.cluster}-${options.member}`.slice(0, 63), (deps.now ?? (() => new Date()))()),
      input,
      // Without --instance the workflow launches a clone (unless the stack was deployed with launchReplacementInstances=false).
      subject: `member ${options.member} of cluster "${options.cluster}" onto ${options.instance ?? 'a clone of its instance'}`,
      watch: options.watch,
      ...(options.format !== undefined && { format: options.format }),
    },
    output,
    deps,
  );
}
