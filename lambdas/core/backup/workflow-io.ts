// BackupCluster's input and output: what the CLI, the schedule and a person starting an execution by hand send,
// and what each cluster's backup ends as (one entry per cluster in the output's `backups`).
import { z } from 'zod';
import type { BackupMetadata } from './metadata';

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The execution input: `{ "clusterName": "prod" }` backs up one cluster; `{}` (the schedule) every recorded one.
 * Strict, so that a misspelt field is refused rather than read as "every cluster".
 */
export const BackupRequestSchema = z.strictObject({
  clusterName: z.string().regex(DNS_1123_LABEL, 'expected a DNS-1123 label (lower-case letters, digits, "-")').max(63).optional(),
  /** Who asked (the schedule says "schedule"); shown in the logs only. */
  trigger: z.string().max(100).optional(),
});
export type BackupRequest = z.output<typeof BackupRequestSchema>;

/** How one cluster's backup ended. */
export type BackupOutcome =
  | { readonly clusterName: string; readonly outcome: 'backed-up'; readonly backup: BackupMetadata; readonly pruned: readonly string[] }
  | { readonly clusterName: string; readonly outcome: 'already-running'; readonly heldBy: string }
  | { readonly clusterName: string; readonly outcome: 'failed'; readonly error: string; readonly cause: string };

/** The output of a BackupCluster execution that ran. */
export interface BackupClusterOutput {
  readonly backups: readonly BackupOutcome[];
  /** Why nothing was backed up (an unknown or bootstrapping cluster, no cluster recorded). */
  readonly reason?: string;
}
