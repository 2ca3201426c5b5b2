// ReplaceMember's handling of an Auto Scaling lifecycle action, step by step and without AWS: Validate Request
// carries the action through whatever it answers (and Read Cluster, under the lock, keeps it in the state it hands
// on, with the rule's force), Complete Lifecycle Action completes it (CONTINUE) through the
// LifecycleActions port and refuses where no adapter exists (the local runner), and the AWS adapter sends
// CompleteLifecycleAction and takes "no active lifecycle action" as already done.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoScalingClient, CompleteLifecycleActionCommand } from '@aws-sdk/client-auto-scaling';
import { AutoScalingLifecycleActions } from '../../lambdas/adapters/aws/autoscaling-lifecycle-actions';
import { LifecycleActionUnsupportedError, SpecValidationError } from '../../lambdas/core/errors';
import { localDeps } from '../../lambdas/local-runner/local-deps';
import { localHome } from '../../lambdas/local-runner/local-home';
import type { ClusterRecord, ClusterRegistry, LifecycleAction, LifecycleActions, Logger } from '../../lambdas/ports';
import { createReplaceSteps } from '../../lambdas/steps/replace';
import { makeCompleteLifecycleAction } from '../../lambdas/steps/replace/complete-lifecycle-action';
import { makeReadCluster } from '../../lambdas/steps/replace/read-cluster';
import { makeValidateRequest } from '../../lambdas/steps/replace/validate-request';
import { etcdAnswering, secretsWithHealthcheckClient, viewOf } from './etcd-stand-in';

const LIFECYCLE: LifecycleAction = {
  lifecycleHookName: 'etcd-member-leaving',
  autoScalingGroupName: 'etcd-members-a',
  lifecycleActionToken: '87654321-4321-4321-4321-210987654321',
  instanceId: 'i-0aaaaaaaaaaaaaaa1',
};

const quiet: Logger = { info: () => undefined, warn: () => undefined };

function recordingLogger() {
  const lines: Array<[string, string, Record<string, unknown> | undefined]> = [];
  const log: Logger = { info: (m, f) => lines.push(['info', m, f]), warn: (m, f) => lines.push(['warn', m, f]) };
  return { log, lines };
}

describe('Validate Request with a lifecycle action', () => {
  const record: ClusterRecord = {
    clusterName: 'demo',
    runtime: 'kubeadm',
    members: [0, 1, 2].map((i) => ({ name: `infra${i}`, id: String(100 + i), address: `10.0.0.${10 + i}`, instanceId: `i-0aaaaaaaaaaaaaaa${i}` })),
    secrets: {},
    updatedAt: '2024-05-01T10:00:00.000Z',
    spec: { clusterName: 'demo', runtime: 'kubeadm', members: [0, 1, 2].map((i) => ({ name: `infra${i}`, instanceId: `i-0aaaaaaaaaaaaaaa${i}`, address: `10.0.0.${10 + i}` })) },
  };
  const registry: ClusterRegistry = {
    get: async (name) => (name === 'demo' ? record : undefined),
    findByInstanceId: async (id) => (record.members.some((m) => m.instanceId === id) ? record : undefined),
    list: async () => assert.fail('the replacement steps list no clusters'),
    put: async () => undefined,
  };
  const validate = makeValidateRequest({ registry, log: quiet });
  // Every member answers its status (only the statuses matter to Read Cluster here).
  const { etcd } = etcdAnswering((endpoints) => viewOf(endpoints, []), 'Read Cluster');
  const readCluster = makeReadCluster({ registry, secrets: secretsWithHealthcheckClient('Read Cluster'), etcd, log: quiet });

  it('carries the action through for a member, with force as the lifecycle rule asks, into the state Read Cluster hands on', async () => {
    const out = await validate({ request: { failedInstanceId: 'i-0aaaaaaaaaaaaaaa1', trigger: 'asg-lifecycle', force: true, lifecycle: LIFECYCLE } });
    assert.equal(out.isMember, true);
    assert.deepEqual(out.lifecycle, LIFECYCLE);
    assert.equal(out.isMember && out.clusterName, 'demo');
    assert.equal(out.isMember && out.request.force, true);
    // Under the lock: the failed member found by its instance, force taken from the request, the action still carried.
    const read = await readCluster({ state: { ...out, lock: { owner: 'exec-1' } } });
    assert.equal(read.stillNeeded, true);
    assert.equal((read.failed as { name: string }).name, 'infra1');
    assert.equal(read.force, true);
    assert.deepEqual(read.lifecycle, LIFECYCLE);
  });

  it('carries it through for an instance that is no member too (the group still waits for it)', async () => {
    const out = await validate({ request: { failedInstanceId: 'i-0bbbbbbbbbbbbbbb9', trigger: 'asg-lifecycle', force: true, lifecycle: { ...LIFECYCLE, instanceId: 'i-0bbbbbbbbbbbbbbb9' } } });
    assert.equal(out.isMember, false);
    assert.equal(out.lifecycle?.instanceId, 'i-0bbbbbbbbbbbbbbb9');
  });

  it('adds no lifecycle field to a request without one', async () => {
    const out = await validate({ request: { clusterName: 'demo', failedMember: 'infra2' } });
    assert.equal('lifecycle' in out, false);
  });

  it('refuses a malformed lifecycle action, naming the field', async () => {
    await assert.rejects(
      validate({ request: { failedInstanceId: 'i-0aaaaaaaaaaaaaaa1', lifecycle: { ...LIFECYCLE, instanceId: 'web-1', extra: true } } }),
      (error: unknown) => {
        assert.ok(error instanceof SpecValidationError);
        assert.match(error.message, /lifecycle\.instanceId: must be an EC2 instance ID/);
        return true;
      },
    );
  });
});

describe('Complete Lifecycle Action', () => {
  it('completes the action with CONTINUE through the port, whatever the outcome', async () => {
    const completed: Array<[LifecycleAction, string]> = [];
    const lifecycle: LifecycleActions = {
      complete: async (action, result) => {
        completed.push([action, result]);
        return { completed: true };
      },
    };
    const { log, lines } = recordingLogger();
    const step = makeCompleteLifecycleAction({ lifecycle, log });
    assert.deepEqual(await step({ lifecycle: LIFECYCLE, outcome: 'failed' }), { completed: true, result: 'CONTINUE' });
    assert.deepEqual(completed, [[LIFECYCLE, 'CONTINUE']]);
    assert.deepEqual(lines.map(([level, message]) => [level, message]), [['info', 'lifecycle action completed']]);
  });

  it('reports an action that is no longer pending (completed before, or past its heartbeat timeout) without failing', async () => {
    const { log, lines } = recordingLogger();
    const step = makeCompleteLifecycleAction({ lifecycle: { complete: async () => ({ completed: false, reason: 'No active Lifecycle Action found with token 8765' }) }, log });
    assert.deepEqual(await step({ lifecycle: LIFECYCLE }), { completed: false, result: 'CONTINUE', reason: 'No active Lifecycle Action found with token 8765' });
    assert.equal(lines[0]![0], 'warn');
  });

  it('refuses without an adapter (the local runner): LifecycleActionUnsupportedError, never a silent no-op', async () => {
    const step = makeCompleteLifecycleAction({ log: quiet });
    await assert.rejects(step({ lifecycle: LIFECYCLE }), (error: unknown) => {
      assert.ok(error instanceof LifecycleActionUnsupportedError);
      assert.equal(error.name, 'LifecycleActionUnsupportedError');
      assert.match(error.message, /i-0aaaaaaaaaaaaaaa1 .*etcd-member-leaving.*etcd-members-a.*lifecycle actions exist only on AWS/);
      return true;
    });
    await assert.rejects(step({ outcome: 'replaced' }), SpecValidationError);
  });

  it('is what the local composition root gets: the local runner has no lifecycle adapter', async () => {
    const base = mkdtempSync(join(tmpdir(), 'etcd-ha-lifecycle-'));
    after(() => rmSync(base, { recursive: true, force: true }));
    const deps = localDeps(localHome({ ETCD_HA_HOME: join(base, 'home') }), { firstAddress: '127.0.0.251' });
    assert.equal(deps.lifecycle, undefined);
    await assert.rejects(createReplaceSteps(deps).completeLifecycleAction({ lifecycle: LIFECYCLE }), LifecycleActionUnsupportedError);
  });
});

describe('AutoScalingLifecycleActions (no network: the client\'s send is replaced)', () => {
  const clientAnswering = (answer: (command: CompleteLifecycleActionCommand) => unknown) => {
    const client = new AutoScalingClient({ region: 'us-east-1' });
    const sent: CompleteLifecycleActionCommand[] = [];
    client.send = (async (command: CompleteLifecycleActionCommand) => {
      sent.push(command);
      return answer(command);
    }) as never;
    return { client, sent };
  };

  it('sends CompleteLifecycleAction with the hook, the group, the token, the instance and the result', async () => {
    const { client, sent } = clientAnswering(() => ({}));
    assert.deepEqual(await new AutoScalingLifecycleActions({ client }).complete(LIFECYCLE, 'CONTINUE'), { completed: true });
    assert.equal(sent.length, 1);
    assert.ok(sent[0] instanceof CompleteLifecycleActionCommand);
    assert.deepEqual(sent[0]!.input, {
      LifecycleHookName: 'etcd-member-leaving',
      AutoScalingGroupName: 'etcd-members-a',
      LifecycleActionToken: '87654321-4321-4321-4321-210987654321',
      InstanceId: 'i-0aaaaaaaaaaaaaaa1',
      LifecycleActionResult: 'CONTINUE',
    });
  });

  it('takes "No active Lifecycle Action found" as already done, and rethrows anything else', async () => {
    const notPending = clientAnswering(() => {
      throw Object.assign(new Error('No active Lifecycle Action found with token 87654321-4321-4321-4321-210987654321'), { name: 'ValidationError' });
    });
    assert.deepEqual(await new AutoScalingLifecycleActions({ client: notPending.client }).complete(LIFECYCLE, 'CONTINUE'), {
      completed: false,
      reason: 'No active Lifecycle Action found with token 87654321-4321-4321-4321-210987654321',
    });
    const denied = clientAnswering(() => {
      throw Object.assign(new Error('User is not authorized to perform: autoscaling:CompleteLifecycleAction'), { name: 'AccessDenied' });
    });
    await assert.rejects(new AutoScalingLifecycleActions({ client: denied.client }).complete(LIFECYCLE, 'CONTINUE'), { name: 'AccessDenied' });
    const otherValidation = clientAnswering(() => {
      throw Object.assign(new Error('Group etcd-members-a not found'), { name: 'ValidationError' });
    });
    await assert.rejects(new AutoScalingLifecycleActions({ client: otherValidation.client }).complete(LIFECYCLE, 'CONTINUE'), /Group etcd-members-a not found/);
  });
});
