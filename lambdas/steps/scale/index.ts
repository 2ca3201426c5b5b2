// The steps of ScaleCluster: its own three, plus ReplaceMember's and ProvisionCluster's for the lock, the snapshot,
// the joining host and the membership changes (same handlers, same functions).
import type { ScaleStep } from '../../catalog/steps';
import type { StepHandler } from '../deps';
import { createReplaceSteps, type ReplaceDeps } from '../replace';
import { makeLockSteps } from '../replace/lock-steps';
import { renewingLocks } from '../lock-renewal';
import { makeValidateScaleRequest } from './validate-scale-request';
import { makePlanScaleChange } from './plan-scale-change';
import { makeRemoveScaledMember } from './remove-scaled-member';

export function createScaleSteps(deps: ReplaceDeps): Record<ScaleStep, StepHandler> {
  const replace = createReplaceSteps(deps);
  const { renewLock } = makeLockSteps(deps);
  const own = renewingLocks({ planScaleChange: makePlanScaleChange(deps), removeScaledMember: makeRemoveScaledMember(deps) }, renewLock);
  return {
    validateScaleRequest: makeValidateScaleRequest(deps),
    ...own,
    acquireLock: replace.acquireLock,
    snapshotBeforeChange: replace.snapshotBeforeChange,
    resetJoiningHost: replace.resetJoiningHost,
    generatePki: replace.generatePki,
    revokeCertificates: replace.revokeCertificates,
    pushRevocationList: replace.pushRevocationList,
    configureKubelet: replace.configureKubelet,
    pushCertificates: replace.pushCertificates,
    addMemberAsLearner: replace.addMemberAsLearner,
    writeEtcdConfig: replace.writeEtcdConfig,
    startEtcd: replace.startEtcd,
    promoteLearner: replace.promoteLearner,
    removeLearners: replace.removeLearners,
    checkHealth: replace.checkHealth,
    collectMemberLogs: replace.collectMemberLogs,
    recordCluster: replace.recordCluster,
    releaseLock: replace.releaseLock,
    publishMembershipEvent: replace.publishMembershipEvent,
  };
}
