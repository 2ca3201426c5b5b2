// ProvisionCluster's definition run by the local interpreter over stand-in step handlers: which states a
// bootstrap and a reconcile go through, in which order, and what each step is given. Real etcd: the drills in
// test/e2e/provision-reconcile.etcd.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderAsl } from '../../statemachines/render-asl';
import { PROVISION_STEPS, provisionClusterDefinition, type ProvisionStep } from '../../statemachines/provision-cluster';
import { runWorkflow } from '../../lambdas/local-runner/run-workflow';
import { RestartWouldLoseQuorumError } from '../../lambdas/core/errors';

const definition = renderAsl(PROVISION_STEPS, (scope, functions) => provisionClusterDefinition(scope, { functions, healthCheckAttempts: 3 }));
const NAMES = ['infra0', 'infra1', 'infra2'];
const HOSTS = NAMES.map((name, i) => ({ name, address: `10.0.0.${10 + i}` }));
const PKI = { ca: 'ca', healthcheckClient: 'hc', apiserverEtcdClient: 'api', members: {}, caId: '0123456789abcdef' };

type Call = [ProvisionStep, Record<string, any>];

/** Handlers that answer as a healthy cluster would; `mode` is what Read Cluster decides. */
function standIns(mode: 'bootstrap' | 'reconcile', options: { runtime?: string; unsafeOnce?: string; leader?: string } = {}) {
  const calls: Call[] = [];
  const rolled: string[] = [];
  let refusedOnce = false;
  const record = (step: ProvisionStep, answer: (input: Record<string, any>) => unknown) => async (input: unknown) => {
    calls.push([step, input as Record<string, any>]);
    return answer(input as Record<string, any>);
  };
  const steps: Record<ProvisionStep, (input: unknown) => Promise<unknown>> = {
    validateSpec: record('validateSpec', (i) => ({ spec: { clusterName: 'demo', runtime: options.runtime ?? 'systemd', ...i.spec } })),
    acquireLock: record('acquireLock', (i) => ({ owner: i.owner })),
    planProvision: record('planProvision', ({ state }) =>
      mode === 'bootstrap' ? { ...state, mode } : { ...state, mode, hosts: HOSTS, token: { value: 'demo-recorded' } },
    ),
    resolveHosts: record('resolveHosts', () => HOSTS),
    generatePki: record('generatePki', () => PKI),
    revokeCertificates: record('revokeCertificates', () => ({ crl: '-----BEGIN X509 CRL-----\n', crlNumber: 1, revoked: [] })),
    pushRevocationList: record('pushRevocationList', (i) => ({ installed: i.hosts.map((h: { name: string }) => h.name), missed: [] })),
    configureKubelet: record('configureKubelet', (i) => ({ host: i.host.name, report: [] })),
    pushCertificates: record('pushCertificates', (i) => ({ host: i.host.name, report: [] })),
    writeEtcdConfig: record('writeEtcdConfig', (i) => ({ host: i.host.name, report: [], restartNeeded: true })),
    chooseNextMember: record('chooseNextMember', (i) => {
      const leader = options.leader ?? 'infra0';
      const left = NAMES.filter((n) => !i.rolled.includes(n));
      const next = left.find((n) => n !== leader) ?? left[0];
      if (!next) return { done: true, rolled: i.rolled };
      rolled.push(next);
      return { done: false, rolled: [...i.rolled, next], host: HOSTS.find((h) => h.name === next), leader };
    }),
    checkRestartSafety: record('checkRestartSafety', (i) => {
      if (i.host.name === options.unsafeOnce && !refusedOnce) {
        refusedOnce = true;
        throw new RestartWouldLoseQuorumError('restarting now would leave 1 of 3 voters answering');
      }
      return { safe: true, why: 'ok' };
    }),
    startEtcd: record('startEtcd', (i) => ({ host: i.host.name, report: [] })),
    checkHealth: record('checkHealth', (i) => ({ healthy: true, attempt: i.attempt + 1, problems: [], members: [] })),
    collectMemberLogs: record('collectMemberLogs', () => ({ Error: 'X', Cause: 'y' })),
    recordCluster: record('recordCluster', () => ({ clusterName: 'demo', members: [], secrets: {} })),
    releaseLock: record('releaseLock', () => ({ released: true })),
    publishMembershipEvent: record('publishMembershipEvent', () => ({ published: true })),
  };
  return { steps, calls, rolled, called: (step: ProvisionStep) => calls.filter(([s]) => s === step).map(([, input]) => input) };
}

const run = (steps: Record<string, (input: unknown) => Promise<unknown>>) =>
  runWorkflow({ definition, steps, input: { clusterName: 'demo', members: NAMES.map((name) => ({ name })) }, executionName: 'provision-test', waitMs: 1, retryMs: 1 });

describe('ProvisionCluster run over stand-ins', () => {
  it('bootstrap: every host at once with initial-cluster-state=new and the token named after the CA; lock taken first, released last', async () => {
    const fake = standIns('bootstrap');
    const result = await run(fake.steps);
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    const order = fake.calls.map(([step]) => step);
    assert.equal(order[0], 'validateSpec');
    assert.equal(order[1], 'acquireLock');
    assert.equal(order[2], 'planProvision');
    // The lock released last of the steps under it; then the membership event, after it.
    assert.deepEqual(order.slice(-2), ['releaseLock', 'publishMembershipEvent']);
    assert.ok(order.indexOf('recordCluster') < order.indexOf('releaseLock'));
    const [event] = fake.called('publishMembershipEvent');
    assert.deepEqual({ ...event, state: undefined }, { workflow: 'ProvisionCluster', outcome: 'changed', execution: { name: 'provision-test', id: event!.execution.id }, membersBeforeAt: '$.membersBefore', state: undefined });
    assert.equal(fake.called('chooseNextMember').length, 0, 'no rolling on a bootstrap');
    const writes = fake.called('writeEtcdConfig');
    assert.deepEqual(writes.map((w) => w.host.name).sort(), NAMES);
    for (const w of writes) {
      assert.equal(w.clusterState, 'new');
      assert.equal(w.clusterToken, 'demo-0123456789abcdef');
      assert.deepEqual(w.lock, { clusterName: 'demo', owner: 'provision-test' });
    }
    assert.equal(fake.called('recordCluster')[0]!.clusterToken, 'demo-0123456789abcdef');
    assert.equal(fake.called('recordCluster')[0]!.lockOwner, 'provision-test');
  });

  it('reconcile: member by member, followers first and the leader last; each restarted only after Check Restart Is Safe, and checked back before the next', async () => {
    const fake = standIns('reconcile', { leader: 'infra1' });
    const result = await run(fake.steps);
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.equal(fake.called('resolveHosts').length, 0, 'the hosts are the recorded ones');
    assert.deepEqual(fake.rolled, ['infra0', 'infra2', 'infra1']);
    // The per-member sequence, once per member, never interleaved.
    const perMember = fake.calls
      .filter(([step]) => ['pushCertificates', 'writeEtcdConfig', 'checkRestartSafety', 'startEtcd', 'checkHealth'].includes(step))
      .map(([step, input]) => `${step}:${input.host?.name ?? input.mustAnswer?.join(',') ?? 'all'}`);
    assert.deepEqual(perMember, [
      ...['infra0', 'infra2', 'infra1'].flatMap((m) => [`pushCertificates:${m}`, `writeEtcdConfig:${m}`, `checkRestartSafety:${m}`, `startEtcd:${m}`, `checkHealth:${m}`]),
      'checkHealth:all',
    ]);
    for (const w of fake.called('writeEtcdConfig')) {
      assert.equal(w.clusterState, 'existing');
      assert.equal(w.runningMember, true);
      assert.equal(w.clusterToken, 'demo-recorded');
    }
    assert.equal(fake.called('configureKubelet').length, 0, 'no kubelet on the systemd runtime');
    assert.equal(fake.called('recordCluster')[0]!.clusterToken, 'demo-recorded');
  });

  it('reconcile on the kubeadm runtime updates each member’s kubelet first', async () => {
    const fake = standIns('reconcile', { runtime: 'kubeadm' });
    assert.equal((await run(fake.steps)).status, 'SUCCEEDED');
    assert.deepEqual(fake.called('configureKubelet').map((i) => i.host.name), ['infra1', 'infra2', 'infra0']);
  });

  it('a restart that is not safe yet is retried, not skipped', async () => {
    const fake = standIns('reconcile', { unsafeOnce: 'infra2' });
    assert.equal((await run(fake.steps)).status, 'SUCCEEDED');
    assert.equal(fake.called('checkRestartSafety').filter((i) => i.host.name === 'infra2').length, 2);
    assert.equal(fake.called('startEtcd').length, 3);
  });
});
