// ReplaceMember: etcd's runtime-reconfiguration runbook as a workflow, quorum-safe and one change
// at a time: Validate Request → (automatic request while healing is paused: Nothing To Replace) → (a stopping or
// stopped instance: Wait Grace Period → Look Again → replaced only if still stopped and silent) → Acquire Lock → Check Quorum → Snapshot Before Change → Choose Replacement Host (before anything
// is removed; a clone it launched on AWS is waited on until SSM sees it) → Remove Failed Member → Issue Member
// Certificates → Revoke Removed Members → Push Revocation List (every member) → Configure Kubelet (kubeadm runtime)
// → Push → Remove Stray Learners → Add Member As Learner (a voter it removed: Revoke Members Removed During Join →
// Push Updated Revocation List) → Start Etcd (existing) → Wait Learner In Sync → Promote → Wait Until Healthy → Record → Retire Replaced Host → Release Lock.
// On failure: Remove Unpromoted Learner → Release Lock After Failure → Replace Failed.
// Member Replaced and Replace Failed publish the membership event (Publish Membership Event / Failure).
// Every ending (Member Replaced, Nothing To Replace, Replace Failed) then asks Is Lifecycle Action
// Pending?: an execution started by an Auto Scaling terminate hook completes it (CONTINUE) before it
// finishes as it would have without one (Finish, or Report Failure with the replacement's error).
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { REPLACE_ONLY_STEPS, REPLACE_STEPS, type ReplaceOnlyStep, type ReplaceStep } from '../lambdas/catalog/steps';
import { publishMembershipEventState, stepState, type NamedRetry } from './steps';

/** The Lambda steps ReplaceMember invokes (lambdas/catalog/steps.ts); those only it runs, the others being ProvisionCluster's (same handler, same function). */
export { REPLACE_ONLY_STEPS, REPLACE_STEPS, type ReplaceOnlyStep, type ReplaceStep };

export interface ReplaceMemberProps {
  readonly functions: Readonly<Record<ReplaceStep, lambda.IFunction>>;
  /**
   * How often a second execution retries Acquire Lock before it fails, saying who holds the lock.
   * @default 10 (about ten minutes with the growing interval)
   */
  readonly lockWaitAttempts?: number;
  /** @default 5 */
  readonly healthCheckIntervalSeconds?: number;
  /** @default 60 */
  readonly healthCheckAttempts?: number;
  /**
   * How long a learner may take to catch up with the leader before the replacement gives up (and removes it):
   * a large database or a slow image pull takes minutes. Looked at every 2 s.
   * @default 30
   */
  readonly promotionBudgetMinutes?: number;
  /** Seconds between two looks at a launched replacement instance's SSM agent. @default 15 */
  readonly hostAgentCheckIntervalSeconds?: number;
  /** Looks at a launched instance before the replacement fails (membership untouched). @default 40 (ten minutes) */
  readonly hostAgentCheckAttempts?: number;
  /**
   * How long an EC2 rule execution for a `stopping`/`stopped` instance waits before Look Again decides: an instance
   * stopped to resize it and started again within this time costs no member. 0 to 86400 seconds.
   * @default 600 (ten minutes)
   */
  readonly stopGracePeriodSeconds?: number;
}

export function validateReplaceMemberProps(props: ReplaceMemberProps): void {
  const check = (name: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be a whole number from ${min} to ${max}, got ${value}`);
  };
  check('lockWaitAttempts', props.lockWaitAttempts ?? 10, 0, 100);
  check('healthCheckIntervalSeconds', props.healthCheckIntervalSeconds ?? 5, 1, 300);
  check('healthCheckAttempts', props.healthCheckAttempts ?? 60, 1, 1000);
  check('hostAgentCheckIntervalSeconds', props.hostAgentCheckIntervalSeconds ?? 15, 1, 300);
  check('hostAgentCheckAttempts', props.hostAgentCheckAttempts ?? 40, 1, 1000);
  check('promotionBudgetMinutes', props.promotionBudgetMinutes ?? 30, 1, 1440);
  check('stopGracePeriodSeconds', props.stopGracePeriodSeconds ?? DEFAULT_STOP_GRACE_SECONDS, 0, 86_400);
}

/** Ten minutes: time enough to stop an instance, change its type and start it again. */
export const DEFAULT_STOP_GRACE_SECONDS = 600;

/** EC2 states after which the instance may come back (a resize, a reboot by hand): replaced only after the grace period. */
export const STOPPED_INSTANCE_STATES = ['stopping', 'stopped'] as const;

/** Seconds between two looks at a learner catching up. */
const PROMOTION_LOOK_SECONDS = 2;

const NOT_READY: NamedRetry = { errors: ['EtcdNotReadyError'], intervalSeconds: 2, maxAttempts: 10, backoffRate: 1.5 };
/**
 * Lambda throttled Validate Request (a burst of events): LambdaInvoke's own retry leaves TooManyRequestsException
 * out, and a dropped request is a failed member nobody replaces. 1, 2, 4 … 128 s: about four minutes in all.
 */
export const THROTTLED_RETRY: NamedRetry = { errors: ['Lambda.TooManyRequestsException'], intervalSeconds: 1, maxAttempts: 8, backoffRate: 2 };

export function replaceMemberDefinition(scope: Construct, props: ReplaceMemberProps): sfn.IChainable {
  validateReplaceMemberProps(props);
  // Read from the end: each part leads into the one built before it.
  const r = replaceParts(scope, props); // the endings, the lock, and the way out of a failure under it
  const healthy = waitUntilHealthy(r); // Wait For Members / Check Health → Record Cluster → Retire Replaced Host → Release Lock
  const learner = joinAsLearner(r, healthy); // Remove Stray Learners → Add Member As Learner → Start Etcd → Promote Learner
  const prepared = prepareJoiningHost(r, learner); // Prepare Joining Host → Remove Dead Members → Issue Member Certificates → Push Certificates
  const chosen = chooseJoiningHost(r, prepared); // Choose Replacement Host (a launched clone: until its host agent is online)
  const change = lockAndCheckQuorum(r, chosen); // Acquire Lock → Read Cluster → Check Quorum → Snapshot Before Change
  r.guardUnderLock(); // whatever fails under the lock: Remove Unpromoted Learner → Release Lock After Failure
  return admitRequest(r, change); // Validate Request → member? paused? a stop: Wait Grace Period → Look Again
}

/** The states every part of ReplaceMember refers to, and the helper that builds a step under the lock. */
interface ReplaceParts {
  readonly scope: Construct;
  readonly props: ReplaceMemberProps;
  readonly fns: Readonly<Record<ReplaceStep, lambda.IFunction>>;
  /** The lock is the execution's: its name owns it, its ARN tells whether it still runs. */
  readonly lockRef: Record<string, string>;
  readonly replaced: sfn.Pass;
  readonly nothingToReplace: sfn.Pass;
  readonly failed: sfn.Pass;
  /** Remove Unpromoted Learner: the learner this execution added may not stay behind. */
  readonly rollBack: sfn.TaskStateBase;
  /**
   * A step under the lock: it carries the lock and renews it first (its own steps and those it shares with
   * ProvisionCluster alike), except the one that releases it; whatever fails in it goes through the rollback.
   */
  step(name: string, key: ReplaceStep, payload: Record<string, unknown>, resultPath: string | undefined, retries?: NamedRetry[], unreachable?: boolean): sfn.TaskStateBase;
  /** Every state under the lock, once all exist: whatever fails goes through the rollback and releases the lock. */
  guardUnderLock(): void;
}

/** The state before Remove Dead Members: the cluster as Read Cluster found it. */
const CURRENT = {
  'spec.$': '$.spec',
  'hosts.$': '$.hosts',
  'failed.$': '$.failed',
  'pki.$': '$.pki',
  'force.$': '$.force',
  'down.$': '$.down',
  'memberIds.$': '$.memberIds',
};
/** After Remove Dead Members: the membership the new member joins. */
const JOINING = { 'spec.$': '$.spec', 'hosts.$': '$.removal.hosts', 'host.$': '$.joining.host', 'pki.$': '$.pki' };
const HOST_STEP = { ...JOINING, clusterState: 'existing' };
/** After Add Member As Learner: the members as etcd listed them after the add (the joining host's initial-cluster). */
const JOINED = { ...JOINING, 'hosts.$': '$.learner.hosts' };
const JOINED_HOST_STEP = { ...JOINED, clusterState: 'existing' };

function replaceParts(scope: Construct, props: ReplaceMemberProps): ReplaceParts {
  const fns = props.functions;
  // Member Replaced, Nothing To Replace and Replace Failed lead to the lifecycle tail (see endings below).
  const { replaced, nothingToReplace, failed } = endings(scope, fns.completeLifecycleAction, fns.publishMembershipEvent);
  // The lock is the execution's: its name owns it, its ARN tells whether it still runs (an expired lock is
  // taken over only from an execution that ended). Every step under the lock carries it and renews it.
  const lockRef = { 'clusterName.$': '$.clusterName', 'owner.$': '$$.Execution.Name' };
  const releaseOnFailure = stepState(scope, 'Release Lock After Failure', fns.releaseLock, { payload: lockRef, resultPath: '$.release' });
  releaseOnFailure.addCatch(failed, { resultPath: '$.releaseFailure' });
  releaseOnFailure.next(failed);

  // Whatever failed once a joining host was chosen: the learner this execution added may not stay behind (it
  // would block every later join).
  const rollBack = stepState(scope, 'Remove Unpromoted Learner', fns.removeLearners, {
    payload: { 'spec.$': '$.spec', 'hosts.$': '$.hosts', 'pki.$': '$.pki', 'host.$': '$.joining.host' },
    resultPath: '$.rollback',
  });
  rollBack.addCatch(releaseOnFailure, { resultPath: '$.rollbackFailure' });
  // Its etcd stopped and its data dir moved aside, so that a re-run starts a fresh member there.
  const resetHost = stepState(scope, 'Reset Joining Host', fns.resetJoiningHost, {
    payload: { 'spec.$': '$.spec', 'host.$': '$.joining.host', mode: 'reset' },
    resultPath: '$.reset',
  });
  resetHost.addCatch(releaseOnFailure, { resultPath: '$.resetFailure' });
  resetHost.next(releaseOnFailure);
  // Only a host this execution added as a learner is reset: a Prepare Joining Host that refused a non-empty data
  // dir (never moved without wipeDataDir) must leave it as it is.
  // (Remove Unpromoted Learner always answers resetHost.)
  const isLeftOver = new sfn.Choice(scope, 'Is Joining Host Left Over?')
    .when(sfn.Condition.booleanEquals('$.rollback.resetHost', true), resetHost)
    .otherwise(releaseOnFailure);
  rollBack.next(new sfn.Choice(scope, 'Was Learner Added?').when(sfn.Condition.isPresent('$.learner.id'), isLeftOver).otherwise(releaseOnFailure));
  const afterFailure = new sfn.Choice(scope, 'Was Host Chosen?')
    .when(sfn.Condition.isPresent('$.joining.host'), rollBack)
    .otherwise(releaseOnFailure);

  const guarded: sfn.TaskStateBase[] = [];
  return {
    scope,
    props,
    fns,
    lockRef,
    replaced,
    nothingToReplace,
    failed,
    rollBack,
    step(name, key, payload, resultPath, retries = [], unreachable = false) {
      const renews = key !== 'releaseLock';
      const state = stepState(scope, name, fns[key], { payload: renews ? { ...payload, lock: lockRef } : payload, ...(resultPath !== undefined && { resultPath }), retries, retryUnreachableHost: unreachable });
      guarded.push(state);
      return state;
    },
    guardUnderLock() {
      for (const state of guarded) state.addCatch(afterFailure, { resultPath: '$.failure' });
    },
  };
}

/**
 * Validate Request, then whether to go on: an instance that is no member, or an automatic request while the
 * cluster's healing is paused, ends in Nothing To Replace. A stop is not a death: an instance that stops (to resize
 * it, say) is looked at again after the grace period, and replaced only if it is still stopped (or gone) and its
 * member still does not answer. Terminated and shutting-down instances, and requests by hand or from the health
 * probe, go on at once.
 */
function admitRequest(r: ReplaceParts, change: sfn.IChainable): sfn.IChainable {
  const { scope, props, fns, failed, nothingToReplace } = r;
  const validateRequest = stepState(scope, 'Validate Request', fns.validateRequest, { payload: { 'request.$': '$' }, retries: [THROTTLED_RETRY] });
  validateRequest.addCatch(failed, { resultPath: '$.failure' });
  const graceSeconds = props.stopGracePeriodSeconds ?? DEFAULT_STOP_GRACE_SECONDS;
  const lookAgain = stepState(scope, 'Look Again', fns.lookAgain, { payload: { 'state.$': '$', graceSeconds } });
  lookAgain.addCatch(failed, { resultPath: '$.failure' });
  const waitGrace = new sfn.Wait(scope, 'Wait Grace Period', { time: sfn.WaitTime.duration(Duration.seconds(graceSeconds)) });
  const isStopped = new sfn.Choice(scope, 'Is Instance Stopped?')
    .when(
      sfn.Condition.and(
        sfn.Condition.isPresent('$.request.instanceState'),
        sfn.Condition.or(...STOPPED_INSTANCE_STATES.map((state) => sfn.Condition.stringEquals('$.request.instanceState', state))),
      ),
      sfn.Chain.start(waitGrace)
        .next(lookAgain)
        .next(new sfn.Choice(scope, 'Is Member Still Down?').when(sfn.Condition.booleanEquals('$.stillDown', true), change).otherwise(nothingToReplace)),
    )
    .otherwise(change);
  // An automatic request while the cluster's healing is paused ends quietly (Validate Request says why).
  const isPaused = new sfn.Choice(scope, 'Is Healing Paused?').when(sfn.Condition.isPresent('$.healingPaused'), nothingToReplace).otherwise(isStopped);
  return sfn.Chain.start(validateRequest).next(
    new sfn.Choice(scope, 'Is Cluster Member?').when(sfn.Condition.booleanEquals('$.isMember', true), isPaused).otherwise(nothingToReplace),
  );
}

/**
 * Acquire Lock, then, under the lock and from the record (everything the change needs is read again here): Read
 * Cluster → Is Replacement Still Needed? (no: Release Lock Unneeded → Nothing To Replace) → Check Quorum → Snapshot
 * Before Change.
 */
function lockAndCheckQuorum(r: ReplaceParts, next: sfn.IChainable): sfn.IChainable {
  const { scope, props, fns, lockRef } = r;
  const acquireLock = stepState(scope, 'Acquire Lock', fns.acquireLock, {
    payload: { ...lockRef, 'holder.$': '$$.Execution.Id' },
    resultPath: '$.lock',
    retries: props.lockWaitAttempts === 0 ? [] : [{ errors: ['ClusterLockedError'], intervalSeconds: 10, maxAttempts: props.lockWaitAttempts ?? 10, backoffRate: 1.5 }],
  });
  // Not holding the lock: fail without releasing someone else's.
  acquireLock.addCatch(r.failed, { resultPath: '$.failure' });
  // Its result replaces the state: the state it was given, plus what it read.
  const readCluster = r.step('Read Cluster', 'readCluster', { 'state.$': '$' }, undefined);
  const checkQuorum = r.step('Check Quorum', 'checkQuorum', CURRENT, '$.quorum', [{ errors: ['MemberStillHealthyError'], intervalSeconds: 10, maxAttempts: 3 }]);
  const snapshot = r.step('Snapshot Before Change', 'snapshotBeforeChange', CURRENT, '$.snapshot', [{ errors: ['EtcdUnavailableError'], intervalSeconds: 2, maxAttempts: 3 }]);
  const releaseUnneeded = r.step('Release Lock Unneeded', 'releaseLock', lockRef, '$.release').next(r.nothingToReplace);
  return sfn.Chain.start(acquireLock)
    .next(readCluster)
    .next(
      new sfn.Choice(scope, 'Is Replacement Still Needed?')
        .when(sfn.Condition.booleanEquals('$.stillNeeded', true), sfn.Chain.start(checkQuorum).next(snapshot).next(next))
        .otherwise(releaseUnneeded),
    );
}

/**
 * Choose Replacement Host, before anything is removed: without one, the cluster is left untouched. A launched
 * clone takes host scripts only once its SSM agent is online and its boot (user data) is over: Wait For Host Agent
 * / Check Host Agent until then; one whose agent never comes online (or whose instance died, or whose boot failed):
 * Choose Another Zone, never one tried before; when none is left, the chooser refuses and the replacement fails
 * with membership untouched.
 */
function chooseJoiningHost(r: ReplaceParts, next: sfn.IChainable): sfn.IChainable {
  const { scope, props } = r;
  const choose = r.step('Choose Replacement Host', 'chooseReplacementHost',
    { 'spec.$': '$.spec', 'hosts.$': '$.hosts', 'failed.$': '$.failed', 'replacement.$': '$.replacement', 'down.$': '$.down', 'execution.$': '$$.Execution.Name' },
    '$.joining',
  );
  const startAgentChecks = new sfn.Pass(scope, 'Start Host Agent Checks', { result: sfn.Result.fromObject({ attempt: 0 }), resultPath: '$.agent' });
  const waitForAgent = new sfn.Wait(scope, 'Wait For Host Agent', { time: sfn.WaitTime.duration(Duration.seconds(props.hostAgentCheckIntervalSeconds ?? 15)) });
  const checkAgent = r.step('Check Host Agent', 'checkHostAgent',
    { 'host.$': '$.joining.host', 'attempt.$': '$.agent.attempt', maxAttempts: props.hostAgentCheckAttempts ?? 40 },
    '$.agent',
  );
  const chooseAnotherZone = r.step(
    'Choose Another Zone',
    'chooseReplacementHost',
    {
      'spec.$': '$.spec',
      'hosts.$': '$.hosts',
      'failed.$': '$.failed',
      'replacement.$': '$.replacement',
      'down.$': '$.down',
      'avoidAvailabilityZones.$': '$.joining.triedZones',
      'previousInstanceId.$': '$.joining.launched.instanceId',
      'execution.$': '$$.Execution.Name',
    },
    '$.joining',
  );
  // This catch comes before the rollback every state under the lock gets.
  checkAgent.addCatch(chooseAnotherZone, { errors: ['HostAgentOfflineError'], resultPath: '$.agentFailure' });
  chooseAnotherZone.next(startAgentChecks);
  return sfn.Chain.start(choose).next(
    new sfn.Choice(scope, 'Was Host Launched?')
      .when(
        sfn.Condition.isPresent('$.joining.launched'),
        startAgentChecks
          .next(waitForAgent)
          .next(checkAgent)
          .next(new sfn.Choice(scope, 'Is Host Agent Online?').when(sfn.Condition.booleanEquals('$.agent.ready', true), next).otherwise(waitForAgent)),
      )
      .otherwise(next),
  );
}

/**
 * The joining host made ready before the learner is added: Prepare Joining Host (no etcd on it, an empty data dir)
 * → Remove Dead Members → Issue Member Certificates → Revoke Removed Members → Push Revocation List → Configure Kubelet (kubeadm runtime: its kubelet manages etcd's
 * static pod, as on every provisioned host) → Push Certificates.
 */
function prepareJoiningHost(r: ReplaceParts, next: sfn.IChainable): sfn.IChainable {
  const { scope } = r;
  const prepare = r.step('Prepare Joining Host', 'resetJoiningHost', { 'spec.$': '$.spec', 'host.$': '$.joining.host', mode: 'prepare', 'wipeDataDir.$': '$.request.wipeDataDir' }, '$.prepared', [], true);
  const removeDead = r.step('Remove Dead Members', 'removeFailedMember', { ...CURRENT, 'joining.$': '$.joining' }, '$.removal', [NOT_READY]);
  const issue = r.step('Issue Member Certificates', 'generatePki', { 'spec.$': '$.spec', 'hosts.$': '$.removal.hosts' }, '$.pki');
  const configureKubelet = r.step('Configure Kubelet', 'configureKubelet', HOST_STEP, sfn.JsonPath.DISCARD, [], true);
  const push = r.step('Push Certificates', 'pushCertificates', HOST_STEP, sfn.JsonPath.DISCARD, [], true);
  push.next(next);
  // The removed members' certificates onto the CRL and their secrets unreadable, then the CRL onto every member (the
  // joining one must get it: it starts with the CRL flags; a member that is down gets it at the next change).
  const revoke = r.step('Revoke Removed Members', 'revokeCertificates',
    { 'spec.$': '$.spec', 'hosts.$': '$.removal.hosts', 'pki.$': '$.pki', 'leaving.$': 'States.Array($.failed.name, $.removal.removed)' },
    '$.revocation',
  );
  const pushCrl = r.step('Push Revocation List', 'pushRevocationList',
    { 'spec.$': '$.spec', 'hosts.$': '$.removal.hosts', 'crl.$': '$.revocation.crl', 'mustReach.$': 'States.Array($.joining.host.name)' },
    '$.revocationPush', [], true,
  );
  const usesKubelet = new sfn.Choice(scope, 'Uses Kubelet?')
    .when(sfn.Condition.stringEquals('$.spec.runtime', 'kubeadm'), configureKubelet.next(push))
    .otherwise(push);
  return sfn.Chain.start(prepare).next(removeDead).next(issue).next(revoke).next(pushCrl).next(usesKubelet);
}

/**
 * Remove Stray Learners → Add Member As Learner (with the recorded IDs: a voter that died since Remove Dead Members
 * is removed before the add is tried again) → Write Etcd Config → Start Etcd (existing) → promotion, which waits by
 * the learner's progress within a budget of minutes: each look promotes it once etcd says it is in sync, or
 * reports how far it got.
 */
function joinAsLearner(r: ReplaceParts, next: sfn.IChainable): sfn.IChainable {
  const { scope, props } = r;
  const strays = r.step('Remove Stray Learners', 'removeStrayLearners', JOINING, '$.strays', [NOT_READY]);
  const addLearner = r.step('Add Member As Learner', 'addMemberAsLearner', { ...JOINING, 'memberIds.$': '$.memberIds' }, '$.learner', [NOT_READY]);
  const write = r.step('Write Etcd Config', 'writeEtcdConfig', JOINED_HOST_STEP, sfn.JsonPath.DISCARD, [], true);
  const start = r.step('Start Etcd', 'startEtcd', JOINED_HOST_STEP, sfn.JsonPath.DISCARD, [], true);
  const startPromotion = new sfn.Pass(scope, 'Start Promotion', { result: sfn.Result.fromObject({ attempt: 0 }), resultPath: '$.promotion' });
  const waitInSync = new sfn.Wait(scope, 'Wait Learner In Sync', { time: sfn.WaitTime.duration(Duration.seconds(PROMOTION_LOOK_SECONDS)) });
  const promote = r.step(
    'Promote Learner',
    'promoteLearner',
    {
      ...JOINED,
      'attempt.$': '$.promotion.attempt',
      maxAttempts: Math.ceil(((props.promotionBudgetMinutes ?? 30) * 60) / PROMOTION_LOOK_SECONDS),
      // The promotion is recorded at once, as the lock holder.
      'replaced.$': '$.failed.name',
    },
    '$.promotion',
    [NOT_READY],
  );
  // A voter the add removed (it died meanwhile) is revoked too, and the CRL pushed again, before the learner starts.
  const revokeMore = r.step('Revoke Members Removed During Join', 'revokeCertificates',
    { 'spec.$': '$.spec', 'hosts.$': '$.learner.hosts', 'pki.$': '$.pki', 'leaving.$': '$.learner.removedDead' },
    '$.revocation',
  );
  const pushMore = r.step('Push Updated Revocation List', 'pushRevocationList',
    { 'spec.$': '$.spec', 'hosts.$': '$.learner.hosts', 'crl.$': '$.revocation.crl', 'mustReach.$': 'States.Array($.joining.host.name)' },
    '$.revocationPush', [], true,
  );
  revokeMore.next(pushMore).next(write);
  write
    .next(start)
    .next(startPromotion)
    .next(waitInSync)
    .next(promote)
    .next(new sfn.Choice(scope, 'Is Learner Promoted?').when(sfn.Condition.booleanEquals('$.promotion.promoted', true), next).otherwise(waitInSync));
  return sfn.Chain.start(strays)
    .next(addLearner)
    .next(new sfn.Choice(scope, 'Were Voters Removed During Join?').when(sfn.Condition.isPresent('$.learner.removedDead'), revokeMore).otherwise(write));
}

/**
 * Wait For Members / Check Health until the cluster is healthy: quorum healthy, the expected member list, the new
 * member promoted and answering (a member that went down meanwhile is reported: it has or gets its own
 * replacement, not a reason to undo this one). Then Record Cluster (only the lock holder writes the record; the
 * replaced member leaves the list of those awaiting a replacement) → Retire Replaced Host → Release Lock → Member
 * Replaced. Out of attempts: Collect Member Logs → the rollback.
 */
function waitUntilHealthy(r: ReplaceParts): sfn.IChainable {
  const { scope, props, fns, lockRef } = r;
  const startHealthChecks = new sfn.Pass(scope, 'Start Health Checks', { result: sfn.Result.fromObject({ attempt: 0 }), resultPath: '$.health' });
  const waitForMembers = new sfn.Wait(scope, 'Wait For Members', { time: sfn.WaitTime.duration(Duration.seconds(props.healthCheckIntervalSeconds ?? 5)) });
  const checkHealth = r.step(
    'Check Health',
    'checkHealth',
    {
      'spec.$': '$.spec',
      // As Add Member As Learner left it: a voter it removed (it died meanwhile) is no longer expected.
      'hosts.$': '$.learner.hosts',
      'pki.$': '$.pki',
      'attempt.$': '$.health.attempt',
      tolerateDown: true,
      'mustAnswer.$': 'States.Array($.joining.host.name)',
    },
    '$.health',
  );
  const collectLogs = r.step('Collect Member Logs', 'collectMemberLogs', { 'spec.$': '$.spec', 'hosts.$': '$.learner.hosts', 'health.$': '$.health' }, '$.failure');
  const record = r.step('Record Cluster', 'recordCluster',
    { 'spec.$': '$.spec', 'hosts.$': '$.removal.hosts', 'pki.$': '$.pki', 'health.$': '$.health', 'lockOwner.$': '$$.Execution.Name', 'replaced.$': '$.failed.name' },
    '$.cluster',
  );
  const release = r.step('Release Lock', 'releaseLock', lockRef, '$.release');
  // The replaced member's old machine, if it still exists, is stopped and marked replaced (under the lock, after
  // the record). Its failure leaves the replacement done: the error is reported in the output, and the lock released.
  const retire = stepState(scope, 'Retire Replaced Host', fns.retireReplacedHost, {
    payload: { 'clusterName.$': '$.clusterName', 'failed.$': '$.failed', 'joiningHost.$': '$.joining.host', 'replacedBy.$': '$$.Execution.Name', lock: lockRef },
    resultPath: '$.cluster.retiredHost',
  });
  retire.addCatch(release, { resultPath: '$.cluster.retiredHost' });
  const isHealthy = new sfn.Choice(scope, 'Is Cluster Healthy?')
    .when(sfn.Condition.booleanEquals('$.health.healthy', true), record.next(retire).next(release).next(r.replaced))
    .when(sfn.Condition.numberGreaterThanEquals('$.health.attempt', props.healthCheckAttempts ?? 60), collectLogs.next(r.rollBack))
    .otherwise(waitForMembers);
  return sfn.Chain.start(startHealthChecks).next(waitForMembers).next(checkHealth).next(isHealthy);
}

/** How an execution ended, before the lifecycle tail: what the final state reports. */
export const REPLACE_OUTCOMES = { replaced: 'replaced', nothingToReplace: 'nothing-to-replace', failed: 'failed' } as const;

/**
 * The three endings, each a Pass that records the outcome (and the execution's output) in `$.outcome`, then
 * (Member Replaced, Replace Failed) Publish Membership Event / Publish Membership Failure, then one tail: Is Lifecycle Action Pending? → Complete Lifecycle Action (only when the request carried a
 * lifecycle action) → Did Replacement Fail? → Report Failure (the replacement's own error and cause), Report
 * Lifecycle Failure (the replacement went well but the group could not be told), or Finish.
 */
function endings(scope: Construct, completeLifecycleAction: lambda.IFunction, publishMembershipEvent: lambda.IFunction) {
  const outcome = (name: string, status: string, output?: string) =>
    new sfn.Pass(scope, name, {
      parameters: { status, ...(output !== undefined && { 'output.$': output }) },
      resultPath: '$.outcome',
    });
  // Success reads as before: the cluster summary, or the whole state (with Validate Request's reason).
  const replaced = outcome('Member Replaced', REPLACE_OUTCOMES.replaced, '$.cluster');
  const nothingToReplace = outcome('Nothing To Replace', REPLACE_OUTCOMES.nothingToReplace, '$');
  const failed = outcome('Replace Failed', REPLACE_OUTCOMES.failed);

  const reportFailure = new sfn.Fail(scope, 'Report Failure', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
  const reportLifecycleFailure = new sfn.Fail(scope, 'Report Lifecycle Failure', {
    errorPath: '$.lifecycleFailure.Error',
    causePath: '$.lifecycleFailure.Cause',
  });
  const finish = new sfn.Succeed(scope, 'Finish', { outputPath: '$.outcome.output' });
  const didFail = new sfn.Choice(scope, 'Did Replacement Fail?')
    .when(sfn.Condition.stringEquals('$.outcome.status', REPLACE_OUTCOMES.failed), reportFailure)
    .when(sfn.Condition.isPresent('$.lifecycleFailure'), reportLifecycleFailure)
    .otherwise(finish);

  const complete = stepState(scope, 'Complete Lifecycle Action', completeLifecycleAction, {
    payload: { 'lifecycle.$': '$.lifecycle', 'outcome.$': '$.outcome.status' },
    resultPath: '$.lifecycleAction',
  });
  // Whatever goes wrong here must not hide how the replacement ended: Did Replacement Fail? decides.
  complete.addCatch(didFail, { resultPath: '$.lifecycleFailure' });
  const pending = new sfn.Choice(scope, 'Is Lifecycle Action Pending?')
    .when(sfn.Condition.isPresent('$.lifecycle'), complete.next(didFail))
    .otherwise(didFail);
  // A replacement, done or failed, publishes its membership event (old members: what Read Cluster found under the
  // lock); Nothing To Replace changed nothing and publishes none.
  const event = (outcome: 'changed' | 'failed') =>
    publishMembershipEventState(scope, publishMembershipEvent, { outcome, workflow: 'ReplaceMember', membersBeforeAt: '$.membersBefore' }, pending);
  replaced.next(event('changed'));
  failed.next(event('failed'));
  nothingToReplace.next(pending);
  return { replaced, nothingToReplace, failed };
}
