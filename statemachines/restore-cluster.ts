// RestoreCluster (`etcd-ha restore --cluster NAME [--snapshot NAME] [--confirm NAME]`, `etcd-ha local restore`): brings
// a cluster that lost quorum back from a backup, under the cluster's lock.
// Validate Restore Request → Acquire Lock → Plan Restore (the backup, each member's host and current address, the
// new token) → Is Restore Confirmed?
//  - no: Release Lock Unneeded → Nothing Restored, whose output is the plan: nothing changed on any host or record;
//  - yes: Verify Snapshot (before any host is touched) → Issue Member Certificates → Update Revocation List →
//    Stop Members (etcd stopped on every host first) → Push Revocation List → Restore Members (per host: Push
//    Certificates → Stage Snapshot → Restore Member: the data dir moved aside, snapshot restore) → Start Members (per
//    host: Write Etcd Config → Start Etcd) → Wait Until Healthy → Record Restored Cluster → Unstage Snapshots →
//    Release Lock → Publish Membership Event → Cluster Restored.
// A failure before any host is touched releases the lock (Release Lock After Failure). A failure after: Unstage
// Snapshots After Failure → Release Lock After Failure → Publish Membership Failure → Describe Hosts State → Restore Failed, naming the cause and
// what the hosts hold: etcd stopped, data dirs moved aside; the old data is never started again automatically.
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { RESTORE_ONLY_STEPS, RESTORE_STEPS, type RestoreOnlyStep, type RestoreStep } from '../lambdas/catalog/steps';
import { HOST_STEP_PAYLOAD, publishMembershipEventState, stepState } from './steps';

/** The Lambda steps RestoreCluster invokes (lambdas/catalog/steps.ts), and those only it runs. */
export { RESTORE_ONLY_STEPS, RESTORE_STEPS, type RestoreOnlyStep, type RestoreStep };

export interface RestoreClusterProps {
  readonly functions: Readonly<Record<RestoreStep, lambda.IFunction>>;
  /** @default 5 */
  readonly healthCheckIntervalSeconds?: number;
  /**
   * Health checks before the execution fails with the members' logs.
   * @default 60 (five minutes at the default interval)
   */
  readonly healthCheckAttempts?: number;
  /**
   * How often Acquire Lock is retried while another change holds the cluster's lock.
   * @default 10 (about ten minutes with the growing interval)
   */
  readonly lockWaitAttempts?: number;
}

export function validateRestoreClusterProps(props: RestoreClusterProps): void {
  const check = (name: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be a whole number from ${min} to ${max}, got ${value}`);
  };
  check('healthCheckIntervalSeconds', props.healthCheckIntervalSeconds ?? 5, 1, 300);
  check('healthCheckAttempts', props.healthCheckAttempts ?? 60, 1, 1000);
  check('lockWaitAttempts', props.lockWaitAttempts ?? 10, 0, 100);
}

export function restoreClusterDefinition(scope: Construct, props: RestoreClusterProps): sfn.IChainable {
  validateRestoreClusterProps(props);
  const fns = props.functions;
  const attempts = props.healthCheckAttempts ?? 60;
  const lockWait = props.lockWaitAttempts ?? 10;
  const lockRef = { 'clusterName.$': '$.clusterName', 'owner.$': '$$.Execution.Name' };

  // ---- the ways out ----
  const failed = new sfn.Fail(scope, 'Restore Failed', { errorPath: '$.failure.Error', causePath: '$.cause' });
  const refused = new sfn.Fail(scope, 'Restore Request Refused', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
  const describeHosts = new sfn.Pass(scope, 'Describe Hosts State', {
    parameters: {
      'failure.$': '$.failure',
      'cause.$':
        "States.Format('{} -- Hosts: etcd was stopped on every member host; each member whose restore began has its old data dir moved aside to {}.removed-<UTC time> (never deleted, never started again automatically). Fix the cause and run the restore again.', $.failure.Cause, $.planned.plan.dataDir)",
    },
  });
  describeHosts.next(failed);
  const untouched = new sfn.Pass(scope, 'Nothing Changed On Hosts', { parameters: { 'failure.$': '$.failure', 'cause.$': '$.failure.Cause' } });
  untouched.next(failed);
  const releaseOnFailure = stepState(scope, 'Release Lock After Failure', fns.releaseLock, { payload: lockRef, resultPath: '$.release' });
  const whichHostsState = new sfn.Choice(scope, 'Were Hosts Touched?')
    .when(sfn.Condition.and(sfn.Condition.isPresent('$.hostsTouched'), sfn.Condition.booleanEquals('$.hostsTouched', true)), describeHosts)
    .otherwise(untouched);
  // A restore, done or failed, publishes its membership event (old members: the record Plan Restore read under the
  // lock); a refused request or a dry run changed nothing and publishes none.
  const event = (outcome: 'changed' | 'failed', next: sfn.IChainable) =>
    publishMembershipEventState(scope, fns.publishMembershipEvent, { outcome, workflow: 'RestoreCluster', membersBeforeAt: '$.planned.membersBefore' }, next);
  const publishFailure = event('failed', whichHostsState);
  releaseOnFailure.addCatch(publishFailure, { resultPath: '$.releaseFailure' });
  releaseOnFailure.next(publishFailure);
  const unstageOnFailure = stepState(scope, 'Unstage Snapshots After Failure', fns.unstageSnapshots, {
    payload: { 'clusterName.$': '$.clusterName', 'purpose.$': '$$.Execution.Name' },
    resultPath: '$.unstage',
  });
  unstageOnFailure.addCatch(releaseOnFailure, { resultPath: '$.unstageFailure' });
  unstageOnFailure.next(releaseOnFailure);

  // ---- before the lock, and the lock ----
  const validate = stepState(scope, 'Validate Restore Request', fns.validateRestoreRequest, { payload: { 'request.$': '$' } });
  validate.addCatch(refused, { resultPath: '$.failure' });
  const acquire = stepState(scope, 'Acquire Lock', fns.acquireLock, {
    payload: { ...lockRef, 'holder.$': '$$.Execution.Id' },
    resultPath: '$.lock',
    retries: lockWait === 0 ? [] : [{ errors: ['ClusterLockedError'], intervalSeconds: 10, maxAttempts: lockWait, backoffRate: 1.5 }],
  });
  // Not holding the lock: fail without releasing someone else's.
  acquire.addCatch(refused, { resultPath: '$.failure' });

  // Every state under the lock carries it (the step renews it first); whatever fails goes out through the unstaging.
  const guarded: sfn.TaskStateBase[] = [];
  const step = (name: string, fn: lambda.IFunction, payload: Record<string, unknown>, resultPath: string, unreachable = false) => {
    const state = stepState(scope, name, fn, { payload: { ...payload, lock: lockRef }, resultPath, retryUnreachableHost: unreachable });
    guarded.push(state);
    return state;
  };
  const planned = { 'spec.$': '$.planned.spec', 'hosts.$': '$.planned.hosts' };
  const plan = step('Plan Restore', fns.planRestore, {
    'clusterName.$': '$.clusterName',
    'snapshot.$': '$.snapshot',
    'hosts.$': '$.hosts',
    'execution.$': '$$.Execution.Name',
  }, '$.planned');
  const releaseUnneeded = stepState(scope, 'Release Lock Unneeded', fns.releaseLock, { payload: lockRef, resultPath: '$.release' });
  releaseUnneeded.addCatch(releaseOnFailure, { resultPath: '$.failure' });
  const nothingRestored = new sfn.Succeed(scope, 'Nothing Restored', { outputPath: '$.planned.dryRun' });

  // ---- confirmed: the snapshot checked, the PKI ready, before any host is touched ----
  const verify = step('Verify Snapshot', fns.verifySnapshot, { 'backup.$': '$.planned.backup' }, sfn.JsonPath.DISCARD);
  const issue = step('Issue Member Certificates', fns.generatePki, planned, '$.pki');
  const revoke = step('Update Revocation List', fns.revokeCertificates, { ...planned, 'pki.$': '$.pki' }, '$.revocation');
  const touched = new sfn.Pass(scope, 'Note Hosts Touched', { result: sfn.Result.fromBoolean(true), resultPath: '$.hostsTouched' });

  // ---- etcd stopped on every host first ----
  const stopOne = stepState(scope, 'Stop Etcd For Restore', fns.stopEtcdForRestore, {
    payload: { 'spec.$': '$.spec', 'host.$': '$.host', 'plan.$': '$.plan', 'lock.$': '$.lock' },
    resultPath: sfn.JsonPath.DISCARD,
    retryUnreachableHost: true,
  });
  const memberItem = {
    'spec.$': '$$.Map.Item.Value.spec',
    'host.$': '$$.Map.Item.Value.host',
    'stageFor.$': '$$.Map.Item.Value.stageFor',
    'hosts.$': '$.planned.hosts',
    'plan.$': '$.planned.plan',
    'backup.$': '$.planned.backup',
    'pki.$': '$.pki',
    clusterState: 'new',
    'clusterToken.$': '$.planned.plan.token',
    lock: lockRef,
  };
  const stopMembers = new sfn.Map(scope, 'Stop Members', { itemsPath: '$.planned.members', itemSelector: memberItem, maxConcurrency: 0, resultPath: sfn.JsonPath.DISCARD });
  stopMembers.itemProcessor(stopOne);
  const pushCrl = step('Push Revocation List', fns.pushRevocationList, { ...planned, 'crl.$': '$.revocation.crl' }, sfn.JsonPath.DISCARD, true);

  // ---- per host: the certificates, the snapshot staged for it alone, the restore ----
  const hostStep = (name: string, fn: lambda.IFunction) =>
    stepState(scope, name, fn, { payload: HOST_STEP_PAYLOAD, resultPath: sfn.JsonPath.DISCARD, retryUnreachableHost: true });
  const pushCertificates = hostStep('Push Certificates', fns.pushCertificates);
  const stage = stepState(scope, 'Stage Snapshot', fns.stageSnapshot, {
    payload: { 'backup.$': '$.backup', 'instanceId.$': '$.stageFor', 'purpose.$': '$$.Execution.Name', 'lock.$': '$.lock' },
    resultPath: '$.staged',
  });
  const restoreOne = stepState(scope, 'Restore Member', fns.restoreMember, {
    payload: { 'spec.$': '$.spec', 'hosts.$': '$.hosts', 'host.$': '$.host', 'staged.$': '$.staged', 'plan.$': '$.plan', 'lock.$': '$.lock' },
    retryUnreachableHost: true,
  });
  pushCertificates.next(stage).next(restoreOne);
  const prepareHost = new sfn.Choice(scope, 'Uses Kubelet?')
    .when(sfn.Condition.stringEquals('$.spec.runtime', 'kubeadm'), hostStep('Configure Kubelet', fns.configureKubelet).next(pushCertificates))
    .otherwise(pushCertificates);
  const restoreMembers = new sfn.Map(scope, 'Restore Members', { itemsPath: '$.planned.members', itemSelector: memberItem, maxConcurrency: 0, resultPath: '$.restored' });
  restoreMembers.itemProcessor(prepareHost);

  // ---- every member configured with the new token and started ----
  const writeConfig = hostStep('Write Etcd Config', fns.writeEtcdConfig);
  writeConfig.next(hostStep('Start Etcd', fns.startEtcd));
  const startMembers = new sfn.Map(scope, 'Start Members', { itemsPath: '$.planned.members', itemSelector: memberItem, maxConcurrency: 0, resultPath: sfn.JsonPath.DISCARD });
  startMembers.itemProcessor(writeConfig);

  // ---- healthy, recorded, unstaged, unlocked ----
  const startChecks = new sfn.Pass(scope, 'Start Health Checks', { result: sfn.Result.fromObject({ attempt: 0 }), resultPath: '$.health' });
  const waitForMembers = new sfn.Wait(scope, 'Wait For Members', { time: sfn.WaitTime.duration(Duration.seconds(props.healthCheckIntervalSeconds ?? 5)) });
  const checkHealth = step('Check Health', fns.checkHealth, { ...planned, 'pki.$': '$.pki', 'attempt.$': '$.health.attempt' }, '$.health');
  // Returns { Error, Cause } with the health problems and each unhealthy member's log tail.
  const collectLogs = step('Collect Member Logs', fns.collectMemberLogs, { ...planned, 'health.$': '$.health' }, '$.failure');
  const record = step('Record Restored Cluster', fns.recordRestoredCluster, {
    ...planned,
    'pki.$': '$.pki',
    'health.$': '$.health',
    'plan.$': '$.planned.plan',
    'restored.$': '$.restored',
    'lockOwner.$': '$$.Execution.Name',
    'by.$': '$.by',
  }, '$.outcome');
  const unstage = stepState(scope, 'Unstage Snapshots', fns.unstageSnapshots, {
    payload: { 'clusterName.$': '$.clusterName', 'purpose.$': '$$.Execution.Name' },
    resultPath: sfn.JsonPath.DISCARD,
  });
  guarded.push(unstage);
  const release = stepState(scope, 'Release Lock', fns.releaseLock, { payload: lockRef, resultPath: '$.release' });
  release.addCatch(publishFailure, { resultPath: '$.failure' });
  const restored = new sfn.Succeed(scope, 'Cluster Restored', { outputPath: '$.outcome' });
  const isHealthy = new sfn.Choice(scope, 'Is Cluster Healthy?')
    .when(sfn.Condition.booleanEquals('$.health.healthy', true), record.next(unstage).next(release).next(event('changed', restored)))
    .when(sfn.Condition.numberGreaterThanEquals('$.health.attempt', attempts), collectLogs.next(unstageOnFailure))
    .otherwise(waitForMembers);
  waitForMembers.next(checkHealth).next(isHealthy);

  for (const state of [...guarded, stopMembers, restoreMembers, startMembers]) state.addCatch(unstageOnFailure, { resultPath: '$.failure' });

  const confirmedRestore = sfn.Chain.start(verify)
    .next(issue)
    .next(revoke)
    .next(touched)
    .next(stopMembers)
    .next(pushCrl)
    .next(restoreMembers)
    .next(startMembers)
    .next(startChecks)
    .next(waitForMembers);
  const confirmed = new sfn.Choice(scope, 'Is Restore Confirmed?')
    .when(sfn.Condition.booleanEquals('$.confirmed', true), confirmedRestore)
    .otherwise(releaseUnneeded.next(nothingRestored));
  return sfn.Chain.start(validate).next(acquire).next(plan).next(confirmed);
}
