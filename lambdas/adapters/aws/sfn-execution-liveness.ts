// ExecutionLiveness on AWS: whether the execution that holds a cluster's lock still runs, from Step Functions'
// DescribeExecution of its ARN (the `holder` Acquire Lock recorded: `$$.Execution.Id`). Only an execution in
// a final state, or one Step Functions no longer knows, has ended: RUNNING, PENDING_REDRIVE (a redrive about
// to run again) and any status this code does not know yet count as running, so a live holder is never robbed.
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { EtcdHaError } from '../../core/errors';
import type { ExecutionLiveness } from '../../ports';

/** A Standard workflow's execution: arn:<partition>:states:<region>:<account>:execution:<state machine>:<name>. */
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:\s]+:[^:\s]+$/;

/** The statuses of an execution that is over. */
const ENDED = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

export interface SfnExecutionLivenessProps {
  /** The Step Functions client, created once per module by the composition root (needs states:DescribeExecution). */
  readonly client: SFNClient;
}

export class SfnExecutionLiveness implements ExecutionLiveness {
  private readonly client: SFNClient;

  constructor(props: SfnExecutionLivenessProps) {
    this.client = props.client;
  }

  async hasEnded(ref: string): Promise<boolean> {
    if (!EXECUTION_ARN.test(ref)) {
      throw new EtcdHaError(
        `lock holder "${ref}" is not a Step Functions execution ARN (arn:<partition>:states:<region>:<account>:execution:<state machine>:<name>): cannot tell whether it still runs`,
      );
    }
    try {
      const { status } = await this.client.send(new DescribeExecutionCommand({ executionArn: ref }));
      return status !== undefined && ENDED.has(status);
    } catch (error) {
      // By name, not instanceof: the client may come from another copy of the SDK than this module's.
      if ((error as { name?: string } | undefined)?.name === 'ExecutionDoesNotExist') return true;
      throw error;
    }
  }
}
