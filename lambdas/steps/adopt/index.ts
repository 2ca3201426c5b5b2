// The steps of AdoptCluster: its own four, plus ReplaceMember's for the lock, the snapshot, the health check and the
// record (same handlers, same functions).
import type { AdoptStep } from '../../catalog/steps';
import type { PkiUploadSlots } from '../../ports';
import type { StepHandler } from '../deps';
import { createReplaceSteps, type ReplaceDeps } from '../replace';
import { makeLockSteps } from '../replace/lock-steps';
import { renewingLocks } from '../lock-renewal';
import { makeValidateAdoptRequest } from './validate-adopt-request';
import { makeInspectAdoptableMember } from './inspect-adoptable-member';
import { makeReceiveMemberPki } from './receive-member-pki';
import { makeMovePeerUrl } from './move-peer-url';

export interface AdoptDeps extends ReplaceDeps {
  readonly uploadSlots: PkiUploadSlots;
}

export function createAdoptSteps(deps: AdoptDeps): Record<AdoptStep, StepHandler> {
  const replace = createReplaceSteps(deps);
  const { renewLock } = makeLockSteps(deps);
  const own = renewingLocks(
    { inspectAdoptableMember: makeInspectAdoptableMember(deps), receiveMemberPki: makeReceiveMemberPki(deps), movePeerUrl: makeMovePeerUrl(deps) },
    renewLock,
  );
  return {
    validateAdoptRequest: makeValidateAdoptRequest(deps),
    ...own,
    acquireLock: replace.acquireLock,
    snapshotBeforeChange: replace.snapshotBeforeChange,
    checkHealth: replace.checkHealth,
    collectMemberLogs: replace.collectMemberLogs,
    recordCluster: replace.recordCluster,
    releaseLock: replace.releaseLock,
    publishMembershipEvent: replace.publishMembershipEvent,
  };
}
