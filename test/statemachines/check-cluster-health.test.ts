// CheckClusterHealth's definition: valid ASL, its states, and runs by the local interpreter over its real steps
// with stand-in adapters (no etcd, no AWS): a recorded cluster ends in Health Read with the report as output, an
// unknown one in Nothing To Check (a success: a mistyped name raises no alarm), a step error in Health Check Failed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import validator from 'asl-validator';
import { allStates, renderAsl, stepOfState } from '../../statemachines/render-asl';
import { HEALTH_CHECK_STEPS, checkClusterHealthDefinition } from '../../statemachines/check-cluster-health';
import { runWorkflow } from '../../lambdas/local-runner/run-workflow';
import { createHealthCheckSteps } from '../../lambdas/steps/health-check';
import type { ClusterRecord } from '../../lambdas/ports';
import { etcdAnswering, listedMember, secretsWithHealthcheckClient, viewOf } from '../steps/etcd-stand-in';

const definition = renderAsl(HEALTH_CHECK_STEPS, (scope, functions) => checkClusterHealthDefinition(scope, { functions }));
const HOSTS = [0, 1, 2].map((i) => ({ name: `infra${i}`, address: `10.0.0.${6 + i}` }));
const RECORD: ClusterRecord = {
  clusterName: 'demo',
  runtime: 'systemd',
  members: HOSTS.map((h) => ({ ...h, id: '' })),
  secrets: {},
  updatedAt: '2026-11-20T08:00:00.000Z',
  spec: { clusterName: 'demo', runtime: 'systemd', members: HOSTS },
};

function run(input: unknown, options: { secretsFail?: boolean } = {}) {
  const { etcd } = etcdAnswering((endpoints) => viewOf(endpoints, HOSTS.map((h, i) => listedMember(h.name, h.address, String(1000 + i)))), 'a health check');
  const secrets = secretsWithHealthcheckClient('a health check');
  const steps = createHealthCheckSteps({
    registry: {
      get: async (name) => (name === 'demo' ? RECORD : undefined),
      findByInstanceId: async () => assert.fail('by name'),
      list: async () => assert.fail('by name'),
      put: async () => assert.fail('a health check writes no record'),
    },
    secrets: options.secretsFail ? { ...secrets, get: async () => Promise.reject(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' })) } : secrets,
    etcd,
    log: { info: () => undefined, warn: () => undefined },
    maxAppliedIndexLag: 50,
  });
  return runWorkflow({ definition, steps, input, executionName: 'status-test' });
}

describe('CheckClusterHealth definition', () => {
  it('is valid ASL (asl-validator)', () => {
    const result = validator(structuredClone(definition) as never);
    assert.equal(result.isValid, true, JSON.stringify(result.errors, null, 2));
  });

  it('reads as Validate Request → Is Cluster Recorded? → Read Cluster Health, with no lock and nothing else invoked', () => {
    assert.deepEqual(allStates(definition).map(([name]) => name).sort(), [
      'Health Check Failed',
      'Health Read',
      'Is Cluster Recorded?',
      'Nothing To Check',
      'Read Cluster Health',
      'Validate Request',
    ]);
    assert.equal(definition.StartAt, 'Validate Request');
    const invoked = allStates(definition).flatMap(([name, state]) => (stepOfState(state) ? [`${name}: ${stepOfState(state)}`] : []));
    assert.deepEqual(invoked.sort(), ['Read Cluster Health: readClusterHealth', 'Validate Request: validateHealthCheckRequest']);
  });

  it('a recorded cluster: Health Read, the report as the output (a cluster that is not healthy is still a success)', async () => {
    const result = await run({ clusterName: 'demo' });
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.deepEqual(
      result.events.filter((e) => e.kind === 'entered').map((e) => e.state),
      ['Validate Request', 'Is Cluster Recorded?', 'Read Cluster Health', 'Health Read'],
    );
    const output = result.output as { clusterName: string; isRecorded: boolean; healthy: boolean; members: Array<{ name: string }> };
    assert.deepEqual([output.clusterName, output.isRecorded, output.members.map((m) => m.name)], ['demo', true, ['infra0', 'infra1', 'infra2']]);
    assert.equal(typeof output.healthy, 'boolean');
  });

  it('an unknown cluster: Nothing To Check, a success that says so', async () => {
    const result = await run({ clusterName: 'dmeo' });
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.deepEqual(result.output, { clusterName: 'dmeo', isRecorded: false, reason: 'no cluster "dmeo" is recorded' });
    assert.ok(!result.events.some((e) => e.state === 'Read Cluster Health'));
  });

  it('a step that fails (the healthcheck secret unreadable, a malformed request): Health Check Failed with its error', async () => {
    const unreadable = await run({ clusterName: 'demo' }, { secretsFail: true });
    assert.equal(unreadable.status, 'FAILED');
    assert.equal(unreadable.error, 'AccessDeniedException');
    const malformed = await run({ cluster: 'demo' });
    assert.equal(malformed.status, 'FAILED');
    assert.equal(malformed.error, 'SpecValidationError');
  });
});
