// `etcd-ha delete --cluster NAME [--confirm NAME]` without AWS: the DeleteCluster state machine found by its tag, the
// request checked here first (a confirm naming another cluster starts nothing, exit 2), the execution followed to its
// end, and its answer printed: the dry run's list, or the deletion, or one JSON document. Exit 0, 1 or 2.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DescribeExecutionOutput, HistoryEvent } from '@aws-sdk/client-sfn';
import { deleteCluster } from '../../bin/cli/aws-delete';
import { main } from '../../bin/cli/main';
import type { ExecutionsApi } from '../../bin/cli/aws-sfn';
import { EXIT, type Output } from '../../bin/cli/output';
import type { DeletionDryRun, DeletionOutcome, DeletionPlan } from '../../lambdas/workflow-runner/contracts';
import { event } from './history-fixtures';
import { stateMachinesWithTags } from './state-machines-fake';

const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:DeleteClusterStateMachine5E6F7A8B-Qw12';
const EXECUTION_NAME = 'demo-delete-20261205T155007Z';
const EXECUTION = `arn:aws:states:eu-west-1:123456789012:execution:DeleteClusterStateMachine5E6F7A8B-Qw12:${EXECUTION_NAME}`;
const now = () => new Date('2026-12-05T15:50:07.123Z');

const PLAN: DeletionPlan = {
  clusterName: 'demo',
  isRecorded: true,
  members: [0, 1, 2].map((i) => ({ name: `infra${i}`, address: `10.0.0.${6 + i}`, instanceId: `i-0a1b2c3d4e5f6000${i}` })),
  dataDir: '/var/lib/etcd',
  runtime: 'kubeadm',
  secrets: ['etcd-ha/demo/apiserver-etcd-client', 'etcd-ha/demo/ca', 'etcd-ha/demo/healthcheck-client', 'etcd-ha/demo/member/infra0'],
  record: 'cluster record "demo"',
};
const DRY_RUN: DeletionDryRun = { clusterName: 'demo', dryRun: true, wouldDelete: PLAN, message: 'Dry run: nothing was changed. Deleting cluster "demo" would: (…)' };
const DELETED: DeletionOutcome = { clusterName: 'demo', dryRun: false, deleted: PLAN, unreachable: [], message: 'Cluster "demo" deleted: (…)' };

/** Step Functions running DeleteCluster: RUNNING at the first poll, then ended as `end` says. */
function deleteClusterApi(end: { output: unknown } | { error: string; cause: string }) {
  const calls = { started: [] as Array<{ stateMachineArn: string; name?: string; input: string }>, polls: 0, closed: 0 };
  let events: HistoryEvent[] = [];
  const factory = (_region: string): ExecutionsApi => ({
    async startExecution(input) {
      calls.started.push(input);
      events = [
        event(1, 0, 'ExecutionStarted', 0, { executionStartedEventDetails: { input: input.input, roleArn: 'arn:aws:iam::123456789012:role/EtcdHa-DeleteClusterRole' } }),
        'output' in end
          ? event(2, 1, 'ExecutionSucceeded', 2, { executionSucceededEventDetails: { output: JSON.stringify(end.output) } })
          : event(2, 1, 'ExecutionFailed', 2, { executionFailedEventDetails: { error: end.error, cause: end.cause } }),
      ];
      return { executionArn: EXECUTION };
    },
    async describeExecution(executionArn) {
      calls.polls += 1;
      const ended = calls.polls > 1;
      const last = events.at(-1)!;
      return {
        executionArn,
        stateMachineArn: STATE_MACHINE,
        name: EXECUTION_NAME,
        status: !ended ? 'RUNNING' : 'output' in end ? 'SUCCEEDED' : 'FAILED',
        startDate: events[0]!.timestamp,
        ...(ended && { stopDate: last.timestamp }),
        ...(ended && 'output' in end && { output: JSON.stringify(end.output) }),
        ...(ended && 'error' in end && { error: end.error, cause: end.cause }),
      } as DescribeExecutionOutput;
    },
    async historyPage() {
      return { events: [...(calls.polls === 0 ? events.slice(0, 1) : events)].reverse() };
    },
    close: () => void (calls.closed += 1),
  });
  return { factory, calls };
}

function capture(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

const deps = (api: ReturnType<typeof deleteClusterApi>) => ({
  api: api.factory,
  stateMachines: stateMachinesWithTags({ [STATE_MACHINE]: { 'etcd-ha:workflow': 'DeleteCluster' } }).factory,
  env: { AWS_REGION: 'eu-west-1' },
  now,
  watch: { sleep: async () => undefined },
});

describe('delete (no AWS: a DeleteCluster execution of recorded shape)', () => {
  it('without --confirm: a dry run, started with { clusterName, by } on the state machine tagged DeleteCluster; prints what it would delete; exit 0', async () => {
    const api = deleteClusterApi({ output: DRY_RUN });
    const output = capture();
    assert.equal(await deleteCluster({ cluster: 'demo', by: 'alice@ops' }, output, deps(api)), EXIT.done);
    assert.deepEqual(api.calls.started, [{ stateMachineArn: STATE_MACHINE, name: EXECUTION_NAME, input: '{"clusterName":"demo","by":"alice@ops"}' }]);
    assert.equal(output.stdout[0], `Dry run of cluster "demo": DeleteCluster execution ${EXECUTION_NAME}`);
    assert.equal(output.stdout.at(-1), DRY_RUN.message);
    assert.equal(api.calls.closed, 1);
  });

  it('--confirm NAME, -o json: the request carries confirm; one JSON document on stdout (the outcome), progress on stderr; exit 0', async () => {
    const api = deleteClusterApi({ output: DELETED });
    const output = capture();
    assert.equal(await deleteCluster({ cluster: 'demo', confirm: 'demo', by: 'alice@ops', format: 'json' }, output, deps(api)), EXIT.done);
    assert.equal(JSON.parse(api.calls.started[0]!.input).confirm, 'demo');
    assert.equal(output.stdout.length, 1);
    const doc = JSON.parse(output.stdout[0]!) as { workflow: string; status: string; output: DeletionOutcome };
    assert.deepEqual([doc.workflow, doc.status, doc.output], ['DeleteCluster', 'SUCCEEDED', DELETED]);
    assert.ok(output.stderr.some((l) => l === DELETED.message));
  });

  it('a failed execution: the error and cause on stderr, the console link, exit 1', async () => {
    const api = deleteClusterApi({ error: 'HostScriptFailedError', cause: 'Stop Etcd And Set Data Aside failed on infra1 (i-0a1b2c3d4e5f60001, 10.0.0.7): exit code 1' });
    const output = capture();
    assert.equal(await deleteCluster({ cluster: 'demo', confirm: 'demo', by: 'alice@ops' }, output, deps(api)), EXIT.failed);
    assert.ok(output.stderr.some((l) => l.includes('DeleteCluster failed: HostScriptFailedError')), output.stderr.join('\n'));
    assert.ok(output.stderr.some((l) => l.includes('Stop Etcd And Set Data Aside failed on infra1')));
    assert.ok(output.stderr.some((l) => l.startsWith('  Console: https://')));
  });

  it('a --confirm that names another cluster is refused before anything starts: exit 2, the message names --confirm', async () => {
    const output = capture();
    assert.equal(await main(['delete', '--cluster', 'prod', '--confirm', 'prd'], output), EXIT.usage);
    assert.match(output.stderr.join('\n'), /--confirm: must equal --cluster to delete the cluster \(leave it out for a dry run that changes nothing\)/);
    assert.deepEqual(output.stdout, []);
  });

  it('--help lists --cluster, --confirm and -o; without --cluster it is a usage error (exit 2)', async () => {
    const help = capture();
    assert.equal(await main(['delete', '--help'], help), EXIT.done);
    const text = help.stdout.join('\n');
    for (const flag of ['--cluster <name>', '--confirm <name>', '--by <who>', '--state-machine <arn>', '-o, --output <format>']) assert.ok(text.includes(flag), flag);
    assert.match(text, /dry run that\s+changes nothing/);
    const missing = capture();
    assert.equal(await main(['delete'], missing), EXIT.usage);
    assert.match(missing.stderr.join('\n'), /delete needs --cluster NAME/);
  });
});
