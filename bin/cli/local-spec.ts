// The spec `etcd-ha local up` provisions: N members named like the guide's (infra0, infra1, …), or a
// file. Local mode runs the systemd layout (kubeadm and kubelet cannot run here), so that is its runtime.
import { readFileSync } from 'node:fs';
import { parseClusterSpec, type ClusterSpec } from '../../lambdas/core/spec';
import { UsageError } from './output';

export const LOCAL_MEMBER_COUNTS = [1, 3, 5, 7];

export function defaultLocalSpec(members: number): Record<string, unknown> {
  if (!LOCAL_MEMBER_COUNTS.includes(members)) {
    throw new UsageError(`--members must be 1, 3, 5 or 7 (an odd etcd cluster size), got ${members}`);
  }
  return {
    clusterName: 'local',
    runtime: 'systemd',
    ...(members === 1 && { allowSingleMember: true }),
    members: Array.from({ length: members }, (_, i) => ({ name: `infra${i}` })),
  };
}

/**
 * Reads and validates a spec file; its runtime defaults to systemd here, and kubeadm is refused with the reason.
 * @throws SpecValidationError naming the field for anything the schema refuses (null, an array, members not a list, …)
 */
export function readLocalSpec(path: string): ClusterSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read the spec file ${path}: ${(error as Error).message}`);
  }
  // Not an object: the schema words the refusal.
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return parseClusterSpec(raw);
  const spec = raw as Record<string, unknown>;
  if (spec.runtime === 'kubeadm') {
    throw new UsageError('runtime: local mode runs the systemd runtime (kubeadm and kubelet cannot run on one machine); set "runtime": "systemd"');
  }
  return parseClusterSpec({ ...spec, runtime: spec.runtime ?? 'systemd' });
}
