// Take Backup: a snapshot of the cluster's backend from a healthy member (followers first, the leader last),
// checked against etcd's SHA-256 trailer while it streams into the backup store (the Snapshot Before Change path:
// core/snapshot-hash.ts), then described by its manifest. A corrupt stream fails the step (SnapshotCorruptError)
// and leaves nothing: no snapshot, no manifest, and the last good backup untouched.
import { z } from 'zod';
import { EtcdHaError, EtcdUnavailableError, SpecValidationError } from '../../core/errors';
import { clientUrl } from '../../core/etcd-flags';
import { hexId } from '../../core/health';
import { parseOrThrow } from '../../core/parse';
import { checkedSnapshot, SnapshotHashCheck, type VerifiedSnapshot } from '../../core/snapshot-hash';
import { backupNameAt, type BackupMetadata } from '../../core/backup/metadata';
import { backupSources } from '../../core/backup/source-order';
import type { BackupStore } from '../../ports';
import type { StepDeps } from '../deps';
import { pkiRefs } from '../pki-secrets';
import { recordedSpec } from '../recorded-spec';
import { withAdmin } from '../replace/membership';

const TakeBackupInputSchema = z.object({ clusterName: z.string().min(1), execution: z.string().min(1) });

export function makeTakeBackup(deps: Pick<StepDeps, 'registry' | 'secrets' | 'etcd' | 'log' | 'clock'> & { readonly backups: BackupStore }) {
  return async function takeBackup(raw: unknown): Promise<BackupMetadata> {
    const { clusterName, execution } = parseOrThrow(TakeBackupInputSchema, raw, 'Take Backup input');
    const record = await deps.registry.get(clusterName);
    if (!record) throw new SpecValidationError('Take Backup input', [`clusterName: no cluster "${clusterName}" is recorded`]);
    const spec = recordedSpec(record);
    const pki = pkiRefs(deps.secrets, clusterName, record.members.map((m) => m.name));
    const takenAt = deps.clock.now();
    const name = backupNameAt(takenAt);
    let saved: { location: string; bytes: number } | undefined;
    let verified: VerifiedSnapshot | undefined;
    const { view, source } = await withAdmin(deps, pki, async (admin) => {
      const view = await admin.inspect(record.members.map((m) => clientUrl(m.address, spec)));
      const sources = backupSources(view);
      if (sources.length === 0) throw new EtcdUnavailableError(`no member of cluster ${clusterName} answered: nothing to back up from`);
      const source = await admin.snapshot(sources, async (chunks) => {
        // Called again from the start when a member's stream fails half-way: a fresh check each time.
        const check = new SnapshotHashCheck();
        try {
          saved = await deps.backups.save(clusterName, name, checkedSnapshot(chunks, check));
        } catch (error) {
          throw check.failure ?? error;
        }
        verified = check.finish();
      });
      return { view, source };
    });
    if (!saved || !verified) throw new EtcdHaError(`snapshot from ${source.endpoint} was never saved`);
    const { status } = source;
    if (status.revision === undefined || status.clusterId === undefined) {
      throw new EtcdHaError(`snapshot from ${source.endpoint}: its status gave no revision or cluster ID`);
    }
    const metadata: BackupMetadata = {
      clusterName,
      name,
      takenAt: takenAt.toISOString(),
      location: saved.location,
      revision: status.revision,
      ...(source.keyCount !== undefined && { keyCount: source.keyCount }),
      clusterId: hexId(status.clusterId),
      members: view.members.map((m) => ({ name: m.name, id: hexId(m.id), peerURLs: [...m.peerURLs], isLearner: m.isLearner })),
      etcdVersion: status.version ?? 'unknown',
      from: source.endpoint,
      bytes: verified.bytes,
      sha256: verified.sha256,
      execution,
    };
    await deps.backups.describe(metadata);
    deps.log.info('backup taken', { cluster: clusterName, name, revision: metadata.revision, bytes: metadata.bytes, from: metadata.from });
    return metadata;
  };
}
