// Which backups a cluster keeps: every one from the last `keepAllHours`, the newest of each UTC hour for
// `hourlyDays`, the newest of each UTC day for `dailyDays`; anything older goes. The newest backup is never pruned,
// however old (an only backup is worth more than a rule). Pure: the clock is a parameter.
import { SpecValidationError } from '../errors';

export interface RetentionPolicy {
  /** Every backup younger than this many hours is kept. */
  readonly keepAllHours: number;
  /** For this many days, the newest backup of each UTC hour is kept. */
  readonly hourlyDays: number;
  /** For this many days, the newest backup of each UTC day is kept. */
  readonly dailyDays: number;
}

/** etcd-manager's spirit, shortened: all from the last 24 h, hourly for 7 days, daily for 90 days. */
export const DEFAULT_RETENTION: RetentionPolicy = { keepAllHours: 24, hourlyDays: 7, dailyDays: 90 };

/** Checks a policy given as context or environment; the error names the field, the limit and the value. */
export function parseRetention(raw: unknown, what = 'backupRetention'): RetentionPolicy {
  if (raw === undefined) return DEFAULT_RETENTION;
  const value = typeof raw === 'string' ? safeJson(raw) : raw;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SpecValidationError(what, [`expected an object { keepAllHours, hourlyDays, dailyDays }, got ${JSON.stringify(raw)}`]);
  }
  const given = value as Record<string, unknown>;
  const unknownKeys = Object.keys(given).filter((k) => !(k in DEFAULT_RETENTION));
  const problems = unknownKeys.map((k) => `${k}: not a retention field (keepAllHours, hourlyDays, dailyDays)`);
  const policy = { ...DEFAULT_RETENTION, ...given } as Record<keyof RetentionPolicy, unknown>;
  for (const key of Object.keys(DEFAULT_RETENTION) as (keyof RetentionPolicy)[]) {
    const n = policy[key];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 3650) problems.push(`${key}: expected a whole number from 0 to 3650, got ${JSON.stringify(n)}`);
  }
  if (problems.length > 0) throw new SpecValidationError(what, problems);
  return policy as unknown as RetentionPolicy;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export interface BackupAge {
  readonly name: string;
  readonly takenAt: Date;
}

export interface RetentionDecision {
  /** Names kept, newest first, each with the rule that keeps it. */
  readonly keep: ReadonlyArray<{ readonly name: string; readonly rule: 'newest' | 'recent' | 'hourly' | 'daily' }>;
  /** Names to delete, newest first. */
  readonly prune: readonly string[];
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export function applyRetention(backups: readonly BackupAge[], now: Date, policy: RetentionPolicy = DEFAULT_RETENTION): RetentionDecision {
  const sorted = [...backups].sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime() || a.name.localeCompare(b.name));
  const hoursSeen = new Set<string>();
  const daysSeen = new Set<string>();
  const keep: Array<RetentionDecision['keep'][number]> = [];
  const prune: string[] = [];
  sorted.forEach((backup, index) => {
    const age = now.getTime() - backup.takenAt.getTime();
    const iso = backup.takenAt.toISOString();
    const hour = iso.slice(0, 13);
    const day = iso.slice(0, 10);
    // The buckets are claimed newest first, also by backups another rule keeps: the newest of a bucket stands for it.
    const firstOfHour = !hoursSeen.has(hour);
    const firstOfDay = !daysSeen.has(day);
    hoursSeen.add(hour);
    daysSeen.add(day);
    if (index === 0) keep.push({ name: backup.name, rule: 'newest' });
    else if (age < policy.keepAllHours * HOUR_MS) keep.push({ name: backup.name, rule: 'recent' });
    else if (firstOfHour && age < policy.hourlyDays * DAY_MS) keep.push({ name: backup.name, rule: 'hourly' });
    else if (firstOfDay && age < policy.dailyDays * DAY_MS) keep.push({ name: backup.name, rule: 'daily' });
    else prune.push(backup.name);
  });
  return { keep, prune };
}
