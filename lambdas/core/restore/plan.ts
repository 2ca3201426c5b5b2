// What a restore does, decided before anything changes: which backup, which member goes onto which host, the new
// cluster token and whether etcd bumps the revision. Pure: the steps read the record, the backup's manifest and the
// hosts' current addresses (ports), and this turns them into the plan the dry run shows and the restore follows.
import type { BackupMetadata } from '../backup/metadata';

/**
 * How far etcdutl (3.5+) moves the restored revision on (`--bump-revision`, with `--mark-compacted`): past every
 * revision a watcher can have seen since the snapshot was taken, so that no Kubernetes watcher sees revisions go
 * backwards. Kubernetes' etcd restore guide uses 1,000,000,000: far more writes than any cluster makes between a
 * backup and its restore (a busy one makes a few hundred a second: more than a month's worth), and tiny beside
 * etcd's int64 revisions.
 */
export const RESTORE_REVISION_BUMP = 1_000_000_000;

/** A member as the record keeps it (a removed one awaiting replacement too). */
export interface RestorableMember {
  readonly name: string;
  readonly address: string;
  readonly instanceId?: string;
  /** Removed from etcd earlier, awaiting its replacement: restored only when a host is named for it. */
  readonly removed?: boolean;
}

/** One member as it is restored: its recorded name, the host it goes onto. */
export interface MemberToResolve {
  readonly name: string;
  /** The instance to resolve to its current address (AWS): the recorded one, or the replacement named. */
  readonly instanceId?: string;
  /** The recorded address: locally, the host's address (loopback hosts keep theirs). */
  readonly address: string;
  /** The recorded instance this member leaves (a replacement host was named for it). */
  readonly replaces?: string;
}

export interface RestoreChoice {
  readonly members: readonly MemberToResolve[];
  readonly problems: readonly string[];
}

/**
 * The members to restore: every recorded member on its recorded host, or on the host named for it in `hosts`; a
 * removed member awaiting its replacement only when a host is named for it. A host named for a member the record
 * does not have, or given to two members, is a problem (named by its field).
 */
export function chooseRestoreHosts(members: readonly RestorableMember[], hosts: Readonly<Record<string, string>> = {}): RestoreChoice {
  const problems: string[] = [];
  const known = new Set(members.map((m) => m.name));
  for (const name of Object.keys(hosts)) {
    if (!known.has(name)) problems.push(`hosts.${name}: the record has no member "${name}" (members: ${[...known].join(', ') || 'none'})`);
  }
  const owner = new Map<string, string>();
  for (const [name, instanceId] of Object.entries(hosts)) {
    const other = owner.get(instanceId);
    if (other !== undefined) problems.push(`hosts.${name}: instance ${instanceId} is already named for member "${other}"`);
    owner.set(instanceId, name);
  }
  const chosen: MemberToResolve[] = [];
  for (const member of members) {
    const named = hosts[member.name];
    if (named === undefined) {
      if (!member.removed) chosen.push({ name: member.name, address: member.address, ...(member.instanceId && { instanceId: member.instanceId }) });
      continue;
    }
    const recordedElsewhere = members.find((m) => m.name !== member.name && !m.removed && m.instanceId === named);
    if (recordedElsewhere) problems.push(`hosts.${member.name}: instance ${named} is member "${recordedElsewhere.name}"'s recorded host`);
    chosen.push({
      name: member.name,
      address: member.address,
      instanceId: named,
      ...(member.instanceId && member.instanceId !== named && { replaces: member.instanceId }),
    });
  }
  if (problems.length === 0 && chosen.length === 0) problems.push('clusterName: the record lists no member to restore');
  return { members: chosen, problems };
}

/**
 * The `initial-cluster-token` of a restore: from the execution's name, so that a retried step (and a re-run of the
 * same execution) restores with the same token and finds its own work done, while every other restore makes a new
 * cluster whose member and cluster IDs never repeat an earlier one's.
 */
export function restoreToken(clusterName: string, executionName: string): string {
  return `${clusterName}-restore-${executionName.replace(/[^A-Za-z0-9._-]/g, '-')}`;
}

/** Whether the member's tool can bump the revision: etcdutl, from etcd 3.5 on; 3.4's etcdctl cannot. */
export function canBumpRevision(etcdVersion: string): boolean {
  const match = /^v?(\d+)\.(\d+)/.exec(etcdVersion);
  if (!match) return false;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major > 3 || (major === 3 && minor >= 5);
}

/** "3 h 12 min", "2 d 4 h", "45 s": how old a backup is, for people. */
export function describeAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/** A restored member's host as the plan shows it. */
export interface PlannedHost {
  readonly name: string;
  readonly address: string;
  readonly instanceId?: string;
  readonly replaces?: string;
}

/** What a restore does (the dry run's answer, and the plan a confirmed one follows). Names and numbers only. */
export interface RestorePlan {
  readonly clusterName: string;
  readonly snapshot: {
    readonly name: string;
    readonly revision: number;
    readonly takenAt: string;
    readonly ageSeconds: number;
    readonly age: string;
    readonly bytes: number;
    readonly sha256: string;
    readonly location: string;
    readonly etcdVersion: string;
    readonly clusterId: string;
    /** The last good backup (true) or one named in the request. */
    readonly lastGood: boolean;
  };
  readonly hosts: readonly PlannedHost[];
  readonly runtime: string;
  readonly dataDir: string;
  /** The new cluster's initial-cluster-token. */
  readonly token: string;
  /** etcdutl's --bump-revision (with --mark-compacted); 0: not bumped (etcd 3.4's etcdctl cannot). */
  readonly bumpRevision: number;
  readonly revisionBumped: boolean;
}

export interface RestorePlanRequest {
  readonly clusterName: string;
  readonly backup: BackupMetadata;
  readonly lastGood: boolean;
  readonly hosts: readonly PlannedHost[];
  readonly runtime: string;
  readonly dataDir: string;
  readonly executionName: string;
  /** The members' etcd version, when known (else the backup's source member's). */
  readonly etcdVersion?: string;
  readonly now: Date;
}

export function planRestore(request: RestorePlanRequest): RestorePlan {
  const { backup } = request;
  const ageSeconds = Math.max(0, Math.round((request.now.getTime() - new Date(backup.takenAt).getTime()) / 1000));
  const bump = canBumpRevision(request.etcdVersion ?? backup.etcdVersion) ? RESTORE_REVISION_BUMP : 0;
  return {
    clusterName: request.clusterName,
    snapshot: {
      name: backup.name,
      revision: backup.revision,
      takenAt: backup.takenAt,
      ageSeconds,
      age: describeAge(ageSeconds),
      bytes: backup.bytes,
      sha256: backup.sha256,
      location: backup.location,
      etcdVersion: backup.etcdVersion,
      clusterId: backup.clusterId,
      lastGood: request.lastGood,
    },
    hosts: request.hosts,
    runtime: request.runtime,
    dataDir: request.dataDir,
    token: restoreToken(request.clusterName, request.executionName),
    bumpRevision: bump,
    revisionBumped: bump > 0,
  };
}

/** The dry run's sentences: what a confirmed restore would do. */
export function describeRestorePlan(plan: RestorePlan): string[] {
  const s = plan.snapshot;
  return [
    `would restore cluster "${plan.clusterName}" from backup ${s.name} (${s.lastGood ? 'the last good one' : 'named'}): revision ${s.revision}, taken ${s.takenAt} (${s.age} ago), ${s.bytes} bytes, etcd ${s.etcdVersion}`,
    `every write after ${s.takenAt} is lost; etcd is stopped on every member and each data dir (${plan.dataDir}) is moved aside (never deleted)`,
    ...plan.hosts.map((h) => `member ${h.name} onto ${h.instanceId ? `${h.instanceId} ` : ''}${h.address}${h.replaces ? ` (replacing ${h.replaces})` : ''}`),
    `new cluster token ${plan.token}: a new cluster ID and member IDs`,
    plan.revisionBumped
      ? `revision bumped by ${plan.bumpRevision} and marked compacted (etcd ${s.etcdVersion}): watchers relist instead of seeing revisions go backwards`
      : `revision NOT bumped (etcd ${s.etcdVersion}: 3.4's etcdctl cannot): restart every kube-apiserver after the restore`,
    `to restore, run again with confirm = "${plan.clusterName}"`,
  ];
}

/** What the record keeps of the last restore (ClusterRecord.lastRestore): which backup, when, by whom, the new cluster. */
export interface RestoreNote {
  readonly at: string;
  readonly by?: string;
  readonly execution: string;
  readonly backup: string;
  readonly backupRevision: number;
  readonly backupTakenAt: string;
  /** The cluster ID before (the backup's) and after the restore (hex). */
  readonly previousClusterId: string;
  readonly clusterId: string;
  readonly token: string;
  readonly bumpRevision: number;
}
