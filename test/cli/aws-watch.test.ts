// The watch loop against a scripted Step Functions: the history grows poll by poll and comes in pages
// newest first; the loop reads only what is new, prints each event once, and ends with the outcome.
// (moto_server ignores reverseOrder and maxResults and never pages: this is where paging is proven.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DescribeExecutionOutput, HistoryEvent } from '@aws-sdk/client-sfn';
import { followExecution, newEvents } from '../../bin/cli/aws-watch';
import { ProgressPrinter } from '../../bin/cli/progress';
import { HistoryEvents } from '../../lambdas/workflow-runner/history-events';
import type { ExecutionsApi, HistoryPage } from '../../bin/cli/aws-sfn';
import type { Output } from '../../bin/cli/output';
import { event, loadHistory } from './history-fixtures';

interface Script {
  /** The whole history; poll i (0-based) sees its first `visible[i]` events (the last count thereafter). */
  readonly events: readonly HistoryEvent[];
  readonly visible: readonly number[];
  /** DescribeExecution status per poll (the last one thereafter). */
  readonly statuses: readonly string[];
  readonly described?: Partial<DescribeExecutionOutput>;
  readonly pageSize: number;
}

/** A Step Functions stand-in that pages the visible history newest first, as reverseOrder does. */
function scriptedApi(script: Script) {
  let poll = 0;
  const calls = { pages: 0, eventsServed: 0, describes: 0 };
  const visibleNow = () => script.events.slice(0, script.visible[Math.min(poll, script.visible.length - 1)]);
  const api: ExecutionsApi = {
    async startExecution() {
      throw new Error('not used');
    },
    async describeExecution(executionArn) {
      calls.describes += 1;
      const status = script.statuses[Math.min(poll, script.statuses.length - 1)]!;
      poll += 1;
      return { executionArn, stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:ProvisionCluster', status, ...script.described } as DescribeExecutionOutput;
    },
    async historyPage(_arn, nextToken): Promise<HistoryPage> {
      calls.pages += 1;
      const newestFirst = [...visibleNow()].reverse();
      const offset = nextToken ? Number(nextToken) : 0;
      const events = newestFirst.slice(offset, offset + script.pageSize);
      calls.eventsServed += events.length;
      const next = offset + script.pageSize < newestFirst.length ? String(offset + script.pageSize) : undefined;
      return { events, ...(next && { nextToken: next }) };
    },
    close() {},
  };
  return { api, calls };
}

function capture(): Output & { out_: string[]; err_: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out_, err_, out: (l) => out_.push(l), err: (l) => err_.push(l) };
}

/** The progress lines of the whole history at once. */
function formatHistory(events: readonly HistoryEvent[]): string[] {
  const lines: string[] = [];
  const printer = new ProgressPrinter((line) => lines.push(line));
  for (const e of new HistoryEvents().events(events)) printer.onEvent(e);
  return lines;
}

const ARN = 'arn:aws:states:us-east-1:123456789012:execution:ProvisionCluster:demo-20250314T101502Z';

describe('followExecution', () => {
  it('follows a growing history: every event printed once, in order, then the cluster summary; exit 0', async () => {
    const { events } = loadHistory('provision-succeeded');
    const n = events.length;
    const { api, calls } = scriptedApi({
      events,
      visible: [3, 30, 31, 31, 70, n],
      statuses: ['RUNNING', 'RUNNING', 'RUNNING', 'RUNNING', 'RUNNING', 'SUCCEEDED'],
      described: {
        name: 'demo-20250314T101502Z',
        output: events.at(-1)!.executionSucceededEventDetails!.output!,
        startDate: events[0]!.timestamp!,
        stopDate: events.at(-1)!.timestamp!,
      },
      pageSize: 10,
    });
    const output = capture();
    const slept: number[] = [];
    const code = await followExecution(api, ARN, output, { sleep: async (ms) => void slept.push(ms) });

    assert.equal(code, 0);
    const progress = output.out_.slice(0, output.out_.indexOf(''));
    assert.deepEqual(progress, formatHistory(events), 'the same lines as the whole history at once: none lost, none twice');
    assert.deepEqual(slept, [2000, 2000, 2000, 2000, 2000], 'polls every 2 s until the execution ended');
    assert.deepEqual(output.out_.slice(output.out_.indexOf('') + 1), [
      'Execution demo-20250314T101502Z SUCCEEDED after 29.8 s.',
      'Cluster "demo" is ready: 3 members.',
      '  infra0     8e9e05c52164694d  https://10.0.0.6:2379  (leader)',
      '  infra1     91bc3c398fb3c146  https://10.0.0.7:2379',
      '  infra2     fd422379fda50e48  https://10.0.0.8:2379',
    ]);
    assert.deepEqual(output.err_, []);
    // Only new events are read: each poll stops at the first page that reaches an event already seen,
    // so the events served stay near the history's length instead of growing with every poll.
    assert.ok(calls.eventsServed <= n + 6 * 10, `served ${calls.eventsServed} events for a ${n}-event history`);
    assert.ok(calls.pages >= Math.ceil(n / 10), 'the first full read needed every page (nextToken followed)');
  });

  it('a FAILED execution: the failing host step, then error and errorMessage without the trace; exit 1', async () => {
    const { events } = loadHistory('provision-failed');
    const end = events.at(-1)!.executionFailedEventDetails!;
    const { api } = scriptedApi({
      events,
      visible: [events.length],
      statuses: ['FAILED'],
      described: { name: 'demo-20250314T110240Z', error: end.error!, cause: end.cause!, startDate: events[0]!.timestamp!, stopDate: events.at(-1)!.timestamp! },
      pageSize: 1000,
    });
    const output = capture();
    const code = await followExecution(api, ARN, output, { sleep: async () => assert.fail('no wait once it has ended') });

    assert.equal(code, 1);
    assert.ok(output.out_.includes('  ✗ Start Etcd [infra1]: HostScriptFailedError: Start Etcd failed on infra1 (10.0.0.7): exit code 1 (…)'));
    assert.match(output.err_.join('\n'), /^\nExecution demo-20250314T110240Z FAILED after [\d.]+ s: HostScriptFailedError\n {2}Start Etcd failed on infra1 \(10\.0\.0\.7\): exit code 1\n/);
    assert.match(output.err_.join('\n'), /bind: address already in use/, 'the whole errorMessage');
    assert.doesNotMatch(output.err_.join('\n'), /trace|at runOnHost|\/var\/task/, 'no stack trace');
  });

  it('TIMED_OUT and ABORTED exit 1', async () => {
    for (const [status, endType] of [
      ['TIMED_OUT', 'ExecutionTimedOut'],
      ['ABORTED', 'ExecutionAborted'],
    ] as const) {
      const events = [event(1, 0, 'ExecutionStarted', 0, { executionStartedEventDetails: { input: '{}' } }), event(2, 1, endType, 9, {})];
      const { api } = scriptedApi({ events, visible: [2], statuses: [status], pageSize: 100 });
      const output = capture();
      assert.equal(await followExecution(api, ARN, output, { sleep: async () => undefined }), 1, status);
      assert.match(output.err_.join('\n'), new RegExp(`Execution \\S+ ${status}`));
    }
  });

  it('ends on the history’s end event even while DescribeExecution still says RUNNING (moto does that)', async () => {
    const { events } = loadHistory('provision-succeeded');
    const { api } = scriptedApi({ events, visible: [events.length], statuses: ['RUNNING'], pageSize: 1000 });
    const output = capture();
    assert.equal(await followExecution(api, ARN, output, { sleep: async () => assert.fail('no wait') }), 0);
    assert.ok(output.out_.includes('Cluster "demo" is ready: 3 members.'), 'the output comes from ExecutionSucceeded');
  });

  it('when DescribeExecution has ended first, reads the history once more before the outcome', async () => {
    const { events } = loadHistory('provision-failed');
    // Poll 0 sees part of the history, DescribeExecution already says FAILED; the rest appears on the re-read.
    let reads = 0;
    const { api } = scriptedApi({ events, visible: [40, events.length], statuses: ['FAILED'], pageSize: 1000 });
    const historyPage = api.historyPage.bind(api);
    api.historyPage = (arn, token) => ((reads += 1), historyPage(arn, token));
    const output = capture();
    assert.equal(await followExecution(api, ARN, output, { sleep: async () => assert.fail('no wait') }), 1);
    assert.equal(reads, 2);
    assert.ok(output.out_.some((l) => l.startsWith('  ✗ Provision Failed')), 'events written after the first read are printed too');
    assert.match(output.err_.join('\n'), /FAILED.*HostScriptFailedError/, 'error and cause from the ExecutionFailed event');
  });
});

describe('newEvents', () => {
  const { events } = loadHistory('provision-succeeded');

  it('follows nextToken from the newest page back to the first event already seen, and returns oldest first', async () => {
    const { api, calls } = scriptedApi({ events, visible: [events.length], statuses: ['RUNNING'], pageSize: 7 });
    const fresh = await newEvents(api, ARN, 90);
    assert.deepEqual(fresh.map((e) => e.id), Array.from({ length: events.length - 90 }, (_, i) => 91 + i));
    assert.equal(calls.pages, Math.ceil((events.length - 90 + 1) / 7), 'stopped at the page holding event 90');
    assert.deepEqual((await newEvents(api, ARN, 0)).map((e) => e.id), events.map((e) => e.id), 'all of it from the start');
  });

  it('copes with a server that ignores reverseOrder and returns everything oldest first in one page', async () => {
    const api = { historyPage: async () => ({ events }) } as unknown as ExecutionsApi;
    assert.deepEqual((await newEvents(api, ARN, 100)).map((e) => e.id), [101, 102, 103, 104, 105, 106, 107, 108]);
  });
});
