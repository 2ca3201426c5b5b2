// The health probe's decision, pure: from what the previous probe remembered ("not answering since T" per
// member), what it sees now (does the member answer over etcd, what is its instance doing), the time, the
// grace period and the maintenance flag, which members to hand to ReplaceMember. A member is replaced once it
// has not answered for the whole grace period, whatever its instance does (running with a dead etcd, or stopped
// and never started again, e.g. while healing was paused); an instance that is `pending` (starting) is waited for.
import { healingPausedReason, type MaintenanceState } from './maintenance';

/** What the probe keeps per cluster between two runs (its own registry item, never the cluster record). */
export interface ProbeState {
  /** Members that did not answer at the last probe, by name. */
  readonly down: Readonly<Record<string, ProbeMemberState>>;
  readonly probedAt?: string;
}

export interface ProbeMemberState {
  /** First probe that found it not answering (ISO 8601). */
  readonly since: string;
  /** Its instance's state then (running, stopped, …, "not found"; locally the simulated host's). */
  readonly instanceState?: string;
  /** The ReplaceMember execution the probe started for this outage: it is never started twice. */
  readonly replacement?: string;
}

export interface ProbeObservation {
  readonly name: string;
  readonly answering: boolean;
  /** @default - not asked */
  readonly instanceState?: string;
}

export interface ProbeInput {
  readonly previous: ProbeState | undefined;
  readonly observations: readonly ProbeObservation[];
  readonly now: Date;
  readonly graceSeconds: number;
  readonly maintenance?: MaintenanceState;
}

export interface ProbeReplacement {
  readonly member: string;
  readonly since: string;
  /** Why, in one sentence (logged, and shown by `local heal`). */
  readonly reason: string;
}

export interface ProbeDecision {
  readonly state: ProbeState;
  readonly replace: readonly ProbeReplacement[];
  /** Members down for the grace period that are not replaced now, with why (paused, already started, starting). */
  readonly held: ReadonlyArray<{ readonly member: string; readonly reason: string }>;
}

/** The state a member gets once its replacement was started: kept, so that a later probe does not start it again. */
export function withReplacementStarted(state: ProbeState, member: string, execution: string): ProbeState {
  const entry = state.down[member];
  if (!entry) return state;
  return { ...state, down: { ...state.down, [member]: { ...entry, replacement: execution } } };
}

export function decideProbe(input: ProbeInput): ProbeDecision {
  if (!Number.isFinite(input.graceSeconds) || input.graceSeconds < 0) throw new RangeError(`graceSeconds must be 0 or more, got ${input.graceSeconds}`);
  const now = input.now.toISOString();
  const paused = healingPausedReason(input.maintenance);
  const down: Record<string, ProbeMemberState> = {};
  const replace: ProbeReplacement[] = [];
  const held: Array<{ member: string; reason: string }> = [];
  // Members no longer observed (replaced, removed) are forgotten; one that answers again starts over.
  for (const seen of input.observations) {
    if (seen.answering) continue;
    const before = input.previous?.down[seen.name];
    const entry: ProbeMemberState = {
      since: before?.since ?? now,
      ...(seen.instanceState !== undefined && { instanceState: seen.instanceState }),
      ...(before?.replacement !== undefined && { replacement: before.replacement }),
    };
    down[seen.name] = entry;
    const silentSeconds = (input.now.getTime() - Date.parse(entry.since)) / 1000;
    if (silentSeconds < input.graceSeconds) continue;
    const instance = seen.instanceState === undefined ? '' : ` (instance ${seen.instanceState})`;
    if (entry.replacement !== undefined) held.push({ member: seen.name, reason: `replacement ${entry.replacement} already started` });
    else if (paused !== undefined) held.push({ member: seen.name, reason: paused });
    else if (seen.instanceState === 'pending') held.push({ member: seen.name, reason: 'its instance is starting (pending)' });
    else replace.push({ member: seen.name, since: entry.since, reason: `${seen.name} has not answered since ${entry.since}${instance}, ${Math.round(silentSeconds)} s >= the ${input.graceSeconds} s grace period` });
  }
  return { state: { down, probedAt: now }, replace, held };
}

/**
 * The ReplaceMember execution name for one outage of one member: the same for every probe of that outage, so
 * that Step Functions starts it once (a repeated StartExecution with the same name and input returns the same
 * execution). 1 to 80 characters of [A-Za-z0-9-_].
 */
export function probeExecutionName(clusterName: string, member: string, since: string): string {
  const stamp = new Date(since).toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
  const clean = (s: string, max: number) => s.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, max);
  return `probe-${clean(clusterName, 30)}-${clean(member, 25)}-${stamp}`;
}
