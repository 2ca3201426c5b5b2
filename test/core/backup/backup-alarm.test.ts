// The no-good-backup alarm's figures from backupSchedule (lambdas/core/backup/backup-alarm.ts), as a table.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backupAlarmFigures } from '../../../lambdas/core/backup/backup-alarm';

describe('no-good-backup alarm figures', () => {
  const table: Array<[string, number, number, number]> = [
    // [backupSchedule, interval, threshold, period] in seconds
    ['rate(15 minutes)', 900, 1800, 1800],
    ['rate(1 minute)', 60, 120, 120],
    ['rate(1 hour)', 3600, 7200, 7200],
    ['rate(1 day)', 86_400, 172_800, 172_800],
    ['cron(0 3 * * ? *)', 86_400, 172_800, 172_800],
    ['rate(5 days)', 432_000, 864_000, 604_800],
  ];
  for (const [schedule, interval, threshold, period] of table) {
    it(`${schedule}: older than ${threshold} s over ${period} s`, () => {
      assert.deepEqual(backupAlarmFigures(schedule), { intervalSeconds: interval, thresholdSeconds: threshold, periodSeconds: period });
    });
  }
  it('none for off', () => assert.equal(backupAlarmFigures('off'), undefined));
  it('a schedule it cannot read is refused naming backupSchedule', () => assert.throws(() => backupAlarmFigures('rate(soon)'), /^RangeError: backupSchedule must be/));
});
