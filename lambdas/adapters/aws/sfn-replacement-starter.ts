// ReplacementStarter on AWS: StartExecution of the ReplaceMember state machine with a name fixed by the caller.
// Step Functions itself makes a repeated start harmless: the same name and input while the execution runs returns
// that execution; once it has ended (or with another input) the name is refused (ExecutionAlreadyExists).
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { ReplacementStarter } from '../../ports';

export class SfnReplacementStarter implements ReplacementStarter {
  constructor(private readonly props: { readonly client: SFNClient; readonly stateMachineArn: string }) {
    if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]+$/.test(props.stateMachineArn)) {
      throw new RangeError(`stateMachineArn must be a Step Functions state machine ARN, got "${props.stateMachineArn}"`);
    }
  }

  async start(request: { clusterName: string; member: string; executionName: string; trigger: string }): Promise<{ execution: string; started: boolean }> {
    const input = { clusterName: request.clusterName, failedMember: request.member, trigger: request.trigger };
    try {
      const answer = await this.props.client.send(new StartExecutionCommand({ stateMachineArn: this.props.stateMachineArn, name: request.executionName, input: JSON.stringify(input) }));
      return { execution: answer.executionArn ?? request.executionName, started: true };
    } catch (error) {
      if ((error as { name?: string }).name === 'ExecutionAlreadyExists') return { execution: request.executionName, started: false };
      throw error;
    }
  }
}
