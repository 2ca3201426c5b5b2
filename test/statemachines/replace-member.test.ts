import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import validator from 'asl-validator';
import { LOCAL_FUNCTION_ARN_PREFIX, allStates, renderAsl, type AslDefinition, type AslState } from '../../statemachines/render-asl';
import { REPLACE_ONLY_STEPS, REPLACE_OUTCOMES, REPLACE_STEPS, replaceMemberDefinition, type ReplaceMemberProps, type ReplaceStep } from '../../statemachines/replace-member';
import { runWorkflow, type WorkflowResult } from '../../lambdas/local-runner/run-workflow';
import { ClonePlacementRefusedError, ClusterLockedError, EtcdUnavailableError, HostAgentOfflineError, QuorumLostError, SpecValidationError } from '../../lambdas/core/errors';
import type { StepHandler } from '../../lambdas/steps/deps';

const render = (props: Partial<ReplaceMemberProps> = {}): AslDefinition =>
  renderAsl(REPLACE_STEPS, (scope, functions) => replaceMemberDefinition(scope, { functions, ...props }));

type Catcher = { ErrorEquals: string[]; Next: string };
const catches = (state: AslState) => (state.Catch as Catcher[] | undefined) ?? [];

/**
 * The states a replacement runs through, in order: each Next, or a Choice's first rule, until a state
 * repeats or ends. (The order of the keys of States is CDK's graph discovery order, not the run order.)
 */
function runOrder(definition: AslDefinition): string[] {
  const walked: string[] = [];
  let name: string | undefined = definition.StartAt;
  while (name !== undefined && !walked.includes(name)) {
    walked.push(name);
    name = nextOnTheWay(name, definition.States[name]!);
  }
  return walked;
}

/** The next state of a replacement: Next, or a Choice's first rule (its Default for Is Healing Paused?, whose rule ends quietly). */
function nextOnTheWay(name: string, state: AslState): string | undefined {
  if (name === 'Is Healing Paused?') return state.Default as string;
  return (state.Next as string | undefined) ?? (state.Choices as Array<{ Next: string }> | undefined)?.[0]?.Next;
}

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
      'Is Healing Paused?',
      // The stop path (the first rule); terminated instances and requests by hand go to Acquire Lock at once.
      'Is Instance Stopped?',
      'Wait Grace Period',
      'Look Again',
      'Is Member Still Down?',
      'Acquire Lock',
      'Read Cluster',
      'Is Replacement Still Needed?',
      'Check Quorum',
      'Snapshot Before Change',
      'Choose Replacement Host',
      'Was Host Launched?',
      'Start Host Agent Checks',
      'Wait For Host Agent',
      'Check Host Agent',
      'Is Host Agent Online?',
      'Prepare Joining Host',
      'Remove Dead Members',
      'Issue Member Certificates',
      'Revoke Removed Members',
      'Push Revocation List',
      'Uses Kubelet?',
      'Configure Kubelet',
      'Push Certificates',
      'Remove Stray Learners',
      'Add Member As Learner',
      // The first rule: a voter the add removed is revoked too; otherwise straight to Write Etcd Config.
      'Were Voters Removed During Join?',
      'Revoke Members Removed During Join',
      'Push Updated Revocation List',
      'Write Etcd Config',
      'Start Etcd',
      'Start Promotion',
      'Wait Learner In Sync',
      'Promote Learner',
      'Is Learner Promoted?',
      'Start Health Checks',
      'Wait For Members',
      'Check Health',
      'Is Cluster Healthy?',
    ];
    let name: string | undefined = definition.StartAt;
    const walked: string[] = [];
    while (name && walked.length < order.length) {
      walked.push(name);
      name = nextOnTheWay(name, states[name]!);
    }
    assert.deepEqual(walked, order);
    assert.equal(states['Is Instance Stopped?']!.Default, 'Acquire Lock');
    assert.equal(states['Record Cluster']!.Next, 'Retire Replaced Host');
    assert.equal(states['Retire Replaced Host']!.Next, 'Release Lock');
    assert.equal(states['Release Lock']!.Next, 'Member Replaced');
    assert.equal(states['Remove Failed Member'], undefined, 'renamed Remove Dead Members');
  });

  it('reads the cluster under the lock, and its result is the state from then on', () => {
    const read = states['Read Cluster']!;
    assert.equal(read.Resource, `${LOCAL_FUNCTION_ARN_PREFIX}readCluster`);
    assert.deepEqual(read.Parameters, { 'state.$': '$', lock: { 'clusterName.$': '$.clusterName', 'owner.$': '$$.Execution.Name' } });
    assert.equal(read.ResultPath, undefined, 'the result replaces the state');
    assert.equal(states['Acquire Lock']!.Next, 'Read Cluster');
    assert.deepEqual(states['Acquire Lock']!.Parameters, { 'clusterName.$': '$.clusterName', 'owner.$': '$$.Execution.Name', 'holder.$': '$$.Execution.Id' });
    const stillNeeded = states['Is Replacement Still Needed?']!;
    assert.deepEqual(stillNeeded.Choices, [{ Variable: '$.stillNeeded', BooleanEquals: true, Next: 'Check Quorum' }]);
    assert.equal(stillNeeded.Default, 'Release Lock Unneeded');
    assert.equal(states['Release Lock Unneeded']!.Next, 'Nothing To Replace');
  });

  it('every state under the lock carries the lock (its step renews it), its own and the shared ones alike; Release Lock* do not', () => {
    const lockRef = { 'clusterName.$': '$.clusterName', 'owner.$': '$$.Execution.Name' };
    const stepOf = (state: AslState) => String(state.Resource).slice(LOCAL_FUNCTION_ARN_PREFIX.length);
    const tasks = Object.entries(states).filter(([, s]) => s.Type === 'Task');
    // Before the lock, taking it, rolling back after a failure and the lifecycle tail: none runs as a step under the lock.
    // The membership event goes out after the lock is released.
    const outside = ['Validate Request', 'Look Again', 'Acquire Lock', 'Remove Unpromoted Learner', 'Reset Joining Host', 'Complete Lifecycle Action', 'Publish Membership Event', 'Publish Membership Failure'];
    const own = tasks.filter(([n]) => !outside.includes(n));
    const carrying = own.filter(([n]) => !n.startsWith('Release Lock'));
    assert.deepEqual(carrying.map(([n]) => n).sort(), [
      'Add Member As Learner',
      'Check Health',
      'Check Host Agent',
      'Check Quorum',
      'Choose Another Zone',
      'Choose Replacement Host',
      'Collect Member Logs',
      'Configure Kubelet',
      'Issue Member Certificates',
      'Prepare Joining Host',
      'Promote Learner',
      'Push Certificates',
      'Push Revocation List',
      'Push Updated Revocation List',
      'Read Cluster',
      'Record Cluster',
      'Remove Dead Members',
      'Remove Stray Learners',
      'Retire Replaced Host',
      'Revoke Members Removed During Join',
      'Revoke Removed Members',
      'Snapshot Before Change',
      'Start Etcd',
      'Write Etcd Config',
    ]);
    for (const [name, state] of carrying) assert.deepEqual((state.Parameters as Record<string, unknown>).lock, lockRef, name);
    for (const name of ['Remove Unpromoted Learner', 'Reset Joining Host']) assert.ok(!('lock' in (states[name]!.Parameters as Record<string, unknown>)), `${name} carries the lock`);
    const releases = own.filter(([n]) => n.startsWith('Release Lock')).map(([n]) => n);
    assert.deepEqual(releases.sort(), ['Release Lock', 'Release Lock After Failure', 'Release Lock Unneeded']);
    for (const name of releases) assert.deepEqual(states[name]!.Parameters, lockRef, name);
    const shared = carrying.filter(([, s]) => !(REPLACE_ONLY_STEPS as readonly string[]).includes(stepOf(s)));
    assert.ok(shared.length >= 8, 'the steps ReplaceMember shares with ProvisionCluster');
  });

  it('removes the failed member before adding the new one, as a learner, and promotes it only after it started', () => {
    const names = runOrder(definition);
    const at = (n: string) => {
      assert.ok(names.includes(n), `${n} is not on the way of a replacement`);
      return names.indexOf(n);
    };
    assert.ok(at('Read Cluster') < at('Check Quorum'), 'the quorum is checked on the cluster as read under the lock');
    assert.ok(at('Remove Dead Members') < at('Add Member As Learner'));
    assert.ok(at('Add Member As Learner') < at('Promote Learner'));
    assert.ok(at('Start Etcd') < at('Promote Learner'));
    const start = allStates(definition).find(([n]) => n === 'Start Etcd')![1];
    assert.equal((start.Parameters as Record<string, unknown>).clusterState, 'existing');
  });

  it('releases the lock on every path after taking it: each failure goes through Was Host Chosen? (Remove Unpromoted Learner once a host was chosen, then, only when Was Learner Added?, Reset Joining Host when Is Joining Host Left Over?) and Release Lock After Failure', () => {
    // Complete Lifecycle Action runs after the lock is gone, on every ending (see the lifecycle tests below).
    // Look Again runs before the lock; Retire Replaced Host after the member is in and recorded: its failure is reported, the lock released.
    const unguarded = ['Validate Request', 'Look Again', 'Acquire Lock', 'Remove Unpromoted Learner', 'Reset Joining Host', 'Release Lock After Failure', 'Complete Lifecycle Action', 'Retire Replaced Host', 'Publish Membership Event', 'Publish Membership Failure'];
    const guarded = Object.entries(states).filter(([n, s]) => s.Type === 'Task' && !unguarded.includes(n));
    assert.ok(guarded.length >= 17);
    assert.ok(guarded.some(([n]) => n === 'Read Cluster'));
    assert.ok(guarded.some(([n]) => n === 'Prepare Joining Host'));
    assert.deepEqual(catches(states['Retire Replaced Host']!).map((c) => [c.ErrorEquals, c.Next, (c as { ResultPath?: string }).ResultPath]), [[['States.ALL'], 'Release Lock', '$.cluster.retiredHost']]);
    assert.deepEqual(catches(states['Look Again']!).map((c) => [c.ErrorEquals, c.Next]), [[['States.ALL'], 'Replace Failed']], 'no lock to release yet');
    for (const [name, state] of guarded) {
      assert.ok(catches(state).some((c) => c.ErrorEquals.includes('States.ALL') && c.Next === 'Was Host Chosen?'), `${name} does not roll back on failure`);
    }
    assert.deepEqual(states['Was Host Chosen?'], {
      Type: 'Choice',
      Choices: [{ Variable: '$.joining.host', IsPresent: true, Next: 'Remove Unpromoted Learner' }],
      Default: 'Release Lock After Failure',
    });
    assert.deepEqual(states['Remove Unpromoted Learner']!.Parameters, { 'spec.$': '$.spec', 'hosts.$': '$.hosts', 'pki.$': '$.pki', 'host.$': '$.joining.host' });
    assert.equal(states['Remove Unpromoted Learner']!.ResultPath, '$.rollback');
    assert.equal(states['Remove Unpromoted Learner']!.Next, 'Was Learner Added?');
    assert.equal(catches(states['Remove Unpromoted Learner']!)[0]!.Next, 'Release Lock After Failure', 'even a failed rollback releases the lock');
    // A host this execution never added as a learner (e.g. Prepare Joining Host refused its data dir) is never reset.
    assert.deepEqual(states['Was Learner Added?'], {
      Type: 'Choice',
      Choices: [{ Variable: '$.learner.id', IsPresent: true, Next: 'Is Joining Host Left Over?' }],
      Default: 'Release Lock After Failure',
    });
    assert.deepEqual(states['Is Joining Host Left Over?'], {
      Type: 'Choice',
      Choices: [{ Variable: '$.rollback.resetHost', BooleanEquals: true, Next: 'Reset Joining Host' }],
      Default: 'Release Lock After Failure',
    });
    const reset = states['Reset Joining Host']!;
    assert.equal(reset.Resource, `${LOCAL_FUNCTION_ARN_PREFIX}resetJoiningHost`);
    assert.deepEqual(reset.Parameters, { 'spec.$': '$.spec', 'host.$': '$.joining.host', mode: 'reset' });
    assert.equal(reset.ResultPath, '$.reset');
    assert.equal(reset.Next, 'Release Lock After Failure');
    assert.deepEqual(catches(reset).map((c) => [c.ErrorEquals, c.Next]), [[['States.ALL'], 'Release Lock After Failure']], 'a failed reset releases the lock too');
    assert.equal(states['Release Lock After Failure']!.Next, 'Replace Failed');
    assert.equal(states['Collect Member Logs']!.Next, 'Remove Unpromoted Learner', 'an unhealthy cluster after the join rolls the learner back');
  });

  it('prepares the joining host (no etcd, an empty data dir; wipeDataDir from the request) once its agent is online and before any membership change', () => {
    const prepare = states['Prepare Joining Host']!;
    assert.equal(prepare.Resource, `${LOCAL_FUNCTION_ARN_PREFIX}resetJoiningHost`);
    assert.deepEqual(prepare.Parameters, {
      'spec.$': '$.spec',
      'host.$': '$.joining.host',
      mode: 'prepare',
      'wipeDataDir.$': '$.request.wipeDataDir',
      lock: { 'clusterName.$': '$.clusterName', 'owner.$': '$$.Execution.Name' },
    });
    assert.equal(prepare.ResultPath, '$.prepared');
    assert.equal(prepare.Next, 'Remove Dead Members');
    const own = (prepare.Retry as Array<{ ErrorEquals: string[] }>).flatMap((r) => r.ErrorEquals).filter((e) => !e.startsWith('Lambda.'));
    assert.deepEqual(own, ['HostUnreachableError'], 'an agent not yet connected is retried');
    const online = states['Is Host Agent Online?']!;
    assert.ok((online.Choices as Array<{ Next: string }>).some((c) => c.Next === 'Prepare Joining Host'));
    assert.equal(states['Was Host Launched?']!.Default, 'Prepare Joining Host', 'a named host is prepared too');
    const names = runOrder(definition);
    assert.ok(names.indexOf('Check Host Agent') < names.indexOf('Prepare Joining Host'));
    assert.ok(names.indexOf('Prepare Joining Host') < names.indexOf('Remove Dead Members'));
  });

  it('gives Add Member As Learner the recorded member IDs and the lock (a voter that died meanwhile is removed by its ID, recorded as the lock holder)', () => {
    const add = states['Add Member As Learner']!;
    assert.equal(add.Resource, `${LOCAL_FUNCTION_ARN_PREFIX}addMemberAsLearner`);
    assert.deepEqual(add.Parameters, {
      'spec.$': '$.spec',
      'hosts.$': '$.removal.hosts',
      'host.$': '$.joining.host',
      'pki.$': '$.pki',
      'memberIds.$': '$.memberIds',
      lock: { 'clusterName.$': '$.clusterName', 'owner.$': '$$.Execution.Name' },
    });
    assert.equal(add.ResultPath, '$.learner');
    assert.ok(catches(add).some((c) => c.ErrorEquals.includes('States.ALL') && c.Next === 'Was Host Chosen?'));
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
  });

  it('waits for the learner by its progress within the promotion budget: a look every 2 s, as many as the minutes allow', () => {
    assert.deepEqual(states['Start Promotion']!.Result, { attempt: 0 });
    assert.equal(states['Start Promotion']!.ResultPath, '$.promotion');
    assert.equal(states['Wait Learner In Sync']!.Seconds, 2);
    const promote = states['Promote Learner']!;
    assert.equal((promote.Parameters as Record<string, unknown>)['attempt.$'], '$.promotion.attempt');
    assert.equal((promote.Parameters as Record<string, unknown>).maxAttempts, 900, '30 minutes by default');
    assert.equal(promote.ResultPath, '$.promotion');
    assert.equal(promote.Next, 'Is Learner Promoted?');
    const choice = states['Is Learner Promoted?']!;
    assert.deepEqual(choice.Choices, [{ Variable: '$.promotion.promoted', BooleanEquals: true, Next: 'Start Health Checks' }]);
    assert.equal(choice.Default, 'Wait Learner In Sync');
    const budget = render({ promotionBudgetMinutes: 5 }).States['Promote Learner']!;
    assert.equal((budget.Parameters as Record<string, unknown>).maxAttempts, 150);
    assert.throws(() => render({ promotionBudgetMinutes: 0 }), /promotionBudgetMinutes must be a whole number from 1 to 1440, got 0/);
  });

  it('refuses props out of range, naming the prop', () => {
    assert.throws(() => render({ lockWaitAttempts: -1 }), /lockWaitAttempts must be a whole number from 0 to 100, got -1/);
    assert.throws(() => render({ healthCheckAttempts: 0 }), /healthCheckAttempts must be a whole number from 1 to 1000, got 0/);
  });
});

const CLUSTER = { clusterName: 'demo', members: ['infra0', 'infra2', 'infra3'] };
/** What a replacement outputs: the cluster, with what Retire Replaced Host did to the old machine. */
const REPLACED = { ...CLUSTER, retiredHost: { retired: true, stateBefore: 'terminated', stopped: false, tagged: false } };

const HOSTS = [0, 1, 2].map((i) => ({ name: `infra${i}`, address: `10.0.0.${10 + i}` }));

/**
 * Read Cluster's answer as the real one gives it: the state it was given (Validate Request's answer and the
 * lock) plus what it read under the lock.
 */
function clusterAsRead(input: Record<string, unknown>, overrides: { runtime?: string; force?: boolean; stillNeeded?: boolean } = {}) {
  const state = input.state as Record<string, unknown>;
  if (overrides.stillNeeded === false) return { ...state, stillNeeded: false, reason: 'infra1 is no longer a member of demo (already replaced?): nothing to do' };
  return {
    ...state,
    stillNeeded: true,
    // As parsed: the spec always has its runtime (kubeadm by default).
    spec: { clusterName: 'demo', runtime: overrides.runtime ?? 'systemd' },
    hosts: HOSTS,
    failed: { name: 'infra1', id: '1', address: '10.0.0.11', removed: false },
    replacement: { name: 'infra3' },
    pki: { ca: 'etcd-ha/demo/ca' },
    force: overrides.force ?? true,
    down: ['infra1'],
    memberIds: { infra0: '0', infra1: '1', infra2: '2' },
  };
}

/**
 * Stand-in steps (no etcd, no AWS): each returns just what the states after it read, records its input,
 * and throws when `failing` names it. Validate Request carries the request's lifecycle action, as the real one
 * does; Read Cluster returns the state it was given plus what it read.
 */
function fakeSteps(
  options: {
    failing?: Partial<Record<ReplaceStep, () => Error>>;
    isMember?: boolean;
    /** Read Cluster finds the failed member already replaced. */
    stillNeeded?: boolean;
    /** Answers instead of the usual ones, e.g. a Choose Replacement Host that launched a clone. */
    answers?: Partial<Record<ReplaceStep, (input: Record<string, unknown>) => unknown>>;
  } = {},
) {
  const calls: Array<[ReplaceStep, Record<string, unknown>]> = [];
  const results: Partial<Record<ReplaceStep, (input: Record<string, unknown>) => unknown>> = {
    validateRequest: (input) => {
      const request = input.request as { lifecycle?: unknown };
      const carried = request.lifecycle ? { lifecycle: request.lifecycle } : {};
      if (options.isMember === false) return { isMember: false, reason: 'instance i-1234567890abcdef0 is not a member of any etcd-ha cluster', ...carried };
      // As parsed: wipeDataDir defaults to false.
      return { isMember: true, clusterName: 'demo', request: { wipeDataDir: false, ...request }, ...carried };
    },
    readCluster: (input) => clusterAsRead(input, { ...(options.stillNeeded !== undefined && { stillNeeded: options.stillNeeded }) }),
    checkQuorum: () => ({ voters: 3, healthyOthers: 2, quorum: 2, alreadyRemoved: false }),
    chooseReplacementHost: () => ({ host: { name: 'infra3', address: '10.0.0.13' }, hosts: [] }),
    // The membership the new member joins: the live members and the joining host.
    removeFailedMember: () => ({ removed: ['infra1'], hosts: [HOSTS[0], HOSTS[2], { name: 'infra3', address: '10.0.0.13' }] }),
    // The CRL Push Revocation List reads, as the real one answers.
    revokeCertificates: () => ({ crl: '-----BEGIN X509 CRL-----\nAA==\n-----END X509 CRL-----\n', crlNumber: 2, revoked: ['infra1'] }),
    pushRevocationList: (input) => ({ installed: (input.hosts as Array<{ name: string }>).map((h) => h.name), missed: [] }),
    // As the real one answers: the learner's ID (its presence at $.learner.id tells the rollback a learner was added).
    addMemberAsLearner: (input) => ({ id: 'c3', added: true, learner: true, hosts: input.hosts }),
    // As the real one answers once etcd says the learner is in sync.
    promoteLearner: (input) => ({ id: 'c3', promoted: true, attempt: Number(input.attempt ?? 0) + 1 }),
    checkHealth: () => ({ healthy: true, attempt: 1 }),
    // As the real one answers when no learner of the joining host was found and etcd lists it as no voter.
    removeLearners: () => ({ removed: [], resetHost: false }),
    recordCluster: () => CLUSTER,
    retireReplacedHost: () => ({ retired: true, stateBefore: 'terminated', stopped: false, tagged: false }),
    completeLifecycleAction: () => ({ completed: true, result: 'CONTINUE' }),
    ...options.answers,
  };
  const steps = Object.fromEntries(
    REPLACE_STEPS.map((step): [string, StepHandler] => [
      step,
      async (input) => {
        calls.push([step, input as Record<string, unknown>]);
        const failure = options.failing?.[step];
        if (failure) throw failure();
        return results[step]?.(input as Record<string, unknown>) ?? {};
      },
    ]),
  );
  return { steps, calls, called: (step: ReplaceStep) => calls.filter(([s]) => s === step).map(([, input]) => input) };
}


describe('ReplaceMember and an Auto Scaling lifecycle action', () => {
  const definition = render();
  const states = definition.States;
  const LIFECYCLE = {
    lifecycleHookName: 'etcd-member-leaving',
    autoScalingGroupName: 'etcd-members-a',
    lifecycleActionToken: '87654321-4321-4321-4321-210987654321',
    instanceId: 'i-1234567890abcdef0',
  };
  const run = (steps: Record<string, StepHandler>, input: unknown): Promise<WorkflowResult> =>
    runWorkflow({ definition, steps, input, executionName: 'lifecycle-test', waitMs: 1, retryMs: 1 });
  const request = (extra: Record<string, unknown> = {}) => ({ failedInstanceId: 'i-1234567890abcdef0', trigger: 'asg-lifecycle', force: true, ...extra });
  const visited = (result: WorkflowResult) => result.events.filter((e) => e.kind === 'entered').map((e) => e.state);

  it('ends every way through Is Lifecycle Action Pending?, whose only task is Complete Lifecycle Action, before Did Replacement Fail? decides', () => {
    // A replacement, done or failed, publishes its membership event first; Nothing To Replace changed nothing.
    const next = { 'Member Replaced': 'Publish Membership Event', 'Nothing To Replace': 'Is Lifecycle Action Pending?', 'Replace Failed': 'Publish Membership Failure' };
    for (const [ending, after] of Object.entries(next)) {
      assert.equal(states[ending]!.Type, 'Pass', ending);
      assert.equal(states[ending]!.Next, after, ending);
      assert.equal(states[ending]!.ResultPath, '$.outcome', ending);
    }
    for (const publish of ['Publish Membership Event', 'Publish Membership Failure']) {
      assert.equal(states[publish]!.Next, 'Is Lifecycle Action Pending?', publish);
      assert.deepEqual(catches(states[publish]!), [{ ErrorEquals: ['States.ALL'], ResultPath: '$.membershipEventFailure', Next: 'Is Lifecycle Action Pending?' }] as never, publish);
    }
    assert.deepEqual(states['Is Lifecycle Action Pending?'], {
      Type: 'Choice',
      Choices: [{ Variable: '$.lifecycle', IsPresent: true, Next: 'Complete Lifecycle Action' }],
      Default: 'Did Replacement Fail?',
    });
    const complete = states['Complete Lifecycle Action']!;
    assert.equal(complete.Resource, `${LOCAL_FUNCTION_ARN_PREFIX}completeLifecycleAction`);
    assert.deepEqual(complete.Parameters, { 'lifecycle.$': '$.lifecycle', 'outcome.$': '$.outcome.status' });
    assert.equal(complete.ResultPath, '$.lifecycleAction');
    assert.equal(complete.Next, 'Did Replacement Fail?');
    assert.deepEqual(catches(complete), [{ ErrorEquals: ['States.ALL'], ResultPath: '$.lifecycleFailure', Next: 'Did Replacement Fail?' }] as never);
    assert.deepEqual(states['Did Replacement Fail?'], {
      Type: 'Choice',
      Choices: [
        { Variable: '$.outcome.status', StringEquals: REPLACE_OUTCOMES.failed, Next: 'Report Failure' },
        { Variable: '$.lifecycleFailure', IsPresent: true, Next: 'Report Lifecycle Failure' },
      ],
      Default: 'Finish',
    });
    assert.deepEqual(states['Report Failure'], { Type: 'Fail', ErrorPath: '$.failure.Error', CausePath: '$.failure.Cause' });
    assert.deepEqual(states['Report Lifecycle Failure'], { Type: 'Fail', ErrorPath: '$.lifecycleFailure.Error', CausePath: '$.lifecycleFailure.Cause' });
    assert.deepEqual(states['Finish'], { Type: 'Succeed', OutputPath: '$.outcome.output' });
    // The only terminal states are these three.
    const terminal = Object.entries(states).filter(([, s]) => s.Type === 'Succeed' || s.Type === 'Fail' || s.End === true).map(([n]) => n);
    assert.deepEqual(terminal.sort(), ['Finish', 'Report Failure', 'Report Lifecycle Failure']);
  });

  it('a replacement that succeeds completes the action (CONTINUE) after releasing the lock, and still outputs the cluster', async () => {
    const fake = fakeSteps();
    const result = await run(fake.steps, request({ lifecycle: LIFECYCLE }));
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.deepEqual(result.output, REPLACED);
    assert.deepEqual(fake.called('completeLifecycleAction'), [{ lifecycle: LIFECYCLE, outcome: 'replaced' }]);
    const order = fake.calls.map(([step]) => step);
    assert.ok(order.indexOf('releaseLock') < order.indexOf('completeLifecycleAction'), 'the lock is released first');
    assert.deepEqual(visited(result).slice(-7), ['Release Lock', 'Member Replaced', 'Publish Membership Event', 'Is Lifecycle Action Pending?', 'Complete Lifecycle Action', 'Did Replacement Fail?', 'Finish']);
  });

  it('without a lifecycle action (a request by hand, or from the EC2 rule) never calls Complete Lifecycle Action: same output as before', async () => {
    const fake = fakeSteps();
    const result = await run(fake.steps, { clusterName: 'demo', failedMember: 'infra1' });
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.deepEqual(result.output, REPLACED);
    assert.deepEqual(fake.called('completeLifecycleAction'), []);
    assert.ok(!visited(result).includes('Complete Lifecycle Action'));
  });

  it('a replacement that fails before a host is chosen completes the action too, after the lock release (nothing to roll back), and fails with the replacement\'s own error', async () => {
    const fake = fakeSteps({ failing: { checkQuorum: () => new QuorumLostError('quorum is lost: 1 of 3 members besides infra1 are healthy') } });
    const result = await run(fake.steps, request({ lifecycle: LIFECYCLE }));
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'QuorumLostError');
    assert.match(result.cause ?? '', /quorum is lost/);
    assert.deepEqual(fake.called('completeLifecycleAction'), [{ lifecycle: LIFECYCLE, outcome: 'failed' }]);
    const order = fake.calls.map(([step]) => step);
    assert.deepEqual(order.slice(-4), ['checkQuorum', 'releaseLock', 'publishMembershipEvent', 'completeLifecycleAction']);
    assert.deepEqual(fake.called('removeLearners'), [], 'no host was chosen: no learner of this execution can exist');
    const path = visited(result);
    const failedAt = path.lastIndexOf('Check Quorum');
    assert.deepEqual(path.slice(failedAt, failedAt + 4), ['Check Quorum', 'Was Host Chosen?', 'Release Lock After Failure', 'Replace Failed']);
    assert.equal(visited(result).at(-1), 'Report Failure');
  });

  it('a replacement that fails after a host was chosen removes the unpromoted learner of that host, then releases the lock and completes the action', async () => {
    const fake = fakeSteps({ failing: { promoteLearner: () => new EtcdUnavailableError('no member answered') } });
    const result = await run(fake.steps, request({ lifecycle: LIFECYCLE }));
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'EtcdUnavailableError');
    const order = fake.calls.map(([step]) => step);
    assert.deepEqual(order.slice(-4), ['removeLearners', 'releaseLock', 'publishMembershipEvent', 'completeLifecycleAction']);
    const [rollback] = fake.called('removeLearners');
    assert.deepEqual(rollback?.host, { name: 'infra3', address: '10.0.0.13' }, 'the joining host is named to the rollback');
    assert.ok(visited(result).includes('Was Host Chosen?'));
    assert.deepEqual(fake.called('completeLifecycleAction'), [{ lifecycle: LIFECYCLE, outcome: 'failed' }]);
  });

  it('a failure whose rollback leaves the joining host over (resetHost) resets it, without the lock field, before the lock is released', async () => {
    const fake = fakeSteps({
      failing: { startEtcd: () => new EtcdUnavailableError('etcd did not start') },
      answers: { removeLearners: () => ({ removed: ['c3 https://10.0.0.13:2380'], resetHost: true }) },
    });
    const result = await run(fake.steps, request({ lifecycle: LIFECYCLE }));
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'EtcdUnavailableError', "the replacement's own error, not the reset's");
    assert.deepEqual(fake.calls.map(([step]) => step).slice(-5), ['removeLearners', 'resetJoiningHost', 'releaseLock', 'publishMembershipEvent', 'completeLifecycleAction']);
    const resets = fake.called('resetJoiningHost');
    assert.deepEqual(resets.map((input) => input.mode), ['prepare', 'reset']);
    assert.deepEqual(resets[1], { spec: { clusterName: 'demo', runtime: 'systemd' }, host: { name: 'infra3', address: '10.0.0.13' }, mode: 'reset' });
    const path = visited(result);
    const from = path.indexOf('Remove Unpromoted Learner');
    assert.deepEqual(path.slice(from, from + 6), ['Remove Unpromoted Learner', 'Was Learner Added?', 'Is Joining Host Left Over?', 'Reset Joining Host', 'Release Lock After Failure', 'Replace Failed']);
  });

  it('a failure whose rollback says the joining host holds a voter, or cannot tell (resetHost false), leaves the host alone and releases the lock', async () => {
    const fake = fakeSteps({
      failing: { checkHealth: () => new EtcdUnavailableError('no member answered') },
      answers: { removeLearners: () => ({ removed: [], resetHost: false }) },
    });
    const result = await run(fake.steps, request({ lifecycle: LIFECYCLE }));
    assert.equal(result.error, 'EtcdUnavailableError');
    assert.deepEqual(fake.calls.map(([step]) => step).slice(-4), ['removeLearners', 'releaseLock', 'publishMembershipEvent', 'completeLifecycleAction']);
    assert.deepEqual(fake.called('resetJoiningHost').map((input) => input.mode), ['prepare'], 'no reset');
    const path = visited(result);
    const from = path.indexOf('Remove Unpromoted Learner');
    assert.deepEqual(path.slice(from, from + 5), ['Remove Unpromoted Learner', 'Was Learner Added?', 'Is Joining Host Left Over?', 'Release Lock After Failure', 'Replace Failed']);
  });

  it('a reset that fails still releases the lock, and the execution fails with the replacement\'s error', async () => {
    const fake = fakeSteps({
      failing: { promoteLearner: () => new EtcdUnavailableError('no member answered') },
      answers: {
        removeLearners: () => ({ removed: [], resetHost: true }),
        resetJoiningHost: (input) => {
          if (input.mode === 'reset') throw Object.assign(new Error('Reset Joining Host failed on infra3 (10.0.0.13): exit code 1'), { name: 'HostScriptFailedError' });
          return { host: 'infra3', report: [] };
        },
      },
    });
    const result = await run(fake.steps, request({ lifecycle: LIFECYCLE }));
    assert.equal(result.error, 'EtcdUnavailableError');
    assert.deepEqual(fake.calls.map(([step]) => step).slice(-5), ['removeLearners', 'resetJoiningHost', 'releaseLock', 'publishMembershipEvent', 'completeLifecycleAction']);
    assert.ok(visited(result).includes('Release Lock After Failure'));
  });

  it('a failure of Prepare Joining Host (e.g. a data dir it refuses) changes no membership and releases the lock', async () => {
    const refused = () => Object.assign(new Error('Prepare Joining Host failed on infra3 (10.0.0.13): exit code 1\nstderr (tail):\nerror: refusing to join'), { name: 'HostScriptFailedError' });
    const fake = fakeSteps({ failing: { resetJoiningHost: refused } });
    const result = await run(fake.steps, { clusterName: 'demo', failedMember: 'infra1', wipeDataDir: false });
    assert.equal(result.error, 'HostScriptFailedError');
    for (const step of ['removeFailedMember', 'addMemberAsLearner', 'startEtcd'] as const) assert.deepEqual(fake.called(step), [], `${step} ran`);
    assert.deepEqual(fake.called('releaseLock'), [{ clusterName: 'demo', owner: 'lifecycle-test' }]);
    assert.ok(visited(result).includes('Was Host Chosen?'));
  });

  it('a failure of Prepare Joining Host releases the lock WITHOUT Reset Joining Host, even when the rollback answers resetHost true (no learner was added: the refused data dir stays as it is)', async () => {
    const refused = () => Object.assign(new Error('Prepare Joining Host failed on infra3 (10.0.0.13): exit code 1\nstderr (tail):\nerror: refusing to join'), { name: 'HostScriptFailedError' });
    const fake = fakeSteps({ failing: { resetJoiningHost: refused }, answers: { removeLearners: () => ({ removed: [], resetHost: true }) } });
    const result = await run(fake.steps, request({ lifecycle: LIFECYCLE }));
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'HostScriptFailedError');
    assert.deepEqual(fake.called('resetJoiningHost').map((input) => input.mode), ['prepare'], 'no reset after the refused prepare');
    assert.deepEqual(fake.called('addMemberAsLearner'), []);
    assert.deepEqual(fake.calls.map(([step]) => step).slice(-5), ['resetJoiningHost', 'removeLearners', 'releaseLock', 'publishMembershipEvent', 'completeLifecycleAction']);
    assert.deepEqual(fake.called('releaseLock'), [{ clusterName: 'demo', owner: 'lifecycle-test' }]);
    const path = visited(result);
    const from = path.indexOf('Prepare Joining Host');
    assert.deepEqual(path.slice(from, from + 6), ['Prepare Joining Host', 'Was Host Chosen?', 'Remove Unpromoted Learner', 'Was Learner Added?', 'Release Lock After Failure', 'Replace Failed']);
    assert.ok(!path.includes('Reset Joining Host'));
    assert.ok(!path.includes('Is Joining Host Left Over?'));
  });

  it('a failure right after Add Member As Learner (Write Etcd Config) with resetHost true resets the joining host, then releases the lock', async () => {
    const fake = fakeSteps({
      failing: { writeEtcdConfig: () => Object.assign(new Error('Write Etcd Config failed on infra3 (10.0.0.13): exit code 1'), { name: 'HostScriptFailedError' }) },
      answers: { removeLearners: () => ({ removed: ['c3 https://10.0.0.13:2380'], resetHost: true }) },
    });
    const result = await run(fake.steps, request({ lifecycle: LIFECYCLE }));
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'HostScriptFailedError');
    assert.equal(fake.called('addMemberAsLearner').length, 1);
    assert.deepEqual(fake.calls.map(([step]) => step).slice(-6), ['writeEtcdConfig', 'removeLearners', 'resetJoiningHost', 'releaseLock', 'publishMembershipEvent', 'completeLifecycleAction']);
    assert.deepEqual(fake.called('resetJoiningHost').map((input) => input.mode), ['prepare', 'reset']);
    const path = visited(result);
    const from = path.indexOf('Remove Unpromoted Learner');
    assert.deepEqual(path.slice(from, from + 5), ['Remove Unpromoted Learner', 'Was Learner Added?', 'Is Joining Host Left Over?', 'Reset Joining Host', 'Release Lock After Failure']);
  });

  it('passes the request\'s wipeDataDir to Prepare Joining Host', async () => {
    const fake = fakeSteps();
    const result = await run(fake.steps, { clusterName: 'demo', failedMember: 'infra1', wipeDataDir: true });
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.equal(fake.called('resetJoiningHost')[0]?.wipeDataDir, true);
  });

  it('a failure of Read Cluster releases the lock it was read under, without a rollback', async () => {
    const fake = fakeSteps({ failing: { readCluster: () => new SpecValidationError('ReplaceMember input', ['clusterName: no cluster "demo" is recorded; provision it first']) } });
    const result = await run(fake.steps, request({ lifecycle: LIFECYCLE }));
    assert.equal(result.error, 'SpecValidationError');
    assert.deepEqual(fake.calls.map(([step]) => step), ['validateRequest', 'acquireLock', 'readCluster', 'releaseLock', 'publishMembershipEvent', 'completeLifecycleAction']);
    assert.deepEqual(fake.called('releaseLock'), [{ clusterName: 'demo', owner: 'lifecycle-test' }]);
  });

  it('a member already replaced (Read Cluster: not still needed) releases the lock and completes the action, with no quorum check and no change', async () => {
    const fake = fakeSteps({ stillNeeded: false });
    const result = await run(fake.steps, request({ lifecycle: LIFECYCLE }));
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.deepEqual(fake.calls.map(([step]) => step), ['validateRequest', 'acquireLock', 'readCluster', 'releaseLock', 'completeLifecycleAction']);
    assert.deepEqual(fake.called('completeLifecycleAction'), [{ lifecycle: LIFECYCLE, outcome: 'nothing-to-replace' }]);
    assert.match(String((result.output as { reason?: string }).reason), /no longer a member of demo/);
    assert.ok(visited(result).includes('Release Lock Unneeded'));
  });

  it('passes each step what it reads: the lock from Validate Request\'s cluster, the cluster as read under the lock, the membership after the removal', async () => {
    const fake = fakeSteps();
    const result = await run(fake.steps, request({ lifecycle: LIFECYCLE }));
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    const lock = { clusterName: 'demo', owner: 'lifecycle-test' };
    const [acquire] = fake.called('acquireLock');
    assert.equal(acquire?.clusterName, 'demo');
    assert.equal(acquire?.owner, 'lifecycle-test');
    assert.equal(typeof acquire?.holder, 'string', "the execution's ID");
    const [read] = fake.called('readCluster');
    assert.deepEqual(read?.lock, lock);
    const given = read?.state as Record<string, unknown>;
    assert.equal(given.clusterName, 'demo');
    assert.deepEqual(given.request, { ...request({ lifecycle: LIFECYCLE }), wipeDataDir: false });
    assert.deepEqual(given.lock, {}, 'Acquire Lock\'s answer at $.lock');
    const [quorum] = fake.called('checkQuorum');
    assert.deepEqual(quorum, {
      spec: { clusterName: 'demo', runtime: 'systemd' },
      hosts: HOSTS,
      failed: { name: 'infra1', id: '1', address: '10.0.0.11', removed: false },
      pki: { ca: 'etcd-ha/demo/ca' },
      force: true,
      down: ['infra1'],
      memberIds: { infra0: '0', infra1: '1', infra2: '2' },
      lock,
    });
    assert.deepEqual(fake.called('chooseReplacementHost')[0]?.down, ['infra1']);
    assert.deepEqual(fake.called('resetJoiningHost'), [
      { spec: { clusterName: 'demo', runtime: 'systemd' }, host: { name: 'infra3', address: '10.0.0.13' }, mode: 'prepare', wipeDataDir: false, lock },
    ]);
    const [removal] = fake.called('removeFailedMember');
    assert.deepEqual(removal?.joining, { host: { name: 'infra3', address: '10.0.0.13' }, hosts: [] });
    assert.deepEqual(removal?.lock, lock);
    const after = [HOSTS[0], HOSTS[2], { name: 'infra3', address: '10.0.0.13' }];
    for (const step of ['generatePki', 'removeStrayLearners', 'addMemberAsLearner', 'promoteLearner', 'checkHealth', 'recordCluster', 'pushCertificates', 'startEtcd'] as const) {
      assert.deepEqual(fake.called(step)[0]?.hosts, after, step);
    }
    // Check Health expects the membership Add Member As Learner answers (without a voter it had to remove).
    assert.equal((states['Check Health']!.Parameters as Record<string, unknown>)['hosts.$'], '$.learner.hosts');
    assert.equal((states['Collect Member Logs']!.Parameters as Record<string, unknown>)['hosts.$'], '$.learner.hosts');
    const [add] = fake.called('addMemberAsLearner');
    assert.deepEqual(add?.memberIds, { infra0: '0', infra1: '1', infra2: '2' }, 'the recorded IDs as Read Cluster read them');
    assert.deepEqual(add?.lock, lock);
    assert.deepEqual(add?.host, { name: 'infra3', address: '10.0.0.13' });
    const [record] = fake.called('recordCluster');
    assert.equal(record?.lockOwner, 'lifecycle-test');
    assert.equal(record?.replaced, 'infra1');
    assert.deepEqual(record?.lock, lock, 'a shared step carries the lock too (and renews it)');
  });

  it('an instance that is no member (or no longer) still has its action completed, and the execution succeeds quietly', async () => {
    const fake = fakeSteps({ isMember: false });
    const result = await run(fake.steps, request({ lifecycle: LIFECYCLE }));
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.deepEqual(fake.called('completeLifecycleAction'), [{ lifecycle: LIFECYCLE, outcome: 'nothing-to-replace' }]);
    assert.match(String((result.output as { reason?: string }).reason), /not a member of any etcd-ha cluster/);
    assert.deepEqual(fake.called('acquireLock'), []);
  });

  it('a request Validate Request refuses, or a lock never taken, still completes the action from the raw input', async () => {
    const refused = fakeSteps({ failing: { validateRequest: () => new SpecValidationError('ReplaceMember input', ['clusterName: no cluster "x" is recorded']) } });
    const one = await run(refused.steps, request({ lifecycle: LIFECYCLE }));
    assert.equal(one.error, 'SpecValidationError');
    assert.deepEqual(refused.called('completeLifecycleAction'), [{ lifecycle: LIFECYCLE, outcome: 'failed' }]);
    assert.deepEqual(refused.called('releaseLock'), [], 'no lock was taken');

    const locked = fakeSteps({ failing: { acquireLock: () => new ClusterLockedError('cluster demo is locked by execution other since 2024-05-01T10:00:00Z') } });
    const two = await run(locked.steps, request({ lifecycle: LIFECYCLE }));
    assert.equal(two.error, 'ClusterLockedError');
    assert.equal(locked.called('acquireLock').length, 11, 'retried 10 times first');
    assert.deepEqual(locked.called('releaseLock'), [], 'not its lock to release');
    assert.deepEqual(locked.called('completeLifecycleAction'), [{ lifecycle: LIFECYCLE, outcome: 'failed' }]);
  });

  it('a lifecycle action that cannot be completed fails an otherwise successful execution (Report Lifecycle Failure), but never hides a replacement\'s failure', async () => {
    const denied = () => Object.assign(new Error('User is not authorized to perform: autoscaling:CompleteLifecycleAction'), { name: 'AccessDenied' });
    const afterSuccess = fakeSteps({ failing: { completeLifecycleAction: denied } });
    const one = await run(afterSuccess.steps, request({ lifecycle: LIFECYCLE }));
    assert.equal(one.status, 'FAILED');
    assert.equal(one.error, 'AccessDenied');
    assert.equal(visited(one).at(-1), 'Report Lifecycle Failure');
    assert.equal(afterSuccess.called('recordCluster').length, 1, 'the member was replaced all the same');

    const afterFailure = fakeSteps({ failing: { checkQuorum: () => new QuorumLostError('quorum is lost'), completeLifecycleAction: denied } });
    const two = await run(afterFailure.steps, request({ lifecycle: LIFECYCLE }));
    assert.equal(two.error, 'QuorumLostError');
    assert.equal(visited(two).at(-1), 'Report Failure');
  });
});

describe('ReplaceMember on the kubeadm runtime', () => {
  const definition = render();
  const runWith = (runtime: string) => {
    const fake = fakeSteps({
      answers: {
        readCluster: (input) => clusterAsRead(input, { runtime, force: false }),
        chooseReplacementHost: () => ({ host: { name: 'infra3', address: '10.0.0.13' }, hosts: [{ name: 'infra3', address: '10.0.0.13' }] }),
      },
    });
    return { fake, result: runWorkflow({ definition, steps: fake.steps, input: { clusterName: 'demo', failedMember: 'infra1' }, waitMs: 1, retryMs: 1 }) };
  };

  it('configures the joining host\'s kubelet (etcd\'s static pod) before pushing its certificates, as ProvisionCluster does', async () => {
    const { fake, result } = runWith('kubeadm');
    assert.equal((await result).status, 'SUCCEEDED');
    const [input] = fake.called('configureKubelet');
    assert.deepEqual(input?.host, { name: 'infra3', address: '10.0.0.13' });
    assert.equal(input?.clusterState, 'existing');
    const order = fake.calls.map(([step]) => step);
    assert.ok(order.indexOf('configureKubelet') < order.indexOf('pushCertificates'));
  });

  it('leaves the kubelet alone on the systemd runtime', async () => {
    const { fake, result } = runWith('systemd');
    assert.equal((await result).status, 'SUCCEEDED');
    assert.deepEqual(fake.called('configureKubelet'), []);
  });
});

describe('ReplaceMember with a launched clone (AWS, no replacement named)', () => {
  const definition = render({ hostAgentCheckAttempts: 4, hostAgentCheckIntervalSeconds: 15 });
  const CLONE = 'i-0cccccccccccccccc';
  const launched = () => ({
    host: { name: 'infra3', address: '10.0.0.13', instanceId: CLONE },
    hosts: [],
    launched: { instanceId: CLONE, sourceInstanceId: 'i-0aaaaaaaaaaaaaaa1', newlyLaunched: true },
  });
  /** Check Host Agent as the real step answers: not ready for `offline` checks, then online. */
  const agentOnlineAfter = (offline: number) => (input: Record<string, unknown>) => {
    const attempt = (input.attempt as number) + 1;
    return { state: 'running', agent: attempt > offline ? 'Online' : 'not registered', ready: attempt > offline, attempt };
  };
  const run = (steps: Record<string, StepHandler>) =>
    runWorkflow({ definition, steps, input: { clusterName: 'demo', failedMember: 'infra1' }, executionName: 'clone-test', waitMs: 1, retryMs: 1 });
  const visited = (result: WorkflowResult) => result.events.filter((e) => e.kind === 'entered').map((e) => e.state);

  it('waits for the clone\'s SSM agent before anything is removed, then replaces as usual', async () => {
    const fake = fakeSteps({ answers: { chooseReplacementHost: launched, checkHostAgent: agentOnlineAfter(2) } });
    const result = await run(fake.steps);
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.deepEqual(
      fake.called('checkHostAgent'),
      [0, 1, 2].map((attempt) => ({ host: launched().host, attempt, maxAttempts: 4, lock: { clusterName: 'demo', owner: 'clone-test' } })),
      'three looks: two offline, then online',
    );
    const order = fake.calls.map(([step]) => step);
    assert.ok(order.lastIndexOf('checkHostAgent') < order.indexOf('removeFailedMember'), 'the failed member stays until the clone can run scripts');
    assert.equal(visited(result).filter((s) => s === 'Wait For Host Agent').length, 3);
    assert.equal(fake.called('chooseReplacementHost')[0]!['execution'], 'clone-test', 'the launch is keyed to the execution');
  });

  it('a clone that never comes online: a clone in another AZ; when no AZ is left, the replacement fails with membership untouched and the lock released', async () => {
    // As the real step does on its last look (lambdas/steps/replace/check-host-agent.ts).
    const offline = () => new HostAgentOfflineError('replacement instance i-0cccccccccccccccc is running but its SSM agent is not registered after 4 checks');
    const noZone = () => new ClonePlacementRefusedError('no availability zone qualifies for infra3');
    let looks = 0;
    const fake = fakeSteps({
      answers: {
        chooseReplacementHost: (input) => {
          if (input.previousInstanceId !== undefined) throw noZone();
          return { ...launched(), triedZones: ['us-east-1a'] };
        },
        checkHostAgent: (input) => {
          looks += 1;
          if ((input.attempt as number) + 1 >= (input.maxAttempts as number)) throw offline();
          return agentOnlineAfter(99)(input);
        },
      },
    });
    const result = await run(fake.steps);
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'ClonePlacementRefusedError');
    assert.equal(looks, 4);
    const failedEvent = result.events.find((e) => e.kind === 'failed' && e.state === 'Check Host Agent');
    assert.equal(failedEvent?.cause, offline().message, 'the state\'s failure carries the step\'s message, not "{}"');
    const again = fake.called('chooseReplacementHost')[1]!;
    assert.deepEqual([again.avoidAvailabilityZones, again.previousInstanceId], [['us-east-1a'], CLONE], 'asked again, avoiding the AZ that failed');
    for (const step of ['resetJoiningHost', 'removeFailedMember', 'addMemberAsLearner', 'generatePki', 'pushCertificates'] as const) assert.deepEqual(fake.called(step), [], `${step} ran`);
    assert.deepEqual(fake.calls.map(([step]) => step).slice(-3), ['removeLearners', 'releaseLock', 'publishMembershipEvent']);
  });

  it('a clone whose agent never comes online is followed by one in another AZ, which then joins', async () => {
    const other = 'i-0dddddddddddddddd';
    const fake = fakeSteps({
      answers: {
        chooseReplacementHost: (input) =>
          input.previousInstanceId === undefined
            ? { ...launched(), triedZones: ['us-east-1a'] }
            : {
                host: { name: 'infra3', address: '10.0.1.13', instanceId: other },
                hosts: [],
                launched: { instanceId: other, sourceInstanceId: 'i-0aaaaaaaaaaaaaaa1', newlyLaunched: true },
                triedZones: ['us-east-1a', 'us-east-1b'],
              },
        checkHostAgent: (input) => {
          const host = input.host as { instanceId: string };
          if (host.instanceId === CLONE) throw new HostAgentOfflineError(`replacement instance ${CLONE} never came online`);
          return agentOnlineAfter(0)(input);
        },
      },
    });
    const result = await run(fake.steps);
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.deepEqual(visited(result).filter((s) => s === 'Choose Another Zone').length, 1);
    assert.equal((fake.called('resetJoiningHost')[0]!.host as { instanceId: string }).instanceId, other, 'the clone in the other AZ is prepared and joins');
  });

  it('a replacement whose host was named (or found locally) goes straight on: no agent checks', async () => {
    const fake = fakeSteps();
    const result = await run(fake.steps);
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.deepEqual(fake.called('checkHostAgent'), []);
    assert.ok(!visited(result).includes('Wait For Host Agent'));
  });

  it('refuses agent-check props out of range, naming the prop', () => {
    assert.throws(() => render({ hostAgentCheckAttempts: 0 }), /hostAgentCheckAttempts must be a whole number from 1 to 1000, got 0/);
    assert.throws(() => render({ hostAgentCheckIntervalSeconds: 301 }), /hostAgentCheckIntervalSeconds must be a whole number from 1 to 300, got 301/);
  });
});

describe('ReplaceMember: a stop is not a death, and a pause is honoured', () => {
  const definition = render({ stopGracePeriodSeconds: 600 });
  const run = (steps: Record<string, StepHandler>, input: unknown) => runWorkflow({ definition, steps, input, executionName: 'stop-test', waitMs: 1, retryMs: 1 });
  const visited = (result: WorkflowResult) => result.events.filter((e) => e.kind === 'entered').map((e) => e.state);
  const stopped = { failedInstanceId: 'i-0123456789abcdef0', trigger: 'ec2-state-change', instanceState: 'stopped' };

  it('waits the grace period for a stopped instance, and replaces it when Look Again finds it still down', async () => {
    const fake = fakeSteps({ answers: { lookAgain: (input) => ({ ...(input.state as object), stillDown: true, reason: 'still stopped' }) } });
    const result = await run(fake.steps, stopped);
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.deepEqual(visited(result).slice(0, 8), ['Validate Request', 'Is Cluster Member?', 'Is Healing Paused?', 'Is Instance Stopped?', 'Wait Grace Period', 'Look Again', 'Is Member Still Down?', 'Acquire Lock']);
    assert.deepEqual(fake.called('lookAgain')[0]?.graceSeconds, 600);
    assert.equal(fake.called('recordCluster').length, 1);
    assert.deepEqual(fake.called('retireReplacedHost')[0]?.replacedBy, 'stop-test');
  });

  it('ends quietly, with Look Again\'s reason, when the instance came back', async () => {
    const fake = fakeSteps({ answers: { lookAgain: (input) => ({ ...(input.state as object), stillDown: false, reason: 'instance i-0123456789abcdef0 of infra1 is running again' }) } });
    const result = await run(fake.steps, stopped);
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.match(String((result.output as { reason?: string }).reason), /running again/);
    assert.deepEqual(fake.called('acquireLock'), []);
  });

  it('goes on at once for a terminated instance', async () => {
    const fake = fakeSteps();
    const result = await run(fake.steps, { ...stopped, instanceState: 'terminated' });
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.ok(!visited(result).includes('Wait Grace Period'));
    assert.deepEqual(fake.called('lookAgain'), []);
  });

  it('ends quietly when Validate Request says healing is paused', async () => {
    const reason = 'healing paused by alice since 2025-01-01T00:00:00.000Z: resizing';
    const fake = fakeSteps({ answers: { validateRequest: (input) => ({ isMember: true, clusterName: 'demo', request: input.request, healingPaused: true, reason }) } });
    const result = await run(fake.steps, stopped);
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.equal((result.output as { reason?: string }).reason, reason);
    assert.deepEqual(fake.called('lookAgain'), []);
    assert.deepEqual(fake.called('acquireLock'), []);
  });

  it('reports a failed retirement in its output, and still releases the lock', async () => {
    const fake = fakeSteps({ failing: { retireReplacedHost: () => new Error('UnauthorizedOperation') } });
    const result = await run(fake.steps, { clusterName: 'demo', failedMember: 'infra1' });
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.equal((result.output as { retiredHost?: { Error?: string } }).retiredHost?.Error, 'Error');
    assert.equal(fake.called('releaseLock').length, 1);
  });

  it('refuses a grace period out of range, naming the prop', () => {
    assert.throws(() => render({ stopGracePeriodSeconds: -1 }), /stopGracePeriodSeconds must be a whole number from 0 to 86400, got -1/);
  });
});
