// A burst of events throttles Validate Request's function: the state retries Lambda's TooManyRequestsException with
// backoff (LambdaInvoke's own retry leaves it out), so a real failure is not dropped; its function has reserved
// concurrency. Read from the rendered definition local runs use (the one the stack deploys: rendered-definitions.test.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadDefinition } from '../../lambdas/local-runner/definitions';
import { runWorkflow } from '../../lambdas/local-runner/run-workflow';
import { STEP_SPECS } from '../../lambdas/catalog/steps';
import type { AslState } from '../../statemachines/render-asl';
import { REPLACE_STEPS } from '../../statemachines/replace-member';

const definition = loadDefinition('replace-member');

describe('Validate Request under throttling', () => {
  it('retries Lambda.TooManyRequestsException with backoff, besides the Lambda service errors', () => {
    const state = definition.States['Validate Request'] as AslState & { Retry?: Array<Record<string, unknown>> };
    const throttled = state.Retry?.find((r) => (r.ErrorEquals as string[]).includes('Lambda.TooManyRequestsException'));
    assert.deepEqual(throttled, { ErrorEquals: ['Lambda.TooManyRequestsException'], IntervalSeconds: 1, MaxAttempts: 8, BackoffRate: 2 });
    assert.ok(state.Retry?.some((r) => (r.ErrorEquals as string[]).includes('Lambda.ServiceException')), 'the service errors still retried');
  });

  it('a request throttled twice still goes through (no dropped failure)', async () => {
    let calls = 0;
    const validateRequest = async (input: unknown) => {
      calls += 1;
      if (calls <= 2) throw Object.assign(new Error('Rate Exceeded.'), { name: 'Lambda.TooManyRequestsException' });
      return { ...(input as { request: object }).request, isMember: false, reason: 'i-0aaaaaaaaaaaaaaaa is no member of any recorded cluster' };
    };
    // No other step may run: an instance that is no member ends in Nothing To Replace.
    const untouched = Object.fromEntries(REPLACE_STEPS.map((step) => [step, async () => assert.fail(`${step} ran`)]));
    const result = await runWorkflow({ definition, steps: { ...untouched, validateRequest }, input: { failedInstanceId: 'i-0aaaaaaaaaaaaaaaa', trigger: 'ec2-state-change' }, retryMs: 1, waitMs: 1 });
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.equal(calls, 3);
    assert.equal(result.events.filter((e) => e.kind === 'retried' && e.state === 'Validate Request').length, 2);
    assert.ok(result.events.some((e) => e.kind === 'entered' && e.state === 'Nothing To Replace'));
  });

  it('its function has reserved concurrency', () => {
    assert.equal(STEP_SPECS.validateRequest.reservedConcurrency, 10);
  });
});
