// DrillRestore (`etcd-ha drill --cluster NAME`, `etcd-ha local drill`, and the schedule with `{}`):
// Validate Drill Request → Anything To Drill? → Drill Each Cluster (a Map over the named cluster, or every recorded
// one), per cluster:
//   Acquire Drill Lock → Is Another Drill Running? (yes: Note Drill Already Running, a quiet end) →
//   Find Last Good Backup → Verify Snapshot → Choose Drill Host (a follower that answers) → Stage Snapshot →
//   Restore On Drill Host (fetch-snapshot + restore-drill.sh: a temporary etcd on loopback ports, its keys counted,
//   then removed) → Unstage Snapshots → Publish Drill Result (compared with the manifest; RestoreDrillSucceeded 1/0)
//   → Release Drill Lock → Did The Drill Pass? (Note Drill Passed / Note Drill Failed).
//   A failure on the way still unstages and publishes 0: every drill ends in a metric, one way or the other.
// → Did Every Drill Pass? (no: Drill Failed, naming each cluster's error).
// The lock is the cluster's drill lock, never its cluster lock: a drill touches no member, and a replacement must
// not wait for it.
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { DRILL_STEPS, type DrillStep } from '../lambdas/catalog/steps';
import { stepState } from './steps';

/** The Lambda steps DrillRestore invokes (lambdas/catalog/steps.ts): its own and the snapshot handoff's. */
export { DRILL_STEPS, type DrillStep };

export interface DrillRestoreProps {
  readonly functions: Readonly<Record<DrillStep, lambda.IFunction>>;
  /**
   * Clusters drilled at once by one execution (the schedule's).
   * @default 4
   */
  readonly maxConcurrency?: number;
}

export function drillRestoreDefinition(scope: Construct, props: DrillRestoreProps): sfn.IChainable {
  const fns = props.functions;
  const concurrency = props.maxConcurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 40) throw new Error(`maxConcurrency must be a whole number from 1 to 40, got ${concurrency}`);
  const cluster = { 'clusterName.$': '$.clusterName' };
  const lockRef = { ...cluster, 'owner.$': '$$.Execution.Name' };
  // What Stage Snapshot made for this execution is found again by its name: Unstage Snapshots removes it.
  const purpose = { 'purpose.$': '$$.Execution.Name' };

  const refused = new sfn.Fail(scope, 'Drill Request Refused', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
  const validate = stepState(scope, 'Validate Drill Request', fns.validateDrillRequest, { payload: { 'request.$': '$' } });
  validate.addCatch(refused, { resultPath: '$.failure' });

  // ---- one cluster ----
  const noteLockFailed = new sfn.Pass(scope, 'Note Drill Not Started', {
    parameters: { 'clusterName.$': '$.clusterName', outcome: 'failed', 'error.$': '$.failure.Error', 'cause.$': '$.failure.Cause' },
  });
  const acquire = stepState(scope, 'Acquire Drill Lock', fns.acquireDrillLock, { payload: { ...lockRef, 'holder.$': '$$.Execution.Id' }, resultPath: '$.lock' });
  acquire.addCatch(noteLockFailed, { resultPath: '$.failure' });
  const noteRunning = new sfn.Pass(scope, 'Note Drill Already Running', {
    parameters: { 'clusterName.$': '$.clusterName', outcome: 'already-running', 'heldBy.$': '$.lock.heldBy' },
  });

  const find = stepState(scope, 'Find Last Good Backup', fns.findLastGoodBackup, { payload: cluster, resultPath: '$.backup' });
  const verify = stepState(scope, 'Verify Snapshot', fns.verifySnapshot, { payload: { 'backup.$': '$.backup' }, resultPath: '$.verified' });
  const choose = stepState(scope, 'Choose Drill Host', fns.chooseDrillHost, { payload: cluster, resultPath: '$.drillHost' });
  const stage = stepState(scope, 'Stage Snapshot', fns.stageSnapshot, {
    payload: { 'backup.$': '$.backup', 'instanceId.$': '$.drillHost.stageFor', ...purpose },
    resultPath: '$.staged',
  });
  const restore = stepState(scope, 'Restore On Drill Host', fns.restoreOnDrillHost, {
    payload: { ...cluster, 'backup.$': '$.backup', 'host.$': '$.drillHost.host', 'staged.$': '$.staged' },
    resultPath: '$.restored',
    retryUnreachableHost: true,
  });
  const unstage = stepState(scope, 'Unstage Snapshots', fns.unstageSnapshots, { payload: { ...cluster, ...purpose }, resultPath: sfn.JsonPath.DISCARD });
  // Publish Drill Result reads the whole state: the backup and what was restored, or the failure on the way.
  const publish = stepState(scope, 'Publish Drill Result', fns.publishDrillResult, { payload: { drill: sfn.JsonPath.entirePayload }, resultPath: '$.verdict' });
  const release = stepState(scope, 'Release Drill Lock', fns.releaseDrillLock, { payload: lockRef, resultPath: sfn.JsonPath.DISCARD });
  for (const state of [find, verify, choose, stage, restore]) state.addCatch(unstage, { resultPath: '$.failure' });
  unstage.addCatch(publish, { resultPath: '$.unstageFailure' });
  const failedOn = (name: string, path: string) =>
    new sfn.Pass(scope, name, {
      parameters: { passed: false, outcome: { 'clusterName.$': '$.clusterName', outcome: 'failed', 'error.$': `${path}.Error`, 'cause.$': `${path}.Cause` } },
      resultPath: '$.verdict',
    });
  publish.addCatch(failedOn('Note Publish Failed', '$.publishFailure').next(release), { resultPath: '$.publishFailure' });

  const notePassed = new sfn.Pass(scope, 'Note Drill Passed', { outputPath: '$.verdict.outcome' });
  const noteFailed = new sfn.Pass(scope, 'Note Drill Failed', { outputPath: '$.verdict.outcome' });
  const passed = new sfn.Choice(scope, 'Did The Drill Pass?').when(sfn.Condition.booleanEquals('$.verdict.passed', true), notePassed).otherwise(noteFailed);
  release.addCatch(failedOn('Note Release Failed', '$.releaseFailure').next(noteFailed), { resultPath: '$.releaseFailure' });

  const oneCluster = sfn.Chain.start(acquire).next(
    new sfn.Choice(scope, 'Is Another Drill Running?')
      .when(sfn.Condition.booleanEquals('$.lock.acquired', false), noteRunning)
      .otherwise(find.next(verify).next(choose).next(stage).next(restore).next(unstage).next(publish).next(release).next(passed)),
  );

  const eachCluster = new sfn.Map(scope, 'Drill Each Cluster', {
    itemsPath: '$.clusters',
    itemSelector: { 'clusterName.$': '$$.Map.Item.Value' },
    maxConcurrency: concurrency,
    resultSelector: { 'outcomes.$': '$[*].outcome', 'drills.$': '$' },
    resultPath: '$.result',
  });
  eachCluster.itemProcessor(oneCluster);

  const summarize = new sfn.Pass(scope, 'Summarize Drills', {
    parameters: { 'drills.$': '$.result.drills', 'anyFailed.$': "States.ArrayContains($.result.outcomes, 'failed')" },
  });
  const describeFailures = new sfn.Pass(scope, 'Describe Drill Failures', { parameters: { 'cause.$': 'States.JsonToString($.drills)' } });
  const failed = new sfn.Fail(scope, 'Drill Failed', { error: 'RestoreDrillFailedError', causePath: '$.cause' });
  const done = new sfn.Pass(scope, 'Drills Done', { parameters: { 'drills.$': '$.drills' } });
  const outcome = new sfn.Choice(scope, 'Did Every Drill Pass?')
    .when(sfn.Condition.booleanEquals('$.anyFailed', true), describeFailures.next(failed))
    .otherwise(done);

  const nothing = new sfn.Pass(scope, 'Nothing To Drill', { parameters: { drills: [], 'reason.$': '$.reason' } });
  const anything = new sfn.Choice(scope, 'Anything To Drill?')
    .when(sfn.Condition.isPresent('$.clusters[0]'), eachCluster.next(summarize).next(outcome))
    .otherwise(nothing);
  return sfn.Chain.start(validate).next(anything);
}
