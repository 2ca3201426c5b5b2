// How `etcd-ha backup` and `etcd-ha local backup` print BackupCluster's answer: where the snapshot is, its revision,
// size and SHA-256 (no key material is in a backup's metadata), or why there was none. With `-o json` one document
// on stdout. Exit 0 when the cluster was backed up (or another backup of it was running), 1 otherwise.
import type { BackupClusterOutput, BackupMetadata } from '../../lambdas/workflow-runner/contracts';
import type { WorkflowOutcome } from '../../lambdas/workflow-runner/port';
import { EXIT, printJson, type Output, type OutputFormat } from './output';

function isBackupOutput(value: unknown): value is BackupClusterOutput {
  return value !== null && typeof value === 'object' && Array.isArray((value as BackupClusterOutput).backups);
}

export function printBackupOutcome(result: Pick<WorkflowOutcome, 'status' | 'output' | 'error' | 'cause'>, format: OutputFormat, output: Output): number {
  if (format === 'json') printJson(output, { workflow: 'BackupCluster', ...result });
  const say = format === 'json' ? { out: output.err, err: output.err } : output;
  if (result.status !== 'SUCCEEDED') {
    say.err(`BackupCluster ${result.status.toLowerCase()}: ${result.error ?? '(no error given)'}`);
    for (const line of failureLines(result.cause)) say.err(`  ${line}`);
    return EXIT.failed;
  }
  if (!isBackupOutput(result.output)) {
    say.err('BackupCluster succeeded without the answer it gives (its backups)');
    return EXIT.failed;
  }
  if (result.output.backups.length === 0) {
    say.err(`nothing backed up: ${result.output.reason ?? 'no cluster named'}`);
    return EXIT.failed;
  }
  for (const b of result.output.backups) {
    if (b.outcome === 'backed-up') for (const line of describeBackup(b.backup)) say.out(line);
    else if (b.outcome === 'already-running') say.out(`${b.clusterName}: another backup is running (${b.heldBy}); this one ended without a snapshot`);
  }
  return EXIT.done;
}

/** A backup in a few lines: where, which revision, how big, its hash. */
export function describeBackup(b: BackupMetadata): string[] {
  return [
    `Backup of ${b.clusterName} at ${b.takenAt}: ${b.location}`,
    `  revision ${b.revision}, cluster ID ${b.clusterId}, etcd ${b.etcdVersion}, ${b.members.length} members, from ${b.from}`,
    `  ${b.bytes} bytes, SHA-256 ${b.sha256} (checked while it streamed)`,
  ];
}

/** Backup Failed's cause is the per-cluster outcomes as JSON: one line per failed cluster. */
function failureLines(cause: string | undefined): string[] {
  if (!cause) return [];
  try {
    const outcomes = JSON.parse(cause) as Array<{ clusterName: string; outcome: string; error?: string; cause?: string }>;
    return outcomes.filter((o) => o.outcome === 'failed').map((o) => `${o.clusterName}: ${o.error}: ${(o.cause ?? '').split('\n', 1)[0]}`);
  } catch {
    return [cause];
  }
}
