// AdoptCluster: takes over a kubeadm single-member stacked etcd (seed 001's manual way made safe): Validate Adopt
// Request → Acquire Lock → Inspect Member (read-only: manifest, etcd's member list, status and version, data size,
// certificate expiry; what adopting it takes) → refused: Release Lock → Adoption Refused | dry run (the default):
// Release Lock → Adoption Planned | confirmed: Receive Member PKI (cluster recorded as bootstrapping; the host's own
// PKI through a one-time upload slot; the CA kept) → Snapshot Before Change → (Move Peer URL: member update and the
// one restart, when the member advertised a loopback peer URL) → Wait For Member / Check Health → Record Cluster (as
// the lock holder) → Release Lock → Publish Membership Event → Cluster Adopted. ScaleCluster grows it afterwards. On failure: Collect Member
// Logs (a member that never answered) → Release Lock After Failure → Publish Membership Failure → Adopt Failed.
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { ADOPT_STEPS, type AdoptStep } from '../lambdas/catalog/steps';
import { publishMembershipEventState, stepState, type NamedRetry } from './steps';

export { ADOPT_STEPS, type AdoptStep };

export interface AdoptClusterProps {
  readonly functions: Readonly<Record<AdoptStep, lambda.IFunction>>;
  /** How often Acquire Lock is retried before the execution fails, saying who holds the lock. @default 10 */
  readonly lockWaitAttempts?: number;
  /** @default 5 */
  readonly healthCheckIntervalSeconds?: number;
  /** Health checks before the execution gives up. @default 60 */
  readonly healthCheckAttempts?: number;
}

export function validateAdoptClusterProps(props: AdoptClusterProps): void {
  const check = (name: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be a whole number from ${min} to ${max}, got ${value}`);
  };
  check('lockWaitAttempts', props.lockWaitAttempts ?? 10, 0, 100);
  check('healthCheckIntervalSeconds', props.healthCheckIntervalSeconds ?? 5, 1, 300);
  check('healthCheckAttempts', props.healthCheckAttempts ?? 60, 1, 1000);
}

/** The adopted member as every step after Receive Member PKI sees it. */
const ADOPTED = { 'spec.$': '$.plan.spec', 'hosts.$': '$.plan.hosts', 'pki.$': '$.adopted.refs' };

export function adoptClusterDefinition(scope: Construct, props: AdoptClusterProps): sfn.IChainable {
  validateAdoptClusterProps(props);
  const fns = props.functions;
  const lockRef = { 'clusterName.$': '$.clusterName', 'owner.$': '$$.Execution.Name' };
  const guarded: sfn.TaskStateBase[] = [];
  const step = (name: string, key: AdoptStep, payload: Record<string, unknown>, resultPath: string, retries: NamedRetry[] = []) => {
    const state = stepState(scope, name, fns[key], { payload: key === 'releaseLock' ? payload : { ...payload, lock: lockRef }, resultPath, retries });
    guarded.push(state);
    return state;
  };

  // ---- endings ----
  // An adoption, done or failed, publishes its membership event (old members: the member Inspect Member found); a
  // refusal and a dry run changed nothing and publish none.
  const event = (outcome: 'changed' | 'failed', next: sfn.IChainable) =>
    publishMembershipEventState(scope, fns.publishMembershipEvent, { outcome, workflow: 'AdoptCluster', membersBeforeAt: '$.plan.membersBefore' }, next);
  const failed = event('failed', new sfn.Fail(scope, 'Adopt Failed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' }));
  const releaseOnFailure = stepState(scope, 'Release Lock After Failure', fns.releaseLock, { payload: lockRef, resultPath: '$.release' });
  releaseOnFailure.addCatch(failed, { resultPath: '$.releaseFailure' });
  releaseOnFailure.next(failed);
  const refused = new sfn.Fail(scope, 'Adoption Refused', { error: 'AdoptRefusedError', causePath: '$.plan.refusal' });
  const releaseRefused = step('Release Lock Refused', 'releaseLock', lockRef, '$.release');
  releaseRefused.next(refused);
  const planned = new sfn.Succeed(scope, 'Adoption Planned', { outputPath: '$.report' });
  const report = new sfn.Pass(scope, 'Report Plan', {
    parameters: { 'clusterName.$': '$.clusterName', dryRun: true, 'host.$': '$.plan.host', 'found.$': '$.plan.found', 'actions.$': '$.plan.actions' },
    resultPath: '$.report',
  });
  const releaseDryRun = step('Release Lock After Dry Run', 'releaseLock', lockRef, '$.release');
  releaseDryRun.next(report).next(planned);
  const adopted = new sfn.Succeed(scope, 'Cluster Adopted', { outputPath: '$.summary' });
  const summary = new sfn.Pass(scope, 'Summarize', {
    parameters: {
      'clusterName.$': '$.clusterName',
      dryRun: false,
      'host.$': '$.plan.host',
      'found.$': '$.plan.found',
      'caId.$': '$.adopted.caId',
      'notes.$': '$.adopted.notes',
      'snapshot.$': '$.snapshot',
      'members.$': '$.cluster.members',
    },
    resultPath: '$.summary',
  });

  // ---- health, record, release ----
  const release = step('Release Lock', 'releaseLock', lockRef, '$.release');
  release.next(summary).next(event('changed', adopted));
  const record = step('Record Cluster', 'recordCluster', { ...ADOPTED, 'health.$': '$.health', 'lockOwner.$': '$$.Execution.Name' }, '$.cluster');
  record.next(release);
  const collectLogs = step('Collect Member Logs', 'collectMemberLogs', { ...ADOPTED, 'health.$': '$.health' }, '$.failure');
  collectLogs.next(releaseOnFailure);
  const startHealthChecks = new sfn.Pass(scope, 'Start Health Checks', { result: sfn.Result.fromObject({ attempt: 0 }), resultPath: '$.health' });
  const waitForMember = new sfn.Wait(scope, 'Wait For Member', { time: sfn.WaitTime.duration(Duration.seconds(props.healthCheckIntervalSeconds ?? 5)) });
  const checkHealth = step('Check Health', 'checkHealth', { ...ADOPTED, 'attempt.$': '$.health.attempt' }, '$.health');
  startHealthChecks
    .next(checkHealth)
    .next(
      new sfn.Choice(scope, 'Is Member Healthy?')
        .when(sfn.Condition.booleanEquals('$.health.healthy', true), record)
        .when(sfn.Condition.numberGreaterThanEquals('$.health.attempt', props.healthCheckAttempts ?? 60), collectLogs)
        .otherwise(waitForMember),
    );
  waitForMember.next(checkHealth);

  // ---- the confirmed run ----
  const receive = step('Receive Member PKI', 'receiveMemberPki', { 'spec.$': '$.plan.spec', 'host.$': '$.plan.host' }, '$.adopted');
  const snapshot = step('Snapshot Before Change', 'snapshotBeforeChange', { ...ADOPTED, label: 'adopt' }, '$.snapshot', [{ errors: ['EtcdUnavailableError'], intervalSeconds: 2, maxAttempts: 3 }]);
  const movePeerUrl = step('Move Peer URL', 'movePeerUrl', { 'spec.$': '$.plan.spec', 'host.$': '$.plan.host', 'pki.$': '$.adopted.refs', 'peerUrlFix.$': '$.plan.peerUrlFix' }, '$.peerUrlMove', [
    { errors: ['EtcdNotReadyError'], intervalSeconds: 2, maxAttempts: 10, backoffRate: 1.5 },
  ]);
  movePeerUrl.next(startHealthChecks);
  receive.next(snapshot).next(new sfn.Choice(scope, 'Peer URL To Move?').when(sfn.Condition.isPresent('$.plan.peerUrlFix'), movePeerUrl).otherwise(startHealthChecks));

  // ---- admission, the lock, the inspection ----
  const validate = stepState(scope, 'Validate Adopt Request', fns.validateAdoptRequest, { payload: { 'request.$': '$' } });
  validate.addCatch(failed, { resultPath: '$.failure' });
  const acquireLock = stepState(scope, 'Acquire Lock', fns.acquireLock, {
    payload: { ...lockRef, 'holder.$': '$$.Execution.Id' },
    resultPath: '$.lock',
    retries: props.lockWaitAttempts === 0 ? [] : [{ errors: ['ClusterLockedError'], intervalSeconds: 10, maxAttempts: props.lockWaitAttempts ?? 10, backoffRate: 1.5 }],
  });
  // Not holding the lock: fail without releasing someone else's.
  acquireLock.addCatch(failed, { resultPath: '$.failure' });
  const inspect = step('Inspect Member', 'inspectAdoptableMember', { 'clusterName.$': '$.clusterName', 'request.$': '$.request' }, '$.plan');
  for (const state of guarded) state.addCatch(releaseOnFailure, { resultPath: '$.failure' });
  return sfn.Chain.start(validate)
    .next(acquireLock)
    .next(inspect)
    .next(
      new sfn.Choice(scope, 'Can It Be Adopted?')
        .when(sfn.Condition.isPresent('$.plan.refusal'), releaseRefused)
        .when(sfn.Condition.booleanEquals('$.dryRun', true), releaseDryRun)
        .otherwise(receive),
    );
}
