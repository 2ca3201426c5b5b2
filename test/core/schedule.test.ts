// Schedules as data (lambdas/core/schedule.ts), table-tested with an injected clock: what the flags and
// backupSchedule mean, the interval the alarm assumes, and when a workflow is due next (never a burst after an overrun).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assumedIntervalSeconds, nextDue, parseSchedule, type Schedule } from '../../lambdas/core/schedule';

describe('schedules', () => {
  const parses: Array<[string, Schedule]> = [
    ['off', { kind: 'off' }],
    ['rate(15 minutes)', { kind: 'every', ms: 900_000 }],
    ['rate(1 minute)', { kind: 'every', ms: 60_000 }],
    ['rate(2 hours)', { kind: 'every', ms: 7_200_000 }],
    ['rate(1 day)', { kind: 'every', ms: 86_400_000 }],
    ['rate(2 seconds)', { kind: 'every', ms: 2000 }],
    ['2s', { kind: 'every', ms: 2000 }],
    ['1m', { kind: 'every', ms: 60_000 }],
    ['15m', { kind: 'every', ms: 900_000 }],
    ['1h', { kind: 'every', ms: 3_600_000 }],
    ['1d', { kind: 'every', ms: 86_400_000 }],
    [' 90s ', { kind: 'every', ms: 90_000 }],
    ['cron(0 3 * * ? *)', { kind: 'cron', expression: 'cron(0 3 * * ? *)' }],
  ];
  for (const [text, schedule] of parses) it(`parses ${JSON.stringify(text)}`, () => assert.deepEqual(parseSchedule(text, '--backup-every'), schedule));

  for (const bad of ['', 'never', '0s', '-1m', '1.5m', '2 fortnights', 'rate(0 minutes)', 'rate(15)', 'every 2s', '2S']) {
    it(`refuses ${JSON.stringify(bad)} naming the field and what it expects`, () => {
      assert.throws(() => parseSchedule(bad, '--backup-every'), (e: Error) => e instanceof RangeError && e.message.startsWith('--backup-every must be "off", a rate such as "rate(15 minutes)"') && e.message.endsWith(`got ${JSON.stringify(bad)}`));
    });
  }

  it('the alarm assumes the rate as the interval, a cron expression as daily, and nothing for off', () => {
    assert.equal(assumedIntervalSeconds(parseSchedule('rate(15 minutes)', 'x')), 900);
    assert.equal(assumedIntervalSeconds(parseSchedule('cron(0 3 * * ? *)', 'x')), 86_400);
    assert.equal(assumedIntervalSeconds(parseSchedule('off', 'x')), undefined);
  });

  const t = (s: number) => new Date(Date.UTC(2026, 11, 5, 12, 0, 0) + s * 1000);
  const due: Array<[string, number, number, number, number]> = [
    // [case, previous due (s), now (s), every (s), next due (s)]
    ['a quick run: the next slot', 0, 0.3, 1, 1],
    ['ended exactly on the next slot: the one after', 0, 1, 1, 2],
    ['overran two slots: skips them, no burst', 0, 2.5, 1, 3],
    ['a 15-minute schedule, a 40 s run', 0, 40, 900, 900],
    ['a clock behind the previous due time: the next slot still', 10, 5, 1, 11],
  ];
  for (const [name, previous, now, every, expected] of due) {
    it(`next due: ${name}`, () => assert.deepEqual(nextDue(t(previous), t(now), every * 1000), t(expected)));
  }
  it('next due refuses a non-positive interval', () => assert.throws(() => nextDue(t(0), t(0), 0), /everyMs must be a positive number/));
});
