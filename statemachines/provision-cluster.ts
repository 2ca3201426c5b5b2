// ProvisionCluster: the kubeadm guide as a workflow. The state names are its table of contents:
// Validate Spec → Resolve Hosts → Generate PKI → per host (Configure Kubelet → Push Certificates →
// Write Etcd Config → Start Etcd) → Wait Until Healthy → Record Cluster → Cluster Ready.
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { HOST_STEP_PAYLOAD, stepState } from './steps';

/** The Lambda steps ProvisionCluster invokes, by step name. */
export const PROVISION_STEPS = [
  'validateSpec',
  'resolveHosts',
  'generatePki',
  'configureKubelet',
  'pushCertificates',
  'writeEtcdConfig',
  'startEtcd',
  'checkHealth',
  'collectMemberLogs',
  'recordCluster',
] as const;
export type ProvisionStep = (typeof PROVISION_STEPS)[number];

export interface ProvisionClusterProps {
  /** One function per step. */
  readonly functions: Readonly<Record<ProvisionStep, lambda.IFunction>>;
  /**
   * Seconds between two health checks.
   * @default 5
   */
  readonly healthCheckIntervalSeconds?: number;
  /**
   * Health checks before the execution fails with the members' logs.
   * @default 60 (five minutes at the default interval: enough for kubelet to pull the etcd image)
   */
  readonly healthCheckAttempts?: number;
}

export function validateProvisionClusterProps(props: ProvisionClusterProps): void {
  const interval = props.healthCheckIntervalSeconds ?? 5;
  const attempts = props.healthCheckAttempts ?? 60;
  if (!Number.isInteger(interval) || interval < 1 || interval > 300) {
    throw new Error(`healthCheckIntervalSeconds must be a whole number from 1 to 300, got ${interval}`);
  }
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 1000) {
    throw new Error(`healthCheckAttempts must be a whole number from 1 to 1000, got ${attempts}`);
  }
}

export function provisionClusterDefinition(scope: Construct, props: ProvisionClusterProps): sfn.IChainable {
  validateProvisionClusterProps(props);
  const fns = props.functions;
  const failed = new sfn.Fail(scope, 'Provision Failed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
  const onError = { resultPath: '$.failure' };

  const validateSpec = stepState(scope, 'Validate Spec', fns.validateSpec, { payload: { 'spec.$': '$' } });
  const resolveHosts = stepState(scope, 'Resolve Hosts', fns.resolveHosts, {
    payload: { 'spec.$': '$.spec' },
    resultPath: '$.hosts',
  });
  const generatePki = stepState(scope, 'Generate PKI', fns.generatePki, {
    payload: { 'spec.$': '$.spec', 'hosts.$': '$.hosts' },
    resultPath: '$.pki',
  });

  const hostStep = (name: string, fn: lambda.IFunction) =>
    stepState(scope, name, fn, { payload: HOST_STEP_PAYLOAD, resultPath: sfn.JsonPath.DISCARD, retryUnreachableHost: true });
  const pushCertificates = hostStep('Push Certificates', fns.pushCertificates);
  pushCertificates.next(hostStep('Write Etcd Config', fns.writeEtcdConfig)).next(hostStep('Start Etcd', fns.startEtcd));
  const usesKubelet = new sfn.Choice(scope, 'Uses Kubelet?')
    .when(sfn.Condition.stringEquals('$.spec.runtime', 'kubeadm'), hostStep('Configure Kubelet', fns.configureKubelet).next(pushCertificates))
    .otherwise(pushCertificates);

  const configureHosts = new sfn.Map(scope, 'Configure Hosts', {
    itemsPath: '$.hosts',
    itemSelector: {
      'spec.$': '$.spec',
      'hosts.$': '$.hosts',
      'host.$': '$$.Map.Item.Value',
      'pki.$': '$.pki',
      clusterState: 'new',
    },
    maxConcurrency: 0,
    resultPath: sfn.JsonPath.DISCARD,
  });
  configureHosts.itemProcessor(usesKubelet);

  const startHealthChecks = new sfn.Pass(scope, 'Start Health Checks', { result: sfn.Result.fromObject({ attempt: 0 }), resultPath: '$.health' });
  const waitForMembers = new sfn.Wait(scope, 'Wait For Members', {
    time: sfn.WaitTime.duration(Duration.seconds(props.healthCheckIntervalSeconds ?? 5)),
  });
  const checkHealth = stepState(scope, 'Check Health', fns.checkHealth, {
    payload: { 'spec.$': '$.spec', 'hosts.$': '$.hosts', 'pki.$': '$.pki', 'attempt.$': '$.health.attempt' },
    resultPath: '$.health',
  });
  // Returns { Error, Cause } with the health problems and each unhealthy member's log tail.
  const collectMemberLogs = stepState(scope, 'Collect Member Logs', fns.collectMemberLogs, {
    payload: { 'spec.$': '$.spec', 'hosts.$': '$.hosts', 'health.$': '$.health' },
    resultPath: '$.failure',
  });
  const recordCluster = stepState(scope, 'Record Cluster', fns.recordCluster, {
    payload: { 'spec.$': '$.spec', 'hosts.$': '$.hosts', 'pki.$': '$.pki', 'health.$': '$.health' },
    resultPath: '$.cluster',
  });
  const clusterReady = new sfn.Succeed(scope, 'Cluster Ready', { outputPath: '$.cluster' });

  const isClusterHealthy = new sfn.Choice(scope, 'Is Cluster Healthy?')
    .when(sfn.Condition.booleanEquals('$.health.healthy', true), recordCluster.next(clusterReady))
    .when(sfn.Condition.numberGreaterThanEquals('$.health.attempt', props.healthCheckAttempts ?? 60), collectMemberLogs.next(failed))
    .otherwise(waitForMembers);

  for (const state of [validateSpec, resolveHosts, generatePki, configureHosts, checkHealth, collectMemberLogs, recordCluster]) {
    state.addCatch(failed, onError);
  }

  return sfn.Chain.start(validateSpec)
    .next(resolveHosts)
    .next(generatePki)
    .next(configureHosts)
    .next(startHealthChecks)
    .next(waitForMembers)
    .next(checkHealth)
    .next(isClusterHealthy);
}
