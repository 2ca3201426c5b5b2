// `etcd-ha local pause --reason TEXT` / `local resume`: the SetMaintenance workflow over the local adapters.
// `local stop|start --member NAME`: a simulated host stops (its etcd stopped, data dir kept, marked "stopped") and
// starts again, as an instance stopped for a resize: the stop path waits its grace period for it.
import { healingPausedReason } from '../../lambdas/core/maintenance';
import type { MaintenanceOutcome } from '../../lambdas/workflow-runner/contracts';
import { maintenanceRequest } from './aws-maintenance';
import { localRunner, requireRecordedCluster } from './local-cluster';
import { ProgressPrinter } from './progress';
import { EXIT, UsageError, printJson, progressOutput, type Output, type OutputFormat } from './output';

export async function localSetMaintenance(
  options: { action: 'pause' | 'resume'; reason?: string; by?: string; format?: OutputFormat },
  output: Output,
): Promise<number> {
  const format = options.format ?? 'text';
  const say = progressOutput(output, format);
  const runner = localRunner();
  const record = requireRecordedCluster(runner.home);
  const request = maintenanceRequest({
    cluster: record.clusterName,
    action: options.action,
    ...(options.reason !== undefined && { reason: options.reason }),
    ...(options.by !== undefined && { by: options.by }),
  });
  const progress = new ProgressPrinter(say.out);
  const result = await runner.execute({ workflow: 'set-maintenance', input: request, onEvent: (event) => progress.onEvent(event) });
  if (format === 'json') printJson(output, { workflow: 'SetMaintenance', ...result });
  if (result.status === 'FAILED') {
    say.err(`\nSetMaintenance failed: ${result.error}`);
    say.err(result.cause ?? '');
    return EXIT.failed;
  }
  const outcome = result.output as MaintenanceOutcome;
  say.out(`\n${outcome.message}`);
  if (outcome.paused) say.out('`etcd-ha local heal` and the stop path now end quietly; `etcd-ha local replace` still works.');
  return EXIT.done;
}

/** "healing paused by … since …: …", or undefined: shown by `local status` and honoured by `local heal`. */
export function localPauseReason(): string | undefined {
  return healingPausedReason(requireRecordedCluster(localRunner().home).maintenance);
}

export async function localPower(action: 'stop' | 'start', member: string, output: Output): Promise<number> {
  const runner = localRunner();
  const record = requireRecordedCluster(runner.home);
  if (!record.members.some((m) => m.name === member)) {
    throw new UsageError(`--member: "${member}" is not a member of ${record.clusterName} (members: ${record.members.map((m) => m.name).join(', ')})`);
  }
  await runner.power(action, member);
  output.out(
    action === 'stop'
      ? `host of ${member} stopped (its etcd stopped, its data dir kept), as an instance stopped for a resize`
      : `host of ${member} started again; its etcd starts from its data dir`,
  );
  return EXIT.done;
}
