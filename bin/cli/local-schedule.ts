// `etcd-ha local schedule`: the scheduled workflows on the local runner, in the foreground, as EventBridge starts
// them on AWS: BackupCluster (which prunes) on the backup schedule, DrillRestore on the drill schedule. The table below is the whole schedule; a
// scheduled workflow is one more line of it. SIGINT/SIGTERM stop it once the running workflow has ended (a second
// signal stops at once: a backup lock left behind is taken over once this process is gone).
import { parseSchedule } from '../../lambdas/core/schedule';
import { parseRetention } from '../../lambdas/core/backup/retention';
import { DEFAULT_BACKUP_SCHEDULE, DEFAULT_DRILL_SCHEDULE } from '../../lambdas/catalog/contracts';
import { LocalWorkflowRunner } from '../../lambdas/local-runner/local-workflow-runner';
import { runSchedule, type ScheduledWorkflow } from '../../lambdas/local-runner/local-scheduler';
import type { BackupClusterOutput, DrillRestoreOutput } from '../../lambdas/workflow-runner/contracts';
import type { WorkflowOutcome } from '../../lambdas/workflow-runner/port';
import { requireRecordedCluster } from './local-cluster';
import { EXIT, UsageError, type Output } from './output';

export interface LocalScheduleOptions {
  /** BackupCluster's schedule: "2s", "1m", "rate(15 minutes)", "off". @default DEFAULT_BACKUP_SCHEDULE */
  readonly backupEvery?: string;
  /** DrillRestore's schedule, in the same forms. @default DEFAULT_DRILL_SCHEDULE */
  readonly drillEvery?: string;
  /** The retention tiers as JSON, as the backupRetention context key. @default - DEFAULT_RETENTION */
  readonly backupRetention?: string;
  readonly runs?: number;
  /** "30s", "10m", …: start nothing after this long. */
  readonly for?: string;
}

/** "every 2s" from a schedule flag: undefined for off; a cron expression is AWS's only. */
function everyMs(flag: string, value: string): number | undefined {
  let schedule;
  try {
    schedule = parseSchedule(value, flag);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (schedule.kind === 'off') return undefined;
  if (schedule.kind === 'cron') throw new UsageError(`${flag}: a cron expression runs on AWS only; locally give a rate or a duration ("15m", "rate(15 minutes)"), got "${value}"`);
  return schedule.ms;
}

/** What a BackupCluster run did, in a few words: each cluster's outcome, revision and prunes. */
function describeBackups(outcome: WorkflowOutcome): string {
  const output = outcome.output as BackupClusterOutput | undefined;
  if (!output || !Array.isArray(output.backups)) return '';
  if (output.backups.length === 0) return `nothing backed up: ${output.reason ?? '-'}`;
  return output.backups
    .map((b) => (b.outcome === 'backed-up' ? `${b.clusterName} backed up (revision ${b.backup.revision}, pruned ${b.pruned.length})` : `${b.clusterName} ${b.outcome}`))
    .join('; ');
}

/** What a DrillRestore run did: each cluster's verdict (a failed run's drills are in its cause). */
function describeDrills(outcome: WorkflowOutcome): string {
  const output = outcome.output as DrillRestoreOutput | undefined;
  if (output && Array.isArray(output.drills)) {
    if (output.drills.length === 0) return 'nothing drilled';
    return output.drills.map((d) => (d.outcome === 'passed' ? `${d.clusterName} drill passed (${d.keys} keys, revision ${d.revision})` : `${d.clusterName} ${d.outcome}`)).join('; ');
  }
  return outcome.cause ?? '';
}

export async function localSchedule(options: LocalScheduleOptions, output: Output, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const backupMs = everyMs('--backup-every', options.backupEvery ?? DEFAULT_BACKUP_SCHEDULE);
  const drillMs = everyMs('--drill-every', options.drillEvery ?? DEFAULT_DRILL_SCHEDULE);
  let backupRetention;
  try {
    backupRetention = options.backupRetention === undefined ? undefined : parseRetention(options.backupRetention, '--backup-retention');
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const forMs = options.for === undefined ? undefined : everyMs('--for', options.for);
  if (options.for !== undefined && forMs === undefined) throw new UsageError('--for must be a duration such as "30s" or "10m", got "off"');
  if (options.runs !== undefined && options.runs < 1) throw new UsageError(`--runs must be at least 1, got ${options.runs}`);

  // The schedule, as data: one line per scheduled workflow (its schedule off: no line).
  const table: ScheduledWorkflow[] = [
    ...(backupMs === undefined ? [] : [{ workflow: 'backup-cluster' as const, everyMs: backupMs, input: { trigger: 'schedule' }, describe: describeBackups }]),
    ...(drillMs === undefined ? [] : [{ workflow: 'drill-restore' as const, everyMs: drillMs, input: { trigger: 'schedule' }, describe: describeDrills, firstAfter: 'backup-cluster' as const }]),
  ];
  if (table.length === 0) throw new UsageError('nothing to schedule: every schedule is off');

  const runner = new LocalWorkflowRunner({ env, ...(backupRetention && { backupOverrides: { backupRetention } }) });
  const record = requireRecordedCluster(runner.home);
  output.out(`Scheduling on the local cluster "${record.clusterName}" (${table.map((t) => `${t.workflow} every ${t.everyMs / 1000}s`).join(', ')}); metrics in ${runner.home.metricsFile}; Ctrl-C stops after the running workflow`);

  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) process.exit(130);
    output.err(`${signal}: stopping after the running workflow (again to stop at once)`);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const runs = await runSchedule({
      runner,
      table,
      onLine: (line) => output.out(line),
      signal: stop.signal,
      ...(options.runs !== undefined && { maxRuns: options.runs }),
      ...(forMs !== undefined && { forMs }),
    });
    const failed = runs.filter((r) => r.outcome.status !== 'SUCCEEDED').length;
    output.out(`stopped after ${runs.length} run(s), ${failed} failed`);
    // A stop by signal, --runs or --for is the command doing what was asked; failed runs say so in the exit code.
    return failed > 0 ? EXIT.failed : EXIT.done;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
