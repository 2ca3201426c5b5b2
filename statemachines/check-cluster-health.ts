// CheckClusterHealth (`etcd-ha status --cluster NAME`): the record and live health of one cluster, read-only:
// Validate Request → Is Cluster Recorded? → Read Cluster Health → Health Read. No lock: nothing is changed, and a
// status must answer while a replacement holds the lock. An unknown cluster ends quietly in Nothing To Check (the
// output says so), so that a mistyped name raises no failed-execution alarm.
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { HEALTH_CHECK_STEPS, type HealthCheckStep } from '../lambdas/catalog/steps';
import { stepState } from './steps';

/** The Lambda steps CheckClusterHealth invokes (lambdas/catalog/steps.ts): its own, read-only. */
export { HEALTH_CHECK_STEPS, type HealthCheckStep };

export interface CheckClusterHealthProps {
  readonly functions: Readonly<Record<HealthCheckStep, lambda.IFunction>>;
}

export function checkClusterHealthDefinition(scope: Construct, props: CheckClusterHealthProps): sfn.IChainable {
  const fns = props.functions;
  const failed = new sfn.Fail(scope, 'Health Check Failed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
  const validate = stepState(scope, 'Validate Request', fns.validateHealthCheckRequest, { payload: { 'request.$': '$' } });
  validate.addCatch(failed, { resultPath: '$.failure' });
  const read = stepState(scope, 'Read Cluster Health', fns.readClusterHealth, { payload: { 'clusterName.$': '$.clusterName' } });
  read.addCatch(failed, { resultPath: '$.failure' });
  const recorded = new sfn.Choice(scope, 'Is Cluster Recorded?')
    .when(sfn.Condition.booleanEquals('$.isRecorded', true), read.next(new sfn.Succeed(scope, 'Health Read')))
    .otherwise(new sfn.Succeed(scope, 'Nothing To Check'));
  return sfn.Chain.start(validate).next(recorded);
}
