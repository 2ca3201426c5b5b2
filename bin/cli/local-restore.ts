// `etcd-ha local restore [--snapshot NAME|PATH] [--confirm NAME]`: RestoreCluster on the local runner (the workflow
// `etcd-ha restore` starts on AWS), from the local home's backups. Without --confirm naming the local cluster it is a
// dry run that prints the plan and changes nothing, as on AWS: a local user confirms the same way.
import { basename, dirname, join, resolve } from 'node:path';
import { localRunner, requireRecordedCluster } from './local-cluster';
import { restoreRequest } from './aws-restore';
import { printRestore } from './restore-report';
import { ProgressPrinter } from './progress';
import { UsageError, progressOutput, type Output, type OutputFormat } from './output';

export interface LocalRestoreOptions {
  /** A backup's name, or the path of its snapshot as `local backups` lists it. @default the last good backup */
  readonly snapshot?: string;
  readonly confirm?: string;
  readonly by?: string;
  readonly format: OutputFormat;
}

/** A backup's name from `--snapshot`: the name itself, or the path of a snapshot under the home's backups of the cluster. */
export function backupNameOf(snapshot: string, backupsDir: string, clusterName: string): string {
  if (!snapshot.includes('/') && !snapshot.endsWith('.db')) return snapshot;
  const path = resolve(snapshot);
  const expected = join(resolve(backupsDir), clusterName);
  if (dirname(path) !== expected || !path.endsWith('.db')) {
    throw new UsageError(`--snapshot: expected a backup name or a snapshot under ${expected}/ (as \`etcd-ha local backups\` lists them), got "${snapshot}"`);
  }
  return basename(path, '.db');
}

export async function localRestore(options: LocalRestoreOptions, given: Output): Promise<number> {
  const output = progressOutput(given, options.format);
  const runner = localRunner();
  const record = requireRecordedCluster(runner.home);
  const snapshot = options.snapshot === undefined ? undefined : backupNameOf(options.snapshot, runner.home.backupsDir, record.clusterName);
  const input = restoreRequest({
    cluster: record.clusterName,
    ...(snapshot !== undefined && { snapshot }),
    ...(options.confirm !== undefined && { confirm: options.confirm }),
    ...(options.by !== undefined && { by: options.by }),
  });
  output.out(`${input.confirm === undefined ? 'Dry run of a restore of' : 'Restoring'} the local cluster "${record.clusterName}" (RestoreCluster)`);
  const progress = new ProgressPrinter(output.out);
  const outcome = await runner.execute({ workflow: 'restore-cluster', input, onEvent: (event) => progress.onEvent(event) });
  const again = ['npx etcd-ha local restore', ...(options.snapshot ? [`--snapshot ${options.snapshot}`] : []), `--confirm ${record.clusterName}`];
  return printRestore(outcome, options.format, given, again.join(' '));
}
