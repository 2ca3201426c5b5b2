// `etcd-ha local backup` and `etcd-ha local backups`: BackupCluster on the local runner (the workflow the schedule
// and `etcd-ha backup` start on AWS), snapshots under the local home; and the list of the local cluster's backups.
import { localRunner, requireRecordedCluster } from './local-cluster';
import { printBackupOutcome } from './backup-report';
import { ProgressPrinter } from './progress';
import { EXIT, printJson, progressOutput, type Output, type OutputFormat } from './output';

export async function localBackup(options: { format: OutputFormat }, given: Output): Promise<number> {
  const output = progressOutput(given, options.format);
  const runner = localRunner();
  const record = requireRecordedCluster(runner.home);
  output.out(`Backing up the local cluster "${record.clusterName}" (BackupCluster)`);
  const progress = new ProgressPrinter(output.out);
  const outcome = await runner.execute({ workflow: 'backup-cluster', input: { clusterName: record.clusterName }, onEvent: (event) => progress.onEvent(event) });
  return printBackupOutcome(outcome, options.format, given);
}

export async function localBackups(options: { format: OutputFormat }, output: Output): Promise<number> {
  const runner = localRunner();
  const record = requireRecordedCluster(runner.home);
  const { backups, lastGood } = await runner.listBackups(record.clusterName);
  if (options.format === 'json') {
    printJson(output, { clusterName: record.clusterName, lastGood: lastGood?.name ?? null, backups });
    return EXIT.done;
  }
  if (backups.length === 0) {
    output.out(`no backups of the local cluster "${record.clusterName}" yet: take one with \`etcd-ha local backup\``);
    return EXIT.done;
  }
  output.out(`${'TAKEN AT'.padEnd(26)}${'REVISION'.padEnd(10)}${'BYTES'.padEnd(12)}LOCATION`);
  for (const b of backups) {
    const mark = b.name === lastGood?.name ? '  (last good)' : b.complete ? '' : '  (incomplete: no manifest)';
    output.out(`${b.takenAt.padEnd(26)}${String(b.revision ?? '-').padEnd(10)}${String(b.bytes ?? '-').padEnd(12)}${b.location ?? '-'}${mark}`);
  }
  return EXIT.done;
}
