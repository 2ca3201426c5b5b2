// Validate Scale Request, without etcd: a malformed request is refused naming the field, before the lock.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterRecord, Logger } from '../../lambdas/ports';
import { makeValidateScaleRequest } from '../../lambdas/steps/scale/validate-scale-request';
import { errorOf } from '../support/rejection';

const quiet: Logger = { info: () => undefined, warn: () => undefined };
const record = { clusterName: 'demo', status: 'running', runtime: 'systemd', members: [], secrets: {}, updatedAt: '2026-12-05T00:00:00Z', spec: {} } as unknown as ClusterRecord;
const registry = {
  get: async (name: string) => (name === 'demo' ? record : undefined),
  findByInstanceId: async () => undefined,
  list: async () => [],
  put: async () => assert.fail('Validate Scale Request writes nothing'),
};
const validate = makeValidateScaleRequest({ registry, log: quiet });

describe('Validate Scale Request', () => {
  it('passes a well-formed request on, with its defaults', async () => {
    assert.deepEqual(await validate({ request: { clusterName: 'demo', members: 5 } }), {
      clusterName: 'demo',
      request: { clusterName: 'demo', members: 5, allowSingleMember: false, instances: [] },
    });
  });

  const refused: Array<[string, unknown, RegExp]> = [
    ['an even size', { clusterName: 'demo', members: 4 }, /members: must be odd/],
    ['1 without allowSingleMember', { clusterName: 'demo', members: 1 }, /members: 1 leaves no fault tolerance; set allowSingleMember: true/],
    ['more than 7', { clusterName: 'demo', members: 9 }, /members/],
    ['a misspelt field', { clusterName: 'demo', member: 5 }, /member/],
    ['a bad instance ID', { clusterName: 'demo', members: 5, instances: ['i-xyz'] }, /instances\[0\]: must be an EC2 instance ID/],
    ['an unknown cluster', { clusterName: 'other', members: 5 }, /clusterName: no cluster "other" is recorded/],
  ];
  for (const [title, request, problem] of refused) {
    it(`refuses ${title}, naming the field`, async () => {
      const error = await errorOf(validate({ request }));
      assert.equal(error.name, 'SpecValidationError');
      assert.match(error.message, problem);
    });
  }
});
