// The replacement floor: etcd's own runbook for replacing a dead member, done by hand with etcdctl on a
// plain 3-member etcd cluster (test/support/real-cluster.ts: our certificates and env files) that has run
// for SETTLE_MS (bench/replace.ts, as on the product side), with everything that can be ready beforehand
// made ready BEFORE the clock starts: the new member's certificates, its host (prepareMemberHost,
// initial-cluster-state=existing, empty data dir), etcdctl's client files, the dead member's ID. The clock runs from the SIGKILL of a follower until the new member
// is a voter and `etcdctl endpoint health --cluster` says every member is healthy:
//   kill → member remove → member add --learner → start etcd → member promote (again until etcd
//   accepts: the learner must catch up first) → endpoint health --cluster (again until all healthy).
// Each etcdctl call that etcd refuses is repeated every FLOOR_POLL_MS, so the floor waits on etcd only.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeClientFiles } from '../bin/cli/local-files';
import { clientUrl, peerUrl, type PeerAddress } from '../lambdas/core/etcd-flags';
import { ensureClusterPki } from '../lambdas/core/pki/bundle';
import { replacementName } from '../lambdas/core/quorum';
import { parseClusterSpec } from '../lambdas/core/spec';
import { ProcessGroup } from '../test/support/processes';
import { prepareMemberHost, startRealCluster } from '../test/support/real-cluster';
import { checkReplaced, etcdctl, etcdctlOk, leadership, memberList, type EtcdctlTarget } from './etcdctl';
import { FLOOR_POLL_MS } from './floor';
import { SETTLE_MS } from './replace';

const SPEC = { clusterName: 'floor', runtime: 'systemd' } as const;

export interface ReplaceFloorRun {
  /** SIGKILL → new member promoted and every member healthy. */
  readonly ms: number;
  /** Where the time went, ms: each phase from the end of the one before. */
  readonly phases: Readonly<Record<'kill' | 'remove' | 'addLearner' | 'startEtcd' | 'promote' | 'healthy', number>>;
  /** etcdctl calls per repeated phase (1: etcd accepted the first). */
  readonly attempts: Readonly<Record<'addLearner' | 'promote' | 'healthy', number>>;
  readonly killed: string;
  readonly joined: string;
}

/**
 * Starts `members` (3) as plain etcd processes under `work`, replaces a follower with a new member on
 * `replacementAddress`, checks the outcome, and stops every process it started (by PID) before returning
 * or throwing. `onStarted` lets the caller stop them on SIGINT.
 */
export async function measureReplaceFloor(
  members: readonly PeerAddress[],
  replacementAddress: string,
  work: string,
  onStarted: (stop: () => Promise<void>) => void,
  timeoutMs = 60_000,
): Promise<ReplaceFloorRun> {
  const joining = new ProcessGroup();
  let cluster: Awaited<ReturnType<typeof startRealCluster>> | undefined;
  onStarted(async () => {
    await joining.stopAll();
    await cluster?.stop();
  });
  try {
    cluster = await startRealCluster({ members, work, spec: SPEC });
    const healthyAt = performance.now();
    const { spec } = cluster;
    const client = writeClientFiles(join(work, 'client'), { caCertPem: cluster.pki.ca.certPem, ...cluster.pki.healthcheckClient });
    const all: EtcdctlTarget = { endpoints: cluster.endpoints, client };

    // Ready before the clock: who dies (a follower, as the product side), its ID, the newcomer's host.
    const { followers } = await leadership(all);
    const victim = (await memberList(all)).find((m) => m.id === followers[0])!;
    const survivors = members.filter((m) => m.name !== victim.name);
    const newcomer: PeerAddress = { name: replacementName(victim.name, members.map((m) => m.name)), address: replacementAddress };
    const next = [...survivors, newcomer];
    const pki = ensureClusterPki(cluster.pki, parseClusterSpec({ ...SPEC, members: next }), new Date()).pki;
    const env = prepareMemberHost(spec, pki, newcomer, next, join(work, 'hosts', newcomer.name), 'existing');
    const living: EtcdctlTarget = { endpoints: survivors.map((m) => clientUrl(m.address, spec)), client };
    await sleep(Math.max(0, SETTLE_MS - (performance.now() - healthyAt)));

    const deadline = performance.now() + timeoutMs;
    const again = (what: string, args: readonly string[]) => repeatUntilOk(living, what, args, deadline);
    const marks: number[] = [performance.now()];
    const mark = () => marks.push(performance.now());

    await cluster.kill(victim.name, 'SIGKILL');
    mark();
    await etcdctlOk(living, ['member', 'remove', victim.id]);
    mark();
    const added = await again('member add', ['member', 'add', newcomer.name, '--learner', `--peer-urls=${peerUrl(newcomer.address, spec)}`]);
    const newId = /Member ([0-9a-f]+) added/.exec(added.stdout)?.[1];
    if (!newId) throw new Error(`etcdctl member add: no member ID in its output:\n${added.stdout}`);
    mark();
    joining.start('etcd', [], { env, logFile: join(work, `${newcomer.name}.log`) });
    mark();
    const promoted = await again('member promote', ['member', 'promote', newId]);
    mark();
    const healthy = await again('endpoint health --cluster', ['endpoint', 'health', '--cluster']);
    mark();

    await checkReplaced({ ...living, endpoints: [...living.endpoints, clientUrl(newcomer.address, spec)] }, members.length, victim.name, (m) => m.id === newId);
    const phase = (i: number) => Math.round(marks[i + 1]! - marks[i]!);
    return {
      ms: marks[marks.length - 1]! - marks[0]!,
      phases: { kill: phase(0), remove: phase(1), addLearner: phase(2), startEtcd: phase(3), promote: phase(4), healthy: phase(5) },
      attempts: { addLearner: added.attempts, promote: promoted.attempts, healthy: healthy.attempts },
      killed: victim.name,
      joined: newcomer.name,
    };
  } finally {
    await joining.stopAll();
    await cluster?.stop();
  }
}

/** The same etcdctl call every FLOOR_POLL_MS until etcd accepts it. */
async function repeatUntilOk(target: EtcdctlTarget, what: string, args: readonly string[], deadline: number): Promise<{ stdout: string; attempts: number }> {
  for (let attempts = 1; ; attempts++) {
    const run = await etcdctl(target, args);
    if (run.ok) return { stdout: run.stdout, attempts };
    if (performance.now() > deadline) throw new Error(`etcdctl ${what}: still failing after ${attempts} attempts: ${run.stderr.trim()}`);
    await sleep(FLOOR_POLL_MS);
  }
}
