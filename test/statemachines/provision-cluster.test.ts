import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import validator from 'asl-validator';
import { allStates, renderAsl, type AslDefinition } from '../../statemachines/render-asl';
import { PROVISION_STEPS, provisionClusterDefinition, type ProvisionClusterProps } from '../../statemachines/provision-cluster';

const render = (props: Partial<ProvisionClusterProps> = {}): AslDefinition =>
  renderAsl(PROVISION_STEPS, (scope, functions) => provisionClusterDefinition(scope, { functions, ...props }));

describe('ProvisionCluster definition', () => {
  it('is valid ASL (asl-validator)', () => {
    const definition = render();
    const result = validator(structuredClone(definition) as never);
    assert.equal(result.isValid, true, JSON.stringify(result.errors, null, 2));
  });

  it('reads like the guide: the states in order', () => {
    const names = allStates(render()).map(([name]) => name);
    for (const expected of [
      'Validate Spec',
      'Acquire Lock',
      'Read Cluster',
      'Is Cluster Recorded?',
      'Resolve Hosts',
      'Generate PKI',
      'Configure Hosts',
      'Uses Kubelet?',
      'Configure Kubelet',
      'Push Certificates',
      'Write Etcd Config',
      'Start Etcd',
      'Wait For Members',
      'Check Health',
      'Is Cluster Healthy?',
      'Record Cluster',
      'Cluster Ready',
      'Collect Member Logs',
      'Release Lock',
      'Release Lock After Failure',
      'Provision Failed',
      // Reconcile: one member at a time.
      'Issue Member Certificates',
      'Choose Next Member',
      'Is Rolling Done?',
      'Update Certificates',
      'Update Etcd Config',
      'Check Restart Is Safe',
      'Apply Etcd Config',
      'Check Member Health',
      'Is Member Back?',
    ]) {
      assert.ok(names.includes(expected), `missing state "${expected}"`);
    }
    assert.equal(render().StartAt, 'Validate Spec', 'the spec is validated before anything else');
  });

  it('bootstraps every host at once, with the token named after the CA', () => {
    const definition = render();
    const map = definition.States['Configure Hosts']!;
    assert.equal(map.Type, 'Map');
    assert.equal(map.MaxConcurrency ?? 0, 0);
    assert.equal(map.ItemsPath, '$.hosts');
    assert.deepEqual((map.ItemSelector as Record<string, unknown>)['clusterState'], 'new');
    assert.equal((map.ItemSelector as Record<string, unknown>)['clusterToken.$'], '$.token.value');
    assert.deepEqual(definition.States['Name Cluster Token']!.Parameters, { 'value.$': "States.Format('{}-{}', $.spec.clusterName, $.pki.caId)" });
  });

  it('takes the lock before it reads the record, and decides by the record', () => {
    const definition = render();
    assert.equal(definition.States['Validate Spec']!.Next, 'Acquire Lock');
    assert.equal(definition.States['Acquire Lock']!.Next, 'Read Cluster');
    assert.equal(definition.States['Read Cluster']!.Next, 'Is Cluster Recorded?');
    const choices = definition.States['Is Cluster Recorded?']!.Choices as Array<{ Variable: string; StringEquals: string; Next: string }>;
    assert.deepEqual(choices.map((c) => [c.Variable, c.StringEquals, c.Next]), [['$.mode', 'reconcile', 'Issue Member Certificates']]);
    assert.equal(definition.States['Is Cluster Recorded?']!.Default, 'Resolve Hosts');
  });

  it('rolls a recorded cluster one member at a time: each member is back before the next is chosen', () => {
    const definition = render();
    const states = definition.States;
    assert.equal(states['Is Rolling Done?']!.Type, 'Choice');
    // No Map on this path: the loop goes member by member.
    const back = states['Is Member Back?']!.Choices as Array<{ Variable: string; Next: string }>;
    assert.equal(back.find((c) => c.Variable === '$.memberHealth.healthy')!.Next, 'Choose Next Member');
    assert.equal(states['Update Etcd Config']!.Next, 'Check Restart Is Safe');
    assert.equal(states['Check Restart Is Safe']!.Next, 'Apply Etcd Config');
    const update = states['Update Etcd Config']!.Parameters as Record<string, unknown>;
    assert.equal(update['runningMember'], true);
    assert.equal(update['clusterState'], 'existing');
    const retry = states['Check Restart Is Safe']!.Retry as Array<{ ErrorEquals: string[] }>;
    assert.ok(retry.some((r) => r.ErrorEquals.includes('RestartWouldLoseQuorumError')));
    const check = states['Check Member Health']!.Parameters as Record<string, unknown>;
    assert.equal(check['mustAnswer.$'], 'States.Array($.roll.host.name)');
  });

  it('retries only named errors, and no Lambda step retries on States.ALL', () => {
    for (const [name, state] of allStates(render())) {
      for (const retry of (state.Retry as Array<{ ErrorEquals: string[] }> | undefined) ?? []) {
        for (const error of retry.ErrorEquals) {
          assert.ok(!['States.ALL', 'States.TaskFailed'].includes(error), `${name} retries on ${error}`);
        }
      }
    }
    const push = allStates(render()).find(([name]) => name === 'Push Certificates')![1];
    const own = (push.Retry as Array<{ ErrorEquals: string[] }>).flatMap((r) => r.ErrorEquals).filter((e) => !e.startsWith('Lambda.'));
    assert.deepEqual(own, ['HostUnreachableError']);
  });

  it('catches every failure: before the lock into Publish Membership Failure → Provision Failed, under it through Release Lock After Failure', () => {
    const definition = render();
    const failed = definition.States['Provision Failed']!;
    assert.equal(failed.Type, 'Fail');
    assert.equal(failed.ErrorPath, '$.failure.Error');
    assert.equal(failed.CausePath, '$.failure.Cause');
    const beforeLock = ['Validate Spec', 'Acquire Lock', 'Release Lock', 'Release Lock After Failure'];
    // The event steps come after the lock and move on whatever happens in them.
    const afterEnd: Record<string, string> = { 'Publish Membership Event': 'Cluster Ready', 'Publish Membership Failure': 'Provision Failed' };
    for (const [name, state] of Object.entries(definition.States)) {
      if (state.Type !== 'Task' && state.Type !== 'Map') continue;
      const catches = (state.Catch as Array<{ ErrorEquals: string[]; Next: string }> | undefined) ?? [];
      const target = afterEnd[name] ?? (beforeLock.includes(name) ? 'Publish Membership Failure' : 'Release Lock After Failure');
      assert.ok(catches.some((c) => c.ErrorEquals.includes('States.ALL') && c.Next === target), `${name} has no catch-all into ${target}`);
    }
    assert.equal(definition.States['Release Lock After Failure']!.Next, 'Publish Membership Failure');
    assert.equal(definition.States['Publish Membership Failure']!.Next, 'Provision Failed');
    assert.equal(definition.States['Record Cluster']!.Next, 'Release Lock');
    assert.equal(definition.States['Release Lock']!.Next, 'Publish Membership Event');
    assert.equal(definition.States['Publish Membership Event']!.Next, 'Cluster Ready');
    // Its result goes beside the state, its failure too: Provision Failed still reports $.failure.
    for (const name of Object.keys(afterEnd)) {
      assert.equal(definition.States[name]!.ResultPath, '$.membershipEvent');
      assert.deepEqual((definition.States[name]!.Catch as Array<{ ResultPath: string }>).map((c) => c.ResultPath), ['$.membershipEventFailure']);
    }
  });

  it('uses the health check settings it is given', () => {
    const definition = render({ healthCheckAttempts: 7, healthCheckIntervalSeconds: 3 });
    assert.equal(definition.States['Wait For Members']!.Seconds, 3);
    const choice = definition.States['Is Cluster Healthy?']!.Choices as Array<{ NumericGreaterThanEquals?: number }>;
    assert.ok(choice.some((c) => c.NumericGreaterThanEquals === 7));
  });

  it('refuses health check settings out of range, naming the prop', () => {
    assert.throws(() => render({ healthCheckAttempts: 0 }), /healthCheckAttempts must be a whole number from 1 to 1000, got 0/);
    assert.throws(() => render({ healthCheckIntervalSeconds: 1.5 }), /healthCheckIntervalSeconds must be a whole number from 1 to 300, got 1.5/);
  });

  it('carries no JSONata (the local interpreter would ignore it)', () => {
    const text = JSON.stringify(render());
    assert.doesNotMatch(text, /"QueryLanguage"\s*:\s*"JSONata"|"Arguments"|"\{%/);
  });
});
