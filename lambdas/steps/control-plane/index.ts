// The steps of ConnectControlPlane: its own five, plus the cluster lock's (the shared functions).
import type { ConnectStep } from '../../catalog/steps';
import type { ClusterLock, ControlPlaneDirectory } from '../../ports';
import type { StepDeps, StepHandler } from '../deps';
import { makeLockSteps } from '../replace/lock-steps';
import { renewingLocks } from '../lock-renewal';
import { makeValidateConnectRequest } from './validate-connect-request';
import { makeResolveControlPlaneHosts } from './resolve-control-plane-hosts';
import { makeIssueControlPlaneBundles } from './issue-control-plane-bundles';
import { makePushClientCertificates } from './push-client-certificates';
import { makeUpdateApiServer, type ApiServerHealthOptions } from './update-api-server';

export interface ConnectDeps extends StepDeps, ApiServerHealthOptions {
  readonly lock: ClusterLock;
  readonly controlPlane: ControlPlaneDirectory;
}

export function createConnectSteps(deps: ConnectDeps): Record<ConnectStep, StepHandler> {
  const { acquireLock, releaseLock, renewLock } = makeLockSteps(deps);
  const underLock = renewingLocks(
    {
      resolveControlPlaneHosts: makeResolveControlPlaneHosts(deps),
      issueControlPlaneBundles: makeIssueControlPlaneBundles(deps),
      pushClientCertificates: makePushClientCertificates(deps),
      updateApiServer: makeUpdateApiServer(deps),
    },
    renewLock,
  );
  return { validateConnectRequest: makeValidateConnectRequest(deps), acquireLock, ...underLock, releaseLock };
}
