// The one member table of the command line: after a workflow (local or AWS), and with each member's health in
// `local status` and `status`.
import { healingPausedReason, type MaintenanceState } from '../../lambdas/core/maintenance';
import type { Output } from './output';

export interface MemberLine {
  readonly name: string;
  readonly id?: string;
  readonly endpoint: string;
  readonly leader?: boolean;
}

export function memberTableLines(members: readonly MemberLine[]): string[] {
  return members.map((m) => `  ${m.name.padEnd(10)} ${(m.id ?? '').padEnd(17)} ${m.endpoint}${m.leader ? '  (leader)' : ''}`);
}

export function printMemberTable(output: Output, members: readonly MemberLine[]): void {
  for (const line of memberTableLines(members)) output.out(line);
}

/** A member as `status` reports it: what it said about itself just now. */
export interface MemberStatusLine {
  readonly name: string;
  readonly id: string;
  readonly endpoint: string;
  readonly healthy: boolean;
  readonly leader: boolean;
  readonly learner: boolean;
  readonly dbSize?: number;
}

/** What `local status` and `status` print about a cluster. */
export interface ClusterHealthLines {
  readonly clusterName: string;
  readonly healthy: boolean;
  readonly members: readonly MemberStatusLine[];
  readonly problems: readonly string[];
  readonly maintenance?: MaintenanceState;
  /** Dead members removed from etcd whose replacements have not joined yet. @default none */
  readonly awaitingReplacement?: ReadonlyArray<{ readonly name: string; readonly removedAt: string; readonly removedBy: string }>;
}

/** The verdict, the healing flag, one tab-separated line per member, then each problem. */
export function clusterHealthLines(cluster: ClusterHealthLines): string[] {
  return [
    `cluster ${cluster.clusterName}: ${cluster.healthy ? 'healthy' : 'NOT healthy'}`,
    healingPausedReason(cluster.maintenance) ?? 'automatic healing: on',
    ['NAME', 'ID', 'ENDPOINT', 'HEALTHY', 'LEADER', 'LEARNER', 'DB SIZE'].join('\t'),
    ...cluster.members.map((m) => [m.name, m.id, m.endpoint, m.healthy, m.leader, m.learner, m.dbSize ?? '-'].join('\t')),
    ...(cluster.awaitingReplacement ?? []).map((m) => `awaiting replacement: ${m.name} (removed ${m.removedAt} by ${m.removedBy})`),
    ...cluster.problems.map((problem) => `! ${problem}`),
  ];
}
