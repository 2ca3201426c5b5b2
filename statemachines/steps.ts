// Building blocks shared by the workflows: a Lambda step state and the retry policy for the one
// transient error class the steps name. Everything is JSONPath (the local interpreter has no JSONata).
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { MembershipOutcome, MembershipWorkflow } from '../lambdas/core/membership-event';

export interface StepStateOptions {
  /** Fields of the state input the step receives, as JSONPath references ("spec.$": "$.spec"). */
  readonly payload: Record<string, unknown>;
  /**
   * Where the step's result goes in the state: DISCARD keeps the input.
   * @default - the result replaces the state (no ResultPath; aws-local-stepfunctions mishandles an explicit "$")
   */
  readonly resultPath?: string;
  /** Retry on HostUnreachableError (SSM could not deliver; the host may still be booting). */
  readonly retryUnreachableHost?: boolean;
  /** Further retries, each on errors the steps name (never States.ALL). */
  readonly retries?: readonly NamedRetry[];
}

export interface NamedRetry {
  readonly errors: readonly string[];
  readonly intervalSeconds: number;
  readonly maxAttempts: number;
  /** @default 1.5 */
  readonly backoffRate?: number;
}

/**
 * A Lambda step whose result is the function's own return value (payloadResponseOnly), so the
 * state data stays flat and the same states read naturally in the console and locally.
 */
export function stepState(scope: Construct, name: string, fn: lambda.IFunction, options: StepStateOptions): tasks.LambdaInvoke {
  const state = new tasks.LambdaInvoke(scope, name, {
    lambdaFunction: fn,
    payloadResponseOnly: true,
    payload: sfn.TaskInput.fromObject(options.payload),
    ...(options.resultPath !== undefined && { resultPath: options.resultPath }),
  });
  if (options.retryUnreachableHost) {
    state.addRetry({
      errors: ['HostUnreachableError'],
      interval: Duration.seconds(10),
      backoffRate: 2,
      maxAttempts: 3,
    });
  }
  for (const retry of options.retries ?? []) {
    if (retry.errors.some((e) => e.startsWith('States.'))) throw new Error(`retry on ${retry.errors.join(', ')}: retry only errors the steps name`);
    state.addRetry({
      errors: [...retry.errors],
      interval: Duration.seconds(retry.intervalSeconds),
      maxAttempts: retry.maxAttempts,
      backoffRate: retry.backoffRate ?? 1.5,
    });
  }
  return state;
}

/** The state input fields a host step needs, inside a per-host Map iteration. */
export const HOST_STEP_PAYLOAD = {
  'spec.$': '$.spec',
  'hosts.$': '$.hosts',
  'host.$': '$.host',
  'pki.$': '$.pki',
  'clusterState.$': '$.clusterState',
  'clusterToken.$': '$.clusterToken',
  'lock.$': '$.lock',
} as const;

/**
 * Publish Membership Event (on the way to success) or Publish Membership Failure (on the way to the Fail state): the
 * last step of a workflow that changes membership, then `next`. It gets the whole state and finds there the members
 * read under the lock (`membersBeforeAt`), the cluster and the failure; the record it reads itself. Whatever goes wrong
 * in it goes on to `next` as well (kept in $.membershipEventFailure): it never turns a success into a failure, nor
 * hides the original failure ($.failure stays as it was).
 */
export function publishMembershipEventState(
  scope: Construct,
  fn: lambda.IFunction,
  options: { readonly outcome: MembershipOutcome; readonly workflow: MembershipWorkflow; readonly membersBeforeAt: string },
  next: sfn.IChainable,
): sfn.IChainable {
  const name = options.outcome === 'changed' ? 'Publish Membership Event' : 'Publish Membership Failure';
  const state = stepState(scope, name, fn, {
    payload: {
      workflow: options.workflow,
      outcome: options.outcome,
      execution: { 'name.$': '$$.Execution.Name', 'id.$': '$$.Execution.Id' },
      membersBeforeAt: options.membersBeforeAt,
      'state.$': '$',
    },
    resultPath: '$.membershipEvent',
  });
  state.addCatch(next, { resultPath: '$.membershipEventFailure' });
  return state.next(next);
}
