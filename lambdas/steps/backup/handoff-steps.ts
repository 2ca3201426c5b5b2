// The steps that hand a backup to member hosts (RestoreCluster, the restore drill): Verify Snapshot reads it whole
// and checks it against its manifest before any host is touched; Stage Snapshot makes it readable by one host;
// Unstage Snapshots removes every staged copy of the execution. The hosts fetch and check it again themselves
// (fetch-snapshot.sh), and `snapshot restore` checks the trailer a third time.
import { z } from 'zod';
import { BackupMetadataSchema } from '../../core/backup/metadata';
import { parseOrThrow } from '../../core/parse';
import type { Logger, SnapshotHandoff, StagedSnapshot } from '../../ports';
import type { StepHandler } from '../deps';

export interface HandoffDeps {
  readonly handoff: SnapshotHandoff;
  readonly log: Logger;
}

export type HandoffStep = 'verifySnapshot' | 'stageSnapshot' | 'unstageSnapshots';

const KEY_SEGMENT = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" (a key segment)');
const VerifyInputSchema = z.object({ backup: BackupMetadataSchema });
const StageInputSchema = z.object({ backup: BackupMetadataSchema, instanceId: z.string().min(1), purpose: KEY_SEGMENT });
const UnstageInputSchema = z.object({ clusterName: z.string().min(1), purpose: KEY_SEGMENT });

export function createHandoffSteps(deps: HandoffDeps): Record<HandoffStep, StepHandler> {
  return {
    async verifySnapshot(raw: unknown): Promise<{ verified: true; bytes: number; sha256: string }> {
      const { backup } = parseOrThrow(VerifyInputSchema, raw, 'Verify Snapshot input');
      await deps.handoff.verify(backup);
      deps.log.info('snapshot verified', { cluster: backup.clusterName, backup: backup.name, bytes: backup.bytes });
      return { verified: true, bytes: backup.bytes, sha256: backup.sha256 };
    },

    async stageSnapshot(raw: unknown): Promise<StagedSnapshot> {
      const { backup, instanceId, purpose } = parseOrThrow(StageInputSchema, raw, 'Stage Snapshot input');
      return deps.handoff.stage(backup, { instanceId }, purpose);
    },

    async unstageSnapshots(raw: unknown): Promise<Record<string, never>> {
      const { clusterName, purpose } = parseOrThrow(UnstageInputSchema, raw, 'Unstage Snapshots input');
      await deps.handoff.unstage(clusterName, purpose);
      return {};
    },
  };
}
