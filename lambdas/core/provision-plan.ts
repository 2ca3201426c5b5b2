// What a provisioning run may do to a cluster, judged from the record and etcd's own view (read under the lock).
// No record: bootstrap. A bootstrapping record (a first run that did not complete): bootstrap again, but only the
// members it recorded (names and instances), so that its CA signs for nobody else. A running record: reconcile — the recorded membership, the spec's settings, one member at a
// time — but only when the spec names the recorded members, changes nothing that a running member cannot take
// (runtime, data dir, ports), and etcd still has quorum. Anything else is refused with what differs and which
// workflow does that change. Pure: the step does the reading.
import type { ClusterSpec } from './spec';
import { quorumOf } from './quorum';
import { restoreCommands } from './restore/advice';
import { peerUrl } from './etcd-flags';
import type { ClusterMember } from './etcd-view';
import type { RecordedMember, RemovedMember } from './recorded-member';
import { isBootstrapping, type ClusterStatus } from './cluster-status';

export interface RecordedCluster {
  /** @default 'running' */
  readonly status?: ClusterStatus;
  readonly members: readonly RecordedMember[];
  readonly removed?: readonly RemovedMember[];
  /** The spec the cluster was last provisioned with (members as recorded). */
  readonly spec: ClusterSpec;
}

/** What etcd said when asked at the recorded members' client URLs. */
export interface EtcdFacts {
  /** Recorded members whose etcd answered its status. */
  readonly answered: readonly string[];
  /** etcd's member list; undefined when no member gave one (etcd 3.5 gives it only with quorum). */
  readonly members?: readonly ClusterMember[];
}

export type ProvisionPlan =
  /** `resumed`: a first run that did not complete is run again (its bootstrapping record, its CA). */
  | { readonly mode: 'bootstrap'; readonly resumed?: true }
  | { readonly mode: 'reconcile'; readonly members: readonly RecordedMember[]; readonly down: readonly string[] };

export type ProvisionRefusal = { readonly refused: 'membership' | 'settings' | 'quorum'; readonly message: string };

/** Settings a running member cannot take by a restart: each needs its own migration. */
const FIXED_SETTINGS: ReadonlyArray<{ readonly field: string; readonly of: (spec: ClusterSpec) => unknown; readonly why: string }> = [
  { field: 'runtime', of: (s) => s.runtime, why: 'moving members between runtimes is a migration of its own' },
  { field: 'etcd.dataDir', of: (s) => s.etcd.dataDir, why: 'a member restarted on an empty data dir would lose its data' },
  { field: 'etcd.peerPort', of: (s) => s.etcd.peerPort, why: 'peer URLs change only through member update' },
  { field: 'etcd.clientPort', of: (s) => s.etcd.clientPort, why: 'clients and the record know the members by it' },
];

/** How the spec's member list differs from the record's, one sentence per difference; empty when none. */
export function membershipDifferences(spec: ClusterSpec, record: Pick<RecordedCluster, 'members' | 'removed'>): string[] {
  const recorded = new Map(record.members.map((m) => [m.name, m]));
  const listed = new Set(spec.members.map((m) => m.name));
  const differences: string[] = [];
  for (const member of spec.members) {
    const known = recorded.get(member.name);
    if (!known) {
      const removed = record.removed?.find((m) => m.name === member.name);
      differences.push(removed ? `${member.name} was removed (dead) on ${removed.removedAt} and awaits its replacement` : `the spec lists ${member.name}, which is no member`);
      continue;
    }
    if (member.address !== undefined && member.address !== known.address) {
      differences.push(`${member.name}: the spec says address ${member.address}, the record ${known.address}`);
    }
    // Also when the spec names no instance: a member is bound to its recorded instance, never to "any".
    if (member.instanceId !== known.instanceId) {
      differences.push(`${member.name}: the spec says instance ${member.instanceId ?? 'none'}, the record ${known.instanceId ?? 'none'}`);
    }
  }
  for (const member of record.members) {
    if (!listed.has(member.name)) differences.push(`${member.name} is a member, the spec does not list it`);
  }
  return differences;
}

/** Fixed settings the spec changes, one sentence each. */
export function fixedSettingChanges(spec: ClusterSpec, recorded: ClusterSpec): string[] {
  return FIXED_SETTINGS.filter((s) => s.of(spec) !== s.of(recorded)).map(
    (s) => `${s.field}: ${JSON.stringify(s.of(recorded))} → ${JSON.stringify(s.of(spec))} (${s.why})`,
  );
}

/** etcd's list against the record: voters by peer URL; learners or unknown members mean a change is under way. */
function listDifferences(record: RecordedCluster, members: readonly ClusterMember[], spec: ClusterSpec): string[] {
  const differences: string[] = [];
  for (const m of record.members) {
    const url = peerUrl(m.address, spec);
    const listed = members.find((l) => l.peerURLs.includes(url));
    if (!listed) differences.push(`${m.name} (${url}) is recorded but etcd does not list it`);
    else if (listed.isLearner) differences.push(`${m.name} is still a learner in etcd`);
  }
  const recordedUrls = new Set(record.members.map((m) => peerUrl(m.address, spec)));
  for (const l of members) {
    if (!l.peerURLs.some((u) => recordedUrls.has(u))) differences.push(`etcd lists ${l.name || '(unstarted)'} at ${l.peerURLs.join(',')}, which the record lacks`);
  }
  return differences;
}

const CHANGE_MEMBERSHIP =
  'ProvisionCluster keeps the recorded membership: replace a member with ReplaceMember (etcd-ha replace / local heal); grow or shrink it with ScaleCluster (etcd-ha scale --cluster NAME --members N [--instance ID ...] / etcd-ha local scale --members N)';

/** Why a spec may not be provisioned onto its recorded cluster's membership; undefined when it may. */
export function membershipRefusal(spec: ClusterSpec, record: Pick<RecordedCluster, 'members' | 'removed'>): string | undefined {
  const members = membershipDifferences(spec, record);
  // A removed member the spec does not list still awaits its replacement: the record is not settled.
  for (const m of record.removed ?? []) {
    if (!spec.members.some((s) => s.name === m.name)) members.push(`${m.name} was removed (dead) on ${m.removedAt} and awaits its replacement`);
  }
  if (members.length === 0) return undefined;
  return `the spec's members differ from cluster ${spec.clusterName}'s record: ${members.join('; ')}. ${CHANGE_MEMBERSHIP}`;
}

export function planProvision(spec: ClusterSpec, record: RecordedCluster | undefined, etcd: EtcdFacts | undefined): ProvisionPlan | ProvisionRefusal {
  if (!record) return { mode: 'bootstrap' };
  const name = spec.clusterName;
  if (isBootstrapping(record)) {
    const differences = membershipDifferences(spec, record);
    if (differences.length === 0) return { mode: 'bootstrap', resumed: true };
    return {
      refused: 'membership',
      message: `cluster ${name}'s first provisioning did not complete and recorded other members: ${differences.join('; ')}. Re-run it with the recorded members (its CA signs for them only), or delete the cluster to start over`,
    };
  }
  const members = membershipRefusal(spec, record);
  if (members !== undefined) return { refused: 'membership', message: members };
  const settings = fixedSettingChanges(spec, record.spec);
  if (settings.length > 0) {
    return { refused: 'settings', message: `cluster ${name} is running; the spec changes what a running member cannot take: ${settings.join('; ')}` };
  }
  const answered = new Set(etcd?.answered ?? []);
  const down = record.members.filter((m) => !answered.has(m.name)).map((m) => m.name);
  const quorum = quorumOf(record.members.length);
  if (record.members.length - down.length < quorum) {
    return {
      refused: 'quorum',
      message: `cluster ${name} has lost quorum: ${record.members.length - down.length} of ${record.members.length} recorded members answer (${down.join(', ')} do not), ${quorum} needed. Provisioning never bootstraps a recorded cluster again (that would start an empty one under its name): restore it from a snapshot: ${restoreCommands(name)}`,
    };
  }
  if (etcd?.members) {
    const listed = listDifferences(record, etcd.members, spec);
    if (listed.length > 0) {
      return { refused: 'membership', message: `etcd's member list differs from cluster ${name}'s record: ${listed.join('; ')}. A membership change may be under way or have failed half-way: let it finish, or run ReplaceMember` };
    }
  }
  return { mode: 'reconcile', members: record.members, down };
}

/**
 * The next member a rolling change takes: the first not yet rolled that is not the leader, and the leader
 * last (its restart costs an election; every follower is done by then).
 */
export function nextMemberToRoll(order: readonly string[], rolled: readonly string[], leader: string | undefined): string | undefined {
  const left = order.filter((m) => !rolled.includes(m));
  return left.find((m) => m !== leader) ?? left[0];
}

export type RestartVerdict = { readonly safe: true; readonly why: string } | { readonly safe: false; readonly why: string };

/**
 * Whether restarting `member` keeps a quorum of voters answering. A member that does not answer may always be
 * (re)started: it only adds. Otherwise the voters other than it that answer must make a quorum on their own.
 */
export function judgeRestart(member: string, voters: ReadonlyArray<{ readonly name: string; readonly healthy: boolean }>): RestartVerdict {
  const self = voters.find((v) => v.name === member);
  if (!self?.healthy) return { safe: true, why: `${member} does not answer: starting it can only help` };
  const others = voters.filter((v) => v.name !== member);
  const healthyOthers = others.filter((v) => v.healthy).length;
  const quorum = quorumOf(voters.length);
  const down = others.filter((v) => !v.healthy).map((v) => v.name);
  if (healthyOthers >= quorum) return { safe: true, why: `${healthyOthers} of ${voters.length} voters keep answering while ${member} restarts (quorum ${quorum})` };
  return {
    safe: false,
    why: `restarting ${member} now would leave ${healthyOthers} of ${voters.length} voters answering, quorum needs ${quorum}${down.length > 0 ? ` (${down.join(', ')} not answering)` : ''}`,
  };
}
