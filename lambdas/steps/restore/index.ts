// The steps of RestoreCluster (`etcd-ha restore`, `etcd-ha local restore`): Validate Restore Request → Acquire Lock →
// Plan Restore → (a dry run: Release Lock Unneeded, the plan) → Verify Snapshot → Issue Member Certificates → Update
// Revocation List → Stop Etcd For Restore (every host) → Push Revocation List → per host: Push Certificates → Stage
// Snapshot → Restore Member → per host: Write Etcd Config → Start Etcd → Check Health → Record Restored Cluster →
// Unstage Snapshots → Release Lock. The lock, PKI, config, start and health steps are ProvisionCluster's handlers.
import type { RestoreStep } from '../../catalog/steps';
import type { BackupStore, LastBackupStore, SnapshotHandoff } from '../../ports';
import type { StepHandler } from '../deps';
import { createProvisionSteps, type ProvisionDeps } from '..';
import { createHandoffSteps } from '../backup/handoff-steps';
import { renewingLocks } from '../lock-renewal';
import { makeLockSteps } from '../replace/lock-steps';
import { makePlanRestore, makeValidateRestoreRequest } from './plan-restore';
import { makeRestoreMemberSteps } from './restore-member';
import { makeRecordRestoredCluster } from './record-restored-cluster';

export interface RestoreDeps extends ProvisionDeps {
  readonly backups: BackupStore;
  readonly lastBackup: LastBackupStore;
  readonly handoff: SnapshotHandoff;
}

export function createRestoreSteps(deps: RestoreDeps): Record<RestoreStep, StepHandler> {
  const provision = createProvisionSteps(deps);
  const { renewLock } = makeLockSteps(deps);
  const handoff = createHandoffSteps(deps);
  // Every step the workflow runs under the lock renews it first (its input carries the lock).
  const own = renewingLocks(
    {
      planRestore: makePlanRestore(deps),
      verifySnapshot: handoff.verifySnapshot,
      stageSnapshot: handoff.stageSnapshot,
      ...makeRestoreMemberSteps(deps),
      recordRestoredCluster: makeRecordRestoredCluster(deps),
    },
    renewLock,
  );
  return {
    validateRestoreRequest: makeValidateRestoreRequest(deps),
    acquireLock: provision.acquireLock,
    ...own,
    generatePki: provision.generatePki,
    revokeCertificates: provision.revokeCertificates,
    pushRevocationList: provision.pushRevocationList,
    configureKubelet: provision.configureKubelet,
    pushCertificates: provision.pushCertificates,
    writeEtcdConfig: provision.writeEtcdConfig,
    startEtcd: provision.startEtcd,
    checkHealth: provision.checkHealth,
    collectMemberLogs: provision.collectMemberLogs,
    // After a failure too, when the lock may be gone: it needs none.
    unstageSnapshots: handoff.unstageSnapshots,
    releaseLock: provision.releaseLock,
    publishMembershipEvent: provision.publishMembershipEvent,
  };
}
