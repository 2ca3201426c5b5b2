// The steps of ReplaceMember: its own, plus the provisioning steps it reuses for the joining host.
import type { ReplaceStep } from '../../catalog/steps';
import type { ClusterLock, LifecycleActions, MachinePower, ReplacementHosts, SnapshotStore } from '../../ports';
import type { StepHandler } from '../deps';
import { createProvisionSteps, type ProvisionDeps } from '..';
import { makeValidateRequest } from './validate-request';
import { makeLockSteps } from './lock-steps';
import { makeCheckQuorum } from './check-quorum';
import { makeSnapshotBeforeChange } from './snapshot-before-change';
import { makeMembershipSteps } from './membership-steps';
import { makeChooseReplacementHost } from './choose-replacement-host';
import { makeReadCluster } from './read-cluster';
import { makeRemoveDeadMembers } from './remove-dead-members';
import { makeResetJoiningHost } from './reset-joining-host';
import { renewingLocks } from '../lock-renewal';
import { makeCompleteLifecycleAction } from './complete-lifecycle-action';
import { makeCheckHostAgent } from './check-host-agent';
import { makeLookAgain } from './look-again';
import { makeRetireReplacedHost } from './retire-replaced-host';

// ProvisionDeps: the lock, and the spec policy of the Validate Spec this composition root also serves.
export interface ReplaceDeps extends ProvisionDeps {
  readonly lock: ClusterLock;
  readonly snapshots: SnapshotStore;
  /** Whether a member's machine runs (Look Again), and retiring a replaced one (EC2 instances, or simulated hosts). */
  readonly machines: MachinePower;
  /**
   * Completes Auto Scaling lifecycle actions (AWS). Without it, Complete Lifecycle Action throws
   * LifecycleActionUnsupportedError: the local runner never passes a request with a `lifecycle` field.
   * @default - none
   */
  readonly lifecycle?: LifecycleActions;
  /**
   * Launches a clone of a failed member's instance when the request names no replacement host (AWS).
   * Without it, Choose Replacement Host leaves that to the host directory (locally: the next free loopback address).
   * @default - none
   */
  readonly replacementHosts?: ReplacementHosts;
  /**
   * Why no clone is launched where clones would be expected (AWS with cloning off): a request that names no
   * replacement host is then refused with it. @default - none (locally the directory picks a host)
   */
  readonly cloningOff?: string;
}

export function createReplaceSteps(deps: ReplaceDeps): Record<ReplaceStep, StepHandler> {
  // The shared ones renew the lock already (createProvisionSteps).
  const provision = createProvisionSteps(deps);
  // Renewal is no state of its own: every step under the lock renews it first (lock-renewal.ts).
  const { renewLock } = makeLockSteps(deps);
  const own = renewingLocks(
    {
      validateRequest: makeValidateRequest(deps),
      readCluster: makeReadCluster(deps),
      checkQuorum: makeCheckQuorum(deps),
      snapshotBeforeChange: makeSnapshotBeforeChange(deps),
      removeFailedMember: makeRemoveDeadMembers(deps),
      resetJoiningHost: makeResetJoiningHost(deps),
      ...makeMembershipSteps(deps),
      chooseReplacementHost: makeChooseReplacementHost(deps),
      checkHostAgent: makeCheckHostAgent(deps),
      completeLifecycleAction: makeCompleteLifecycleAction(deps),
      lookAgain: makeLookAgain(deps),
      retireReplacedHost: makeRetireReplacedHost(deps),
    },
    renewLock,
  );
  return {
    ...own,
    acquireLock: provision.acquireLock,
    releaseLock: provision.releaseLock,
    generatePki: provision.generatePki,
    revokeCertificates: provision.revokeCertificates,
    pushRevocationList: provision.pushRevocationList,
    configureKubelet: provision.configureKubelet,
    pushCertificates: provision.pushCertificates,
    writeEtcdConfig: provision.writeEtcdConfig,
    startEtcd: provision.startEtcd,
    checkHealth: provision.checkHealth,
    collectMemberLogs: provision.collectMemberLogs,
    recordCluster: provision.recordCluster,
    publishMembershipEvent: provision.publishMembershipEvent,
  };
}
