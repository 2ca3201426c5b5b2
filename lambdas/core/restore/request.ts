// RestoreCluster's input: what `etcd-ha restore`, `etcd-ha local restore` and a person starting an execution by hand
// send. Strict, so that a misspelt field ("confrim", "snaphot") is refused by name instead of read as a dry run or as
// "the last good backup". Without `confirm` the execution is a dry run: it says what it would do and changes nothing.
import { z } from 'zod';

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A backup's name as BackupCluster makes it (backupNameAt): its UTC time with ":" and "." replaced. */
const BACKUP_NAME = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/;
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

export const RestoreRequestSchema = z
  .strictObject({
    clusterName: z.string().regex(DNS_1123_LABEL, 'expected a DNS-1123 label (lower-case letters, digits, "-")').max(63),
    /** A backup's name (e.g. 2026-12-05T18-53-09-123Z, as `etcd-ha local backups` lists it). @default - the last good backup */
    snapshot: z.string().regex(BACKUP_NAME, 'expected a backup name such as 2026-12-05T18-53-09-123Z (as the backup list shows it)').optional(),
    /** The cluster's name again: only then is anything changed. */
    confirm: z.string().optional(),
    /**
     * Replacement hosts for members whose hosts are gone: member name → EC2 instance ID (AWS). The instance must be
     * tagged for this cluster and not retired, as a ReplaceMember replacement host. @default - every member on its recorded host
     */
    hosts: z.record(z.string().regex(DNS_1123_LABEL, 'expected a member name'), z.string().regex(INSTANCE_ID, 'expected an EC2 instance ID such as i-0123456789abcdef0')).optional(),
    /** Who asks (logs and the record's note of the restore). */
    by: z.string().trim().min(1).max(200).optional(),
  })
  .refine((r) => r.confirm === undefined || r.confirm === r.clusterName, {
    message: 'must equal clusterName to restore the cluster (leave it out for a dry run that changes nothing)',
    path: ['confirm'],
  });

export type RestoreRequest = z.output<typeof RestoreRequestSchema>;
