// Validate Request refuses a replacement name no spec could hold (issue 13, item 4): `Infra_9+x@y` was accepted,
// recorded, and then broke every later run that re-read the spec. The name passes the spec's member-name schema
// in the first step, before the registry is even asked.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SpecValidationError } from '../../lambdas/core/errors';
import { parseClusterSpec } from '../../lambdas/core/spec';
import type { ClusterRecord, ClusterRegistry, Logger } from '../../lambdas/ports';
import { makeValidateRequest } from '../../lambdas/steps/replace/validate-request';
import { errorOf } from '../support/rejection';

const quiet: Logger = { info: () => undefined, warn: () => undefined };
const record = { clusterName: 'demo', members: [{ name: 'infra0', address: '10.0.0.6' }] } as unknown as ClusterRecord;

/** A registry that counts what it is asked. */
function countingRegistry() {
  const asked: string[] = [];
  const registry = {
    get: async (name: string) => (asked.push(`get ${name}`), record),
    findByInstanceId: async (id: string) => (asked.push(`find ${id}`), record),
  } as unknown as ClusterRegistry;
  return { registry, asked };
}

const request = (name: unknown) => ({ request: { clusterName: 'demo', failedMember: 'infra0', replacement: { name } } });

describe('Validate Request: the replacement name', () => {
  for (const name of ['Infra_9+x@y', 'Infra9', 'infra_9', '-infra9', 'infra9.', 'a'.repeat(254), '']) {
    it(`refuses ${JSON.stringify(name.length > 20 ? `${name.slice(0, 8)}… (${name.length} characters)` : name)}, naming replacement.name, before the registry is asked`, async () => {
      const { registry, asked } = countingRegistry();
      const error = await errorOf(makeValidateRequest({ registry, log: quiet })(request(name)));
      assert.ok(error instanceof SpecValidationError, String(error));
      assert.match(error.message, /replacement\.name: must be (at most 253 characters|a DNS-1123 subdomain)/);
      assert.deepEqual(asked, []);
    });
  }

  it('refuses exactly the names a spec refuses, and accepts the ones it accepts', async () => {
    for (const name of ['infra3', 'etcd-3.example.internal', 'Infra_9+x@y', 'UPPER']) {
      let specAccepts = true;
      try {
        parseClusterSpec({ clusterName: 'demo', members: [{ name: 'infra0' }, { name: 'infra1' }, { name }] });
      } catch {
        specAccepts = false;
      }
      const { registry } = countingRegistry();
      const requestAccepted = await makeValidateRequest({ registry, log: quiet })(request(name)).then(
        () => true,
        () => false,
      );
      assert.equal(requestAccepted, specAccepts, name);
    }
  });

  it('accepts a request without a replacement name (the failed member\'s name is kept)', async () => {
    const { registry } = countingRegistry();
    const answer = await makeValidateRequest({ registry, log: quiet })({ request: { clusterName: 'demo', failedMember: 'infra0' } });
    assert.equal((answer as { isMember: boolean }).isMember, true);
  });
});
