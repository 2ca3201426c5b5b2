// The "no good backup for 2 intervals" alarm's figures from the backup schedule: pure, so the stack and a table
// test agree on them. The alarm watches the fleet's LastGoodBackupAgeSeconds (its Maximum over one period).
import { assumedIntervalSeconds, parseSchedule } from '../schedule';

/** CloudWatch's longest evaluation range for an alarm: period × evaluation periods ≤ 7 days. */
export const MAX_ALARM_PERIOD_SECONDS = 7 * 86_400;

export interface BackupAlarmFigures {
  /** The schedule's interval (a cron expression counts as a day: lambdas/core/schedule.ts). */
  readonly intervalSeconds: number;
  /** Breaching above this age: two intervals. */
  readonly thresholdSeconds: number;
  /**
   * One evaluation period of two intervals (a whole number of minutes, at most 7 days): every period then holds at
   * least one published point while backups run, so an empty period (missing data, treated as breaching) means
   * the workflow has not reported for two intervals.
   */
  readonly periodSeconds: number;
}

/** The alarm's figures, or undefined for "off" (no schedule: no alarm). */
export function backupAlarmFigures(backupSchedule: string): BackupAlarmFigures | undefined {
  const intervalSeconds = assumedIntervalSeconds(parseSchedule(backupSchedule, 'backupSchedule'));
  if (intervalSeconds === undefined) return undefined;
  const thresholdSeconds = 2 * intervalSeconds;
  const periodSeconds = Math.min(Math.ceil(thresholdSeconds / 60) * 60, MAX_ALARM_PERIOD_SECONDS);
  return { intervalSeconds, thresholdSeconds, periodSeconds };
}
