// `etcd-ha restore --cluster NAME [--snapshot NAME] [--host MEMBER=INSTANCE] [--confirm NAME]` without AWS: the
// RestoreCluster state machine found by its tag, the request checked here first (a misspelt option, a bad --host, a
// --confirm naming another cluster start nothing, exit 2), the execution followed to its end, and its answer printed:
// the dry run's plan, the restored cluster, or one JSON document. Exit 0, 1 or 2.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DescribeExecutionOutput, HistoryEvent } from '@aws-sdk/client-sfn';
import { restore } from '../../bin/cli/aws-restore';
import { main } from '../../bin/cli/main';
import type { ExecutionsApi } from '../../bin/cli/aws-sfn';
import { EXIT, type Output } from '../../bin/cli/output';
import type { RestoreDryRun, RestoreOutcome } from '../../lambdas/core/restore/outcome';
import type { RestorePlan } from '../../lambdas/core/restore/plan';
import { event } from './history-fixtures';
import { stateMachinesWithTags } from './state-machines-fake';

const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:RestoreClusterStateMachine2288DD53-Qw12';
const EXECUTION_NAME = 'demo-restore-20261205T155007Z';
const EXECUTION = `arn:aws:states:eu-west-1:123456789012:execution:RestoreClusterStateMachine2288DD53-Qw12:${EXECUTION_NAME}`;
const now = () => new Date('2026-12-05T15:50:07.123Z');

const PLAN: RestorePlan = {
  clusterName: 'demo',
  snapshot: {
    name: '2026-12-05T15-00-00-000Z',
    revision: 4242,
    takenAt: '2026-12-05T15:00:00.000Z',
    ageSeconds: 3007,
    age: '50 min',
    bytes: 2_097_184,
    sha256: 'a'.repeat(64),
    location: 's3://bucket/backups/demo/2026-12-05T15-00-00-000Z.db',
    etcdVersion: '3.5.16',
    clusterId: 'cdf818194e3a8c32',
    lastGood: true,
  },
  hosts: [
    { name: 'infra0', address: '10.0.0.6', instanceId: 'i-0a1b2c3d4e5f60000' },
    { name: 'infra1', address: '10.0.0.9', instanceId: 'i-0a1b2c3d4e5f60009', replaces: 'i-0a1b2c3d4e5f60001' },
    { name: 'infra2', address: '10.0.0.8', instanceId: 'i-0a1b2c3d4e5f60002' },
  ],
  runtime: 'kubeadm',
  dataDir: '/var/lib/etcd',
  token: `demo-restore-${EXECUTION_NAME}`,
  bumpRevision: 1_000_000_000,
  revisionBumped: true,
};
const DRY_RUN: RestoreDryRun = { clusterName: 'demo', dryRun: true, plan: PLAN, message: ['(…)'] };
const RESTORED: RestoreOutcome = {
  clusterName: 'demo',
  dryRun: false,
  restored: true,
  clusterId: '5e1f0a3b9c7d2e11',
  previousClusterId: 'cdf818194e3a8c32',
  revision: 1_000_004_242,
  plan: PLAN,
  members: [],
  movedAside: [{ host: 'infra0', to: '/var/lib/etcd.removed-20261205T155012Z' }],
  message: 'cluster "demo" restored from backup 2026-12-05T15-00-00-000Z (revision 4242): new cluster ID 5e1f0a3b9c7d2e11',
};

/** Step Functions running RestoreCluster: RUNNING at the first poll, then ended as `end` says. */
function restoreClusterApi(end: { output: unknown } | { error: string; cause: string }) {
  const calls = { started: [] as Array<{ stateMachineArn: string; name?: string; input: string }>, polls: 0, closed: 0 };
  let events: HistoryEvent[] = [];
  const factory = (_region: string): ExecutionsApi => ({
    async startExecution(input) {
      calls.started.push(input);
      events = [
        event(1, 0, 'ExecutionStarted', 0, { executionStartedEventDetails: { input: input.input, roleArn: 'arn:aws:iam::123456789012:role/EtcdHa-RestoreClusterRole' } }),
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

const deps = (api: ReturnType<typeof restoreClusterApi>) => ({
  api: api.factory,
  stateMachines: stateMachinesWithTags({ [STATE_MACHINE]: { 'etcd-ha:workflow': 'RestoreCluster' } }).factory,
  env: { AWS_REGION: 'eu-west-1' },
  now,
  watch: { sleep: async () => undefined },
});

describe('restore (no AWS: a RestoreCluster execution of recorded shape)', () => {
  it('without --confirm: a dry run on the state machine tagged RestoreCluster; prints the plan (backup, revision, age, hosts, token, bump); exit 0', async () => {
    const api = restoreClusterApi({ output: DRY_RUN });
    const output = capture();
    assert.equal(await restore({ cluster: 'demo', hosts: ['infra1=i-0a1b2c3d4e5f60009'], by: 'alice@ops' }, output, deps(api)), EXIT.done);
    assert.deepEqual(api.calls.started, [
      { stateMachineArn: STATE_MACHINE, name: EXECUTION_NAME, input: '{"clusterName":"demo","hosts":{"infra1":"i-0a1b2c3d4e5f60009"},"by":"alice@ops"}' },
    ]);
    const text = output.stdout.join('\n');
    assert.equal(output.stdout[0], `Dry run of a restore of cluster "demo": RestoreCluster execution ${EXECUTION_NAME}`);
    assert.match(text, /Dry run: nothing was changed/);
    assert.match(text, /backup\s+2026-12-05T15-00-00-000Z \(the last good one\)/);
    assert.match(text, /revision\s+4242, taken 2026-12-05T15:00:00.000Z \(50 min ago\)/);
    assert.match(text, /bumped by 1000000000 and marked compacted/);
    assert.match(text, /infra1\s+10\.0\.0\.9\s+i-0a1b2c3d4e5f60009 \(replaces i-0a1b2c3d4e5f60001\)/);
    assert.match(text, /To restore: etcd-ha restore --cluster demo --host infra1=i-0a1b2c3d4e5f60009 --confirm demo/);
    assert.equal(api.calls.closed, 1);
  });

  it('--confirm NAME, -o json: the request carries confirm; one JSON document on stdout, progress on stderr; exit 0', async () => {
    const api = restoreClusterApi({ output: RESTORED });
    const output = capture();
    assert.equal(await restore({ cluster: 'demo', confirm: 'demo', by: 'alice@ops', format: 'json' }, output, deps(api)), EXIT.done);
    assert.equal(JSON.parse(api.calls.started[0]!.input).confirm, 'demo');
    assert.equal(output.stdout.length, 1);
    const doc = JSON.parse(output.stdout[0]!) as { workflow: string; status: string; output: RestoreOutcome };
    assert.deepEqual([doc.workflow, doc.status, doc.output], ['RestoreCluster', 'SUCCEEDED', RESTORED]);
    assert.ok(output.stderr.some((l) => l === RESTORED.message));
    assert.ok(output.stderr.some((l) => l.includes('old data dir kept at /var/lib/etcd.removed-20261205T155012Z')));
  });

  it('a failed execution: the error and cause (what the hosts hold) on stderr, the console link, exit 1', async () => {
    const cause = 'Restore Member failed on infra1: exit code 1 -- Hosts: etcd was stopped on every member host; (…)';
    const api = restoreClusterApi({ error: 'HostScriptFailedError', cause });
    const output = capture();
    assert.equal(await restore({ cluster: 'demo', confirm: 'demo', by: 'alice@ops' }, output, deps(api)), EXIT.failed);
    assert.ok(output.stderr.some((l) => l.includes('RestoreCluster failed: HostScriptFailedError')), output.stderr.join('\n'));
    assert.ok(output.stderr.some((l) => l.includes('etcd was stopped on every member host')));
    assert.ok(output.stderr.some((l) => l.startsWith('  Console: https://')));
  });

  it('refused before anything starts (exit 2, the message names the option): another cluster in --confirm, a --host that is no instance, a bad snapshot name', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['restore', '--cluster', 'prod', '--confirm', 'prd'], /--confirm: must equal --cluster to restore the cluster/],
      [['restore', '--cluster', 'prod', '--host', 'infra1=10.0.0.9'], /--host\.infra1: expected an EC2 instance ID/],
      [['restore', '--cluster', 'prod', '--host', 'infra1'], /--host: expected MEMBER=INSTANCE/],
      [['restore', '--cluster', 'prod', '--snapshot', 'latest'], /--snapshot: expected a backup name/],
      [['restore'], /restore needs --cluster NAME/],
    ];
    for (const [argv, message] of cases) {
      const output = capture();
      assert.equal(await main(argv, output), EXIT.usage, argv.join(' '));
      assert.match(output.stderr.join('\n'), message);
      assert.deepEqual(output.stdout, []);
    }
  });
});
