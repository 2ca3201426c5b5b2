// `etcd-ha status --cluster NAME` without AWS: the CheckClusterHealth state machine found by its tag, the execution
// started with { clusterName }, followed over a recorded-shape history (Lambda task events, the Choice, the Succeed),
// and its output printed as the one member table or one JSON document. Exit 0 healthy, 3 not healthy, 1 otherwise.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DescribeExecutionOutput, HistoryEvent } from '@aws-sdk/client-sfn';
import { status } from '../../bin/cli/aws-status';
import { main } from '../../bin/cli/main';
import type { ExecutionsApi } from '../../bin/cli/aws-sfn';
import { EXIT, type Output } from '../../bin/cli/output';
import type { ClusterHealthReport } from '../../lambdas/workflow-runner/contracts';
import { event } from './history-fixtures';
import { stateMachinesWithTags } from './state-machines-fake';

const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:CheckClusterHealthStateMachine0C4D1E2F-Zx81';
const FUNCTION = (name: string) => `arn:aws:lambda:eu-west-1:123456789012:function:EtcdHa-${name}Step1A2B3C4D-kQ8vN2xR5tLm`;
const now = () => new Date('2026-12-05T15:50:07.123Z');
const EXECUTION_NAME = 'demo-status-20261205T155007Z';
const EXECUTION = `arn:aws:states:eu-west-1:123456789012:execution:CheckClusterHealthStateMachine0C4D1E2F-Zx81:${EXECUTION_NAME}`;

const member = (i: number, over: Partial<ClusterHealthReport['members'][number]> = {}) => ({
  name: `infra${i}`,
  id: ['8e9e05c52164694d', '91bc3c398fb3c146', 'fd422379fda50e48'][i]!,
  endpoint: `https://10.0.0.${6 + i}:2379`,
  instanceId: `i-0a1b2c3d4e5f6000${i}`,
  healthy: true,
  leader: i === 1,
  learner: false,
  dbSize: 20480,
  ...over,
});
const HEALTHY: ClusterHealthReport = {
  clusterName: 'demo',
  isRecorded: true,
  healthy: true,
  problems: [],
  leader: 'infra1',
  clusterId: 'cdf818194e3a8c32',
  members: [0, 1, 2].map((i) => member(i)),
  awaitingReplacement: [],
  runtime: 'kubeadm',
  updatedAt: '2026-12-01T09:00:00.000Z',
  maintenance: { paused: false, history: [] },
};
/** infra2 does not answer: no DB size. */
const { dbSize: _noAnswer, ...silentInfra2 } = member(2, { healthy: false });
const NOT_HEALTHY: ClusterHealthReport = {
  ...HEALTHY,
  healthy: false,
  problems: ['infra2 (https://10.0.0.8:2379) does not answer: connect ETIMEDOUT'],
  members: [member(0), member(1), silentInfra2],
  maintenance: { paused: true, reason: 'moving infra2 to a new subnet', by: 'alice@ops', since: '2026-12-05T15:00:00.000Z', history: [] },
};

/** CheckClusterHealth's history as GetExecutionHistory gives it: Validate Request, the Choice, then `then`. */
function history(input: unknown, then: 'read' | 'nothing' | 'fail', output: unknown): HistoryEvent[] {
  const text = (value: unknown) => JSON.stringify(value);
  const validated = (output as { isRecorded?: boolean } | undefined)?.isRecorded === false ? output : { clusterName: 'demo', isRecorded: true };
  const events: HistoryEvent[] = [
    event(1, 0, 'ExecutionStarted', 0, { executionStartedEventDetails: { input: text(input), roleArn: 'arn:aws:iam::123456789012:role/EtcdHa-CheckClusterHealthStateMachineRole' } }),
    event(2, 1, 'TaskStateEntered', 0.04, { stateEnteredEventDetails: { name: 'Validate Request', input: text(input) } }),
    event(3, 2, 'LambdaFunctionScheduled', 0.08, { lambdaFunctionScheduledEventDetails: { resource: FUNCTION('ValidateHealthCheckRequest'), input: text({ request: input }) } }),
    event(4, 3, 'LambdaFunctionStarted', 0.14),
  ];
  if (then === 'fail') {
    const cause = text({ errorType: 'AccessDeniedException', errorMessage: 'User is not authorized to perform: dynamodb:GetItem', trace: ['AccessDeniedException: …', '    at /var/task/index.js:1:1'] });
    return [
      ...events,
      event(5, 4, 'LambdaFunctionFailed', 0.5, { lambdaFunctionFailedEventDetails: { error: 'AccessDeniedException', cause } }),
      event(6, 5, 'TaskStateExited', 0.52, { stateExitedEventDetails: { name: 'Validate Request', output: text({ request: input, failure: { Error: 'AccessDeniedException', Cause: cause } }) } }),
      event(7, 6, 'FailStateEntered', 0.54, { stateEnteredEventDetails: { name: 'Health Check Failed', input: text({ failure: { Error: 'AccessDeniedException', Cause: cause } }) } }),
      event(8, 7, 'ExecutionFailed', 0.56, { executionFailedEventDetails: { error: 'AccessDeniedException', cause } }),
    ];
  }
  events.push(
    event(5, 4, 'LambdaFunctionSucceeded', 0.5, { lambdaFunctionSucceededEventDetails: { output: text(validated) } }),
    event(6, 5, 'TaskStateExited', 0.52, { stateExitedEventDetails: { name: 'Validate Request', output: text(validated) } }),
    event(7, 6, 'ChoiceStateEntered', 0.54, { stateEnteredEventDetails: { name: 'Is Cluster Recorded?', input: text(validated) } }),
    event(8, 7, 'ChoiceStateExited', 0.55, { stateExitedEventDetails: { name: 'Is Cluster Recorded?', output: text(validated) } }),
  );
  if (then === 'nothing') {
    return [
      ...events,
      event(9, 8, 'SucceedStateEntered', 0.56, { stateEnteredEventDetails: { name: 'Nothing To Check', input: text(output) } }),
      event(10, 9, 'SucceedStateExited', 0.57, { stateExitedEventDetails: { name: 'Nothing To Check', output: text(output) } }),
      event(11, 10, 'ExecutionSucceeded', 0.58, { executionSucceededEventDetails: { output: text(output) } }),
    ];
  }
  return [
    ...events,
    event(9, 8, 'TaskStateEntered', 0.56, { stateEnteredEventDetails: { name: 'Read Cluster Health', input: text(validated) } }),
    event(10, 9, 'LambdaFunctionScheduled', 0.6, { lambdaFunctionScheduledEventDetails: { resource: FUNCTION('ReadClusterHealth'), input: text({ clusterName: 'demo' }) } }),
    event(11, 10, 'LambdaFunctionStarted', 0.66),
    event(12, 11, 'LambdaFunctionSucceeded', 2.1, { lambdaFunctionSucceededEventDetails: { output: text(output) } }),
    event(13, 12, 'TaskStateExited', 2.12, { stateExitedEventDetails: { name: 'Read Cluster Health', output: text(output) } }),
    event(14, 13, 'SucceedStateEntered', 2.14, { stateEnteredEventDetails: { name: 'Health Read', input: text(output) } }),
    event(15, 14, 'SucceedStateExited', 2.15, { stateExitedEventDetails: { name: 'Health Read', output: text(output) } }),
    event(16, 15, 'ExecutionSucceeded', 2.16, { executionSucceededEventDetails: { output: text(output) } }),
  ];
}

/** Step Functions running CheckClusterHealth: RUNNING at the first poll, then ended with the history's last event. */
function checkClusterHealthApi(then: 'read' | 'nothing' | 'fail', output: unknown) {
  const calls = { regions: [] as string[], started: [] as Array<{ stateMachineArn: string; name?: string; input: string }>, polls: 0, closed: 0 };
  let events: HistoryEvent[] = [];
  const factory = (region: string): ExecutionsApi => {
    calls.regions.push(region);
    return {
      async startExecution(input) {
        calls.started.push(input);
        events = history(JSON.parse(input.input), then, output);
        return { executionArn: EXECUTION };
      },
      async describeExecution(executionArn) {
        calls.polls += 1;
        const last = events.at(-1)!;
        const ended = calls.polls > 1;
        return {
          executionArn,
          stateMachineArn: STATE_MACHINE,
          name: EXECUTION_NAME,
          status: !ended ? 'RUNNING' : last.type === 'ExecutionSucceeded' ? 'SUCCEEDED' : 'FAILED',
          startDate: events[0]!.timestamp,
          ...(ended && { stopDate: last.timestamp }),
          ...(ended && last.executionSucceededEventDetails && { output: last.executionSucceededEventDetails.output }),
        } as DescribeExecutionOutput;
      },
      // The first poll sees the history up to Validate Request, later ones all of it; newest first, one page.
      async historyPage() {
        return { events: [...(calls.polls === 0 ? events.slice(0, 4) : events)].reverse() };
      },
      close: () => void (calls.closed += 1),
    };
  };
  return { factory, calls };
}

function capture(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

const tagged = () => stateMachinesWithTags({ [STATE_MACHINE]: { 'etcd-ha:workflow': 'CheckClusterHealth' } });
const deps = (api: ReturnType<typeof checkClusterHealthApi>) => ({
  api: api.factory,
  stateMachines: tagged().factory,
  env: { AWS_REGION: 'eu-west-1' },
  now,
  watch: { sleep: async () => undefined },
});

describe('status (no AWS: a recorded-shape CheckClusterHealth history)', () => {
  it('healthy: starts CheckClusterHealth (found by its tag) with { clusterName }, prints the member table, exit 0', async () => {
    const api = checkClusterHealthApi('read', HEALTHY);
    const output = capture();
    assert.equal(await status({ cluster: 'demo' }, output, deps(api)), EXIT.done);
    assert.deepEqual(api.calls.started, [{ stateMachineArn: STATE_MACHINE, name: EXECUTION_NAME, input: '{"clusterName":"demo"}' }]);
    assert.deepEqual(api.calls.regions, ['eu-west-1']);
    assert.equal(api.calls.closed, 1);
    assert.deepEqual(output.stdout, [
      'cluster demo: healthy',
      'automatic healing: on',
      'NAME\tID\tENDPOINT\tHEALTHY\tLEADER\tLEARNER\tDB SIZE',
      'infra0\t8e9e05c52164694d\thttps://10.0.0.6:2379\ttrue\tfalse\tfalse\t20480',
      'infra1\t91bc3c398fb3c146\thttps://10.0.0.7:2379\ttrue\ttrue\tfalse\t20480',
      'infra2\tfd422379fda50e48\thttps://10.0.0.8:2379\ttrue\tfalse\tfalse\t20480',
    ]);
    assert.deepEqual(output.stderr, []);
  });

  it('not healthy, -o json: one JSON document on stdout (the report and the execution ARN), exit 3', async () => {
    const api = checkClusterHealthApi('read', NOT_HEALTHY);
    const output = capture();
    assert.equal(await status({ cluster: 'demo', format: 'json' }, output, deps(api)), EXIT.notHealthy);
    assert.equal(output.stdout.length, 1);
    assert.deepEqual(JSON.parse(output.stdout[0]!), { ...NOT_HEALTHY, executionArn: EXECUTION });
  });

  it('not healthy, text: the member that does not answer, the pause and the problem; exit 3', async () => {
    const api = checkClusterHealthApi('read', { ...NOT_HEALTHY, awaitingReplacement: [{ name: 'infra3', removedAt: '2026-12-05T14:00:00.000Z', removedBy: 'demo-infra3-20261205T135900Z' }] });
    const output = capture();
    assert.equal(await status({ cluster: 'demo' }, output, deps(api)), EXIT.notHealthy);
    assert.equal(output.stdout[0], 'cluster demo: NOT healthy');
    assert.match(output.stdout[1]!, /^healing paused by alice@ops since 2026-12-05T15:00:00.000Z: moving infra2 to a new subnet/);
    assert.ok(output.stdout.includes('infra2\tfd422379fda50e48\thttps://10.0.0.8:2379\tfalse\tfalse\tfalse\t-'), output.stdout.join('\n'));
    assert.ok(output.stdout.includes('awaiting replacement: infra3 (removed 2026-12-05T14:00:00.000Z by demo-infra3-20261205T135900Z)'));
    assert.equal(output.stdout.at(-1), '! infra2 (https://10.0.0.8:2379) does not answer: connect ETIMEDOUT');
  });

  it('an unknown cluster (Nothing To Check): says so on stderr, exit 1, nothing on stdout', async () => {
    const api = checkClusterHealthApi('nothing', { clusterName: 'dmeo', isRecorded: false, reason: 'no cluster "dmeo" is recorded' });
    const output = capture();
    assert.equal(await status({ cluster: 'dmeo', format: 'json' }, output, deps(api)), EXIT.failed);
    assert.deepEqual(output.stdout, []);
    assert.deepEqual(output.stderr, [`etcd-ha: no cluster "dmeo" is recorded (asked ${STATE_MACHINE})`]);
  });

  it('a failed execution (Health Check Failed): the error and the Lambda\'s message without its trace, the console link, exit 1', async () => {
    const api = checkClusterHealthApi('fail', undefined);
    const output = capture();
    assert.equal(await status({ cluster: 'demo' }, output, deps(api)), EXIT.failed);
    assert.deepEqual(output.stdout, []);
    const err = output.stderr.join('\n');
    assert.match(err, /^etcd-ha: the health check of cluster "demo" did not answer:\n {2}Execution demo-status-20261205T155007Z FAILED after 560 ms: AccessDeniedException\n {4}User is not authorized to perform: dynamodb:GetItem\n/);
    assert.match(err, /Console: https:\/\/eu-west-1\.console\.aws\.amazon\.com\/states\/home\?region=eu-west-1#\/v2\/executions\/details\/arn:aws:states:eu-west-1:/);
    assert.doesNotMatch(err, /\/var\/task|"trace"/);
  });

  it('StartExecution refused: the AWS error in one line with what to check, exit 1, the client closed', async () => {
    let closed = 0;
    const refused: ExecutionsApi = {
      startExecution: async () => Promise.reject(Object.assign(new Error('State Machine Does Not Exist'), { name: 'StateMachineDoesNotExist', $metadata: {} })),
      describeExecution: async () => assert.fail('nothing started'),
      historyPage: async () => assert.fail('nothing started'),
      close: () => void (closed += 1),
    };
    const output = capture();
    assert.equal(await status({ cluster: 'demo', stateMachineArn: STATE_MACHINE }, output, { api: () => refused, now }), EXIT.failed);
    assert.equal(closed, 1);
    assert.match(output.stderr[0]!, /^etcd-ha: checking the cluster's health \(CheckClusterHealth\) failed: StateMachineDoesNotExist: /);
  });

  it('the command line: --help (exit 0), no --cluster (exit 2), no state machine tagged (exit 2 naming the tag)', async () => {
    const help = capture();
    assert.equal(await main(['status', '--help'], help), EXIT.done);
    assert.match(help.stdout.join('\n'), /Usage: etcd-ha status \[options\]/);
    assert.match(help.stdout.join('\n'), /etcd-ha:workflow=CheckClusterHealth/);
    const missing = capture();
    assert.equal(await main(['status'], missing), EXIT.usage);
    assert.deepEqual(missing.stderr, ['etcd-ha: status needs --cluster NAME']);
    const output = capture();
    await assert.rejects(status({ cluster: 'demo' }, output, { api: () => assert.fail('nothing to start'), stateMachines: stateMachinesWithTags({}).factory, env: {} }), /None carries the tag etcd-ha:workflow=CheckClusterHealth/);
  });
});
