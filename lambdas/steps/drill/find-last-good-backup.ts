// Find Last Good Backup: the backup a drill restores is the one a restore would start from. None is a failed drill.
import { z } from 'zod';
import { NoBackupToDrillError } from '../../core/errors';
import { parseOrThrow } from '../../core/parse';
import type { BackupMetadata, LastBackupStore } from '../../ports';
import type { StepDeps } from '../deps';

const InputSchema = z.object({ clusterName: z.string().min(1) });

export function makeFindLastGoodBackup(deps: Pick<StepDeps, 'log'> & { readonly lastBackup: LastBackupStore }) {
  return async function findLastGoodBackup(raw: unknown): Promise<BackupMetadata> {
    const { clusterName } = parseOrThrow(InputSchema, raw, 'Find Last Good Backup input');
    const backup = await deps.lastBackup.get(clusterName);
    if (!backup) throw new NoBackupToDrillError(`no backup to drill: cluster ${clusterName} has no last good backup (BackupCluster records one)`);
    deps.log.info('drilling the last good backup', { cluster: clusterName, backup: backup.name, revision: backup.revision });
    return backup;
  };
}
