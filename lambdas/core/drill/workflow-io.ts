// DrillRestore's input and output: what the CLI, the schedule and a person starting an execution by hand send, and
// how each cluster's drill ends (one entry per cluster in the output's `drills`).
import { z } from 'zod';

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The execution input: `{ "clusterName": "prod" }` drills one cluster; `{}` (the schedule) every recorded one.
 * Strict, so that a misspelt field is refused rather than read as "every cluster".
 */
export const DrillRequestSchema = z.strictObject({
  clusterName: z.string().regex(DNS_1123_LABEL, 'expected a DNS-1123 label (lower-case letters, digits, "-")').max(63).optional(),
  /** Who asked (the schedule says "schedule"); shown in the logs only. */
  trigger: z.string().max(100).optional(),
});
export type DrillRequest = z.output<typeof DrillRequestSchema>;

/** What the temporary etcd said about the restored snapshot (restore-drill.sh's result line). */
export interface RestoredFigures {
  /** Keys at its head revision. */
  readonly keys: number;
  /** Its head revision. */
  readonly revision: number;
  /** Keys at the backup's revision, or 'compacted' when the snapshot no longer holds that revision; absent when not asked. */
  readonly keysAtBackupRevision?: number | 'compacted';
  /** The temporary etcd's version (the member's own binary or image). */
  readonly etcdVersion?: string;
}

/** How one cluster's drill ended. */
export type DrillOutcome =
  | {
      readonly clusterName: string;
      readonly outcome: 'passed';
      readonly backup: string;
      readonly host: string;
      readonly keys: number;
      readonly revision: number;
    }
  | { readonly clusterName: string; readonly outcome: 'already-running'; readonly heldBy: string }
  | { readonly clusterName: string; readonly outcome: 'failed'; readonly backup?: string; readonly error: string; readonly cause: string };

/** The output of a DrillRestore execution that ran. */
export interface DrillRestoreOutput {
  readonly drills: readonly DrillOutcome[];
  /** Why nothing was drilled (an unknown or bootstrapping cluster, no cluster recorded). */
  readonly reason?: string;
}
