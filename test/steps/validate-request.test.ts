// Validate Request's choice of the replacement's name, step by step over a registry holding one 3-member record:
// a name the cluster already has (another member's, or the failed member's own) is refused, naming the field and
// the cluster; a fresh name is carried; without one, the next free name is chosen. Other requests: replace-lifecycle.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SpecValidationError } from '../../lambdas/core/errors';
import type { ClusterRecord, ClusterRegistry, Logger, SecretStore } from '../../lambdas/ports';
import { makeValidateRequest } from '../../lambdas/steps/replace/validate-request';
import { errorOf } from '../support/rejection';

const quiet: Logger = { info: () => undefined, warn: () => undefined };
const MEMBERS = [0, 1, 2].map((i) => ({ name: `infra${i}`, id: String(100 + i), address: `10.0.0.${10 + i}` }));
const RECORD: ClusterRecord = {
  clusterName: 'demo',
  runtime: 'systemd',
  members: MEMBERS,
  secrets: {},
  updatedAt: '2026-01-01T00:00:00.000Z',
  spec: { clusterName: 'demo', runtime: 'systemd', members: MEMBERS.map(({ name, address }) => ({ name, address })) },
};
const registry: ClusterRegistry = {
  get: async (name) => (name === 'demo' ? RECORD : undefined),
  findByInstanceId: async () => undefined,
  put: async () => assert.fail('Validate Request records nothing'),
};
const secrets: SecretStore = {
  nameFor: (cluster, item) => `etcd-ha/${cluster}/${item}`,
  get: async () => assert.fail('Validate Request reads no secret'),
  put: async () => assert.fail('Validate Request writes no secret'),
};
const validate = makeValidateRequest({ registry, secrets, log: quiet });
const replacing = (replacement?: Record<string, unknown>) => ({
  request: { clusterName: 'demo', failedMember: 'infra1', ...(replacement && { replacement }) },
});

describe('Validate Request: the replacement\'s name', () => {
  for (const [who, name] of [
    ['another member\'s name', 'infra0'],
    ['the failed member\'s own name', 'infra1'],
  ]) {
    it(`refuses ${who} ("${name}"), naming replacement.name and the cluster`, async () => {
      const error = await errorOf(validate(replacing({ name })));
      assert.ok(error instanceof SpecValidationError, `expected SpecValidationError, got ${String(error)}`);
      assert.deepEqual(error.problems, [`replacement.name: "${name}" is already a member of demo`]);
    });
  }

  it('carries a fresh name, with the address the request gave', async () => {
    const out = await validate(replacing({ name: 'infra7', address: '10.0.0.20' }));
    assert.ok(out.isMember);
    assert.deepEqual(out.replacement, { name: 'infra7', address: '10.0.0.20' });
    assert.equal(out.failed.name, 'infra1');
  });

  it('without a name, picks the next free one: infra3 for infra1 among infra0..2', async () => {
    const out = await validate(replacing());
    assert.ok(out.isMember);
    assert.deepEqual(out.replacement, { name: 'infra3' });
  });
});
