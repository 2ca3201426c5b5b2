// ProvisionCluster: the kubeadm guide as a workflow, under the cluster's lock, from the cluster's record.
// Validate Spec → Acquire Lock → Read Cluster → Is Cluster Recorded?
//  - no record: bootstrap, as the guide does it: Resolve Hosts → Generate PKI → Sign Revocation List → Push
//    Revocation List → Name Cluster Token → per host at
//    once (Configure Kubelet → Push Certificates → Write Etcd Config → Start Etcd, initial-cluster-state=new);
//  - a record whose etcd has quorum: reconcile the recorded membership with the spec's settings, one member at a
//    time (Issue Member Certificates → Update Revocation List → Push Updated Revocation List → Choose Next Member: followers first, the leader last → Update Kubelet →
//    Update Certificates → Update Etcd Config → Check Restart Is Safe → Apply Etcd Config → Wait Member Back);
//  - anything else (other members, lost quorum) is refused by Read Cluster before anything changes.
// Then Wait Until Healthy → Record Cluster → Release Lock → Publish Membership Event → Cluster Ready; on failure Release
// Lock After Failure → Publish Membership Failure → Provision Failed (with the reason and what to look at).
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { PROVISION_STEPS, type ProvisionStep } from '../lambdas/catalog/steps';
import { HOST_STEP_PAYLOAD, publishMembershipEventState, stepState, type NamedRetry } from './steps';

/** The Lambda steps ProvisionCluster invokes, by step name: those the catalog (lambdas/catalog/steps.ts) says it runs. */
export { PROVISION_STEPS, type ProvisionStep };

export interface ProvisionClusterProps {
  /** One function per step. */
  readonly functions: Readonly<Record<ProvisionStep, lambda.IFunction>>;
  /**
   * Seconds between two health checks.
   * @default 5
   */
  readonly healthCheckIntervalSeconds?: number;
  /**
   * Health checks before the execution fails with the members' logs (also per member of a rolling change).
   * @default 60 (five minutes at the default interval: enough for kubelet to pull the etcd image)
   */
  readonly healthCheckAttempts?: number;
  /**
   * How often a run retries Acquire Lock while another change holds the cluster's lock, before it fails saying who.
   * @default 10 (about ten minutes with the growing interval)
   */
  readonly lockWaitAttempts?: number;
}

export function validateProvisionClusterProps(props: ProvisionClusterProps): void {
  const check = (name: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be a whole number from ${min} to ${max}, got ${value}`);
  };
  check('healthCheckIntervalSeconds', props.healthCheckIntervalSeconds ?? 5, 1, 300);
  check('healthCheckAttempts', props.healthCheckAttempts ?? 60, 1, 1000);
  check('lockWaitAttempts', props.lockWaitAttempts ?? 10, 0, 100);
}

/** A member that is restarting is waited for before the next; the one before may still be catching up. */
const RESTART_UNSAFE: NamedRetry = { errors: ['RestartWouldLoseQuorumError'], intervalSeconds: 10, maxAttempts: 6, backoffRate: 1.5 };

export function provisionClusterDefinition(scope: Construct, props: ProvisionClusterProps): sfn.IChainable {
  validateProvisionClusterProps(props);
  const fns = props.functions;
  const interval = Duration.seconds(props.healthCheckIntervalSeconds ?? 5);
  const attempts = props.healthCheckAttempts ?? 60;
  // Every way out publishes its membership event first (old members: what Read Cluster found under the lock).
  const event = (outcome: 'changed' | 'failed', next: sfn.IChainable) =>
    publishMembershipEventState(scope, fns.publishMembershipEvent, { outcome, workflow: 'ProvisionCluster', membersBeforeAt: '$.membersBefore' }, next);
  const failed = event('failed', new sfn.Fail(scope, 'Provision Failed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' }));
  const lockRef = { 'clusterName.$': '$.spec.clusterName', 'owner.$': '$$.Execution.Name' };

  const validateSpec = stepState(scope, 'Validate Spec', fns.validateSpec, { payload: { 'spec.$': '$' } });
  validateSpec.addCatch(failed, { resultPath: '$.failure' });
  const acquireLock = stepState(scope, 'Acquire Lock', fns.acquireLock, {
    payload: { ...lockRef, 'holder.$': '$$.Execution.Id' },
    resultPath: '$.lock',
    retries: props.lockWaitAttempts === 0 ? [] : [{ errors: ['ClusterLockedError'], intervalSeconds: 10, maxAttempts: props.lockWaitAttempts ?? 10 }],
  });
  // Not holding the lock: fail without releasing someone else's.
  acquireLock.addCatch(failed, { resultPath: '$.failure' });
  const releaseOnFailure = stepState(scope, 'Release Lock After Failure', fns.releaseLock, { payload: lockRef, resultPath: '$.release' });
  releaseOnFailure.addCatch(failed, { resultPath: '$.releaseFailure' });
  releaseOnFailure.next(failed);

  // Every state under the lock: it carries the lock (the step renews it first), and whatever fails releases it.
  const guarded: sfn.TaskStateBase[] = [];
  const step = (name: string, fn: lambda.IFunction, payload: Record<string, unknown>, resultPath: string | undefined, options: { retries?: NamedRetry[]; unreachable?: boolean } = {}) => {
    const state = stepState(scope, name, fn, { payload: { ...payload, lock: lockRef }, ...(resultPath !== undefined && { resultPath }), retries: options.retries ?? [], retryUnreachableHost: options.unreachable ?? false });
    guarded.push(state);
    return state;
  };

  // Its result replaces the state: the state it was given, plus the mode and (reconcile) the recorded hosts.
  const readCluster = step('Read Cluster', fns.planProvision, { 'state.$': '$' }, undefined);
  const cluster = { 'spec.$': '$.spec', 'hosts.$': '$.hosts', 'pki.$': '$.pki' };

  // Bootstrap: every member at once with initial-cluster-state=new, as the guide does.
  const resolveHosts = step('Resolve Hosts', fns.resolveHosts, { 'spec.$': '$.spec' }, '$.hosts');
  const generatePki = step('Generate PKI', fns.generatePki, { 'spec.$': '$.spec', 'hosts.$': '$.hosts' }, '$.pki');
  // The token names the cluster by its CA (made once, kept): a re-run after a failed bootstrap uses the same one,
  // a cluster built again from nothing gets another, so member IDs never repeat across clusters.
  const nameToken = new sfn.Pass(scope, 'Name Cluster Token', {
    parameters: { 'value.$': "States.Format('{}-{}', $.spec.clusterName, $.pki.caId)" },
    resultPath: '$.token',
  });
  const hostStep = (name: string, fn: lambda.IFunction) =>
    stepState(scope, name, fn, { payload: HOST_STEP_PAYLOAD, resultPath: sfn.JsonPath.DISCARD, retryUnreachableHost: true });
  const pushCertificates = hostStep('Push Certificates', fns.pushCertificates);
  pushCertificates.next(hostStep('Write Etcd Config', fns.writeEtcdConfig)).next(hostStep('Start Etcd', fns.startEtcd));
  const usesKubelet = new sfn.Choice(scope, 'Uses Kubelet?')
    .when(sfn.Condition.stringEquals('$.spec.runtime', 'kubeadm'), hostStep('Configure Kubelet', fns.configureKubelet).next(pushCertificates))
    .otherwise(pushCertificates);
  const configureHosts = new sfn.Map(scope, 'Configure Hosts', {
    itemsPath: '$.hosts',
    itemSelector: {
      'spec.$': '$.spec',
      'hosts.$': '$.hosts',
      'host.$': '$$.Map.Item.Value',
      'pki.$': '$.pki',
      clusterState: 'new',
      'clusterToken.$': '$.token.value',
      lock: lockRef,
    },
    maxConcurrency: 0,
    resultPath: sfn.JsonPath.DISCARD,
  });
  configureHosts.itemProcessor(usesKubelet);
  configureHosts.addCatch(releaseOnFailure, { resultPath: '$.failure' });

  // Health, then the record (as the lock holder), then the lock.
  const startHealthChecks = new sfn.Pass(scope, 'Start Health Checks', { result: sfn.Result.fromObject({ attempt: 0 }), resultPath: '$.health' });
  const waitForMembers = new sfn.Wait(scope, 'Wait For Members', { time: sfn.WaitTime.duration(interval) });
  const checkHealth = step('Check Health', fns.checkHealth, { ...cluster, 'attempt.$': '$.health.attempt' }, '$.health');
  // Returns { Error, Cause } with the health problems and each unhealthy member's log tail.
  const collectMemberLogs = step('Collect Member Logs', fns.collectMemberLogs, { 'spec.$': '$.spec', 'hosts.$': '$.hosts', 'health.$': '$.health' }, '$.failure');
  const recordCluster = step('Record Cluster', fns.recordCluster, {
    ...cluster,
    'health.$': '$.health',
    'lockOwner.$': '$$.Execution.Name',
    'clusterToken.$': '$.token.value',
  }, '$.cluster');
  const releaseLock = stepState(scope, 'Release Lock', fns.releaseLock, { payload: lockRef, resultPath: '$.release' });
  releaseLock.addCatch(failed, { resultPath: '$.failure' });
  const clusterReady = new sfn.Succeed(scope, 'Cluster Ready', { outputPath: '$.cluster' });
  const isClusterHealthy = new sfn.Choice(scope, 'Is Cluster Healthy?')
    .when(sfn.Condition.booleanEquals('$.health.healthy', true), recordCluster.next(releaseLock).next(event('changed', clusterReady)))
    .when(sfn.Condition.numberGreaterThanEquals('$.health.attempt', attempts), collectMemberLogs.next(releaseOnFailure))
    .otherwise(waitForMembers);
  const waitUntilHealthy = sfn.Chain.start(startHealthChecks).next(waitForMembers).next(checkHealth).next(isClusterHealthy);

  // The CRL (empty at first) is on every host before any member starts with --client-crl-file/--peer-crl-file: etcd
  // refuses every connection while the file is missing. A reconcile pushes it before the rolling gives any member the flags.
  const revocation = (sign: string, push: string) =>
    sfn.Chain.start(step(sign, fns.revokeCertificates, cluster, '$.revocation')).next(
      step(push, fns.pushRevocationList, { 'spec.$': '$.spec', 'hosts.$': '$.hosts', 'crl.$': '$.revocation.crl' }, '$.revocationPush', { unreachable: true }),
    );
  // Reconcile: one member at a time, each back and the cluster at quorum before the next.
  const issueCertificates = step('Issue Member Certificates', fns.generatePki, { 'spec.$': '$.spec', 'hosts.$': '$.hosts' }, '$.pki');
  const startRolling = new sfn.Pass(scope, 'Start Rolling', { result: sfn.Result.fromObject({ rolled: [] }), resultPath: '$.roll' });
  const chooseNext = step('Choose Next Member', fns.chooseNextMember, { ...cluster, 'rolled.$': '$.roll.rolled' }, '$.roll');
  const member = {
    ...cluster,
    'host.$': '$.roll.host',
    clusterState: 'existing',
    runningMember: true,
    'clusterToken.$': '$.token.value',
  };
  const updateKubelet = step('Update Kubelet', fns.configureKubelet, member, sfn.JsonPath.DISCARD, { unreachable: true });
  const updateCertificates = step('Update Certificates', fns.pushCertificates, member, sfn.JsonPath.DISCARD, { unreachable: true });
  // Says whether a restart is pending: only a setting a running etcd reads counts (never initial-cluster*).
  const updateConfig = step('Update Etcd Config', fns.writeEtcdConfig, member, '$.written', { unreachable: true });
  const checkSafe = step('Check Restart Is Safe', fns.checkRestartSafety, { ...cluster, 'host.$': '$.roll.host', 'restartNeeded.$': '$.written.restartNeeded' }, '$.safety', { retries: [RESTART_UNSAFE] });
  const applyConfig = step('Apply Etcd Config', fns.startEtcd, member, sfn.JsonPath.DISCARD, { unreachable: true });
  const startMemberChecks = new sfn.Pass(scope, 'Start Member Checks', { result: sfn.Result.fromObject({ attempt: 0 }), resultPath: '$.memberHealth' });
  const checkMember = step('Check Member Health', fns.checkHealth, {
    ...cluster,
    'attempt.$': '$.memberHealth.attempt',
    // A member that was down before the change (reported by Read Cluster) may stay down; this one must answer.
    tolerateDown: true,
    'mustAnswer.$': 'States.Array($.roll.host.name)',
  }, '$.memberHealth');
  const waitForMember = new sfn.Wait(scope, 'Wait For Member', { time: sfn.WaitTime.duration(interval) });
  const collectRollLogs = step('Collect Rolled Member Logs', fns.collectMemberLogs, { 'spec.$': '$.spec', 'hosts.$': '$.hosts', 'health.$': '$.memberHealth' }, '$.failure');
  const isMemberBack = new sfn.Choice(scope, 'Is Member Back?')
    .when(sfn.Condition.booleanEquals('$.memberHealth.healthy', true), chooseNext)
    .when(sfn.Condition.numberGreaterThanEquals('$.memberHealth.attempt', attempts), collectRollLogs.next(releaseOnFailure))
    .otherwise(waitForMember);
  waitForMember.next(checkMember);
  const updateMember = sfn.Chain.start(updateCertificates).next(updateConfig).next(checkSafe).next(applyConfig).next(startMemberChecks).next(checkMember).next(isMemberBack);
  const rollMember = new sfn.Choice(scope, 'Uses Kubelet On Member?')
    .when(sfn.Condition.stringEquals('$.spec.runtime', 'kubeadm'), updateKubelet.next(updateMember))
    .otherwise(updateMember);
  const isRollingDone = new sfn.Choice(scope, 'Is Rolling Done?').when(sfn.Condition.booleanEquals('$.roll.done', true), waitUntilHealthy).otherwise(rollMember);
  const reconcile = sfn.Chain.start(issueCertificates)
    .next(revocation('Update Revocation List', 'Push Updated Revocation List'))
    .next(startRolling)
    .next(chooseNext)
    .next(isRollingDone);

  const bootstrap = sfn.Chain.start(resolveHosts).next(generatePki).next(revocation('Sign Revocation List', 'Push Revocation List')).next(nameToken).next(configureHosts).next(waitUntilHealthy);
  for (const state of guarded) state.addCatch(releaseOnFailure, { resultPath: '$.failure' });

  return sfn.Chain.start(validateSpec)
    .next(acquireLock)
    .next(readCluster)
    .next(new sfn.Choice(scope, 'Is Cluster Recorded?').when(sfn.Condition.stringEquals('$.mode', 'reconcile'), reconcile).otherwise(bootstrap));
}
