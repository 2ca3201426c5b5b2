// The product's member replacement, as a user does it: `etcd-ha local up` (3 members, not timed), SETTLE_MS
// later `etcd-ha local kill --member NAME` on a follower and `etcd-ha local replace --member NAME` right
// after, each the real command line against a private ETCD_HA_HOME. The clock runs from the moment the killed
// etcd is gone (watched every KILL_POLL_MS while `local kill` runs) until `local replace` exits with
// success; the outcome is then checked with `etcdctl member list` (3 started voters, the new member
// among them, the dead one gone), otherwise the rep is an error, not a number.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { requireRecordedCluster } from '../bin/cli/local-cluster';
import { clientFilePaths } from '../bin/cli/local-files';
import { clientUrl } from '../lambdas/core/etcd-flags';
import { parseClusterSpec } from '../lambdas/core/spec';
import { localHome } from '../lambdas/local-runner/local-home';
import { LocalCliSandbox } from '../test/support/local-cli';
import { isRunning } from '../test/support/processes';
import { parseUpOutput, runCli, type UpBreakdown } from './cli';
import { checkReplaced, leadership, memberList, type EtcdctlTarget, type ListedMember } from './etcdctl';

const KILL_POLL_MS = 2;

/**
 * How long a new cluster runs before a member is killed, on both sides of the replacement bench. etcd's
 * strict reconfiguration check refuses `member add` ("etcdserver: unhealthy cluster") until the member
 * asked has been connected to every voter for 5 s (etcdserver's HealthInterval): on a cluster that has
 * just formed, both sides would measure that wait (about 4 s) instead of the replacement. A member dies
 * in a cluster that has been running; so does the bench's.
 */
export const SETTLE_MS = 6_000;

export interface ReplaceRun {
  /** The killed etcd gone → `local replace` exited with success. */
  readonly ms: number;
  /** Of which `local replace`, spawn to exit. */
  readonly replaceMs: number;
  /** Of which the killed etcd gone → `local kill` exited (its own wait and exit). */
  readonly killTailMs: number;
  readonly killed: string;
  readonly joined: string;
  /** What `local replace` printed: per-state ms, transitions. */
  readonly workflow: UpBreakdown;
}

/**
 * Runs one replacement with the CLI `cli` on a cluster at `firstAddress` (+0..+2), checks it (the new
 * member must be on `replacementAddress`, the address `local replace` picks: the one after the members),
 * and stops every etcd it started (by PID) before returning or throwing. `onStarted` lets the caller stop
 * them on SIGINT.
 */
export async function measureReplace(
  cli: string,
  firstAddress: string,
  replacementAddress: string,
  onStarted: (stop: () => Promise<void>) => void,
): Promise<ReplaceRun> {
  const sandbox = new LocalCliSandbox(firstAddress);
  const home = localHome(sandbox.env);
  // The sandbox signals only processes service-ctl.sh started (recorded start time): the dead member's stale
  // PID file is safe to leave behind.
  const cleanUp = () => sandbox.cleanUp();
  onStarted(cleanUp);
  try {
    const up = await runCli(['local', 'up', '--members', '3'], sandbox.env, cli);
    const upExitedAt = performance.now();
    if (up.status !== 0) throw new Error(`local up exited ${up.status}:\n${up.stdout}\n${up.stderr}`);
    const pids = sandbox.pids();
    const record = requireRecordedCluster(home);
    const spec = parseClusterSpec(record.spec);
    const before: EtcdctlTarget = { endpoints: record.members.map((m) => clientUrl(m.address, spec)), client: clientFilePaths(home.clientDir) };
    const { followers } = await leadership(before);
    const victim = (await memberList(before)).find((m) => m.id === followers[0])!;
    const victimPid = pids[victim.name]!;
    await sleep(Math.max(0, SETTLE_MS - (performance.now() - upExitedAt)));
    if (!isRunning(victimPid)) throw new Error(`etcd of ${victim.name} (pid ${victimPid}) is not running before the kill`);

    const kill = runCli(['local', 'kill', '--member', victim.name], sandbox.env, cli);
    const goneAt = await whenGone(victimPid, kill);
    const killRun = await kill;
    const killExitedAt = performance.now();
    if (killRun.status !== 0 || goneAt === undefined) throw new Error(`local kill --member ${victim.name} exited ${killRun.status}:\n${killRun.stdout}\n${killRun.stderr}`);
    const replace = await runCli(['local', 'replace', '--member', victim.name], sandbox.env, cli);
    const ms = killExitedAt - goneAt + replace.ms;
    if (replace.status !== 0) throw new Error(`local replace --member ${victim.name} exited ${replace.status}:\n${replace.stdout}\n${replace.stderr}`);

    // Asked of the survivors: what etcd says, not what etcd-ha recorded.
    const survivors: EtcdctlTarget = { ...before, endpoints: before.endpoints.filter((e) => e !== victim.clientUrl) };
    const isNew = (m: ListedMember) => m.clientUrl === clientUrl(replacementAddress, spec) && !record.members.some((r) => r.name === m.name);
    const members = await checkReplaced(survivors, 3, victim.name, isNew);
    return {
      ms,
      replaceMs: replace.ms,
      killTailMs: killExitedAt - goneAt,
      killed: victim.name,
      joined: members.find(isNew)!.name,
      workflow: parseUpOutput(replace.stdout),
    };
  } finally {
    await cleanUp();
  }
}

/** performance.now() when `pid` is first seen gone, watching until `until` settles; undefined if it never went. */
async function whenGone(pid: number, until: Promise<unknown>): Promise<number | undefined> {
  let settled = false;
  void until.finally(() => (settled = true)).catch(() => undefined);
  for (;;) {
    if (!isRunning(pid)) return performance.now();
    if (settled) return undefined;
    await sleep(KILL_POLL_MS);
  }
}
