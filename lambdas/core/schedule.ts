// Schedules as data: what `backupSchedule` (an EventBridge expression) and the local scheduler's flags mean, and
// when a scheduled workflow is next due. Pure: the clock is the caller's.

/** A schedule: never, every so many milliseconds, or an EventBridge cron expression (AWS only). */
export type Schedule = { readonly kind: 'off' } | { readonly kind: 'every'; readonly ms: number } | { readonly kind: 'cron'; readonly expression: string };

const UNIT_MS: Readonly<Record<string, number>> = {
  second: 1000, seconds: 1000, s: 1000,
  minute: 60_000, minutes: 60_000, m: 60_000,
  hour: 3_600_000, hours: 3_600_000, h: 3_600_000,
  day: 86_400_000, days: 86_400_000, d: 86_400_000,
};

const EXPECTED = '"off", a rate such as "rate(15 minutes)", a duration such as "2s", "1m", "1h", "1d", or (AWS only) "cron(…)"';

/**
 * Parses a schedule: "off"; "rate(N unit)" (minute(s), hour(s), day(s), and locally second(s)); a duration "2s",
 * "90s", "1m", "15m", "1h", "1d"; "cron(…)". Whole numbers of at least 1 only.
 * @throws RangeError naming `field`, what is expected and the value received
 */
export function parseSchedule(text: string, field: string): Schedule {
  const value = text.trim();
  if (value === 'off') return { kind: 'off' };
  if (/^cron\(.+\)$/.test(value)) return { kind: 'cron', expression: value };
  const match = /^rate\(\s*(\d+)\s+([a-z]+)\s*\)$/.exec(value) ?? /^(\d+)\s*([a-z]+)$/.exec(value);
  const count = match ? Number(match[1]) : NaN;
  const unit = match ? UNIT_MS[match[2] as string] : undefined;
  if (unit === undefined || !Number.isSafeInteger(count) || count < 1) throw new RangeError(`${field} must be ${EXPECTED}, got ${JSON.stringify(text)}`);
  return { kind: 'every', ms: count * unit };
}

/**
 * The interval the backup alarm assumes for a schedule, in seconds. A cron expression's gaps can vary (weekdays
 * only, twice a day…): it is taken as daily, the most the retention's daily tier expects. "off": undefined.
 */
export function assumedIntervalSeconds(schedule: Schedule): number | undefined {
  if (schedule.kind === 'off') return undefined;
  if (schedule.kind === 'cron') return 86_400;
  return Math.ceil(schedule.ms / 1000);
}

/**
 * When a workflow is due next, after the run that was due at `previousDue` ended at `now`: the next slot of its
 * grid (previousDue + k × every) after `now`. A run that overran its interval skips the slots it covered, so a
 * slow run is never followed by a burst of catch-up runs.
 */
export function nextDue(previousDue: Date, now: Date, everyMs: number): Date {
  if (!(everyMs > 0)) throw new RangeError(`everyMs must be a positive number of milliseconds, got ${everyMs}`);
  const behind = now.getTime() - previousDue.getTime();
  const slots = behind < 0 ? 1 : Math.floor(behind / everyMs) + 1;
  return new Date(previousDue.getTime() + slots * everyMs);
}
