// The spec of a recorded cluster. Its member list is the cluster's intended membership: the members and
// the removed ones awaiting their replacements (between two executions of an outage a 5-member cluster
// may have 4 members and 1 awaiting, which alone would not be a valid size).
import { parseRecordedClusterSpec, type ClusterSpec } from '../core/spec';
import type { ClusterRecord } from '../ports';

export function recordedSpec(record: ClusterRecord): ClusterSpec {
  const intended = [...record.members, ...(record.removed ?? [])].map((m) => ({
    name: m.name,
    address: m.address,
    ...(m.instanceId && { instanceId: m.instanceId }),
  }));
  return parseRecordedClusterSpec({ ...(record.spec as Record<string, unknown>), members: intended });
}
