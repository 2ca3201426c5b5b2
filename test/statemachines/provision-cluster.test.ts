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
      'Provision Failed',
    ]) {
      assert.ok(names.includes(expected), `missing state "${expected}"`);
    }
    assert.equal(render().StartAt, 'Validate Spec', 'the spec is validated before anything else');
  });

  it('runs the per-host steps for every host at once', () => {
    const map = render().States['Configure Hosts']!;
    assert.equal(map.Type, 'Map');
    assert.equal(map.MaxConcurrency ?? 0, 0);
    assert.equal(map.ItemsPath, '$.hosts');
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

  it('catches every failure into Provision Failed with the error and cause', () => {
    const definition = render();
    const failed = definition.States['Provision Failed']!;
    assert.equal(failed.Type, 'Fail');
    assert.equal(failed.ErrorPath, '$.failure.Error');
    assert.equal(failed.CausePath, '$.failure.Cause');
    for (const [name, state] of Object.entries(definition.States)) {
      if (state.Type !== 'Task' && state.Type !== 'Map') continue;
      const catches = (state.Catch as Array<{ ErrorEquals: string[]; Next: string }> | undefined) ?? [];
      assert.ok(catches.some((c) => c.ErrorEquals.includes('States.ALL') && c.Next === 'Provision Failed'), `${name} has no catch-all`);
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
