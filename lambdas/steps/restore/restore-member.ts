// Stop Etcd For Restore and Restore Member: the two host commands of a restore. The first stops etcd on a member's
// host (every host before any is restored); the second fetches the staged snapshot (fetch-snapshot.sh checks its size
// and etcd's SHA-256 trailer) and restores it into a new data dir, the old one moved aside (restore-member.sh).
import { z } from 'zod';
import { buildHostCommand } from '../../host-scripts';
import { parseOrThrow } from '../../core/parse';
import { peerUrl } from '../../core/etcd-flags';
import { ClusterSpecSchema, type ClusterSpec } from '../../core/spec';
import type { StepDeps } from '../deps';
import { HostSchema } from '../inputs';
import { runOnHost } from '../run-on-host';

const PlanPartSchema = z.object({ token: z.string().min(1), bumpRevision: z.number().int().nonnegative() });

const StopInputSchema = z.object({ spec: ClusterSpecSchema, host: HostSchema, plan: PlanPartSchema });

const RestoreMemberInputSchema = z.object({
  spec: ClusterSpecSchema,
  /** Every restored member on its host: the new cluster's initial-cluster. */
  hosts: z.array(HostSchema).min(1),
  host: HostSchema,
  /** What Stage Snapshot made readable by this host alone. */
  staged: z.object({ uri: z.string().min(1), bytes: z.number().int().positive(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
  plan: PlanPartSchema,
});

type RestoreDeps = Pick<StepDeps, 'runner' | 'log' | 'hostCommandTimeoutSeconds' | 'secretRegion'>;

export interface RestoredMember {
  readonly host: string;
  /** Where the member's old data dir went ("<dataDir>.removed-<UTC time>"); absent when there was none, or the restore was already done. */
  readonly movedAsideTo?: string;
  /** The data dir already held this restore (a retried step): nothing was done. */
  readonly alreadyRestored: boolean;
  readonly report: string[];
}

/** The etcd image kubeadm runs, when the spec pins it; else restore-member.sh reads it from the member's manifest. */
export function etcdImageOf(spec: ClusterSpec): string | undefined {
  const { imageTag, imageRepository } = spec.etcd;
  return imageTag === undefined ? undefined : `${imageRepository ?? 'registry.k8s.io'}/etcd:${imageTag}`;
}

const MOVED_LINE = /^moved data dir .* aside to (.+)$/;
const ALREADY_LINE = /already holds this restore/;

export function makeRestoreMemberSteps(deps: RestoreDeps) {
  return {
    async stopEtcdForRestore(raw: unknown): Promise<{ host: string; report: string[] }> {
      const { spec, host, plan } = parseOrThrow(StopInputSchema, raw, 'Stop Etcd For Restore input');
      const command = buildHostCommand('stop-etcd-for-restore', { RUNTIME: spec.runtime, DATA_DIR: spec.etcd.dataDir, RESTORE_TOKEN: plan.token });
      const result = await runOnHost(deps, 'Stop Etcd For Restore', host, command);
      return { host: host.name, report: result.stdoutTail.trim().split('\n').slice(-5) };
    },

    async restoreMember(raw: unknown): Promise<RestoredMember> {
      const { spec, hosts, host, staged, plan } = parseOrThrow(RestoreMemberInputSchema, raw, 'Restore Member input');
      const image = spec.runtime === 'kubeadm' ? etcdImageOf(spec) : undefined;
      const command = buildHostCommand(['fetch-snapshot', 'restore-member'], {
        SNAPSHOT_URI: staged.uri,
        SNAPSHOT_BYTES: String(staged.bytes),
        SNAPSHOT_SHA256: staged.sha256,
        ...(deps.secretRegion && { SNAPSHOT_REGION: deps.secretRegion }),
        RUNTIME: spec.runtime,
        DATA_DIR: spec.etcd.dataDir,
        MEMBER_NAME: host.name,
        INITIAL_CLUSTER: hosts.map((h) => `${h.name}=${peerUrl(h.address, spec)}`).join(','),
        PEER_URLS: peerUrl(host.address, spec),
        RESTORE_TOKEN: plan.token,
        BUMP_REVISION: String(plan.bumpRevision),
        ...(image && { ETCD_IMAGE: image }),
      });
      const result = await runOnHost(deps, 'Restore Member', host, command);
      const lines = result.stdoutTail.trim().split('\n');
      const moved = lines.map((line) => MOVED_LINE.exec(line.trim())?.[1]).find((to) => to !== undefined);
      return { host: host.name, ...(moved && { movedAsideTo: moved }), alreadyRestored: lines.some((l) => ALREADY_LINE.test(l)), report: lines.slice(-8) };
    },
  };
}
