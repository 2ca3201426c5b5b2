// The steps of ProvisionCluster, built over whatever adapters a composition root chose.
import type { ProvisionStep } from '../catalog/steps';
import type { ClusterLock, MembershipEvents } from '../ports';
import { makePublishMembershipEvent } from './publish-membership-event';
import type { StepDeps, StepHandler } from './deps';
import { makeValidateSpec } from './validate-spec';
import type { SpecPolicy } from '../core/spec-policy';
import { makeResolveHosts } from './resolve-hosts';
import { makeGeneratePki } from './generate-pki';
import { makeHostSteps } from './host-steps';
import { makeCheckHealth } from './check-health';
import { makeCollectMemberLogs } from './collect-member-logs';
import { makeRecordCluster } from './record-cluster';
import { makePlanProvision } from './plan-provision';
import { makeRollingSteps } from './rolling-steps';
import { makeLockSteps } from './replace/lock-steps';
import { renewingLocks } from './lock-renewal';
import { makeRevokeCertificates } from './revoke-certificates';
import { makePushRevocationList } from './push-revocation-list';

/** Provisioning changes a cluster: it takes the cluster's lock like every other workflow that does. */
export interface ProvisionDeps extends StepDeps {
  readonly lock: ClusterLock;
  /** What a spec may run on the hosts (Validate Spec). @default DEFAULT_SPEC_POLICY */
  readonly specPolicy?: SpecPolicy;
  /** Where Publish Membership Event sends its event (EventBridge on AWS, `<home>/events.jsonl` locally). */
  readonly membershipEvents: MembershipEvents;
}

export function createProvisionSteps(deps: ProvisionDeps): Record<ProvisionStep, StepHandler> {
  const { acquireLock, releaseLock, renewLock } = makeLockSteps(deps);
  // Every step a workflow runs under the lock renews it first (its input carries the lock).
  const underLock = renewingLocks(
    {
      planProvision: makePlanProvision(deps),
      resolveHosts: makeResolveHosts(deps),
      generatePki: makeGeneratePki(deps),
      revokeCertificates: makeRevokeCertificates(deps),
      pushRevocationList: makePushRevocationList(deps),
      ...makeHostSteps(deps),
      ...makeRollingSteps(deps),
      checkHealth: makeCheckHealth(deps),
      collectMemberLogs: makeCollectMemberLogs(deps),
      recordCluster: makeRecordCluster(deps),
    },
    renewLock,
  );
  // After the lock is released, on both ways out: it needs no lock.
  return { validateSpec: makeValidateSpec(deps), acquireLock, ...underLock, releaseLock, publishMembershipEvent: makePublishMembershipEvent(deps) };
}
