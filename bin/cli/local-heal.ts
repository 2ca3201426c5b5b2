// `etcd-ha local heal`: watches the local cluster and, as the EventBridge rule does on AWS, starts
// ReplaceMember when a member stays dead for two checks in a row. Stops on Ctrl-C. While the cluster's healing is
// paused (`etcd-ha local pause`) it replaces nothing and says so once; it goes on after `local resume`. A member
// whose simulated host was stopped (`local stop`) is a stop, not a death: it is replaced only once its host has
// stayed stopped for LOCAL_STOP_GRACE_MS (the stop grace period, shortened locally).
import { setTimeout as sleep } from 'node:timers/promises';
import { clientUrl } from '../../lambdas/core/etcd-flags';
import { localRunner, requireRecordedCluster } from './local-cluster';
import { reportReplace, runLocalReplace } from './local-replace';
import { healingPausedReason } from '../../lambdas/core/maintenance';
import type { Output } from './output';

const CHECK_INTERVAL_MS = 1000;
const DEAD_AFTER_CHECKS = 2;
/** Locally, the stop grace period: long enough to `local stop` and `local start` a host by hand. */
export const LOCAL_STOP_GRACE_MS = 30_000;

export async function localHeal(output: Output, signal: AbortSignal): Promise<number> {
  output.out('etcd-ha: watching the local cluster; a member dead for 2 checks is replaced (Ctrl-C stops)');
  const misses = new Map<string, number>();
  /** When each member's host was first seen stopped. */
  const stoppedSince = new Map<string, number>();
  let failures = 0;
  let pausedSaid: string | undefined;
  while (!signal.aborted) {
    const runner = localRunner();
    const { home, deps } = runner;
    const record = requireRecordedCluster(home);
    const paused = healingPausedReason(record.maintenance);
    if (paused !== undefined) {
      if (paused !== pausedSaid) output.out(`${paused}: replacing nothing until \`etcd-ha local resume\``);
      pausedSaid = paused;
      misses.clear();
      await sleep(CHECK_INTERVAL_MS, undefined, { signal }).catch(() => undefined);
      continue;
    }
    if (pausedSaid !== undefined) output.out('healing resumed: watching again');
    pausedSaid = undefined;
    const spec = runner.recordedSpec(record);
    const admin = deps.etcd.connect(await runner.healthcheckClient(record.secrets));
    let dead: string | undefined;
    try {
      const view = await admin.inspect(record.members.map((m) => clientUrl(m.address, spec)));
      const machines = deps.directory.recorded(record.clusterName, record.members);
      for (const [i, member] of record.members.entries()) {
        const ok = view.statuses.find((s) => s.endpoint === clientUrl(member.address, spec))?.ok ?? false;
        const count = ok ? 0 : (misses.get(member.name) ?? 0) + 1;
        misses.set(member.name, count);
        if ((await deps.machines.stateOf(machines[i]!)) === 'stopped') {
          if (!stoppedSince.has(member.name)) output.out(`${member.name}'s host is stopped: replaced only if it stays stopped for ${LOCAL_STOP_GRACE_MS / 1000} s (a stop is not a death)`);
          const since = stoppedSince.get(member.name) ?? Date.now();
          stoppedSince.set(member.name, since);
          if (Date.now() - since < LOCAL_STOP_GRACE_MS) continue;
        } else {
          stoppedSince.delete(member.name);
        }
        if (count >= DEAD_AFTER_CHECKS && dead === undefined) dead = member.name;
      }
    } finally {
      await admin.close();
    }
    // A dead member another execution removed (with every dead voter) still needs its replacement.
    const awaiting = record.removed?.[0]?.name;
    if (dead === undefined && awaiting !== undefined) {
      output.out(`${awaiting} was removed while dead and awaits its replacement: starting ReplaceMember`);
      dead = awaiting;
    } else if (dead !== undefined) {
      output.out(`${dead} has not answered for ${DEAD_AFTER_CHECKS} checks: starting ReplaceMember`);
    }
    if (dead !== undefined) {
      const code = reportReplace(await runLocalReplace({ member: dead, trigger: 'local-heal' }, output), output);
      if (code !== 0) failures += 1;
      misses.clear();
      continue;
    }
    await sleep(CHECK_INTERVAL_MS, undefined, { signal }).catch(() => undefined);
  }
  output.out('etcd-ha: stopped watching');
  return failures === 0 ? 0 : 1;
}
