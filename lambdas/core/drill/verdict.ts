// Whether a restore drill passed: what must hold between a backup's manifest and what the temporary etcd served
// from its snapshot. Rules as a table, each small and named, each tested alone.
//
// - The restored revision is never older than the manifest's. The manifest has the source member's header revision
//   right before its stream opened; writes in between only make the snapshot's larger. (An untouched cluster's
//   snapshot says revision 0 where its header said 1; a restored etcd serves revision 1 at least, so this holds.)
// - The keys at the backup's revision are the manifest's count (the count was read at that revision). When the
//   snapshot no longer holds that revision (compacted between the status and the stream), the keys at the head are
//   compared instead if the head is that revision, else the count is not checked: noted, not failed.
// - A manifest from before key counts were recorded has its keys noted, not checked.
import type { BackupMetadata } from '../backup/metadata';
import type { RestoredFigures } from './workflow-io';

export interface DrillCheck {
  readonly rule: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface DrillVerdict {
  readonly passed: boolean;
  readonly checks: readonly DrillCheck[];
  /** The failed checks' details, joined; or what was checked. */
  readonly summary: string;
}

type Rule = (backup: Pick<BackupMetadata, 'revision' | 'keyCount'>, restored: RestoredFigures) => DrillCheck;

export const DRILL_RULES: readonly Rule[] = [
  function revisionNotOlder(backup, restored) {
    const ok = restored.revision >= backup.revision;
    return {
      rule: 'revision',
      ok,
      detail: ok
        ? `restored revision ${restored.revision} >= the backup's ${backup.revision}`
        : `restored revision ${restored.revision} is older than the backup's ${backup.revision}`,
    };
  },
  function keysAsRecorded(backup, restored) {
    if (backup.keyCount === undefined) return { rule: 'keys', ok: true, detail: `${restored.keys} keys restored (the manifest records no key count: not compared)` };
    const atBackup = restored.keysAtBackupRevision;
    if (typeof atBackup === 'number') {
      return atBackup === backup.keyCount
        ? { rule: 'keys', ok: true, detail: `${atBackup} keys at revision ${backup.revision}, as the manifest says` }
        : { rule: 'keys', ok: false, detail: `${atBackup} keys at revision ${backup.revision}, the manifest says ${backup.keyCount}` };
    }
    if (restored.revision === backup.revision) {
      return restored.keys === backup.keyCount
        ? { rule: 'keys', ok: true, detail: `${restored.keys} keys at revision ${backup.revision}, as the manifest says` }
        : { rule: 'keys', ok: false, detail: `${restored.keys} keys at revision ${backup.revision}, the manifest says ${backup.keyCount}` };
    }
    return {
      rule: 'keys',
      ok: true,
      detail: `${restored.keys} keys at revision ${restored.revision}; revision ${backup.revision} is ${atBackup === 'compacted' ? 'compacted in the snapshot' : 'not asked'}: the manifest's ${backup.keyCount} not compared`,
    };
  },
];

export function judgeDrill(backup: Pick<BackupMetadata, 'revision' | 'keyCount'>, restored: RestoredFigures): DrillVerdict {
  const checks = DRILL_RULES.map((rule) => rule(backup, restored));
  const failed = checks.filter((c) => !c.ok);
  return { passed: failed.length === 0, checks, summary: (failed.length > 0 ? failed : checks).map((c) => c.detail).join('; ') };
}
