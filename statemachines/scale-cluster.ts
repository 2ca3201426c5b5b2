// ScaleCluster: grows or shrinks a running cluster to an odd size, one member at a time, as etcd's
// runtime-reconfiguration guide says: Validate Scale Request → Acquire Lock → Read Cluster For Scale (the record and
// etcd's member list under the lock; refuses without a healthy quorum) → Note Members Before (for the membership
// event) → Is Change Needed? → Snapshot Before Change →
// then, until Plan Next Change says done, one change and its record:
//   grow:   Prepare Joining Host → Issue Member Certificates → Sign Revocation List → Push Revocation List →
//           (Configure Kubelet) → Push Certificates → Add Member As Learner → Write Etcd Config → Start Etcd
//           (existing) → Wait Learner In Sync / Promote Learner
//   shrink: Remove Member (quorum checked, leadership moved away first when it leads) → Stop Etcd And Set Data
//           Aside → Revoke Removed Members → Push Updated Revocation List
//   then:   Wait For Members / Check Health → Record Cluster (as the lock holder) → Plan Next Change.
// → Release Lock → Publish Membership Event → Cluster Scaled. Existing members are never restarted. On failure: Remove Unpromoted Learner (the
// learner this execution added, if any) → Release Lock After Failure → Publish Membership Failure → Scale Failed.
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { SCALE_ONLY_STEPS, SCALE_STEPS, type ScaleOnlyStep, type ScaleStep } from '../lambdas/catalog/steps';
import { publishMembershipEventState, stepState, type NamedRetry } from './steps';

export { SCALE_ONLY_STEPS, SCALE_STEPS, type ScaleOnlyStep, type ScaleStep };

export interface ScaleClusterProps {
  readonly functions: Readonly<Record<ScaleStep, lambda.IFunction>>;
  /** How often Acquire Lock is retried before the execution fails, saying who holds the lock. @default 10 */
  readonly lockWaitAttempts?: number;
  /** @default 5 */
  readonly healthCheckIntervalSeconds?: number;
  /** Health checks after each change before the execution gives up. @default 60 */
  readonly healthCheckAttempts?: number;
  /** How long one new member may take to catch up with the leader (looked at every 2 s). @default 30 */
  readonly promotionBudgetMinutes?: number;
}

export function validateScaleClusterProps(props: ScaleClusterProps): void {
  const check = (name: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be a whole number from ${min} to ${max}, got ${value}`);
  };
  check('lockWaitAttempts', props.lockWaitAttempts ?? 10, 0, 100);
  check('healthCheckIntervalSeconds', props.healthCheckIntervalSeconds ?? 5, 1, 300);
  check('healthCheckAttempts', props.healthCheckAttempts ?? 60, 1, 1000);
  check('promotionBudgetMinutes', props.promotionBudgetMinutes ?? 30, 1, 1440);
}

const PROMOTION_LOOK_SECONDS = 2;
const NOT_READY: NamedRetry = { errors: ['EtcdNotReadyError'], intervalSeconds: 2, maxAttempts: 10, backoffRate: 1.5 };

/** The plan's fields every change step reads: the cluster as the last plan found it, and the membership after the change. */
const PLAN = { 'spec.$': '$.plan.spec', 'pki.$': '$.plan.pki' };
const AFTER = { ...PLAN, 'hosts.$': '$.plan.after' };
const JOINING = { ...AFTER, 'host.$': '$.plan.host' };
/** After Add Member As Learner: the members as etcd listed them (the new member's initial-cluster). */
const JOINED = { ...PLAN, 'hosts.$': '$.learner.hosts', 'host.$': '$.plan.host' };

export function scaleClusterDefinition(scope: Construct, props: ScaleClusterProps): sfn.IChainable {
  validateScaleClusterProps(props);
  const fns = props.functions;
  const lockRef = { 'clusterName.$': '$.clusterName', 'owner.$': '$$.Execution.Name' };
  const guarded: sfn.TaskStateBase[] = [];
  const step = (name: string, key: ScaleStep, payload: Record<string, unknown>, resultPath: string, options: { retries?: NamedRetry[]; unreachable?: boolean } = {}) => {
    const state = stepState(scope, name, fns[key], {
      payload: key === 'releaseLock' ? payload : { ...payload, lock: lockRef },
      resultPath,
      retries: options.retries ?? [],
      retryUnreachableHost: options.unreachable ?? false,
    });
    guarded.push(state);
    return state;
  };

  // ---- endings and the way out of a failure under the lock ----
  // A change, done or failed, publishes its membership event (old members: what Read Cluster For Scale found, noted
  // before Plan Next Change reads again); Already Sized changed nothing and publishes none.
  const event = (outcome: 'changed' | 'failed', next: sfn.IChainable) =>
    publishMembershipEventState(scope, fns.publishMembershipEvent, { outcome, workflow: 'ScaleCluster', membersBeforeAt: '$.before.members' }, next);
  const failed = event('failed', new sfn.Fail(scope, 'Scale Failed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' }));
  const releaseOnFailure = stepState(scope, 'Release Lock After Failure', fns.releaseLock, { payload: lockRef, resultPath: '$.release' });
  releaseOnFailure.addCatch(failed, { resultPath: '$.releaseFailure' });
  releaseOnFailure.next(failed);
  // The learner this execution added and could not promote may not stay behind (it would block every later join).
  const rollBack = stepState(scope, 'Remove Unpromoted Learner', fns.removeLearners, {
    payload: { ...PLAN, 'hosts.$': '$.plan.hosts', 'host.$': '$.plan.host', lock: lockRef },
    resultPath: '$.rollback',
  });
  rollBack.addCatch(releaseOnFailure, { resultPath: '$.rollbackFailure' });
  rollBack.next(releaseOnFailure);
  const afterFailure = new sfn.Choice(scope, 'Was Learner Added?')
    .when(sfn.Condition.and(sfn.Condition.isPresent('$.learner.id'), sfn.Condition.isPresent('$.plan.host')), rollBack)
    .otherwise(releaseOnFailure);
  const scaled = new sfn.Succeed(scope, 'Cluster Scaled', { outputPath: '$.summary' });
  const summary = new sfn.Pass(scope, 'Summarize', {
    parameters: { 'clusterName.$': '$.clusterName', 'members.$': '$.plan.voters', 'hosts.$': '$.plan.hosts', 'snapshot.$': '$.snapshot' },
    resultPath: '$.summary',
  });
  const alreadySized = new sfn.Succeed(scope, 'Already Sized', { outputPath: '$.summary' });
  const summaryUnchanged = new sfn.Pass(scope, 'Summarize Unchanged', {
    parameters: { 'clusterName.$': '$.clusterName', 'members.$': '$.plan.voters', 'hosts.$': '$.plan.hosts' },
    resultPath: '$.summary',
  });

  // ---- one change, then its record, then the next plan ----
  const planNext = step('Plan Next Change', 'planScaleChange', { 'clusterName.$': '$.clusterName', 'request.$': '$.request' }, '$.plan');
  const record = step('Record Cluster', 'recordCluster', { ...AFTER, 'health.$': '$.health', 'lockOwner.$': '$$.Execution.Name' }, '$.cluster');
  record.next(planNext);
  const collectLogs = step('Collect Member Logs', 'collectMemberLogs', { ...AFTER, 'health.$': '$.health' }, '$.failure');
  collectLogs.next(afterFailure);
  const startHealthChecks = new sfn.Pass(scope, 'Start Health Checks', { result: sfn.Result.fromObject({ attempt: 0 }), resultPath: '$.health' });
  const waitForMembers = new sfn.Wait(scope, 'Wait For Members', { time: sfn.WaitTime.duration(Duration.seconds(props.healthCheckIntervalSeconds ?? 5)) });
  const checkHealth = step('Check Health', 'checkHealth', { ...AFTER, 'attempt.$': '$.health.attempt' }, '$.health');
  startHealthChecks
    .next(waitForMembers)
    .next(checkHealth)
    .next(
      new sfn.Choice(scope, 'Is Cluster Healthy?')
        .when(sfn.Condition.booleanEquals('$.health.healthy', true), record)
        .when(sfn.Condition.numberGreaterThanEquals('$.health.attempt', props.healthCheckAttempts ?? 60), collectLogs)
        .otherwise(waitForMembers),
    );

  const grow = growByOne(scope, props, step, startHealthChecks);
  const shrink = shrinkByOne(step, startHealthChecks);
  const release = step('Release Lock', 'releaseLock', lockRef, '$.release');
  release.next(summary).next(event('changed', scaled));
  const whichChange = new sfn.Choice(scope, 'Which Change Next?')
    .when(sfn.Condition.stringEquals('$.plan.change.action', 'grow'), grow)
    .when(sfn.Condition.stringEquals('$.plan.change.action', 'shrink'), shrink)
    .otherwise(release);
  planNext.next(whichChange);

  // ---- admission, the lock, the first read and the snapshot ----
  const validate = stepState(scope, 'Validate Scale Request', fns.validateScaleRequest, { payload: { 'request.$': '$' } });
  validate.addCatch(failed, { resultPath: '$.failure' });
  const acquireLock = stepState(scope, 'Acquire Lock', fns.acquireLock, {
    payload: { ...lockRef, 'holder.$': '$$.Execution.Id' },
    resultPath: '$.lock',
    retries: props.lockWaitAttempts === 0 ? [] : [{ errors: ['ClusterLockedError'], intervalSeconds: 10, maxAttempts: props.lockWaitAttempts ?? 10, backoffRate: 1.5 }],
  });
  // Not holding the lock: fail without releasing someone else's.
  acquireLock.addCatch(failed, { resultPath: '$.failure' });
  const read = step('Read Cluster For Scale', 'planScaleChange', { 'clusterName.$': '$.clusterName', 'request.$': '$.request' }, '$.plan');
  const snapshot = step('Snapshot Before Change', 'snapshotBeforeChange', { ...PLAN, 'hosts.$': '$.plan.hosts', label: 'scale' }, '$.snapshot', {
    retries: [{ errors: ['EtcdUnavailableError'], intervalSeconds: 2, maxAttempts: 3 }],
  });
  const releaseUnneeded = step('Release Lock Unneeded', 'releaseLock', lockRef, '$.release');
  releaseUnneeded.next(summaryUnchanged).next(alreadySized);
  snapshot.next(whichChange);
  for (const state of guarded) state.addCatch(afterFailure, { resultPath: '$.failure' });
  const noteBefore = new sfn.Pass(scope, 'Note Members Before', { parameters: { 'members.$': '$.plan.membersBefore' }, resultPath: '$.before' });
  return sfn.Chain.start(validate)
    .next(acquireLock)
    .next(read)
    .next(noteBefore)
    .next(new sfn.Choice(scope, 'Is Change Needed?').when(sfn.Condition.stringEquals('$.plan.change.action', 'done'), releaseUnneeded).otherwise(snapshot));
}

type StepFn = (name: string, key: ScaleStep, payload: Record<string, unknown>, resultPath: string, options?: { retries?: NamedRetry[]; unreachable?: boolean }) => sfn.TaskStateBase;

/** One new member: its host made ready, its certificates and the CRL there, added as a learner, started with `existing`, promoted once in sync. */
function growByOne(scope: Construct, props: ScaleClusterProps, step: StepFn, next: sfn.IChainable): sfn.IChainable {
  const prepare = step('Prepare Joining Host', 'resetJoiningHost', { 'spec.$': '$.plan.spec', 'host.$': '$.plan.host', mode: 'prepare' }, sfn.JsonPath.DISCARD, { unreachable: true });
  const issue = step('Issue Member Certificates', 'generatePki', { 'spec.$': '$.plan.spec', 'hosts.$': '$.plan.after' }, '$.plan.pki');
  const sign = step('Sign Revocation List', 'revokeCertificates', AFTER, '$.revocation');
  const pushCrl = step('Push Revocation List', 'pushRevocationList', { 'spec.$': '$.plan.spec', 'hosts.$': '$.plan.after', 'crl.$': '$.revocation.crl', 'mustReach.$': 'States.Array($.plan.host.name)' }, '$.revocationPush', { unreachable: true });
  const hostStep = { ...JOINING, clusterState: 'existing' };
  const configureKubelet = step('Configure Kubelet', 'configureKubelet', hostStep, sfn.JsonPath.DISCARD, { unreachable: true });
  const push = step('Push Certificates', 'pushCertificates', hostStep, sfn.JsonPath.DISCARD, { unreachable: true });
  const addLearner = step('Add Member As Learner', 'addMemberAsLearner', { ...JOINING, 'memberIds.$': '$.plan.memberIds' }, '$.learner', { retries: [NOT_READY] });
  const joinedHostStep = { ...JOINED, clusterState: 'existing' };
  const write = step('Write Etcd Config', 'writeEtcdConfig', joinedHostStep, sfn.JsonPath.DISCARD, { unreachable: true });
  const start = step('Start Etcd', 'startEtcd', joinedHostStep, sfn.JsonPath.DISCARD, { unreachable: true });
  const startPromotion = new sfn.Pass(scope, 'Start Promotion', { result: sfn.Result.fromObject({ attempt: 0 }), resultPath: '$.promotion' });
  const waitInSync = new sfn.Wait(scope, 'Wait Learner In Sync', { time: sfn.WaitTime.duration(Duration.seconds(PROMOTION_LOOK_SECONDS)) });
  const promote = step(
    'Promote Learner',
    'promoteLearner',
    { ...JOINED, 'attempt.$': '$.promotion.attempt', maxAttempts: Math.ceil(((props.promotionBudgetMinutes ?? 30) * 60) / PROMOTION_LOOK_SECONDS) },
    '$.promotion',
    { retries: [NOT_READY] },
  );
  push.next(addLearner).next(write).next(start).next(startPromotion).next(waitInSync).next(promote)
    .next(new sfn.Choice(scope, 'Is Learner Promoted?').when(sfn.Condition.booleanEquals('$.promotion.promoted', true), next).otherwise(waitInSync));
  const usesKubelet = new sfn.Choice(scope, 'Uses Kubelet?')
    .when(sfn.Condition.stringEquals('$.plan.spec.runtime', 'kubeadm'), configureKubelet.next(push))
    .otherwise(push);
  return sfn.Chain.start(prepare).next(issue).next(sign).next(pushCrl).next(usesKubelet);
}

/** One member out: removed from etcd (leadership moved first when it leads), its etcd stopped and data dir moved aside, its certificates revoked. */
function shrinkByOne(step: StepFn, next: sfn.IChainable): sfn.IChainable {
  const remove = step('Remove Member', 'removeScaledMember', { ...PLAN, 'hosts.$': '$.plan.hosts', 'host.$': '$.plan.host', 'change.$': '$.plan.change' }, '$.removal', { retries: [NOT_READY] });
  const stop = step('Stop Etcd And Set Data Aside', 'resetJoiningHost', { 'spec.$': '$.plan.spec', 'host.$': '$.plan.host', mode: 'reset' }, sfn.JsonPath.DISCARD, { unreachable: true });
  const revoke = step('Revoke Removed Members', 'revokeCertificates', { ...AFTER, 'leaving.$': 'States.Array($.plan.host.name)' }, '$.revocation');
  // A removed member's host that cannot be reached (its instance gone) keeps the change: it is no member any more,
  // and its certificates are revoked next. The error is kept in the state.
  stop.addCatch(revoke, { errors: ['HostUnreachableError', 'HostCommandTimeoutError', 'HostScriptFailedError'], resultPath: '$.stopFailure' });
  const pushCrl = step('Push Updated Revocation List', 'pushRevocationList', { 'spec.$': '$.plan.spec', 'hosts.$': '$.plan.after', 'crl.$': '$.revocation.crl' }, '$.revocationPush', { unreachable: true });
  return sfn.Chain.start(remove).next(stop).next(revoke).next(pushCrl).next(next);
}
