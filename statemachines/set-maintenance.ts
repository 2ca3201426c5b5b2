// SetMaintenance: pauses or resumes a cluster's automatic healing. The flag lives in the cluster record, which
// only the lock holder writes: Validate Maintenance Request → Acquire Lock → Set Maintenance → Release Lock →
// Maintenance Set; a failure under the lock releases it (Release Lock After Failure) before Set Maintenance Failed.
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { MAINTENANCE_ONLY_STEPS, MAINTENANCE_STEPS, type MaintenanceOnlyStep, type MaintenanceStep } from '../lambdas/catalog/steps';
import { stepState } from './steps';

/** The Lambda steps SetMaintenance invokes (lambdas/catalog/steps.ts), and those only it runs (its lock steps are the ones ProvisionCluster and ReplaceMember share). */
export { MAINTENANCE_ONLY_STEPS, MAINTENANCE_STEPS, type MaintenanceOnlyStep, type MaintenanceStep };

export interface SetMaintenanceProps {
  readonly functions: Readonly<Record<MaintenanceStep, lambda.IFunction>>;
  /**
   * How often Acquire Lock is retried while a replacement holds the lock (a pause waits for it to end).
   * @default 10 (about ten minutes with the growing interval)
   */
  readonly lockWaitAttempts?: number;
}

export function setMaintenanceDefinition(scope: Construct, props: SetMaintenanceProps): sfn.IChainable {
  const attempts = props.lockWaitAttempts ?? 10;
  if (!Number.isInteger(attempts) || attempts < 0 || attempts > 100) throw new Error(`lockWaitAttempts must be a whole number from 0 to 100, got ${attempts}`);
  const fns = props.functions;
  const lockRef = { 'clusterName.$': '$.clusterName', 'owner.$': '$$.Execution.Name' };
  const failed = new sfn.Fail(scope, 'Set Maintenance Failed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
  const done = new sfn.Succeed(scope, 'Maintenance Set', { outputPath: '$.maintenance' });

  const validate = stepState(scope, 'Validate Maintenance Request', fns.validateMaintenanceRequest, { payload: { 'request.$': '$' } });
  validate.addCatch(failed, { resultPath: '$.failure' });
  const acquire = stepState(scope, 'Acquire Lock', fns.acquireLock, {
    payload: { ...lockRef, 'holder.$': '$$.Execution.Id' },
    resultPath: '$.lock',
    retries: attempts === 0 ? [] : [{ errors: ['ClusterLockedError'], intervalSeconds: 10, maxAttempts: attempts, backoffRate: 1.5 }],
  });
  acquire.addCatch(failed, { resultPath: '$.failure' });
  const releaseOnFailure = stepState(scope, 'Release Lock After Failure', fns.releaseLock, { payload: lockRef, resultPath: '$.release' });
  releaseOnFailure.addCatch(failed, { resultPath: '$.releaseFailure' });
  releaseOnFailure.next(failed);
  const set = stepState(scope, 'Set Maintenance', fns.setMaintenance, {
    payload: { 'request.$': '$.request', 'execution.$': '$$.Execution.Name' },
    resultPath: '$.maintenance',
  });
  set.addCatch(releaseOnFailure, { resultPath: '$.failure' });
  const release = stepState(scope, 'Release Lock', fns.releaseLock, { payload: lockRef, resultPath: '$.release' });
  release.addCatch(failed, { resultPath: '$.failure' });
  return sfn.Chain.start(validate).next(acquire).next(set).next(release).next(done);
}
