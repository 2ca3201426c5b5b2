// The closing lines of `etcd-ha watch`: the cluster and its members, or the error and its cause.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatOutcome } from '../../bin/cli/outcome';

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
    assert.deepEqual(formatOutcome({ name: 'demo-1', status: 'SUCCEEDED', output: summary, startDate: start, stopDate: new Date(start.getTime() + 252_000) }), [
      'Execution demo-1 SUCCEEDED after 4m 12s.',
      'Cluster "demo" is ready: 2 members.',
      '  infra0     8e9e05c52164694d  https://10.0.0.6:2379  (leader)',
      '  infra1     91bc3c398fb3c146  https://10.0.0.7:2379',
    ]);
  });

  it('SUCCEEDED with another output: the output as Step Functions returned it', () => {
    assert.deepEqual(formatOutcome({ status: 'SUCCEEDED', output: { replaced: 'infra1' }, rawOutput: '{"replaced":"infra1"}' }), ['Execution SUCCEEDED.', 'Output: {"replaced":"infra1"}']);
  });

  it('FAILED: the error, then every line of the cause', () => {
    assert.deepEqual(formatOutcome({ name: 'x', status: 'FAILED', error: 'HostScriptFailedError', cause: 'Start Etcd failed\n--- stderr ---' }), [
      'Execution x FAILED: HostScriptFailedError',
      '  Start Etcd failed',
      '  --- stderr ---',
    ]);
  });

  it('TIMED_OUT and ABORTED without a cause', () => {
    assert.deepEqual(formatOutcome({ name: 'x', status: 'TIMED_OUT', error: 'States.Timeout' }), ['Execution x TIMED_OUT: States.Timeout']);
    assert.deepEqual(formatOutcome({ name: 'x', status: 'ABORTED' }), ['Execution x ABORTED']);
  });
});
