// HostRunner on AWS: one SSM Run Command (AWS-RunShellScript) per call for all its hosts (chunks of 50
// instance IDs), then GetCommandInvocation per instance until each reaches a final status.
// A non-zero exit is returned, not thrown: the step decides. Delivery problems and timeouts throw.
import { setTimeout as delay } from 'node:timers/promises';
import {
  GetCommandInvocationCommand,
  SendCommandCommand,
  type GetCommandInvocationCommandOutput,
  type SendCommandCommandInput,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import type { Host, HostCommand, HostRunResult, HostRunner } from '../../ports';
import { HostCommandRejectedError, HostCommandTimeoutError, HostUnreachableError } from '../../core/errors';
import { RUN_SHELL_SCRIPT_DOCUMENT } from '../../catalog/contracts';
import {
  SSM_DELIVERY_TIMEOUT_RANGE,
  SSM_EXECUTION_TIMEOUT_RANGE,
  SSM_MAX_PARAMETERS_BYTES,
  SSM_STDERR_CHARS,
  SSM_STDOUT_CHARS,
  chunk,
  commandComment,
  invocationOutcome,
  outputTail,
  parametersBytes,
  runShellScriptParameters,
  type InvocationOutcome,
} from './ssm-invocation';

/** The only SSM document the steps run (lambdas/catalog/contracts.ts). */
export { RUN_SHELL_SCRIPT_DOCUMENT };

export interface SsmHostRunnerProps {
  /** The SSM client, created once per module by the composition root. */
  readonly ssm: SSMClient;
  /**
   * Wait between two rounds of GetCommandInvocation calls.
   * @default 2000 ms
   */
  readonly pollIntervalMs?: number;
  /**
   * SendCommand TimeoutSeconds: how long SSM keeps trying to deliver the command to a host whose agent is
   * not connected (30 to 2,592,000). Past it the invocation is DeliveryTimedOut and `run` throws
   * HostUnreachableError.
   * @default 120
   */
  readonly deliveryTimeoutSeconds?: number;
  /**
   * Where SSM writes the full stdout/stderr (GetCommandInvocation keeps only the first 24,000 / 8,000 characters).
   * @default - no S3 output
   */
  readonly outputS3?: { readonly bucket: string; readonly prefix: string };
  /**
   * CloudWatch Logs group that receives the full output.
   * @default - no CloudWatch output
   */
  readonly cloudWatchLogGroup?: string;
  /**
   * Added to delivery timeout + execution timeout to give the overall deadline of a `run`, so that SSM's own
   * timeouts normally fire first. The Lambda running the step needs a timeout above that total.
   * @default 30
   */
  readonly deadlineMarginSeconds?: number;
  /** @default - node:timers/promises setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch; injected together with `sleep` by tests. @default Date.now */
  readonly now?: () => number;
}

/** GetCommandInvocation calls in flight at once during one polling round. */
const POLL_CONCURRENCY = 10;

interface Target {
  readonly host: Host;
  readonly instanceId: string;
}

interface Invocation extends Target {
  readonly commandId: string;
  /** Last non-final state seen, for the deadline message. */
  lastState: string;
  delivered: boolean;
  final?: Exclude<InvocationOutcome, { kind: 'pending' }>;
  output?: GetCommandInvocationCommandOutput;
}

export class SsmHostRunner implements HostRunner {
  private readonly ssm: SSMClient;
  private readonly pollIntervalMs: number;
  private readonly deliveryTimeoutSeconds: number;
  private readonly deadlineMarginSeconds: number;
  private readonly outputS3: SsmHostRunnerProps['outputS3'];
  private readonly cloudWatchLogGroup: string | undefined;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(props: SsmHostRunnerProps) {
    this.ssm = props.ssm;
    this.pollIntervalMs = props.pollIntervalMs ?? 2000;
    this.deliveryTimeoutSeconds = props.deliveryTimeoutSeconds ?? 120;
    this.deadlineMarginSeconds = props.deadlineMarginSeconds ?? 30;
    this.outputS3 = props.outputS3;
    this.cloudWatchLogGroup = props.cloudWatchLogGroup;
    this.sleep = props.sleep ?? ((ms) => delay(ms));
    this.now = props.now ?? Date.now;

    if (!(Number.isFinite(this.pollIntervalMs) && this.pollIntervalMs >= 0)) {
      throw new RangeError(`pollIntervalMs must be a number >= 0, got ${this.pollIntervalMs}`);
    }
    const { min, max } = SSM_DELIVERY_TIMEOUT_RANGE;
    const delivery = this.deliveryTimeoutSeconds;
    if (!(Number.isInteger(delivery) && delivery >= min && delivery <= max)) {
      throw new RangeError(`deliveryTimeoutSeconds must be an integer from ${min} to ${max} (SendCommand TimeoutSeconds), got ${delivery}`);
    }
    if (!(Number.isFinite(this.deadlineMarginSeconds) && this.deadlineMarginSeconds >= 0)) {
      throw new RangeError(`deadlineMarginSeconds must be a number >= 0, got ${this.deadlineMarginSeconds}`);
    }
    if (this.outputS3 !== undefined && this.outputS3.bucket === '') {
      throw new RangeError('outputS3.bucket must not be empty');
    }
    if (this.cloudWatchLogGroup === '') throw new RangeError('cloudWatchLogGroup must not be empty');
  }

  async run(hosts: readonly Host[], command: HostCommand): Promise<HostRunResult[]> {
    const parameters = checkCommand(command);
    const targets = checkHosts(hosts, command);
    if (targets.length === 0) return [];

    const start = this.now();
    const deliveryDeadline = start + this.deliveryTimeoutSeconds * 1000;
    const deadline = deliveryDeadline + (command.timeoutSeconds + this.deadlineMarginSeconds) * 1000;

    const invocations: Invocation[] = [];
    const commandIds: string[] = [];
    for (const group of chunk(targets)) {
      const commandId = await this.send(group, command, parameters, commandIds);
      commandIds.push(commandId);
      for (const target of group) invocations.push({ ...target, commandId, lastState: 'not visible yet', delivered: false });
    }

    let open = invocations;
    while (open.length > 0) {
      await this.sleep(this.pollIntervalMs);
      await forEachLimit(open, POLL_CONCURRENCY, (invocation) => this.poll(invocation, deliveryDeadline));
      open = open.filter((invocation) => invocation.final === undefined);
      if (open.length > 0 && this.now() >= deadline) {
        const waited = Math.round((this.now() - start) / 1000);
        for (const invocation of open) {
          const reason = `no final status after ${waited} s (last: ${invocation.lastState})`;
          invocation.final = invocation.delivered ? { kind: 'timed-out', reason } : { kind: 'unreachable', reason };
        }
        open = [];
      }
    }

    this.throwOnTimeoutOrUnreachable(invocations, command);
    return invocations.map((invocation) => this.result(invocation));
  }

  private async send(
    group: readonly Target[],
    command: HostCommand,
    parameters: Record<string, string[]>,
    alreadySent: readonly string[],
  ): Promise<string> {
    const instanceIds = group.map((target) => target.instanceId);
    const input: SendCommandCommandInput = {
      InstanceIds: instanceIds,
      DocumentName: RUN_SHELL_SCRIPT_DOCUMENT,
      Parameters: parameters,
      TimeoutSeconds: this.deliveryTimeoutSeconds,
      Comment: commandComment(command.title),
      // Every host runs the command whatever happens on the others: the caller judges each exit code.
      MaxConcurrency: '100%',
      MaxErrors: '100%',
    };
    if (this.cloudWatchLogGroup !== undefined) {
      input.CloudWatchOutputConfig = { CloudWatchOutputEnabled: true, CloudWatchLogGroupName: this.cloudWatchLogGroup };
    }
    if (this.outputS3 !== undefined) {
      input.OutputS3BucketName = this.outputS3.bucket;
      input.OutputS3KeyPrefix = this.outputS3.prefix;
    }
    const sentNote = alreadySent.length > 0 ? ` (commands already sent to other hosts: ${alreadySent.join(', ')})` : '';
    let commandId: string | undefined;
    try {
      commandId = (await this.ssm.send(new SendCommandCommand(input))).Command?.CommandId;
    } catch (error) {
      // InvalidInstanceId: the agent is not running or not registered yet, or the instance is not running.
      if ((error as { name?: unknown }).name === 'InvalidInstanceId') {
        throw new HostUnreachableError(
          `${command.title}: SSM cannot reach ${describeTargets(group)}: ${(error as Error).message}${sentNote}`,
          { cause: error },
        );
      }
      throw error;
    }
    if (!commandId) throw new Error(`${command.title}: SendCommand answered without a CommandId${sentNote}`);
    return commandId;
  }

  private async poll(invocation: Invocation, deliveryDeadline: number): Promise<void> {
    let output: GetCommandInvocationCommandOutput;
    try {
      output = await this.ssm.send(
        new GetCommandInvocationCommand({ CommandId: invocation.commandId, InstanceId: invocation.instanceId }),
      );
    } catch (error) {
      // Right after SendCommand the invocation may not exist yet: "not yet", within the delivery timeout.
      if ((error as { name?: unknown }).name !== 'InvocationDoesNotExist') throw error;
      if (this.now() >= deliveryDeadline) {
        invocation.final = {
          kind: 'unreachable',
          reason: `no invocation visible ${this.deliveryTimeoutSeconds} s after SendCommand (InvocationDoesNotExist)`,
        };
      }
      return;
    }
    const outcome = invocationOutcome(output);
    if (outcome.kind === 'pending') {
      invocation.lastState = [output.Status, output.StatusDetails].filter(Boolean).join('/') || 'no status';
      invocation.delivered = outcome.delivered;
      return;
    }
    invocation.final = outcome;
    invocation.output = output;
  }

  private throwOnTimeoutOrUnreachable(invocations: readonly Invocation[], command: HostCommand): void {
    const line = (invocation: Invocation, reason: string) =>
      `${invocation.host.name} (${invocation.instanceId}, command ${invocation.commandId}): ${reason}`;
    const timedOut = invocations.flatMap((i) => (i.final?.kind === 'timed-out' ? [line(i, i.final.reason)] : []));
    const unreachable = invocations.flatMap((i) => (i.final?.kind === 'unreachable' ? [line(i, i.final.reason)] : []));
    const of = `of ${invocations.length} host${invocations.length === 1 ? '' : 's'}`;
    // A host that hung is reported before one that could not be reached: the hang is the rarer, harder fault.
    if (timedOut.length > 0) {
      const also = unreachable.length > 0 ? `\nalso unreachable:\n  ${unreachable.join('\n  ')}` : '';
      throw new HostCommandTimeoutError(
        `${command.title}: ${timedOut.length} ${of} did not finish within executionTimeout ${command.timeoutSeconds} s:\n  ${timedOut.join('\n  ')}${also}`,
      );
    }
    if (unreachable.length > 0) {
      throw new HostUnreachableError(`${command.title}: ${unreachable.length} ${of} unreachable through SSM:\n  ${unreachable.join('\n  ')}`);
    }
  }

  private result(invocation: Invocation): HostRunResult {
    const final = invocation.final;
    if (final?.kind !== 'exited') throw new Error(`internal: ${invocation.instanceId} has no exit code`);
    const output = invocation.output;
    return {
      host: invocation.host.name,
      exitCode: final.exitCode,
      stdoutTail: outputTail(output?.StandardOutputContent, SSM_STDOUT_CHARS, this.fullOutputAt(invocation, 'stdout', output?.StandardOutputUrl)),
      stderrTail: outputTail(output?.StandardErrorContent, SSM_STDERR_CHARS, this.fullOutputAt(invocation, 'stderr', output?.StandardErrorUrl)),
    };
  }

  private fullOutputAt(invocation: Invocation, stream: 'stdout' | 'stderr', url: string | undefined): string | undefined {
    if (url) return url;
    if (this.cloudWatchLogGroup === undefined) return undefined;
    return `CloudWatch Logs ${this.cloudWatchLogGroup}, stream ${invocation.commandId}/${invocation.instanceId}/aws-runShellScript/${stream}`;
  }
}

/** The runtime parameters, or HostCommandRejectedError when SSM would refuse the command. */
function checkCommand(command: HostCommand): Record<string, string[]> {
  const { min, max } = SSM_EXECUTION_TIMEOUT_RANGE;
  if (!(Number.isInteger(command.timeoutSeconds) && command.timeoutSeconds >= min && command.timeoutSeconds <= max)) {
    throw new HostCommandRejectedError(
      `${command.title}: timeoutSeconds must be an integer from ${min} to ${max} (AWS-RunShellScript executionTimeout), got ${command.timeoutSeconds}`,
    );
  }
  const parameters = runShellScriptParameters(command.text, command.timeoutSeconds);
  const bytes = parametersBytes(parameters);
  if (bytes > SSM_MAX_PARAMETERS_BYTES) {
    throw new HostCommandRejectedError(
      `${command.title}: command too large for SSM Run Command: its parameters take ${bytes} bytes ` +
        `(text ${Buffer.byteLength(command.text, 'utf8')} bytes), the limit is ${SSM_MAX_PARAMETERS_BYTES}`,
    );
  }
  return parameters;
}

function checkHosts(hosts: readonly Host[], command: HostCommand): Target[] {
  const seen = new Map<string, string>();
  return hosts.map((host) => {
    const instanceId = host.instanceId;
    if (!instanceId) {
      throw new HostCommandRejectedError(`${command.title}: host "${host.name}" has no EC2 instance ID; SSM Run Command needs one`);
    }
    const other = seen.get(instanceId);
    if (other !== undefined) {
      throw new HostCommandRejectedError(`${command.title}: hosts "${other}" and "${host.name}" share instance ${instanceId}`);
    }
    seen.set(instanceId, host.name);
    return { host, instanceId };
  });
}

function describeTargets(targets: readonly Target[]): string {
  return targets.map((t) => `${t.host.name} (${t.instanceId})`).join(', ');
}

async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
