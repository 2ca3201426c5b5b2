// The `etcd-ha watch` lines, from GetExecutionHistory events: one per state entered, exited, failed,
// retried or caught, hosts named inside the per-host Map, and the outcome without Lambda stack traces.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { HistoryFormatter, describeFailure, formatDuration, formatHistory, formatOutcome, outcomeFromEndEvent } from '../../bin/cli/aws-history-format';
import { event, loadHistory } from './history-fixtures';

const lambdaError = (errorType: string, errorMessage: string) =>
  JSON.stringify({ errorType, errorMessage, trace: [`${errorType}: ${errorMessage}`, '    at handler (/var/task/index.js:10:5)'] });
const entered = (name: string, input: unknown) => ({ stateEnteredEventDetails: { name, input: JSON.stringify(input), inputDetails: { truncated: false } } });
const exited = (name: string, output: unknown) => ({ stateExitedEventDetails: { name, output: JSON.stringify(output), outputDetails: { truncated: false } } });

describe('HistoryFormatter on a recorded ProvisionCluster that succeeded', () => {
  const { events } = loadHistory('provision-succeeded');
  const lines = formatHistory(events);

  it('prints each top-level state entered and exited, with how long it took', () => {
    for (const line of ['  → Validate Spec', '  ✓ Validate Spec (490 ms)', '  → Generate PKI', '  ✓ Generate PKI (3.0 s)', '  ✓ Configure Hosts (12.8 s)', '  ✓ Record Cluster (440 ms)', '  ✓ Cluster Ready (5 ms)']) {
      assert.ok(lines.includes(line), `"${line}" in\n${lines.join('\n')}`);
    }
    assert.equal(lines.filter((l) => l === '  → Check Health').length, 2, 'one line per visit of a state in a loop');
  });

  it('names the host of every Map iteration line and every state inside it, before any state of the iteration ran', () => {
    assert.deepEqual(
      lines.filter((l) => l.startsWith('    → Configure Hosts')),
      ['    → Configure Hosts [infra0]', '    → Configure Hosts [infra1]', '    → Configure Hosts [infra2]'],
    );
    for (const host of ['infra0', 'infra1', 'infra2']) {
      for (const state of ['Uses Kubelet?', 'Push Certificates', 'Write Etcd Config', 'Start Etcd']) {
        assert.ok(lines.includes(`    → ${state} [${host}]`), `${state} entered on ${host}`);
        assert.ok(lines.some((l) => l.startsWith(`    ✓ ${state} [${host}] (`)), `${state} exited on ${host}`);
      }
      assert.ok(lines.some((l) => l.startsWith(`    ✓ Configure Hosts [${host}] (`)), `iteration of ${host} succeeded`);
    }
  });

  it('shows the failed attempt and the retry on the host where they happened', () => {
    const failed = lines.indexOf(
      '    ✗ Push Certificates [infra1]: HostUnreachableError: Push Certificates could not reach infra1 (i-0a1b2c3d4e5f60002): SSM agent not connected (DeliveryTimedOut)',
    );
    const retried = lines.indexOf('    ↻ Push Certificates [infra1]: retrying (attempt 2)');
    const done = lines.indexOf('    ✓ Push Certificates [infra1] (4.4 s)');
    assert.ok(failed >= 0 && retried > failed && done > retried, lines.join('\n'));
    assert.equal(lines.filter((l) => l.includes('↻')).length, 1, 'only infra1 was retried');
    assert.ok(!lines.some((l) => l.includes('caught')), 'a retried attempt that then succeeds was not caught');
  });

  it('leaves the execution events to the outcome, and never prints a stack trace', () => {
    assert.ok(!lines.some((l) => /Execution|at runOnHost|"trace"/.test(l)), lines.join('\n'));
  });
});

describe('HistoryFormatter on a recorded ProvisionCluster that failed on one host', () => {
  const { events } = loadHistory('provision-failed');

  it('prints the failing step on its host, the aborted iterations, the Catch and the Fail state', () => {
    const lines = formatHistory(events);
    assert.deepEqual(lines.slice(-10), [
      '    → Start Etcd [infra0]',
      '    → Start Etcd [infra1]',
      '    → Start Etcd [infra2]',
      '    ✗ Start Etcd [infra1]: HostScriptFailedError: Start Etcd failed on infra1 (10.0.0.7): exit code 1 (…)',
      '    ✗ Configure Hosts [infra1]: failed',
      '    ✗ Configure Hosts [infra0]: aborted',
      '    ✗ Configure Hosts [infra2]: aborted',
      '  ✗ Configure Hosts: HostScriptFailedError',
      '  ⤷ Configure Hosts: caught HostScriptFailedError',
      '  → Provision Failed',
    ]);
  });

  it('ends with the error and the Lambda errorType and errorMessage, not its trace', () => {
    const formatter = new HistoryFormatter();
    formatter.lines(events);
    assert.equal(formatter.endEvent?.type, 'ExecutionFailed');
    const outcome = formatOutcome({ name: 'demo-20250314T110240Z', startDate: events[0]!.timestamp!, ...outcomeFromEndEvent(formatter.endEvent!) });
    assert.deepEqual(outcome, [
      'Execution demo-20250314T110240Z FAILED after 14.0 s: HostScriptFailedError',
      '  HostScriptFailedError: Start Etcd failed on infra1 (10.0.0.7): exit code 1',
      '  --- stderr (tail) ---',
      '  etcd.service: Main process exited, code=exited, status=1/FAILURE',
      '  {"level":"fatal","msg":"listen tcp 10.0.0.7:2379: bind: address already in use"}',
    ]);
  });
});

describe('HistoryFormatter across polls', () => {
  const { events } = loadHistory('provision-succeeded');

  it('prints the same lines whether the events come at once or poll by poll, and skips events it has seen', () => {
    const formatter = new HistoryFormatter();
    const polled: string[] = [];
    for (let from = 0; from < events.length; from += 13) {
      // Each poll also repeats the last event of the one before: it must not be printed twice.
      polled.push(...formatter.lines(events.slice(Math.max(0, from - 1), from + 13)));
    }
    assert.deepEqual(polled, formatHistory(events));
    assert.deepEqual(formatter.lines(events), [], 'nothing new');
    assert.equal(formatter.lastEventId, events.length);
  });

  it('sorts a page that arrives newest first (reverseOrder) before formatting it', () => {
    assert.deepEqual(formatHistory([...events].reverse()), formatHistory(events));
  });

  it('names the host from the iteration’s own input when the Map’s input carries no host list', () => {
    const withoutHostList = events.map((e) =>
      e.type === 'MapStateEntered' ? { ...e, stateEnteredEventDetails: { ...e.stateEnteredEventDetails!, name: 'Configure Hosts', input: '{"items":[1,2,3]}' } } : e,
    );
    const lines = formatHistory(withoutHostList);
    assert.ok(lines.includes('    → Configure Hosts [#1]'), 'the iteration start has only its index');
    assert.ok(lines.includes('    → Uses Kubelet? [infra1]'), 'the first state of the iteration names the host from input.host.name');
    assert.ok(lines.some((l) => l.startsWith('    ✓ Configure Hosts [infra1] (')), 'and so does the end of the iteration');
  });
});

describe('HistoryFormatter on single events', () => {
  it('a step error caught by the state’s Catch: the failure, then "caught", then the handler', () => {
    const cause = lambdaError('CaKeyMismatchError', 'the stored CA certificate and key of demo are not a pair');
    const lines = formatHistory([
      event(1, 0, 'ExecutionStarted', 0, { executionStartedEventDetails: { input: '{}' } }),
      event(2, 0, 'TaskStateEntered', 0, entered('Generate PKI', { spec: {} })),
      event(3, 2, 'LambdaFunctionScheduled', 0, { lambdaFunctionScheduledEventDetails: { resource: 'arn:aws:lambda:us-east-1:123456789012:function:f', input: '{}' } }),
      event(4, 3, 'LambdaFunctionStarted', 0),
      event(5, 4, 'LambdaFunctionFailed', 2, { lambdaFunctionFailedEventDetails: { error: 'CaKeyMismatchError', cause } }),
      event(6, 5, 'TaskStateExited', 2, exited('Generate PKI', { failure: { Error: 'CaKeyMismatchError', Cause: cause } })),
      event(7, 6, 'FailStateEntered', 2, entered('Provision Failed', {})),
      event(8, 7, 'ExecutionFailed', 2, { executionFailedEventDetails: { error: 'CaKeyMismatchError', cause } }),
    ]);
    assert.deepEqual(lines, [
      '  → Generate PKI',
      '  ✗ Generate PKI: CaKeyMismatchError: the stored CA certificate and key of demo are not a pair',
      '  ⤷ Generate PKI: caught CaKeyMismatchError',
      '  → Provision Failed',
    ]);
  });

  it('lambda:invoke tasks (TaskScheduled/TaskFailed) and service errors with a plain cause', () => {
    const lines = formatHistory([
      event(1, 0, 'TaskStateEntered', 0, entered('Check Health', {})),
      event(2, 1, 'TaskScheduled', 0, { taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', region: 'us-east-1', parameters: '{}' } }),
      event(3, 2, 'TaskStarted', 0, { taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke' } }),
      event(4, 3, 'TaskFailed', 1, { taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error: 'Lambda.ServiceException', cause: 'Rate exceeded (Service: Lambda, Status Code: 500)' } }),
      event(5, 4, 'TaskScheduled', 3, { taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', region: 'us-east-1', parameters: '{}' } }),
      event(6, 5, 'TaskStarted', 3),
      event(7, 6, 'TaskTimedOut', 63, { taskTimedOutEventDetails: { resourceType: 'lambda', resource: 'invoke', error: 'States.Timeout' } }),
    ]);
    assert.deepEqual(lines, [
      '  → Check Health',
      '  ✗ Check Health: Lambda.ServiceException: Rate exceeded (Service: Lambda, Status Code: 500)',
      '  ↻ Check Health: retrying (attempt 2)',
      '  ✗ Check Health: States.Timeout',
    ]);
  });

  it('a Map iteration aborted and a state aborted when the execution is stopped', () => {
    const lines = formatHistory([
      event(1, 0, 'MapStateEntered', 0, entered('Configure Hosts', { hosts: [{ name: 'infra0' }] })),
      event(2, 1, 'MapStateStarted', 0, { mapStateStartedEventDetails: { length: 1 } }),
      event(3, 2, 'MapIterationStarted', 0, { mapIterationStartedEventDetails: { name: 'Configure Hosts', index: 0 } }),
      event(4, 3, 'WaitStateEntered', 0, entered('Wait For Agent', { host: { name: 'infra0' } })),
      event(5, 4, 'WaitStateAborted', 9),
      event(6, 3, 'MapIterationAborted', 9, { mapIterationAbortedEventDetails: { name: 'Configure Hosts', index: 0 } }),
      event(7, 6, 'MapStateAborted', 9),
      event(8, 7, 'ExecutionAborted', 9, { executionAbortedEventDetails: {} }),
    ]);
    assert.deepEqual(lines, [
      '  → Configure Hosts',
      '    → Configure Hosts [infra0]',
      '    → Wait For Agent [infra0]',
      '    ✗ Wait For Agent [infra0]: aborted',
      '    ✗ Configure Hosts [infra0]: aborted',
      '  ✗ Configure Hosts: aborted',
    ]);
  });
});

describe('describeFailure', () => {
  const cases: Array<[string, { error: string; cause?: string }, string]> = [
    ['Node Lambda error JSON: type and message, no trace', { error: 'HostScriptFailedError', cause: lambdaError('HostScriptFailedError', 'Start Etcd failed on infra1') }, 'HostScriptFailedError: Start Etcd failed on infra1'],
    ['Python Lambda error JSON (stackTrace)', { error: 'Exception', cause: JSON.stringify({ errorMessage: 'boom', errorType: 'Exception', requestId: 'r', stackTrace: ['  File "h.py"'] }) }, 'Exception: boom'],
    ['plain-text cause', { error: 'States.Runtime', cause: 'An error occurred while executing the state' }, 'States.Runtime: An error occurred while executing the state'],
    ['JSON cause that is not a Lambda error stays as it is', { error: 'E', cause: '{"a":1}' }, 'E: {"a":1}'],
    ['no cause', { error: 'States.Timeout' }, 'States.Timeout'],
  ];
  for (const [name, failure, expected] of cases) {
    it(name, () => assert.equal(describeFailure(failure), expected));
  }
});

describe('formatOutcome', () => {
  const start = new Date('2025-03-14T10:15:02Z');
  const summary = {
    clusterName: 'demo',
    members: [
      { name: 'infra0', id: '8e9e05c52164694d', endpoint: 'https://10.0.0.6:2379', leader: true },
      { name: 'infra1', id: '91bc3c398fb3c146', endpoint: 'https://10.0.0.7:2379', leader: false },
    ],
    secrets: { ca: 'etcd-ha/demo/ca' },
  };

  it('SUCCEEDED with a cluster summary: the cluster and each member with its ID and endpoint', () => {
    assert.deepEqual(formatOutcome({ name: 'demo-1', status: 'SUCCEEDED', output: JSON.stringify(summary), startDate: start, stopDate: new Date(start.getTime() + 252_000) }), [
      'Execution demo-1 SUCCEEDED after 4m 12s.',
      'Cluster "demo" is ready: 2 members.',
      '  infra0     8e9e05c52164694d  https://10.0.0.6:2379  (leader)',
      '  infra1     91bc3c398fb3c146  https://10.0.0.7:2379',
    ]);
  });

  it('SUCCEEDED with another output: the output as it is', () => {
    assert.deepEqual(formatOutcome({ status: 'SUCCEEDED', output: '{"replaced":"infra1"}' }), ['Execution SUCCEEDED.', 'Output: {"replaced":"infra1"}']);
  });

  it('TIMED_OUT and ABORTED without a cause', () => {
    assert.deepEqual(formatOutcome({ name: 'x', status: 'TIMED_OUT', error: 'States.Timeout' }), ['Execution x TIMED_OUT: States.Timeout']);
    assert.deepEqual(formatOutcome({ name: 'x', status: 'ABORTED' }), ['Execution x ABORTED']);
  });

  it('outcomeFromEndEvent reads each kind of end event', () => {
    const at = (type: string, details: Record<string, unknown>) => outcomeFromEndEvent(event(9, 8, type, 5, details) as HistoryEvent);
    assert.equal(at('ExecutionSucceeded', { executionSucceededEventDetails: { output: '{}' } }).output, '{}');
    assert.deepEqual(
      { ...at('ExecutionFailed', { executionFailedEventDetails: { error: 'E', cause: 'C' } }), stopDate: undefined },
      { status: 'FAILED', error: 'E', cause: 'C', stopDate: undefined },
    );
    assert.equal(at('ExecutionTimedOut', { executionTimedOutEventDetails: { error: 'States.Timeout' } }).status, 'TIMED_OUT');
    assert.equal(at('ExecutionAborted', {}).status, 'ABORTED');
  });

  it('formatDuration', () => {
    assert.deepEqual([formatDuration(12), formatDuration(1500), formatDuration(59_949), formatDuration(61_000), formatDuration(3_600_000)], ['12 ms', '1.5 s', '59.9 s', '1m 01s', '60m 00s']);
  });
});
