// ConnectControlPlane: Validate Connect Request → Acquire Lock → Resolve Control-Plane Hosts (tagged for the cluster,
// or the ones named; the endpoints from the record) → Issue Control-Plane Bundles (per host: etcd's CA certificate and
// the apiserver-etcd-client pair, tagged with its instance) → Push Client Certificates (each host fetches its own) →
// Start Roll → one host at a time (a loop: Update API Server / More API Servers?), Update API Server rewrites kube-apiserver's etcd flags when
// they differ, lets kubelet restart it and waits for its health endpoint before the next host → Release Lock → Control
// Plane Connected. On failure (a host that does not come back stops the roll; the rest stay untouched): Release Lock
// After Failure → Connect Failed.
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { CONNECT_STEPS, type ConnectStep } from '../lambdas/catalog/steps';
import { stepState } from './steps';

export { CONNECT_STEPS, type ConnectStep };

export interface ConnectControlPlaneProps {
  readonly functions: Readonly<Record<ConnectStep, lambda.IFunction>>;
  /** How often Acquire Lock is retried before the execution fails, saying who holds the lock. @default 10 */
  readonly lockWaitAttempts?: number;
}

export function validateConnectControlPlaneProps(props: ConnectControlPlaneProps): void {
  const attempts = props.lockWaitAttempts ?? 10;
  if (!Number.isInteger(attempts) || attempts < 0 || attempts > 100) throw new Error(`lockWaitAttempts must be a whole number from 0 to 100, got ${attempts}`);
}

export function connectControlPlaneDefinition(scope: Construct, props: ConnectControlPlaneProps): sfn.IChainable {
  validateConnectControlPlaneProps(props);
  const fns = props.functions;
  const lockRef = { 'clusterName.$': '$.clusterName', 'owner.$': '$$.Execution.Name' };
  const hostsPayload = { 'clusterName.$': '$.clusterName', 'hosts.$': '$.controlPlane.hosts', lock: lockRef };

  // ---- endings ----
  const failed = new sfn.Fail(scope, 'Connect Failed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
  const releaseOnFailure = stepState(scope, 'Release Lock After Failure', fns.releaseLock, { payload: lockRef, resultPath: '$.release' });
  releaseOnFailure.addCatch(failed, { resultPath: '$.releaseFailure' });
  releaseOnFailure.next(failed);
  const connected = new sfn.Succeed(scope, 'Control Plane Connected', { outputPath: '$.summary' });
  const summary = new sfn.Pass(scope, 'Summarize', {
    parameters: {
      'clusterName.$': '$.clusterName',
      'endpoints.$': '$.controlPlane.endpoints',
      'bundles.$': '$.bundles.bundles',
      'renewedBundles.$': '$.bundles.written',
      'pushed.$': '$.pushed.hosts',
      'apiServers.$': '$.roll.done',
    },
    resultPath: '$.summary',
  });
  const release = stepState(scope, 'Release Lock', fns.releaseLock, { payload: lockRef, resultPath: '$.release' });
  release.next(summary).next(connected);

  // ---- the steps under the lock ----
  const resolve = stepState(scope, 'Resolve Control-Plane Hosts', fns.resolveControlPlaneHosts, {
    payload: { 'clusterName.$': '$.clusterName', 'request.$': '$.request', lock: lockRef },
    resultPath: '$.controlPlane',
  });
  const issue = stepState(scope, 'Issue Control-Plane Bundles', fns.issueControlPlaneBundles, { payload: hostsPayload, resultPath: '$.bundles' });
  const push = stepState(scope, 'Push Client Certificates', fns.pushClientCertificates, {
    payload: { ...hostsPayload, 'bundles.$': '$.bundles.bundles' },
    resultPath: '$.pushed',
    retryUnreachableHost: true,
  });
  // One API server at a time, as a loop rather than a Map: the next host's manifest changes only after this one
  // answered its health endpoint, and a failure ends the roll there (a failed Map may still start the next
  // iteration in a local interpreter, after the lock is released).
  const startRoll = new sfn.Pass(scope, 'Start Roll', { result: sfn.Result.fromObject({ index: 0, done: [] }), resultPath: '$.roll' });
  const update = stepState(scope, 'Update API Server', fns.updateApiServer, {
    payload: { 'hosts.$': '$.controlPlane.hosts', 'index.$': '$.roll.index', 'done.$': '$.roll.done', 'endpoints.$': '$.controlPlane.endpoints', lock: lockRef },
    resultPath: '$.roll',
    retryUnreachableHost: true,
  });
  startRoll.next(update).next(new sfn.Choice(scope, 'More API Servers?').when(sfn.Condition.numberGreaterThan('$.roll.remaining', 0), update).otherwise(release));
  for (const state of [resolve, issue, push, update, release]) state.addCatch(releaseOnFailure, { resultPath: '$.failure' });

  // ---- admission and the lock ----
  const validate = stepState(scope, 'Validate Connect Request', fns.validateConnectRequest, { payload: { 'request.$': '$' } });
  validate.addCatch(failed, { resultPath: '$.failure' });
  const acquireLock = stepState(scope, 'Acquire Lock', fns.acquireLock, {
    payload: { ...lockRef, 'holder.$': '$$.Execution.Id' },
    resultPath: '$.lock',
    retries: props.lockWaitAttempts === 0 ? [] : [{ errors: ['ClusterLockedError'], intervalSeconds: 10, maxAttempts: props.lockWaitAttempts ?? 10, backoffRate: 1.5 }],
  });
  // Not holding the lock: fail without releasing someone else's.
  acquireLock.addCatch(failed, { resultPath: '$.failure' });
  return sfn.Chain.start(validate).next(acquireLock).next(resolve).next(issue).next(push).next(startRoll);
}
