// BackupCluster (`etcd-ha backup --cluster NAME`, `etcd-ha local backup`, and the schedule with `{}`):
// Validate Backup Request → Anything To Back Up? → Back Up Each Cluster (a Map over the named cluster, or every
// recorded one), per cluster:
//   Acquire Backup Lock → Is Another Backup Running? (yes: Note Backup Already Running, a quiet end) → Take Backup
//   (snapshot from a healthy member, followers first; etcd's SHA-256 checked while it streams; stored with its
//   manifest) → Record Last Good Backup → Prune Old Backups → Release Backup Lock → Note Backup Taken;
//   a failure releases the backup lock and is noted (Note Backup Failed), so one cluster's failure never stops the others'.
// → Publish Backup Metrics (every execution, also after a failure or with nothing to back up: the last good
// backups' ages for the alarm) → Did Every Backup Succeed? (no: Backup Failed, naming each cluster's error).
// The lock is the cluster's backup lock, never its cluster lock: a snapshot changes nothing, and a replacement must
// not wait for a backup.
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { BACKUP_STEPS, type BackupStep } from '../lambdas/catalog/steps';
import { stepState } from './steps';

/** The Lambda steps BackupCluster invokes (lambdas/catalog/steps.ts): its own. */
export { BACKUP_STEPS, type BackupStep };

export interface BackupClusterProps {
  readonly functions: Readonly<Record<BackupStep, lambda.IFunction>>;
  /**
   * Clusters backed up at once by one execution (the schedule's).
   * @default 4
   */
  readonly maxConcurrency?: number;
}

export function backupClusterDefinition(scope: Construct, props: BackupClusterProps): sfn.IChainable {
  const fns = props.functions;
  const concurrency = props.maxConcurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 40) throw new Error(`maxConcurrency must be a whole number from 1 to 40, got ${concurrency}`);
  const lockRef = { 'clusterName.$': '$.clusterName', 'owner.$': '$$.Execution.Name' };

  const refused = new sfn.Fail(scope, 'Backup Request Refused', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
  const validate = stepState(scope, 'Validate Backup Request', fns.validateBackupRequest, { payload: { 'request.$': '$' } });
  validate.addCatch(refused, { resultPath: '$.failure' });

  // ---- one cluster ----
  const noteFailed = new sfn.Pass(scope, 'Note Backup Failed', {
    parameters: { 'clusterName.$': '$.clusterName', outcome: 'failed', 'error.$': '$.failure.Error', 'cause.$': '$.failure.Cause' },
  });
  const acquire = stepState(scope, 'Acquire Backup Lock', fns.acquireBackupLock, {
    payload: { ...lockRef, 'holder.$': '$$.Execution.Id' },
    resultPath: '$.lock',
  });
  acquire.addCatch(noteFailed, { resultPath: '$.failure' });
  const releaseOnFailure = stepState(scope, 'Release Backup Lock After Failure', fns.releaseBackupLock, { payload: lockRef, resultPath: '$.release' });
  releaseOnFailure.addCatch(noteFailed, { resultPath: '$.releaseFailure' });
  releaseOnFailure.next(noteFailed);
  const take = stepState(scope, 'Take Backup', fns.takeBackup, {
    payload: { 'clusterName.$': '$.clusterName', 'execution.$': '$$.Execution.Name' },
    resultPath: '$.backup',
  });
  const record = stepState(scope, 'Record Last Good Backup', fns.recordLastGoodBackup, { payload: { 'backup.$': '$.backup' }, resultPath: sfn.JsonPath.DISCARD });
  const prune = stepState(scope, 'Prune Old Backups', fns.pruneBackups, { payload: { 'clusterName.$': '$.clusterName' }, resultPath: '$.prune' });
  for (const state of [take, record, prune]) state.addCatch(releaseOnFailure, { resultPath: '$.failure' });
  const release = stepState(scope, 'Release Backup Lock', fns.releaseBackupLock, { payload: lockRef, resultPath: sfn.JsonPath.DISCARD });
  release.addCatch(noteFailed, { resultPath: '$.failure' });
  const noteTaken = new sfn.Pass(scope, 'Note Backup Taken', {
    parameters: { 'clusterName.$': '$.clusterName', outcome: 'backed-up', 'backup.$': '$.backup', 'pruned.$': '$.prune.pruned' },
  });
  const noteRunning = new sfn.Pass(scope, 'Note Backup Already Running', {
    parameters: { 'clusterName.$': '$.clusterName', outcome: 'already-running', 'heldBy.$': '$.lock.heldBy' },
  });
  const oneCluster = sfn.Chain.start(acquire).next(
    new sfn.Choice(scope, 'Is Another Backup Running?')
      .when(sfn.Condition.booleanEquals('$.lock.acquired', false), noteRunning)
      .otherwise(take.next(record).next(prune).next(release).next(noteTaken)),
  );

  const eachCluster = new sfn.Map(scope, 'Back Up Each Cluster', {
    itemsPath: '$.clusters',
    itemSelector: { 'clusterName.$': '$$.Map.Item.Value' },
    maxConcurrency: concurrency,
    resultSelector: { 'outcomes.$': '$[*].outcome', 'backups.$': '$' },
    resultPath: '$.result',
  });
  eachCluster.itemProcessor(oneCluster);

  // Both endings carry { report, anyFailed }: the report is the execution's output, anyFailed decides its status.
  const summarize = new sfn.Pass(scope, 'Summarize Backups', {
    parameters: { report: { 'backups.$': '$.result.backups' }, 'anyFailed.$': "States.ArrayContains($.result.outcomes, 'failed')" },
  });
  const nothing = new sfn.Pass(scope, 'Nothing To Back Up', { parameters: { report: { backups: [], 'reason.$': '$.reason' }, anyFailed: false } });

  // Every execution ends by publishing the last good backups' ages (the no-good-backup alarm's metric), whatever
  // happened above. A publish that fails does not fail the run: the backups are what they are, and a missing
  // point is what the alarm treats as breaching, so a publish that keeps failing still raises it.
  const publish = stepState(scope, 'Publish Backup Metrics', fns.publishBackupMetrics, { payload: { 'execution.$': '$$.Execution.Name' }, resultPath: '$.metrics' });
  const describeFailures = new sfn.Pass(scope, 'Describe Failures', { parameters: { 'cause.$': 'States.JsonToString($.report.backups)' } });
  const failed = new sfn.Fail(scope, 'Backup Failed', { error: 'BackupFailedError', causePath: '$.cause' });
  const done = new sfn.Pass(scope, 'Backups Done', { inputPath: '$.report' });
  const outcome = new sfn.Choice(scope, 'Did Every Backup Succeed?')
    .when(sfn.Condition.booleanEquals('$.anyFailed', true), describeFailures.next(failed))
    .otherwise(done);
  publish.addCatch(outcome, { resultPath: '$.metricsFailure' });
  publish.next(outcome);

  const anything = new sfn.Choice(scope, 'Anything To Back Up?')
    .when(sfn.Condition.isPresent('$.clusters[0]'), eachCluster.next(summarize).next(publish))
    .otherwise(nothing.next(publish));
  return sfn.Chain.start(validate).next(anything);
}
