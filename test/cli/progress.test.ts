// The one progress printer, fed the runner's events (the same for local runs and Step Functions executions).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressPrinter, formatDuration } from '../../bin/cli/progress';
import type { RunEvent } from '../../lambdas/workflow-runner/port';

const print = (events: RunEvent[]) => {
  const lines: string[] = [];
  const printer = new ProgressPrinter((line) => lines.push(line));
  for (const event of events) printer.onEvent(event);
  return lines;
};

describe('progress lines', () => {
  it('a state that succeeded, with how long it took; a host inside the Map by name', () => {
    assert.deepEqual(
      print([
        { kind: 'entered', state: 'Generate PKI', at: 0 },
        { kind: 'succeeded', state: 'Generate PKI', at: 1500 },
        { kind: 'entered', state: 'Push Certificates', index: 1, host: 'infra1', at: 2000 },
        { kind: 'succeeded', state: 'Push Certificates', index: 1, host: 'infra1', at: 2179 },
      ]),
      ['  ✓ Generate PKI (1.5 s)', '  ✓ Push Certificates [infra1] (179 ms)'],
    );
  });

  it('a failed state: its error and the first line of its cause; a retry with its attempt', () => {
    const lines = print([
      { kind: 'entered', state: 'Add Member As Learner', at: 1000 },
      { kind: 'failed', state: 'Add Member As Learner', error: 'EtcdNotReadyError', cause: 'etcdserver: unhealthy cluster\nasked 127.0.0.11:2379', at: 1200 },
      { kind: 'retried', state: 'Add Member As Learner', attempt: 2, at: 1201 },
    ]);
    assert.deepEqual(lines, ['  ✗ Add Member As Learner: EtcdNotReadyError: etcdserver: unhealthy cluster (…)', '  ↻ Add Member As Learner: retrying (attempt 2)']);
  });

  it('a failure without a cause shows the error alone', () => {
    assert.deepEqual(print([{ kind: 'failed', state: 'Start Etcd', error: 'States.Timeout', at: 5 }]), ['  ✗ Start Etcd: States.Timeout']);
  });

  it('a refused spec: ✗ Validate Spec, then caught — never ✓ Validate Spec', () => {
    const lines = print([
      { kind: 'entered', state: 'Validate Spec', at: 0 },
      { kind: 'failed', state: 'Validate Spec', error: 'SpecValidationError', cause: 'members: 3, 5 or 7', at: 3 },
      { kind: 'caught', state: 'Validate Spec', error: 'SpecValidationError', at: 3 },
      { kind: 'entered', state: 'Provision Failed', at: 4 },
      { kind: 'failed', state: 'Provision Failed', error: 'SpecValidationError', cause: 'members: 3, 5 or 7', at: 4 },
      { kind: 'ended', status: 'FAILED', error: 'SpecValidationError', at: 4 },
    ]);
    assert.deepEqual(lines, [
      '  ✗ Validate Spec: SpecValidationError: members: 3, 5 or 7',
      '  ⤷ Validate Spec: caught SpecValidationError',
      '  ✗ Provision Failed: SpecValidationError: members: 3, 5 or 7',
    ]);
  });

  it('choices and the health loop’s bookkeeping print nothing; an unhealthy check says so', () => {
    assert.deepEqual(
      print([
        { kind: 'succeeded', state: 'Is Cluster Healthy?', at: 0 },
        { kind: 'succeeded', state: 'Wait For Members', at: 0 },
        { kind: 'succeeded', state: 'Check Health', output: { health: { healthy: false, attempt: 2, problems: ['infra1 does not answer'] } }, at: 0 },
      ]),
      ['  … Check Health: not healthy yet (check 2: infra1 does not answer)'],
    );
  });

  it('formatDuration', () => {
    assert.deepEqual([formatDuration(12), formatDuration(1500), formatDuration(59_949), formatDuration(61_000), formatDuration(3_600_000)], ['12 ms', '1.5 s', '59.9 s', '1m 01s', '60m 00s']);
  });
});
