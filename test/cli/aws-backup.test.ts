// `etcd-ha backup --cluster NAME` without AWS: the BackupCluster state machine found by its tag, the cluster name
// checked here first (exit 2, nothing started), the execution followed, and its answer printed: where the snapshot is
// and its revision, or one JSON document, or the failed clusters' errors. And `local backup` / `local backups`:
// help, -o json, and exit 2 without a local cluster. Exit 0, 1 or 2.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DescribeExecutionOutput, HistoryEvent } from '@aws-sdk/client-sfn';
import { backup } from '../../bin/cli/aws-backup';
import { main } from '../../bin/cli/main';
import type { ExecutionsApi } from '../../bin/cli/aws-sfn';
import { EXIT, type Output } from '../../bin/cli/output';
import type { BackupClusterOutput, BackupMetadata } from '../../lambdas/workflow-runner/contracts';
import { event } from './history-fixtures';
import { stateMachinesWithTags } from './state-machines-fake';

const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:BackupClusterStateMachine1A2B3C4D-Qw12';
const EXECUTION_NAME = 'demo-backup-20261205T155007Z';
const EXECUTION = `arn:aws:states:eu-west-1:123456789012:execution:BackupClusterStateMachine1A2B3C4D-Qw12:${EXECUTION_NAME}`;
const now = () => new Date('2026-12-05T15:50:07.123Z');

const BACKUP: BackupMetadata = {
  clusterName: 'demo',
  name: '2026-12-05T15-50-08-000Z',
  takenAt: '2026-12-05T15:50:08.000Z',
  location: 's3://etcd-ha-snapshots/backups/demo/2026-12-05T15-50-08-000Z.db',
  revision: 48213,
  clusterId: 'cdf818194e3a8c32',
  members: [0, 1, 2].map((i) => ({ name: `infra${i}`, id: `8e9e05c52164694${i}`, peerURLs: [`https://10.0.0.${6 + i}:2380`], isLearner: false })),
  etcdVersion: '3.5.16',
  from: 'https://10.0.0.7:2379',
  bytes: 2101280,
  sha256: 'ab'.repeat(32),
  execution: EXECUTION_NAME,
};
const TAKEN: BackupClusterOutput = { backups: [{ clusterName: 'demo', outcome: 'backed-up', backup: BACKUP, pruned: [] }] };

/** Step Functions running DeleteCluster: RUNNING at the first poll, then ended as `end` says. */
function backupClusterApi(end: { output: unknown } | { error: string; cause: string }) {
  const calls = { started: [] as Array<{ stateMachineArn: string; name?: string; input: string }>, polls: 0, closed: 0 };
  let events: HistoryEvent[] = [];
  const factory = (_region: string): ExecutionsApi => ({
    async startExecution(input) {
      calls.started.push(input);
      events = [
        event(1, 0, 'ExecutionStarted', 0, { executionStartedEventDetails: { input: input.input, roleArn: 'arn:aws:iam::123456789012:role/EtcdHa-BackupClusterRole' } }),
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

const deps = (api: ReturnType<typeof backupClusterApi>) => ({
  api: api.factory,
  stateMachines: stateMachinesWithTags({ [STATE_MACHINE]: { 'etcd-ha:workflow': 'BackupCluster' } }).factory,
  env: { AWS_REGION: 'eu-west-1' },
  now,
  watch: { sleep: async () => undefined },
});

describe('backup (no AWS: a BackupCluster execution of recorded shape)', () => {
  it('starts { clusterName } on the state machine tagged BackupCluster; prints where the snapshot is and its revision; exit 0', async () => {
    const api = backupClusterApi({ output: TAKEN });
    const output = capture();
    assert.equal(await backup({ cluster: 'demo' }, output, deps(api)), EXIT.done);
    assert.deepEqual(api.calls.started, [{ stateMachineArn: STATE_MACHINE, name: EXECUTION_NAME, input: '{"clusterName":"demo"}' }]);
    const text = output.stdout.join('\n');
    assert.match(text, /Backup of demo at 2026-12-05T15:50:08.000Z: s3:\/\/etcd-ha-snapshots\/backups\/demo\/2026-12-05T15-50-08-000Z.db/);
    assert.match(text, /revision 48213, cluster ID cdf818194e3a8c32, etcd 3.5.16, 3 members/);
  });

  it('-o json: one JSON document on stdout, progress on stderr; exit 0', async () => {
    const api = backupClusterApi({ output: TAKEN });
    const output = capture();
    assert.equal(await backup({ cluster: 'demo', format: 'json' }, output, deps(api)), EXIT.done);
    assert.equal(output.stdout.length, 1);
    const doc = JSON.parse(output.stdout[0]!) as { workflow: string; status: string; output: BackupClusterOutput };
    assert.deepEqual([doc.workflow, doc.status, doc.output], ['BackupCluster', 'SUCCEEDED', TAKEN]);
  });

  it("a failed backup: each failed cluster's error on stderr, the console link, exit 1", async () => {
    const cause = JSON.stringify([{ clusterName: 'demo', outcome: 'failed', error: 'SnapshotCorruptError', cause: 'snapshot is corrupt: the SHA-256 of its … backend bytes is …' }]);
    const api = backupClusterApi({ error: 'BackupFailedError', cause });
    const output = capture();
    assert.equal(await backup({ cluster: 'demo' }, output, deps(api)), EXIT.failed);
    const err = output.stderr.join('\n');
    assert.match(err, /BackupCluster failed: BackupFailedError/);
    assert.match(err, /demo: SnapshotCorruptError: snapshot is corrupt/);
    assert.match(err, /Console: https:\/\//);
  });

  it('a cluster name the workflow would refuse starts nothing: exit 2 naming --cluster; without --cluster exit 2', async () => {
    const bad = capture();
    assert.equal(await main(['backup', '--cluster', 'Prod_1'], bad), EXIT.usage);
    assert.match(bad.stderr.join('\n'), /--cluster: .*DNS-1123 label/);
    const missing = capture();
    assert.equal(await main(['backup'], missing), EXIT.usage);
    assert.match(missing.stderr.join('\n'), /backup needs --cluster NAME/);
  });

  it('--help of backup, local backup and local backups: exit 0, -o json offered', async () => {
    for (const words of [['backup'], ['local', 'backup'], ['local', 'backups']]) {
      const help = capture();
      assert.equal(await main([...words, '--help'], help), EXIT.done);
      assert.match(help.stdout.join('\n'), /-o, --output <format>/);
    }
  });

  it('local backup and local backups without a local cluster: exit 2, nothing started', async () => {
    const home = mkdtempSync(join(tmpdir(), 'etcd-ha-backup-cli-'));
    const saved = process.env.ETCD_HA_HOME;
    process.env.ETCD_HA_HOME = join(home, 'home');
    try {
      for (const words of [['local', 'backup'], ['local', 'backups', '-o', 'json']]) {
        const output = capture();
        assert.equal(await main(words, output), EXIT.usage);
        assert.match(output.stderr.join('\n'), /no local cluster/);
        assert.deepEqual(output.stdout, []);
      }
    } finally {
      if (saved === undefined) delete process.env.ETCD_HA_HOME;
      else process.env.ETCD_HA_HOME = saved;
      rmSync(home, { recursive: true, force: true });
    }
  });
});
