// `etcd-ha local pause --reason TEXT` / `local resume`: the SetMaintenance workflow over the local adapters.
// `local stop|start --member NAME`: a simulated host stops (its etcd stopped, data dir kept, marked "stopped") and
// starts again, as an instance stopped for a resize: the stop path waits its grace period for it.
import { join } from 'node:path';
import { healingPausedReason } from '../../lambdas/core/maintenance';
import { LocalMachinePower } from '../../lambdas/adapters/local/local-machine-power';
import { localScriptsPaths } from '../../lambdas/adapters/local/local-host-runner';
import { localEtcdBinary } from '../../lambdas/local-runner/etcd-binaries';
import { setMaintenanceLocally } from '../../lambdas/local-runner/local-maintenance';
import type { MaintenanceOutcome } from '../../lambdas/steps/maintenance';
import { maintenanceRequest } from './aws-maintenance';
import { localContext, requireRecordedCluster } from './local-cluster';
import { ProgressPrinter } from './progress';
import { UsageError, type Output } from './output';

export async function localSetMaintenance(options: { action: 'pause' | 'resume'; reason?: string; by?: string }, output: Output): Promise<number> {
  const { home, deps } = localContext();
  const record = requireRecordedCluster(home);
  const request = maintenanceRequest({ cluster: record.clusterName, ...options });
  const progress = new ProgressPrinter(output.out);
  const result = await setMaintenanceLocally(deps, request, { onEvent: (event) => progress.onEvent(event) });
  if (result.status === 'FAILED') {
    output.err(`\nSetMaintenance failed: ${result.error}`);
    output.err(result.cause ?? '');
    return 1;
  }
  const outcome = result.output as MaintenanceOutcome;
  output.out(`\n${outcome.message}`);
  if (outcome.paused) output.out('`etcd-ha local heal` and the stop path now end quietly; `etcd-ha local replace` still works.');
  return 0;
}

/** "healing paused by … since …: …", or undefined: shown by `local status` and honoured by `local heal`. */
export function localPauseReason(): string | undefined {
  const { home } = localContext();
  return healingPausedReason(requireRecordedCluster(home).maintenance);
}

export async function localPower(action: 'stop' | 'start', member: string, output: Output): Promise<number> {
  const { home } = localContext();
  const record = requireRecordedCluster(home);
  if (!record.members.some((m) => m.name === member)) {
    throw new UsageError(`--member: "${member}" is not a member of ${record.clusterName} (members: ${record.members.map((m) => m.name).join(', ')})`);
  }
  const etcdBinary = localEtcdBinary();
  const machines = new LocalMachinePower({ serviceCtl: localScriptsPaths().serviceCtl, ...(etcdBinary !== undefined && { etcdBinary }) });
  const host = { name: member, root: join(home.hostsDir, member) };
  if (action === 'stop') {
    await machines.stop(host);
    output.out(`host of ${member} stopped (its etcd stopped, its data dir kept), as an instance stopped for a resize`);
  } else {
    await machines.start(host);
    output.out(`host of ${member} started again; its etcd starts from its data dir`);
  }
  return 0;
}
