// SfnExecutionLiveness's reading of DescribeExecution, with a fake client (no network): which statuses have
// ended, including those moto_server cannot produce (PENDING_REDRIVE, SUCCEEDED, FAILED, TIMED_OUT) and one
// this code does not know yet; ExecutionDoesNotExist has ended; any other error goes through unchanged.
// test/integration/aws/sfn-execution-liveness.moto.test.ts runs the real client against moto_server.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { SfnExecutionLiveness } from '../../../lambdas/adapters/aws/sfn-execution-liveness';

const ARN = 'arn:aws:states:eu-west-1:123456789012:execution:ReplaceMemberStateMachine-AbC123:replace-1';

function answering(answer: () => Promise<unknown>): { client: SFNClient; asked: unknown[] } {
  const asked: unknown[] = [];
  const client = { send: async (command: { input: unknown }) => (asked.push(command.input), answer()) } as unknown as SFNClient;
  return { client, asked };
}

const named = (name: string) => Object.assign(new Error(`${name}: from the fake`), { name });

describe('SfnExecutionLiveness', () => {
  const table: Array<[string, boolean]> = [
    ['RUNNING', false],
    ['PENDING_REDRIVE', false],
    ['SOMETHING_NEW', false],
    ['SUCCEEDED', true],
    ['FAILED', true],
    ['TIMED_OUT', true],
    ['ABORTED', true],
  ];
  for (const [status, ended] of table) {
    it(`${status}: ${ended ? 'ended' : 'still runs'}`, async () => {
      const { client, asked } = answering(async () => ({ status }));
      assert.equal(await new SfnExecutionLiveness({ client }).hasEnded(ARN), ended);
      assert.deepEqual(asked, [{ executionArn: ARN }]);
    });
  }

  it('ExecutionDoesNotExist: ended; any other error (e.g. AccessDeniedException) goes through unchanged', async () => {
    assert.equal(await new SfnExecutionLiveness({ client: answering(() => Promise.reject(named('ExecutionDoesNotExist'))).client }).hasEnded(ARN), true);
    const denied = named('AccessDeniedException');
    await assert.rejects(() => new SfnExecutionLiveness({ client: answering(() => Promise.reject(denied)).client }).hasEnded(ARN), (error) => error === denied);
  });

  it('takes execution ARNs of other partitions (aws-cn, aws-us-gov)', async () => {
    const { client } = answering(async () => ({ status: 'RUNNING' }));
    assert.equal(await new SfnExecutionLiveness({ client }).hasEnded('arn:aws-cn:states:cn-north-1:123456789012:execution:M:e'), false);
    assert.equal(await new SfnExecutionLiveness({ client }).hasEnded('arn:aws-us-gov:states:us-gov-west-1:123456789012:execution:M:e'), false);
  });

  it('asks nothing about a ref that is no execution ARN', async () => {
    const { client, asked } = answering(async () => ({ status: 'SUCCEEDED' }));
    await assert.rejects(() => new SfnExecutionLiveness({ client }).hasEnded('local:1:2'), /lock holder "local:1:2" is not a Step Functions execution ARN/);
    assert.deepEqual(asked, []);
  });
});
