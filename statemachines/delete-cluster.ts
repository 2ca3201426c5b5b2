// DeleteCluster (`etcd-ha delete --cluster NAME --confirm NAME`, `etcd-ha local down`): takes a cluster down and
// frees its name, deleting no etcd data.
// Validate Delete Request → Is Deletion Confirmed?
//  - no: Nothing Deleted, whose output is the dry run (members, hosts, secrets, the record); nothing is changed;
//  - yes: Acquire Lock → Mark Cluster Deleting (healing paused in the record, "deleting", so that nothing replaces a
//    member while it is stopped) → Stop Members (per host: Stop Etcd And Set Data Aside; a host that stays
//    unreachable is noted, not fatal) → Delete Secrets (no recovery window) → Delete Record (as the lock holder) →
//    Release Lock, last → Cluster Deleted. A failure under the lock releases it (Release Lock After Failure) before
//    Delete Cluster Failed; every step is safe to run again, so a re-run finishes what a failed one began.
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { DELETE_ONLY_STEPS, DELETE_STEPS, type DeleteOnlyStep, type DeleteStep } from '../lambdas/catalog/steps';
import { stepState } from './steps';

/** The Lambda steps DeleteCluster invokes (lambdas/catalog/steps.ts), and those only it runs. */
export { DELETE_ONLY_STEPS, DELETE_STEPS, type DeleteOnlyStep, type DeleteStep };

export interface DeleteClusterProps {
  readonly functions: Readonly<Record<DeleteStep, lambda.IFunction>>;
  /**
   * How often Acquire Lock is retried while another change holds the cluster's lock.
   * @default 10 (about ten minutes with the growing interval)
   */
  readonly lockWaitAttempts?: number;
}

export function deleteClusterDefinition(scope: Construct, props: DeleteClusterProps): sfn.IChainable {
  const attempts = props.lockWaitAttempts ?? 10;
  if (!Number.isInteger(attempts) || attempts < 0 || attempts > 100) throw new Error(`lockWaitAttempts must be a whole number from 0 to 100, got ${attempts}`);
  const fns = props.functions;
  const lockRef = { 'clusterName.$': '$.clusterName', 'owner.$': '$$.Execution.Name' };
  const failed = new sfn.Fail(scope, 'Delete Cluster Failed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });

  const validate = stepState(scope, 'Validate Delete Request', fns.validateDeleteRequest, { payload: { 'request.$': '$' } });
  validate.addCatch(failed, { resultPath: '$.failure' });
  const acquire = stepState(scope, 'Acquire Lock', fns.acquireLock, {
    payload: { ...lockRef, 'holder.$': '$$.Execution.Id' },
    resultPath: '$.lock',
    retries: attempts === 0 ? [] : [{ errors: ['ClusterLockedError'], intervalSeconds: 10, maxAttempts: attempts, backoffRate: 1.5 }],
  });
  // Not holding the lock: fail without releasing someone else's.
  acquire.addCatch(failed, { resultPath: '$.failure' });
  const releaseOnFailure = stepState(scope, 'Release Lock After Failure', fns.releaseLock, { payload: lockRef, resultPath: '$.release' });
  releaseOnFailure.addCatch(failed, { resultPath: '$.releaseFailure' });
  releaseOnFailure.next(failed);

  // Every step under the lock carries it (the step renews it first); whatever fails releases it.
  const mark = stepState(scope, 'Mark Cluster Deleting', fns.markClusterDeleting, {
    payload: { 'clusterName.$': '$.clusterName', 'by.$': '$.by', 'execution.$': '$$.Execution.Name', lock: lockRef },
    resultPath: '$.marked',
  });
  const stopOne = stepState(scope, 'Stop Etcd And Set Data Aside', fns.resetJoiningHost, {
    payload: { 'spec.$': '$.spec', 'host.$': '$.host', mode: 'reset', 'lock.$': '$.lock' },
    resultPath: sfn.JsonPath.DISCARD,
    retryUnreachableHost: true,
  });
  // A host gone for good (a terminated instance) cannot hold up the deletion: it is named in the output.
  const noteUnreachable = new sfn.Pass(scope, 'Note Host Unreachable', { parameters: { 'host.$': '$.host.name', unreachable: true } });
  stopOne.addCatch(noteUnreachable, { errors: ['HostUnreachableError'], resultPath: '$.failure' });
  const stopped = new sfn.Pass(scope, 'Note Host Stopped', { parameters: { 'host.$': '$.host.name' } });
  const stopMembers = new sfn.Map(scope, 'Stop Members', {
    itemsPath: '$.marked.stops',
    itemSelector: { 'spec.$': '$$.Map.Item.Value.spec', 'host.$': '$$.Map.Item.Value.host', lock: lockRef },
    maxConcurrency: 0,
    resultPath: '$.stopped',
  });
  stopMembers.itemProcessor(stopOne.next(stopped));
  const deleteSecrets = stepState(scope, 'Delete Secrets', fns.deleteClusterSecrets, {
    payload: { 'clusterName.$': '$.clusterName', lock: lockRef },
    resultPath: '$.secrets',
  });
  const deleteRecord = stepState(scope, 'Delete Record', fns.deleteClusterRecord, {
    payload: { 'clusterName.$': '$.clusterName', 'execution.$': '$$.Execution.Name', 'plan.$': '$.marked.plan', 'stopped.$': '$.stopped', lock: lockRef },
    resultPath: '$.outcome',
  });
  for (const state of [mark, stopMembers, deleteSecrets, deleteRecord]) state.addCatch(releaseOnFailure, { resultPath: '$.failure' });
  const release = stepState(scope, 'Release Lock', fns.releaseLock, { payload: lockRef, resultPath: '$.release' });
  release.addCatch(failed, { resultPath: '$.failure' });

  const deletion = sfn.Chain.start(acquire)
    .next(mark)
    .next(stopMembers)
    .next(deleteSecrets)
    .next(deleteRecord)
    .next(release)
    .next(new sfn.Succeed(scope, 'Cluster Deleted', { outputPath: '$.outcome' }));
  const confirmed = new sfn.Choice(scope, 'Is Deletion Confirmed?')
    .when(sfn.Condition.booleanEquals('$.confirmed', true), deletion)
    .otherwise(new sfn.Succeed(scope, 'Nothing Deleted', { outputPath: '$.dryRun' }));
  return sfn.Chain.start(validate).next(confirmed);
}
