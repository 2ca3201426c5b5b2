// The health probe (a scheduled Lambda, not a workflow): for every recorded cluster, asks each recorded member
// over mTLS whether it answers, keeps "not answering since T" per member in the probe's own registry item, and
// starts ReplaceMember (trigger "health-probe", a name fixed per outage) for a member silent for the grace period.
// It never takes the cluster lock: ReplaceMember does. Two probes of one cluster never both act: the probe's write
// is conditional on the version it read, and only the one that wrote starts anything.
import { decideProbe, probeExecutionName, withReplacementStarted } from '../../core/health-probe';
import { isBootstrapping } from '../../core/cluster-status';
import type { ClusterRecord, MachinePower, ProbeStateStore, ReplacementStarter } from '../../ports';
import type { StepDeps } from '../deps';
import { memberAnswers } from '../member-answers';

export const HEALTH_PROBE_TRIGGER = 'health-probe';

export interface HealthProbeDeps extends Pick<StepDeps, 'registry' | 'secrets' | 'etcd' | 'directory' | 'clock' | 'log'> {
  readonly probeStates: ProbeStateStore;
  readonly machines: MachinePower;
  readonly starter: ReplacementStarter;
  /** How long a member may stay silent before it is replaced. */
  readonly graceSeconds: number;
}

export interface ClusterProbeReport {
  readonly clusterName: string;
  /** Members that did not answer, with since when. */
  readonly down: Readonly<Record<string, string>>;
  readonly started: ReadonlyArray<{ readonly member: string; readonly execution: string; readonly reason: string }>;
  readonly held: ReadonlyArray<{ readonly member: string; readonly reason: string }>;
  /** Why this cluster was not probed to the end (another probe wrote first, or an error). */
  readonly skipped?: string;
}

export function makeHealthProbe(deps: HealthProbeDeps) {
  return async function healthProbe(_raw?: unknown): Promise<{ clusters: ClusterProbeReport[] }> {
    const clusters: ClusterProbeReport[] = [];
    for (const record of await deps.registry.list()) {
      // Its first provisioning has not completed: no member to watch yet, nothing to replace.
      if (isBootstrapping(record)) {
        clusters.push({ clusterName: record.clusterName, down: {}, started: [], held: [], skipped: 'still bootstrapping (its first provisioning has not completed)' });
        continue;
      }
      try {
        clusters.push(await probeCluster(deps, record));
      } catch (error) {
        // One cluster's trouble (its secret unreadable, EC2 throttling) does not stop the others' probe.
        const reason = (error as Error).message.split('\n', 1)[0] ?? String(error);
        deps.log.warn('cluster not probed', { cluster: record.clusterName, error: (error as Error).name, reason });
        clusters.push({ clusterName: record.clusterName, down: {}, started: [], held: [], skipped: reason });
      }
    }
    return { clusters };
  };
}

export async function probeCluster(deps: HealthProbeDeps, record: ClusterRecord): Promise<ClusterProbeReport> {
  const clusterName = record.clusterName;
  const stored = await deps.probeStates.get(clusterName);
  const answers = await memberAnswers(deps, record);
  // A dead member another execution removed (with every dead voter) still awaits its replacement: it never answers.
  const watched = [...record.members, ...(record.removed ?? [])];
  const machines = deps.directory.recorded(clusterName, watched);
  // EC2 is asked only about members that did not answer.
  const observations = await Promise.all(
    watched.map(async (m, i) => {
      const answering = answers.get(m.name) ?? false;
      return answering ? { name: m.name, answering } : { name: m.name, answering, instanceState: await deps.machines.stateOf(machines[i]!) };
    }),
  );
  const decision = decideProbe({
    previous: stored?.state,
    observations,
    now: deps.clock.now(),
    graceSeconds: deps.graceSeconds,
    ...(record.maintenance && { maintenance: record.maintenance }),
  });
  const down = Object.fromEntries(Object.entries(decision.state.down).map(([name, s]) => [name, s.since]));
  // Claim this round first: a probe whose write is refused ran at the same time as another, and does nothing.
  if (!(await deps.probeStates.put(clusterName, decision.state, stored?.version))) {
    deps.log.warn('another probe of this cluster wrote first: this one does nothing', { cluster: clusterName });
    return { clusterName, down, started: [], held: [], skipped: 'another probe of this cluster ran at the same time' };
  }
  for (const held of decision.held) deps.log.info('member silent but not replaced', { cluster: clusterName, member: held.member, reason: held.reason });
  let state = decision.state;
  const started: Array<{ member: string; execution: string; reason: string }> = [];
  for (const r of decision.replace) {
    const executionName = probeExecutionName(clusterName, r.member, r.since);
    const { execution } = await deps.starter.start({ clusterName, member: r.member, executionName, trigger: HEALTH_PROBE_TRIGGER });
    deps.log.warn('member silent for the grace period: ReplaceMember started', { cluster: clusterName, member: r.member, execution, reason: r.reason });
    started.push({ member: r.member, execution, reason: r.reason });
    state = withReplacementStarted(state, r.member, executionName);
  }
  // Remember what was started (the fixed names make a repeated start harmless anyway).
  if (started.length > 0) await deps.probeStates.put(clusterName, state, (stored?.version ?? 0) + 1);
  return { clusterName, down, started, held: decision.held };
}
