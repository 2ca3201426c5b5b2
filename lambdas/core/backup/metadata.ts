// What a backup says about itself (its manifest beside the snapshot, and the "last good backup" item), and how its
// name is made from the time it was taken. Plain data and zod: the same shape on S3, in DynamoDB and on disk.
import { z } from 'zod';

export const BackupMemberSchema = z.object({ name: z.string(), id: z.string(), peerURLs: z.array(z.string()), isLearner: z.boolean() });

export const BackupMetadataSchema = z.object({
  clusterName: z.string().min(1),
  /** The backup's name: its time, a key segment (`2026-12-05T18-53-09-123Z`). */
  name: z.string().min(1),
  takenAt: z.string().datetime(),
  /** Where the snapshot is (`s3://bucket/key`, or a file path locally). */
  location: z.string().min(1),
  /** The source member's revision right before its stream opened (the snapshot's own may be a little larger). */
  revision: z.number().int().nonnegative(),
  /**
   * Keys at `revision` (a count-only range read at that revision on the source member, right before its stream
   * opened), which a restore drill compares with. @default - not recorded (manifests taken before it was)
   */
  keyCount: z.number().int().nonnegative().optional(),
  /** Hex, as etcdctl prints it. */
  clusterId: z.string().min(1),
  /** The member list as etcd gave it (IDs in hex). */
  members: z.array(BackupMemberSchema),
  /** The source member's etcd version. */
  etcdVersion: z.string(),
  /** The client URL it came from. */
  from: z.string(),
  /** Bytes, etcd's 32-byte SHA-256 trailer included. */
  bytes: z.number().int().positive(),
  /** The trailer in hex, checked while streaming: the SHA-256 of the file without its last 32 bytes. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The execution that took it. */
  execution: z.string(),
});
export type BackupMetadata = z.infer<typeof BackupMetadataSchema>;
export type BackupMember = z.infer<typeof BackupMemberSchema>;

/** A backup's name from the time it was taken: ISO 8601 with ":" and "." replaced, so it sorts and is a key segment. */
export function backupNameAt(at: Date): string {
  return at.toISOString().replace(/[:.]/g, '-');
}

/** The time in a backup's name, or undefined for a name backupNameAt did not make. */
export function takenAtOfName(name: string): Date | undefined {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2})-(\d{2})-(\d{2})-(\d{3})Z$/.exec(name);
  if (!match) return undefined;
  const at = new Date(`${match[1]}:${match[2]}:${match[3]}.${match[4]}Z`);
  return Number.isNaN(at.getTime()) ? undefined : at;
}
