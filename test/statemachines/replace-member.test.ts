import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import validator from 'asl-validator';
import { allStates, renderAsl, type AslDefinition, type AslState } from '../../statemachines/render-asl';
import { REPLACE_STEPS, replaceMemberDefinition, type ReplaceMemberProps } from '../../statemachines/replace-member';

const render = (props: Partial<ReplaceMemberProps> = {}): AslDefinition =>
  renderAsl(REPLACE_STEPS, (scope, functions) => replaceMemberDefinition(scope, { functions, ...props }));

type Catcher = { ErrorEquals: string[]; Next: string };
const catches = (state: AslState) => (state.Catch as Catcher[] | undefined) ?? [];

describe('ReplaceMember definition', () => {
  const definition = render();
  const states = definition.States;

  it('is valid ASL (asl-validator)', () => {
    const result = validator(structuredClone(definition));
    assert.equal(result.isValid, true, JSON.stringify(result.errors, null, 2));
  });

  it('follows the runbook, in order', () => {
    const order = [
      'Validate Request',
      'Is Cluster Member?',
      'Acquire Lock',
      'Check Quorum',
      'Is Replacement Still Needed?',
      'Snapshot Before Change',
      'Remove Failed Member',
      'Choose Replacement Host',
      'Issue Member Certificates',
      'Push Certificates',
      'Remove Stray Learners',
      'Add Member As Learner',
      'Write Etcd Config',
      'Start Etcd',
      'Wait Learner In Sync',
      'Promote Learner',
      'Start Health Checks',
      'Wait For Members',
      'Check Health',
      'Is Cluster Healthy?',
    ];
    let name: string | undefined = definition.StartAt;
    const walked: string[] = [];
    while (name && walked.length < order.length) {
      walked.push(name);
      const state: AslState = states[name]!;
      name = (state.Next as string | undefined) ?? (state.Choices as Array<{ Next: string }> | undefined)?.[0]?.Next;
    }
    assert.deepEqual(walked, order);
    assert.equal(states['Record Cluster']!.Next, 'Release Lock');
    assert.equal(states['Release Lock']!.Next, 'Member Replaced');
  });

  it('removes the failed member before adding the new one, as a learner, and promotes it only after it started', () => {
    const names = Object.keys(states);
    const at = (n: string) => names.indexOf(n);
    assert.ok(at('Remove Failed Member') < at('Add Member As Learner'));
    assert.ok(at('Start Etcd') < at('Promote Learner'));
    const start = allStates(definition).find(([n]) => n === 'Start Etcd')![1];
    assert.equal((start.Parameters as Record<string, unknown>).clusterState, 'existing');
  });

  it('releases the lock on every path after taking it: each failure goes through Remove Unpromoted Learner and Release Lock After Failure', () => {
    const guarded = Object.entries(states).filter(([n, s]) => s.Type === 'Task' && !['Validate Request', 'Acquire Lock', 'Remove Unpromoted Learner', 'Release Lock After Failure'].includes(n));
    assert.ok(guarded.length >= 15);
    for (const [name, state] of guarded) {
      assert.ok(catches(state).some((c) => c.ErrorEquals.includes('States.ALL') && c.Next === 'Remove Unpromoted Learner'), `${name} does not roll back on failure`);
    }
    assert.equal(states['Remove Unpromoted Learner']!.Next, 'Release Lock After Failure');
    assert.equal(catches(states['Remove Unpromoted Learner']!)[0]!.Next, 'Release Lock After Failure', 'even a failed rollback releases the lock');
    assert.equal(states['Release Lock After Failure']!.Next, 'Replace Failed');
    assert.equal(states['Collect Member Logs']!.Next, 'Remove Unpromoted Learner');
  });

  it('never releases a lock it did not take: Acquire Lock fails straight to Replace Failed', () => {
    assert.deepEqual(catches(states['Acquire Lock']!).map((c) => c.Next), ['Replace Failed']);
    const retry = (states['Acquire Lock']!.Retry as Array<{ ErrorEquals: string[]; MaxAttempts: number }>).find((r) => r.ErrorEquals.includes('ClusterLockedError'));
    assert.equal(retry?.MaxAttempts, 10, 'a second execution waits, with a bound');
  });

  it('retries only errors the steps name', () => {
    for (const [name, state] of allStates(definition)) {
      for (const retry of (state.Retry as Array<{ ErrorEquals: string[] }> | undefined) ?? []) {
        for (const error of retry.ErrorEquals) assert.ok(!error.startsWith('States.'), `${name} retries ${error}`);
      }
    }
    const promote = (states['Promote Learner']!.Retry as Array<{ ErrorEquals: string[]; MaxAttempts: number }>).find((r) => r.ErrorEquals.includes('EtcdNotReadyError'));
    assert.equal(promote?.MaxAttempts, 30, 'promotion waits for the learner to catch up');
  });

  it('refuses props out of range, naming the prop', () => {
    assert.throws(() => render({ lockWaitAttempts: -1 }), /lockWaitAttempts must be a whole number from 0 to 100, got -1/);
    assert.throws(() => render({ healthCheckAttempts: 0 }), /healthCheckAttempts must be a whole number from 1 to 1000, got 0/);
  });
});
