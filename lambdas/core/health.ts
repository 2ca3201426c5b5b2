// The health verdict on one etcd cluster: what an EtcdAdmin saw (ClusterView) judged against what the
// spec expects. Pure: no I/O, so the Wait Until Healthy loop, the quorum check and the CLI all read
// the same sentences. A cluster is healthy only when it is exactly the cluster the spec describes.
import type { ClusterMember, ClusterView, MemberStatus } from '../ports';

export interface ExpectedCluster {
  /** The spec's members with their resolved addresses. */
  readonly members: ReadonlyArray<{ readonly name: string; readonly address: string }>;
  readonly clientPort: number;
  readonly peerPort: number;
}

export interface HealthOptions {
  /**
   * Largest tolerated raft lag, in entries: a member's committed index minus its applied index, and the
   * leader's committed index minus the member's.
   */
  readonly maxAppliedIndexLag: number;
  /**
   * After a replacement: a member that does not answer is reported in `down` instead of failing the verdict, as
   * long as a quorum of the expected members answers and every member in `mustAnswer` does (the new member).
   * Its own replacement will come (each dead member has or gets its own execution).
   * @default false: every member must answer (provisioning)
   */
  readonly tolerateDown?: boolean;
  /** Members that must answer even with `tolerateDown`. @default [] */
  readonly mustAnswer?: readonly string[];
}

export interface MemberHealth {
  /** The spec's name; for a listed member the spec lacks, its listed name ("" when it never started). */
  readonly name: string;
  /** Member ID in hex, as etcdctl prints it; absent when neither its status nor the member list gave one. */
  readonly id?: string;
  /** Client URL: the one the spec implies, or for an extra member the first it advertises ("" when unstarted). */
  readonly endpoint: string;
  /** Peer URL: the one the spec implies, or for an extra member the first it lists. */
  readonly peerUrl: string;
  /** True when no problem names this member. A listed member the spec lacks is never healthy. */
  readonly healthy: boolean;
  readonly leader: boolean;
  readonly learner: boolean;
  readonly dbSize?: number;
}

export interface HealthVerdict {
  readonly healthy: boolean;
  /** Short sentences, each naming the member it is about; empty when healthy. */
  readonly problems: readonly string[];
  /** With `tolerateDown`: the members that did not answer, reported but not failing the verdict. */
  readonly down: readonly string[];
  /** Set when every member that answered agrees on one leader. */
  readonly leaderName?: string;
  /** Cluster ID in hex; set when every member that answered reports the same one. */
  readonly clusterId?: string;
  /** The spec's members in spec order, then any listed member the spec lacks. */
  readonly members: readonly MemberHealth[];
}

/** A member or cluster ID as etcdctl prints it: the API's decimal uint64 in hex. */
export function hexId(decimal: string): string {
  return /^\d+$/.test(decimal) ? BigInt(decimal).toString(16) : decimal;
}

/** etcd reports "0" as the leader while it has none. */
const NO_LEADER = '0';

interface Subject {
  name: string;
  endpoint: string;
  peerUrl: string;
  listed?: ClusterMember;
  status?: MemberStatus;
  expected: boolean;
  healthy: boolean;
}

export function judgeClusterHealth(view: ClusterView, expected: ExpectedCluster, options: HealthOptions): HealthVerdict {
  const { maxAppliedIndexLag } = options;
  if (!Number.isInteger(maxAppliedIndexLag) || maxAppliedIndexLag < 0) {
    throw new RangeError(`maxAppliedIndexLag must be a whole number >= 0 (got ${maxAppliedIndexLag})`);
  }
  const problems: string[] = [];
  const report = (problem: string, ...about: Subject[]) => {
    problems.push(problem);
    for (const subject of about) subject.healthy = false;
  };
  const statusByEndpoint = new Map(view.statuses.map((s) => [s.endpoint, s]));

  // Pair each spec member with its list entry: by name, else by peer URL (an unstarted member has no name).
  const unmatched = [...view.members];
  const take = (test: (m: ClusterMember) => boolean) => {
    const index = unmatched.findIndex(test);
    return index < 0 ? undefined : unmatched.splice(index, 1)[0];
  };
  const subjects: Subject[] = expected.members.map((m) => {
    const peerUrl = `https://${m.address}:${expected.peerPort}`;
    const endpoint = `https://${m.address}:${expected.clientPort}`;
    const listed = take((l) => l.name === m.name) ?? take((l) => l.peerURLs.includes(peerUrl));
    return { name: m.name, endpoint, peerUrl, listed, status: statusByEndpoint.get(endpoint), expected: true, healthy: true };
  });
  const extras: Subject[] = unmatched.map((listed) => ({
    name: listed.name,
    endpoint: listed.clientURLs[0] ?? '',
    peerUrl: listed.peerURLs[0] ?? '',
    listed,
    status: listed.clientURLs.map((url) => statusByEndpoint.get(url)).find((s) => s !== undefined),
    expected: false,
    healthy: false,
  }));
  const everyone = [...subjects, ...extras];
  const label = (s: Subject) => `${s.name || `unstarted member ${hexId(s.listed?.id ?? '?')}`} (${s.endpoint || s.peerUrl})`;
  const idOf = (s: Subject) => s.status?.memberId ?? s.listed?.id;
  const nameOfId = (id: string) => {
    const s = everyone.find((x) => idOf(x) === id);
    return s?.name || view.members.find((m) => m.id === id)?.name || hexId(id);
  };

  // 1. Every spec member answers status (with tolerateDown: a quorum of them, and every member that must).
  const silent = subjects.filter((s) => !s.status?.ok);
  const quorumAnswers = subjects.length - silent.length >= Math.floor(subjects.length / 2) + 1;
  const down: string[] = [];
  for (const s of subjects) {
    if (!s.status) report(`${label(s)} was not asked for its status`, s);
    else if (!s.status.ok && options.tolerateDown && quorumAnswers && !(options.mustAnswer ?? []).includes(s.name)) {
      down.push(s.name);
      s.healthy = false;
    } else if (!s.status.ok) report(`${label(s)} did not answer: ${s.status.error ?? 'no reason given'}`, s);
  }
  const answered = everyone.filter((s) => s.status?.ok);

  // 2. Exactly one leader, the same for everyone who answered.
  const followers = new Map<string, Subject[]>();
  for (const s of answered) {
    const leader = s.status!.leaderId;
    if (leader === undefined || leader === NO_LEADER) report(`${label(s)} has no leader`, s);
    else followers.set(leader, [...(followers.get(leader) ?? []), s]);
  }
  let leaderId: string | undefined;
  if (followers.size === 1) {
    leaderId = [...followers.keys()][0]!;
  } else if (followers.size > 1) {
    const camps = [...followers].map(([id, who]) => `${who.map((s) => s.name).join(', ')} ${who.length === 1 ? 'follows' : 'follow'} ${nameOfId(id)} (${hexId(id)})`);
    report(`${answered.length} members claim different leaders: ${camps.join('; ')}`, ...answered);
  }
  if (leaderId !== undefined && !view.members.some((m) => m.id === leaderId) && view.members.length > 0) {
    report(`the leader ${hexId(leaderId)} is not in the member list`);
  }

  // 3. One cluster.
  const clusters = new Map<string, Subject[]>();
  for (const s of answered) {
    const id = s.status!.clusterId ?? '?';
    clusters.set(id, [...(clusters.get(id) ?? []), s]);
  }
  if (clusters.size > 1) {
    const camps = [...clusters].map(([id, who]) => `${who.map((s) => s.name).join(', ')} in ${hexId(id)}`);
    report(`members report ${clusters.size} cluster IDs: ${camps.join('; ')}`, ...answered);
  }

  // 4. No alarms.
  for (const alarm of view.alarms) report(`alarm raised: ${alarm}`);
  if (view.alarmsUnknown !== undefined) report(`alarms unknown: ${view.alarmsUnknown}`);

  // 5. The member list is the spec's members, all started voters, and nothing else.
  if (view.members.length === 0) {
    report('no member list: no member answered for it');
  } else {
    for (const s of subjects) {
      const listed = s.listed;
      if (!listed) {
        report(`member list lacks ${s.name} (${s.peerUrl})`, s);
        continue;
      }
      if (listed.name === '') report(`${s.name} (${s.peerUrl}) is in the member list but has not started`, s);
      else if (listed.name !== s.name) report(`member list has ${listed.name} at ${s.name}'s peer URL ${s.peerUrl}`, s);
      if (listed.peerURLs.length !== 1 || listed.peerURLs[0] !== s.peerUrl) {
        report(`${s.name} has peer URLs ${listed.peerURLs.join(', ') || '(none)'} in the member list; the spec says ${s.peerUrl}`, s);
      }
      if (listed.isLearner) report(`${s.name} is a learner, not yet a voting member`, s);
      const answeredAs = s.status?.memberId;
      if (answeredAs !== undefined && answeredAs !== listed.id) {
        report(`${label(s)} answers as member ${hexId(answeredAs)} but the member list has ${s.name} as ${hexId(listed.id)}`, s);
      }
    }
    for (const s of extras) {
      const listed = s.listed!;
      const what = listed.name
        ? `${listed.name}${listed.isLearner ? ' (learner)' : ''}`
        : `an unstarted ${listed.isLearner ? 'learner' : 'member'} ${hexId(listed.id)} (${listed.peerURLs.join(', ')})`;
      report(`member list has ${what} which the spec does not`, s);
    }
  }

  // 6. Nobody lags: applied behind committed, or committed behind the leader's.
  const leaderIndex = leaderId === undefined ? undefined : answered.find((s) => s.status!.memberId === leaderId)?.status!.raftIndex;
  for (const s of answered) {
    const { raftIndex, raftAppliedIndex } = s.status!;
    if (raftIndex === undefined || raftAppliedIndex === undefined) {
      report(`${label(s)} did not report its raft indexes`, s);
      continue;
    }
    if (raftIndex - raftAppliedIndex > maxAppliedIndexLag) {
      report(`${label(s)} has applied ${raftAppliedIndex} of ${raftIndex} raft entries (lag ${raftIndex - raftAppliedIndex} > ${maxAppliedIndexLag})`, s);
    }
    if (leaderIndex !== undefined && leaderIndex - raftIndex > maxAppliedIndexLag) {
      report(`${label(s)} is ${leaderIndex - raftIndex} raft entries behind the leader (> ${maxAppliedIndexLag})`, s);
    }
  }

  const clusterId = clusters.size === 1 ? [...clusters.keys()][0] : undefined;
  return {
    healthy: problems.length === 0,
    problems,
    down,
    ...(leaderId !== undefined && { leaderName: nameOfId(leaderId) }),
    ...(clusterId !== undefined && clusterId !== '?' && { clusterId: hexId(clusterId) }),
    members: everyone.map((s) => {
      const id = idOf(s);
      const dbSize = s.status?.ok ? s.status.dbSize : undefined;
      return {
        name: s.name,
        ...(id !== undefined && { id: hexId(id) }),
        endpoint: s.endpoint,
        peerUrl: s.peerUrl,
        healthy: s.healthy,
        leader: id !== undefined && (leaderId !== undefined ? id === leaderId : s.status?.ok === true && s.status.leaderId === id),
        learner: s.listed?.isLearner === true || s.status?.isLearner === true,
        ...(dbSize !== undefined && { dbSize }),
      };
    }),
  };
}
