// The local progress lines: a failed state shows its error and the first line of why, as `etcd-ha watch` does on AWS.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressPrinter } from '../../bin/cli/progress';

describe('local progress lines', () => {
  const print = (events: Parameters<ProgressPrinter['onEvent']>[0][]) => {
    const lines: string[] = [];
    const printer = new ProgressPrinter((line) => lines.push(line));
    for (const event of events) printer.onEvent(event);
    return lines;
  };

  it('a failed state: its error and the first line of its cause; a retry follows', () => {
    const lines = print([
      { kind: 'entered', state: 'Add Member As Learner', at: 1000 },
      { kind: 'failed', state: 'Add Member As Learner', error: 'EtcdNotReadyError', cause: 'etcdserver: unhealthy cluster\nasked 127.0.0.11:2379', at: 1200 },
      { kind: 'retried', state: 'Add Member As Learner', at: 1201 },
    ]);
    assert.deepEqual(lines, ['  ✗ Add Member As Learner: EtcdNotReadyError: etcdserver: unhealthy cluster (…)', '  ↻ Add Member As Learner: retrying']);
  });

  it('a failure without a cause shows the error alone', () => {
    assert.deepEqual(print([{ kind: 'failed', state: 'Start Etcd', error: 'States.Timeout', at: 5 }]), ['  ✗ Start Etcd: States.Timeout']);
  });
});
