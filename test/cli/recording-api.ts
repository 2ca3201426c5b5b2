// A Step Functions executions API that records what was started (the CLI's request shape), for
// tests that do not follow the execution.
import assert from 'node:assert/strict';
import type { ExecutionsApi } from '../../bin/cli/aws-sfn';

export function recordingApi() {
  const started: Array<{ region: string; stateMachineArn: string; name?: string; input: string }> = [];
  let closed = 0;
  const factory = (region: string): ExecutionsApi => ({
    async startExecution(input) {
      started.push({ region, ...input });
      return { executionArn: `arn:aws:states:${region}:123456789012:execution:ProvisionCluster-9f3KqLw2Xc1d:${input.name}` };
    },
    describeExecution: async () => assert.fail('not followed with --no-watch'),
    historyPage: async () => assert.fail('not followed with --no-watch'),
    close: () => void (closed += 1),
  });
  return { factory, started, closed: () => closed };
}

