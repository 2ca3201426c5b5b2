// restore-drill.sh ends with one line that says what the temporary etcd held:
//   drill-result keys=3 revision=7 keys-at-backup-revision=3 etcd=3.5.16
// (`keys-at-backup-revision=compacted` when the snapshot no longer holds the backup's revision; left out when not
// asked). This reads the last such line of the script's output.
import type { RestoredFigures } from './workflow-io';

export const DRILL_RESULT_PREFIX = 'drill-result';

const LINE = /^drill-result keys=(\d+) revision=(\d+)(?: keys-at-backup-revision=(\d+|compacted))?(?: etcd=(\S+))?$/;

/** The figures of the last result line in `stdout`, or undefined when it has none. */
export function parseDrillResult(stdout: string): RestoredFigures | undefined {
  const lines = stdout.split('\n').map((l) => l.trim()).filter((l) => l.startsWith(`${DRILL_RESULT_PREFIX} `));
  const last = lines.at(-1);
  const match = last === undefined ? null : LINE.exec(last);
  if (!match) return undefined;
  const atBackup = match[3];
  return {
    keys: Number(match[1]),
    revision: Number(match[2]),
    ...(atBackup !== undefined && { keysAtBackupRevision: atBackup === 'compacted' ? 'compacted' : Number(atBackup) }),
    ...(match[4] !== undefined && { etcdVersion: match[4] }),
  };
}
