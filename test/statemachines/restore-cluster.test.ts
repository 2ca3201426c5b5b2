// RestoreCluster's definition: valid ASL, and runs by the local interpreter over stand-in steps (no etcd, no AWS):
// the states in order (the lock first, Verify Snapshot before any host is touched, every host stopped before any is
// restored, every member restored before any starts, unstaged and unlocked last); a dry run plans under the lock and
// releases it, touching no host; a refused request takes no lock; a corrupt snapshot releases the lock and says
// nothing changed; a failure after hosts were touched unstages, releases the lock and names what the hosts hold.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import validator from 'asl-validator';
import { renderAsl } from '../../statemachines/render-asl';
import { RESTORE_STEPS, restoreClusterDefinition } from '../../statemachines/restore-cluster';
import { runWorkflow } from '../../lambdas/local-runner/run-workflow';
import type { StepHandler } from '../../lambdas/steps/deps';
import { loadDefinition } from '../../lambdas/local-runner/definitions';

const definition = renderAsl(RESTORE_STEPS, (scope, functions) => restoreClusterDefinition(scope, { functions, healthCheckAttempts: 3 }));
const HOSTS = ['infra0', 'infra1', 'infra2'];

function named(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

function stubSteps(options: { fail?: { step: string; host?: string; error: Error }; refuse?: Error; publishFails?: Error } = {}) {
  const calls: string[] = [];
  const host = (name: string) => ({ name, address: `10.0.0.${HOSTS.indexOf(name) + 10}` });
  const step = (name: string, result: (raw: Record<string, unknown>) => unknown): StepHandler => async (raw) => {
    const input = raw as Record<string, unknown>;
    const on = (input.host as { name?: string } | undefined)?.name;
    calls.push(on ? `${name} ${on}` : name);
    if (options.fail?.step === name && (options.fail.host === undefined || options.fail.host === on)) throw options.fail.error;
    return result(input);
  };
  const plan = { token: 'demo-restore-x', bumpRevision: 1_000_000_000, dataDir: '/var/lib/etcd', snapshot: { name: 'b1' } };
  const spec = { clusterName: 'demo', runtime: 'systemd' };
  const steps: Record<string, StepHandler> = {
    validateRestoreRequest: async (raw) => {
      calls.push('validateRestoreRequest');
      if (options.refuse) throw options.refuse;
      const request = (raw as { request: { clusterName: string; confirm?: string } }).request;
      return { clusterName: request.clusterName, confirmed: request.confirm !== undefined, by: 'me', snapshot: null, hosts: {} };
    },
    acquireLock: step('acquireLock', () => ({ owner: 'x' })),
    planRestore: step('planRestore', () => ({
      plan,
      dryRun: { clusterName: 'demo', dryRun: true, plan, message: ['would restore'] },
      spec,
      hosts: HOSTS.map(host),
      pki: { ca: 'ca' },
      backup: { name: 'b1' },
      members: HOSTS.map((h) => ({ spec, host: host(h), stageFor: h })),
    })),
    verifySnapshot: step('verifySnapshot', () => ({ verified: true })),
    generatePki: step('generatePki', () => ({ ca: 'ca' })),
    revokeCertificates: step('revokeCertificates', () => ({ crl: 'crl' })),
    stopEtcdForRestore: step('stopEtcdForRestore', () => ({})),
    pushRevocationList: step('pushRevocationList', () => ({})),
    configureKubelet: step('configureKubelet', () => ({})),
    pushCertificates: step('pushCertificates', () => ({})),
    stageSnapshot: step('stageSnapshot', (i) => ({ uri: `/b1-${i.instanceId}`, bytes: 64, sha256: 'a'.repeat(64) })),
    restoreMember: step('restoreMember', (i) => ({ host: (i.host as { name: string }).name, movedAsideTo: '/var/lib/etcd.removed-x', alreadyRestored: false })),
    writeEtcdConfig: step('writeEtcdConfig', () => ({ restartNeeded: true })),
    startEtcd: step('startEtcd', () => ({})),
    checkHealth: step('checkHealth', (i) => ({ healthy: true, attempt: Number(i.attempt) + 1, members: [] })),
    collectMemberLogs: step('collectMemberLogs', () => ({ Error: 'ClusterUnhealthyError', Cause: 'never healthy' })),
    recordRestoredCluster: step('recordRestoredCluster', () => ({ clusterName: 'demo', restored: true, dryRun: false })),
    unstageSnapshots: step('unstageSnapshots', () => ({})),
    releaseLock: step('releaseLock', () => ({ released: true })),
    publishMembershipEvent: step('publishMembershipEvent', () => {
      if (options.publishFails) throw options.publishFails;
      return { published: true };
    }),
  };
  return { steps, calls };
}

const firstOf = (calls: string[], prefix: string) => calls.findIndex((c) => c.startsWith(prefix));
const lastOf = (calls: string[], prefix: string) => calls.map((c, i) => (c.startsWith(prefix) ? i : -1)).reduce((a, b) => Math.max(a, b), -1);

describe('RestoreCluster definition', () => {
  it('is valid ASL, and the rendered local file has its states', () => {
    const result = validator(structuredClone(definition) as never);
    assert.equal(result.isValid, true, JSON.stringify(result.errors, null, 2));
    assert.ok(loadDefinition('restore-cluster').States['Validate Restore Request'] !== undefined);
  });

  it('confirmed: lock → plan → verify → PKI → stop every host → restore every host → start every host → healthy → record → unstage → unlock', async () => {
    const { steps, calls } = stubSteps();
    const result = await runWorkflow({ definition, steps, input: { clusterName: 'demo', confirm: 'demo' }, executionName: 'restore-1' });
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.deepEqual(result.output, { clusterName: 'demo', restored: true, dryRun: false });
    assert.deepEqual(calls.slice(0, 6), ['validateRestoreRequest', 'acquireLock', 'planRestore', 'verifySnapshot', 'generatePki', 'revokeCertificates']);
    assert.ok(lastOf(calls, 'stopEtcdForRestore') < firstOf(calls, 'pushRevocationList'), 'every host stopped before anything is put on one');
    assert.ok(lastOf(calls, 'stopEtcdForRestore') < firstOf(calls, 'restoreMember'), 'every host stopped before any is restored');
    assert.ok(lastOf(calls, 'restoreMember') < firstOf(calls, 'writeEtcdConfig'), 'every member restored before any starts');
    for (const h of HOSTS) for (const s of ['stopEtcdForRestore', 'pushCertificates', 'stageSnapshot', 'restoreMember', 'writeEtcdConfig', 'startEtcd']) assert.ok(calls.includes(`${s} ${h}`) || s === 'stageSnapshot', `${s} ${h}`);
    assert.deepEqual(calls.slice(-5), ['checkHealth', 'recordRestoredCluster', 'unstageSnapshots', 'releaseLock', 'publishMembershipEvent']);
  });

  it('without confirm: plans under the lock, releases it, touches no host; the output is the plan', async () => {
    const { steps, calls } = stubSteps();
    const result = await runWorkflow({ definition, steps, input: { clusterName: 'demo' }, executionName: 'dry' });
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.deepEqual(calls, ['validateRestoreRequest', 'acquireLock', 'planRestore', 'releaseLock']);
    assert.equal((result.output as { dryRun: boolean }).dryRun, true);
  });

  it('a refused request takes no lock', async () => {
    const { steps, calls } = stubSteps({ refuse: named('SpecValidationError', 'RestoreCluster input: confrim: is not a known field') });
    const result = await runWorkflow({ definition, steps, input: { clusterName: 'demo', confrim: 'demo' }, executionName: 'bad' });
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'SpecValidationError');
    assert.deepEqual(calls, ['validateRestoreRequest']);
  });

  it('a corrupt snapshot: refused before any host is touched, the lock released, the cause says nothing changed there', async () => {
    const { steps, calls } = stubSteps({ fail: { step: 'verifySnapshot', error: named('CorruptSnapshotError', 'backup b1 is corrupt: its SHA-256 differs') } });
    const result = await runWorkflow({ definition, steps, input: { clusterName: 'demo', confirm: 'demo' }, executionName: 'corrupt' });
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'CorruptSnapshotError');
    assert.ok(!calls.some((c) => /^(stopEtcdForRestore|restoreMember|startEtcd)/.test(c)), calls.join(', '));
    // A failure after the lock publishes its membership event; the cause stays the step's own.
    assert.deepEqual(calls.slice(-3), ['unstageSnapshots', 'releaseLock', 'publishMembershipEvent']);
    assert.doesNotMatch(result.cause ?? '', /Hosts:/);
  });

  it('a failure after hosts were touched: unstaged, the lock released, the cause names the step and what the hosts hold; nothing started', async () => {
    const { steps, calls } = stubSteps({ fail: { step: 'restoreMember', host: 'infra1', error: named('HostScriptFailedError', 'Restore Member failed on infra1 (10.0.0.11): exit code 1') } });
    const result = await runWorkflow({ definition, steps, input: { clusterName: 'demo', confirm: 'demo' }, executionName: 'broken' });
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'HostScriptFailedError');
    assert.match(result.cause ?? '', /Restore Member failed on infra1/);
    assert.match(result.cause ?? '', /Hosts: etcd was stopped on every member host; .*moved aside to \/var\/lib\/etcd\.removed-<UTC time> \(never deleted, never started again automatically\)/);
    assert.ok(!calls.some((c) => c.startsWith('startEtcd') || c.startsWith('writeEtcdConfig')), 'the old data is never started again');
    assert.deepEqual(calls.slice(-3), ['unstageSnapshots', 'releaseLock', 'publishMembershipEvent']);
  });

  it('a membership event that cannot be published neither fails a restore nor hides the failure of one', async () => {
    const rejected = named('MembershipEventRejectedError', 'EventBridge rejected the Membership Changed event of demo: ThrottlingException');
    const done = await runWorkflow({ definition, steps: stubSteps({ publishFails: rejected }).steps, input: { clusterName: 'demo', confirm: 'demo' }, executionName: 'restore-2' });
    assert.equal(done.status, 'SUCCEEDED', done.cause);
    assert.deepEqual(done.output, { clusterName: 'demo', restored: true, dryRun: false });
    const broken = stubSteps({ publishFails: rejected, fail: { step: 'restoreMember', host: 'infra1', error: named('HostScriptFailedError', 'Restore Member failed on infra1 (10.0.0.11): exit code 1') } });
    const failed = await runWorkflow({ definition, steps: broken.steps, input: { clusterName: 'demo', confirm: 'demo' }, executionName: 'broken-2' });
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.error, 'HostScriptFailedError');
    assert.match(failed.cause ?? '', /^Restore Member failed on infra1.*Hosts: etcd was stopped/s);
    assert.equal(broken.calls.at(-1), 'publishMembershipEvent');
  });
});
