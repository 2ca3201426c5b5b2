// Snapshot Before Change: a backend snapshot from a healthy member, kept before membership changes. The
// stream is checked against the SHA-256 etcd appends to it as it goes into the store (core/snapshot-hash.ts):
// a corrupt one fails the step (SnapshotCorruptError) and is not kept. The snapshot is described by the
// status of the member it came from, asked right before its stream opened.
import { EtcdHaError } from '../../core/errors';
import { hexId } from '../../core/health';
import { parseOrThrow } from '../../core/parse';
import { checkedSnapshot, SnapshotHashCheck, type VerifiedSnapshot } from '../../core/snapshot-hash';
import type { SnapshotStore } from '../../ports';
import type { StepDeps } from '../deps';
import { z } from 'zod';
import { FailedMemberSchema, ReplaceStateSchema } from './inputs';

/**
 * ReplaceMember's state (the failed member's endpoint is not asked), or ScaleCluster's (no failed member; `label`
 * names the change in the snapshot's name).
 */
const SnapshotInputSchema = ReplaceStateSchema.extend({ failed: FailedMemberSchema.optional(), label: z.string().regex(/^[a-z0-9-]+$/).optional() });
import { endpointsOf, withAdmin } from './membership';

export interface SnapshotBeforeChangeOutput {
  /** Where the store keeps it (`s3://bucket/key` on AWS, a file path locally). */
  readonly location: string;
  /** Its size, etcd's SHA-256 trailer included. */
  readonly bytes: number;
  /** The client URL of the member it came from. */
  readonly from: string;
  /** etcd's trailer in hex, checked: the SHA-256 of the file without its last 32 bytes. */
  readonly sha256: string;
  /**
   * The source member's revision right before the stream opened: writes meanwhile may make the snapshot's own
   * revision (`etcdutl snapshot status`) larger, never smaller.
   */
  readonly revision: number;
  /** The cluster ID in hex, as etcdctl prints it. */
  readonly clusterId: string;
}

export function makeSnapshotBeforeChange(deps: Pick<StepDeps, 'secrets' | 'etcd' | 'log' | 'clock'> & { readonly snapshots: SnapshotStore }) {
  return async function snapshotBeforeChange(raw: unknown): Promise<SnapshotBeforeChangeOutput> {
    const { spec, hosts, failed, pki, label } = parseOrThrow(SnapshotInputSchema, raw, 'Snapshot Before Change input');
    const stamp = deps.clock.now().toISOString().replace(/[:.]/g, '-');
    let saved: { location: string; bytes: number } | undefined;
    let verified: VerifiedSnapshot | undefined;
    const { endpoint, status } = await withAdmin(deps, pki, (admin) =>
      // Called again from the start when a member's stream fails half-way: a fresh check each time.
      admin.snapshot(endpointsOf(hosts, spec, failed?.name), async (chunks) => {
        const check = new SnapshotHashCheck();
        try {
          saved = await deps.snapshots.save(spec.clusterName, `before-${label ?? `replace-${failed?.name ?? 'change'}`}-${stamp}`, checkedSnapshot(chunks, check));
        } catch (error) {
          // The store's own error may wrap the stream's: the workflow must see the corruption by its name.
          throw check.failure ?? error;
        }
        verified = check.finish();
      }),
    );
    if (!saved || !verified) throw new EtcdHaError(`snapshot from ${endpoint} was never saved`);
    if (status.revision === undefined || status.clusterId === undefined) {
      throw new EtcdHaError(`snapshot from ${endpoint}: its status gave no revision or cluster ID`);
    }
    const output = { ...saved, from: endpoint, sha256: verified.sha256, revision: status.revision, clusterId: hexId(status.clusterId) };
    deps.log.info('snapshot saved', { cluster: spec.clusterName, ...output });
    return output;
  };
}
