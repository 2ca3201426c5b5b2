// The per-cluster maintenance flag: while it is set, automatic healing (the EC2 rule, the stop grace period's
// second look, the health probe, `local heal`) ends quietly; a replacement started by hand still runs. Every
// pause and resume is kept in the record's history. Pure: the Set Maintenance step applies it under the lock.

/** One pause or resume, as the record keeps it. */
export interface MaintenanceEvent {
  readonly action: 'pause' | 'resume';
  /** Who asked (an operator's name, or the CLI's user@host). */
  readonly by: string;
  readonly at: string;
  readonly reason?: string;
  /** The execution that wrote it (SetMaintenance, or a local run). */
  readonly execution?: string;
}

export interface MaintenanceState {
  readonly paused: boolean;
  /** While paused: why, who, since when. */
  readonly reason?: string;
  readonly by?: string;
  readonly since?: string;
  /** Newest last; at most MAINTENANCE_HISTORY_LIMIT entries. */
  readonly history: readonly MaintenanceEvent[];
}

/** The record is one DynamoDB item (400 KB): the history keeps the newest entries only. */
export const MAINTENANCE_HISTORY_LIMIT = 50;

/** What starts a replacement without an operator (ReplaceRequest.trigger); anything else (or none) is by hand. */
export const AUTOMATIC_TRIGGERS = ['ec2-state-change', 'asg-lifecycle', 'health-probe', 'local-heal'] as const;

export function isAutomaticTrigger(trigger: string | undefined): boolean {
  return trigger !== undefined && (AUTOMATIC_TRIGGERS as readonly string[]).includes(trigger);
}

/** "healing paused by alice since 2025-01-01T00:00:00.000Z: kernel upgrades"; undefined when not paused. */
export function healingPausedReason(maintenance: MaintenanceState | undefined): string | undefined {
  if (!maintenance?.paused) return undefined;
  return `healing paused by ${maintenance.by ?? 'someone'} since ${maintenance.since ?? '(unknown)'}: ${maintenance.reason ?? '(no reason given)'}`;
}

export interface MaintenanceChange {
  readonly action: 'pause' | 'resume';
  readonly by: string;
  readonly at: string;
  /** Required to pause (the CLI and the API refuse a pause without one). */
  readonly reason?: string;
  readonly execution?: string;
}

/**
 * The flag after `change`. Pausing a paused cluster updates reason/by/since (and is logged); resuming one that
 * is not paused is logged too, and changes nothing else.
 */
export function applyMaintenance(current: MaintenanceState | undefined, change: MaintenanceChange): MaintenanceState {
  if (change.action === 'pause' && (change.reason === undefined || change.reason.trim() === '')) {
    throw new RangeError('reason: a pause needs a reason (what is being done, and until when)');
  }
  const event: MaintenanceEvent = {
    action: change.action,
    by: change.by,
    at: change.at,
    ...(change.reason !== undefined && { reason: change.reason }),
    ...(change.execution !== undefined && { execution: change.execution }),
  };
  const history = [...(current?.history ?? []), event].slice(-MAINTENANCE_HISTORY_LIMIT);
  if (change.action === 'pause') return { paused: true, reason: change.reason!, by: change.by, since: change.at, history };
  return { paused: false, history };
}
