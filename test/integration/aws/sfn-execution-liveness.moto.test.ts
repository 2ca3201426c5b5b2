// SfnExecutionLiveness against moto_server's Step Functions: an execution that runs has not ended; one that was
// stopped (ABORTED) has; an execution, or a state machine, Step Functions does not know has ended too; a ref
// that is no execution ARN is an error, asked of nobody. Statuses moto cannot produce (PENDING_REDRIVE, the
// other final ones) are covered by test/adapters/aws/sfn-execution-liveness.test.ts with a fake client.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateStateMachineCommand, DescribeExecutionCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { SfnExecutionLiveness } from '../../../lambdas/adapters/aws/sfn-execution-liveness';
import { EtcdHaError } from '../../../lambdas/core/errors';
import { startMoto, type Moto } from '../../support/moto';

describe('SfnExecutionLiveness against moto_server', () => {
  let moto: Moto | undefined;
  let client: SFNClient;
  let stateMachineArn: string;

  before(async () => {
    moto = await startMoto();
    client = new SFNClient(moto.clientConfig);
    const created = await client.send(
      new CreateStateMachineCommand({
        name: 'ReplaceMember',
        roleArn: 'arn:aws:iam::123456789012:role/etcd-ha-replace-member',
        definition: JSON.stringify({ StartAt: 'Hold', States: { Hold: { Type: 'Wait', Seconds: 3600, End: true } } }),
      }),
    );
    stateMachineArn = created.stateMachineArn!;
  });

  after(async () => {
    client?.destroy();
    await moto?.stop();
  });

  const start = async (name: string) => (await client.send(new StartExecutionCommand({ stateMachineArn, name, input: '{}' }))).executionArn!;
  const liveness = () => new SfnExecutionLiveness({ client });

  it('an execution that runs has not ended; once stopped it has (and the running one still runs)', async () => {
    const running = await start('replace-running');
    const stopped = await start('replace-stopped');
    assert.equal((await client.send(new DescribeExecutionCommand({ executionArn: running }))).status, 'RUNNING');
    assert.equal(await liveness().hasEnded(running), false);
    assert.equal(await liveness().hasEnded(stopped), false);

    await client.send(new StopExecutionCommand({ executionArn: stopped }));
    assert.equal((await client.send(new DescribeExecutionCommand({ executionArn: stopped }))).status, 'ABORTED');
    assert.equal(await liveness().hasEnded(stopped), true);
    assert.equal(await liveness().hasEnded(running), false);
  });

  it('an execution Step Functions does not know (ExecutionDoesNotExist) has ended, also of a state machine it does not know', async () => {
    assert.equal(await liveness().hasEnded(`${stateMachineArn.replace(':stateMachine:', ':execution:')}:never-started`), true);
    assert.equal(await liveness().hasEnded('arn:aws:states:us-east-1:123456789012:execution:GoneMachine:replace-1'), true);
  });

  it('a ref that is no execution ARN is an error naming it (a local ref, a state machine ARN, an empty name)', async () => {
    for (const ref of ['local:123:456', stateMachineArn, 'arn:aws:states:us-east-1:123456789012:execution:ReplaceMember:', 'replace-1']) {
      await assert.rejects(
        () => liveness().hasEnded(ref),
        (error: Error) => error instanceof EtcdHaError && error.message.startsWith(`lock holder "${ref}" is not a Step Functions execution ARN`),
      );
    }
  });
});
