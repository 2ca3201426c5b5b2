import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyRetention, DEFAULT_RETENTION, parseRetention, type BackupAge } from '../../../lambdas/core/backup/retention';

const NOW = new Date('2026-06-30T12:07:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** A backup every 15 minutes for `days` days before NOW (the default schedule), named by its time. */
function every15Minutes(days: number): BackupAge[] {
  const out: BackupAge[] = [];
  for (let t = NOW.getTime(); t > NOW.getTime() - days * DAY; t -= 15 * MIN) out.push({ name: new Date(t).toISOString(), takenAt: new Date(t) });
  return out;
}

describe('backup retention (injected clock)', () => {
  it('keeps every backup of the last 24 h, one per hour for 7 days, one per day for 90 days, nothing older', () => {
    const backups = every15Minutes(120);
    const { keep, prune } = applyRetention(backups, NOW);
    const kept = new Map(keep.map((k) => [k.name, k.rule]));
    assert.equal(keep.length + prune.length, backups.length);
    // Independently of the rule's code: the newest backup of each UTC hour and day.
    const newest = new Map<string, number>();
    for (const b of backups) {
      const iso = b.takenAt.toISOString();
      for (const bucket of [iso.slice(0, 13), iso.slice(0, 10)]) newest.set(bucket, Math.max(newest.get(bucket) ?? 0, b.takenAt.getTime()));
    }
    for (const b of backups) {
      const age = NOW.getTime() - b.takenAt.getTime();
      const iso = b.takenAt.toISOString();
      const newestOfHour = newest.get(iso.slice(0, 13)) === b.takenAt.getTime();
      const newestOfDay = newest.get(iso.slice(0, 10)) === b.takenAt.getTime();
      const promised = age < DAY || (newestOfHour && age < 7 * DAY) || (newestOfDay && age < 90 * DAY);
      assert.equal(kept.has(b.name), promised, `${b.name} (age ${(age / HOUR).toFixed(2)} h)`);
    }
    // The figures the tiers promise: 96 of the last 24 h, then one per hour to 7 days, then one per day to 90.
    assert.equal(keep.filter((k) => k.rule === 'recent' || k.rule === 'newest').length, 96);
    assert.equal(keep.filter((k) => k.rule === 'hourly').length, 6 * 24);
    assert.equal(keep.filter((k) => k.rule === 'daily').length, 83);
    assert.ok(prune.every((name) => NOW.getTime() - Date.parse(name) >= DAY));
  });

  it('never prunes the newest backup, however old', () => {
    const old = [{ name: 'a', takenAt: new Date(NOW.getTime() - 400 * DAY) }, { name: 'b', takenAt: new Date(NOW.getTime() - 500 * DAY) }];
    assert.deepEqual(applyRetention(old, NOW), { keep: [{ name: 'a', rule: 'newest' }], prune: ['b'] });
  });

  it('moves with the clock: what was recent yesterday is thinned to hourly today', () => {
    const backups = every15Minutes(1);
    assert.equal(applyRetention(backups, NOW).prune.length, 0);
    const tomorrow = new Date(NOW.getTime() + DAY);
    const { keep } = applyRetention(backups, tomorrow);
    assert.deepEqual([...new Set(keep.map((k) => k.rule))].sort(), ['hourly', 'newest']);
    assert.equal(keep.length, 25);
  });

  it('honours a configured policy (0 days: that tier is off)', () => {
    const backups = every15Minutes(10);
    const { keep } = applyRetention(backups, NOW, { keepAllHours: 1, hourlyDays: 0, dailyDays: 3 });
    assert.deepEqual(
      keep.map((k) => k.rule),
      ['newest', 'recent', 'recent', 'recent', 'daily', 'daily', 'daily'],
    );
  });

  it('parses a policy from context or environment, naming a bad field and what it expects', () => {
    assert.deepEqual(parseRetention(undefined), DEFAULT_RETENTION);
    assert.deepEqual(parseRetention('{"dailyDays":365}'), { ...DEFAULT_RETENTION, dailyDays: 365 });
    assert.throws(() => parseRetention({ hourlyDays: -1 }), /hourlyDays: expected a whole number from 0 to 3650, got -1/);
    assert.throws(() => parseRetention({ weekly: 4 }), /weekly: not a retention field/);
    assert.throws(() => parseRetention('7d'), /backupRetention:\n  - expected an object/);
  });
});
