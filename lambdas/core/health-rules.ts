// The health rules, as a table like kubeadm's preflight checks: each a small named check over what etcd said
// (one context), reporting sentences that name the member they are about. judgeClusterHealth (health.ts) runs
// them in order; the order matters only where a later rule reads what an earlier one found (the leader).
import type { ClusterMember, ClusterView, MemberStatus } from './etcd-view';
import type { ExpectedCluster, HealthOptions } from './health';

/** A member or cluster ID as etcdctl prints it: the API's decimal uint64 in hex. */
export function hexId(decimal: string): string {
  return /^\d+$/.test(decimal) ? BigInt(decimal).toString(16) : decimal;
}

/** etcd reports "0" as the leader while it has none. */
const NO_LEADER = '0';

/** A member the rules judge: a spec member (expected) or a listed member the spec lacks. */
export interface Subject {
  readonly name: string;
  readonly endpoint: string;
  readonly peerUrl: string;
  readonly listed?: ClusterMember;
  readonly status?: MemberStatus;
  readonly expected: boolean;
  healthy: boolean;
}

export interface HealthContext {
  readonly view: ClusterView;
  readonly options: HealthOptions;
  /** The spec's members, in spec order. */
  readonly subjects: readonly Subject[];
  /** Listed members the spec lacks. */
  readonly extras: readonly Subject[];
  readonly everyone: readonly Subject[];
  readonly label: (s: Subject) => string;
  readonly nameOfId: (id: string) => string;
  readonly problems: string[];
  /** With tolerateDown: members that did not answer, reported but not failing. */
  readonly down: string[];
  /** Set by oneLeader. */
  leaderId?: string;
  /** Set by oneCluster. */
  clusterId?: string;
}

export interface HealthRule {
  readonly name: string;
  readonly check: (context: HealthContext) => void;
}

function report(context: HealthContext, problem: string, ...about: Subject[]): void {
  context.problems.push(problem);
  for (const subject of about) subject.healthy = false;
}

const answered = (context: HealthContext) => context.everyone.filter((s) => s.status?.ok);

/** Pairs each spec member with its list entry (by name, else by peer URL: an unstarted member has no name) and its status. */
export function subjectsOf(view: ClusterView, expected: ExpectedCluster): Pick<HealthContext, 'subjects' | 'extras' | 'everyone' | 'label' | 'nameOfId'> {
  const statusByEndpoint = new Map(view.statuses.map((s) => [s.endpoint, s]));
  const unmatched = [...view.members];
  const take = (test: (m: ClusterMember) => boolean) => {
    const index = unmatched.findIndex(test);
    return index < 0 ? undefined : unmatched.splice(index, 1)[0];
  };
  const subjects: Subject[] = expected.members.map((m) => {
    const peerUrl = `https://${m.address}:${expected.peerPort}`;
    const endpoint = `https://${m.address}:${expected.clientPort}`;
    const listed = take((l) => l.name === m.name) ?? take((l) => l.peerURLs.includes(peerUrl));
    return { name: m.name, endpoint, peerUrl, ...(listed && { listed }), ...(statusByEndpoint.has(endpoint) && { status: statusByEndpoint.get(endpoint)! }), expected: true, healthy: true };
  });
  const extras: Subject[] = unmatched.map((listed) => {
    const status = listed.clientURLs.map((url) => statusByEndpoint.get(url)).find((s) => s !== undefined);
    return { name: listed.name, endpoint: listed.clientURLs[0] ?? '', peerUrl: listed.peerURLs[0] ?? '', listed, ...(status && { status }), expected: false, healthy: false };
  });
  const everyone = [...subjects, ...extras];
  const idOf = (s: Subject) => s.status?.memberId ?? s.listed?.id;
  return {
    subjects,
    extras,
    everyone,
    label: (s) => `${s.name || `unstarted member ${hexId(s.listed?.id ?? '?')}`} (${s.endpoint || s.peerUrl})`,
    nameOfId: (id) => everyone.find((x) => idOf(x) === id)?.name || view.members.find((m) => m.id === id)?.name || hexId(id),
  };
}

/** Every spec member answers its status; with tolerateDown a quorum of them, and every member that must. */
export const everyMemberAnswers: HealthRule = {
  name: 'every member answers',
  check(context) {
    const { subjects, options, label } = context;
    const silent = subjects.filter((s) => !s.status?.ok);
    const quorumAnswers = subjects.length - silent.length >= Math.floor(subjects.length / 2) + 1;
    for (const s of subjects) {
      if (!s.status) report(context, `${label(s)} was not asked for its status`, s);
      else if (!s.status.ok && options.tolerateDown && quorumAnswers && !(options.mustAnswer ?? []).includes(s.name)) {
        context.down.push(s.name);
        s.healthy = false;
      } else if (!s.status.ok) report(context, `${label(s)} did not answer: ${s.status.error ?? 'no reason given'}`, s);
    }
  },
};

/** Exactly one leader, the same for everyone who answered, and in the member list. */
export const oneLeader: HealthRule = {
  name: 'one leader',
  check(context) {
    const { label, nameOfId, view } = context;
    const followers = new Map<string, Subject[]>();
    for (const s of answered(context)) {
      const leader = s.status!.leaderId;
      if (leader === undefined || leader === NO_LEADER) report(context, `${label(s)} has no leader`, s);
      else followers.set(leader, [...(followers.get(leader) ?? []), s]);
    }
    if (followers.size === 1) {
      context.leaderId = [...followers.keys()][0]!;
    } else if (followers.size > 1) {
      const camps = [...followers].map(([id, who]) => `${who.map((s) => s.name).join(', ')} ${who.length === 1 ? 'follows' : 'follow'} ${nameOfId(id)} (${hexId(id)})`);
      report(context, `${answered(context).length} members claim different leaders: ${camps.join('; ')}`, ...answered(context));
    }
    const leaderId = context.leaderId;
    if (leaderId !== undefined && !view.members.some((m) => m.id === leaderId) && view.members.length > 0) {
      report(context, `the leader ${hexId(leaderId)} is not in the member list`);
    }
  },
};

/** Everyone who answered is in one cluster. */
export const oneCluster: HealthRule = {
  name: 'one cluster',
  check(context) {
    const clusters = new Map<string, Subject[]>();
    for (const s of answered(context)) {
      const id = s.status!.clusterId ?? '?';
      clusters.set(id, [...(clusters.get(id) ?? []), s]);
    }
    if (clusters.size === 1) context.clusterId = [...clusters.keys()][0];
    if (clusters.size > 1) {
      const camps = [...clusters].map(([id, who]) => `${who.map((s) => s.name).join(', ')} in ${hexId(id)}`);
      report(context, `members report ${clusters.size} cluster IDs: ${camps.join('; ')}`, ...answered(context));
    }
  },
};

/** No alarm is raised (and the alarm list could be read). */
export const noAlarms: HealthRule = {
  name: 'no alarms',
  check(context) {
    for (const alarm of context.view.alarms) report(context, `alarm raised: ${alarm}`);
    if (context.view.alarmsUnknown !== undefined) report(context, `alarms unknown: ${context.view.alarmsUnknown}`);
  },
};

/** The member list is the spec's members, all started voters at their peer URLs, and nothing else. */
export const membershipMatches: HealthRule = {
  name: 'membership matches',
  check(context) {
    const { view, subjects, extras, label } = context;
    if (view.members.length === 0) {
      report(context, 'no member list: no member answered for it');
      return;
    }
    for (const s of subjects) {
      const listed = s.listed;
      if (!listed) {
        report(context, `member list lacks ${s.name} (${s.peerUrl})`, s);
        continue;
      }
      if (listed.name === '') report(context, `${s.name} (${s.peerUrl}) is in the member list but has not started`, s);
      else if (listed.name !== s.name) report(context, `member list has ${listed.name} at ${s.name}'s peer URL ${s.peerUrl}`, s);
      if (listed.peerURLs.length !== 1 || listed.peerURLs[0] !== s.peerUrl) {
        report(context, `${s.name} has peer URLs ${listed.peerURLs.join(', ') || '(none)'} in the member list; the spec says ${s.peerUrl}`, s);
      }
      if (listed.isLearner) report(context, `${s.name} is a learner, not yet a voting member`, s);
      const answeredAs = s.status?.memberId;
      if (answeredAs !== undefined && answeredAs !== listed.id) {
        report(context, `${label(s)} answers as member ${hexId(answeredAs)} but the member list has ${s.name} as ${hexId(listed.id)}`, s);
      }
    }
    for (const s of extras) {
      const listed = s.listed!;
      const what = listed.name
        ? `${listed.name}${listed.isLearner ? ' (learner)' : ''}`
        : `an unstarted ${listed.isLearner ? 'learner' : 'member'} ${hexId(listed.id)} (${listed.peerURLs.join(', ')})`;
      report(context, `member list has ${what} which the spec does not`, s);
    }
  },
};

/** Nobody lags: applied behind committed, or committed behind the leader's. */
export const nobodyLags: HealthRule = {
  name: 'nobody lags',
  check(context) {
    const { label, options, leaderId } = context;
    const lag = options.maxAppliedIndexLag;
    const leaderIndex = leaderId === undefined ? undefined : answered(context).find((s) => s.status!.memberId === leaderId)?.status!.raftIndex;
    for (const s of answered(context)) {
      const { raftIndex, raftAppliedIndex } = s.status!;
      if (raftIndex === undefined || raftAppliedIndex === undefined) {
        report(context, `${label(s)} did not report its raft indexes`, s);
        continue;
      }
      if (raftIndex - raftAppliedIndex > lag) report(context, `${label(s)} has applied ${raftAppliedIndex} of ${raftIndex} raft entries (lag ${raftIndex - raftAppliedIndex} > ${lag})`, s);
      if (leaderIndex !== undefined && leaderIndex - raftIndex > lag) report(context, `${label(s)} is ${leaderIndex - raftIndex} raft entries behind the leader (> ${lag})`, s);
    }
  },
};

/** In order: nobodyLags reads the leader oneLeader found. */
export const HEALTH_RULES: readonly HealthRule[] = [everyMemberAnswers, oneLeader, oneCluster, noAlarms, membershipMatches, nobodyLags];
