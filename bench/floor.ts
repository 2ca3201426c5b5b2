// The floor: what the same etcd cluster costs without etcd-ha around it. The same members on the same
// loopback addresses, the same env files (our renderer) and certificates (our PKI), issued and written
// BEFORE the clock starts; the clock runs from spawning the first etcd until every member answers
// status over mTLS and all name the same leader. Two ways of starting them (FloorStrategy); the floor is
// the faster. The approach of test/support/real-cluster.ts, polled every 25 ms instead of 200 ms and
// with a fresh client for a member that did not answer, so that neither the poll interval nor gRPC's
// reconnect backoff inflates the floor.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseClusterSpec } from '../lambdas/core/spec';
import { ensureClusterPki, type ClusterPki } from '../lambdas/core/pki/bundle';
import { clientUrl, type PeerAddress } from '../lambdas/core/etcd-flags';
import { isRunning, ProcessGroup } from '../test/support/processes';
import { mtlsClient, within } from '../test/support/etcd-client';
import { prepareMemberHost } from '../test/support/real-cluster';
import { longestBootstrapWaitMs } from './etcd-log';

export const FLOOR_POLL_MS = 25;
/** Bound on one status call; a member that is not up yet is asked again on the next poll. */
const STATUS_TIMEOUT_MS = 500;

/**
 * together: every member spawned at once (test/support/real-cluster.ts). A new etcd member first asks
 * each peer whether it was bootstrapped already, 1 s timeout per peer that has bound its port but does
 * not serve yet: members started at once all wait on each other (up to N-1 s).
 * one-by-one: each member spawned once the previous one holds its WAL open (past that check, about to
 * serve its peers), so that no member waits on a peer that is still starting.
 */
export type FloorStrategy = 'together' | 'one-by-one';

export interface FloorRun {
  /** Spawn of the first etcd → every member answers status with the same leader. */
  readonly ms: number;
  readonly polls: number;
  /** etcd's own wait on its peers at start, the longest of the members (bench/etcd-log.ts). */
  readonly bootstrapWaitMs?: number;
}

/**
 * Starts `members` as plain etcd processes under `work`, measures, and stops every process it started
 * (by PID) before returning or throwing. `onStarted` lets the caller stop them on SIGINT.
 */
export async function measureFloor(
  members: readonly PeerAddress[],
  work: string,
  strategy: FloorStrategy,
  onStarted: (stop: () => Promise<void>) => void,
  timeoutMs = 30_000,
): Promise<FloorRun> {
  const spec = parseClusterSpec({ clusterName: 'local', runtime: 'systemd', members });
  const pki = ensureClusterPki(undefined, spec, new Date()).pki;
  const envs = members.map((member) => {
    // The same hosts the tests' real clusters use; etcd gets only the rendered ETCD_* settings, as service-ctl.sh starts it.
    return { member, env: prepareMemberHost(spec, pki, member, members, join(work, 'hosts', member.name)) };
  });
  const endpoints = members.map((m) => clientUrl(m.address, spec));

  const group = new ProcessGroup();
  onStarted(() => group.stopAll());
  try {
    const started = performance.now();
    for (const { member, env } of envs) {
      const logFile = join(work, `${member.name}.log`);
      const { pid } = group.start('etcd', [], { env, logFile });
      if (strategy === 'one-by-one') await waitUntilHoldsWal(pid, logFile, timeoutMs);
    }
    const polls = await waitForOneLeader(endpoints, pki, timeoutMs);
    const ms = performance.now() - started;
    const bootstrapWaitMs = longestBootstrapWaitMs(members.map((m) => join(work, `${m.name}.log`)));
    return { ms, polls, ...(bootstrapWaitMs !== undefined && { bootstrapWaitMs }) };
  } finally {
    await group.stopAll();
  }
}

/** Waits until etcd `pid` has its write-ahead log open (as service-ctl.sh's start watch does). */
async function waitUntilHoldsWal(pid: number, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (!isRunning(pid)) throw new Error(`etcd ${pid} exited while starting: ${readFileSync(logFile, 'utf8').split('\n').slice(-5).join('\n')}`);
    const fds = readdirSync(`/proc/${pid}/fd`);
    if (fds.some((fd) => safeReadlink(`/proc/${pid}/fd/${fd}`).endsWith('.wal'))) return;
    if (performance.now() > deadline) throw new Error(`etcd ${pid} did not open its WAL within ${timeoutMs} ms`);
    await sleep(5);
  }
}

function safeReadlink(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}

/**
 * Polls every member's status until all answer and name the same leader. A member that did not answer
 * gets a fresh client for the next poll: a gRPC channel that was refused while etcd was still starting
 * would otherwise wait out its reconnect backoff (seconds), and the floor would measure the client.
 */
async function waitForOneLeader(endpoints: readonly string[], pki: ClusterPki, timeoutMs: number): Promise<number> {
  const connect = (endpoint: string) => mtlsClient(endpoint, pki.ca.certPem, pki.healthcheckClient);
  const clients = endpoints.map(connect);
  try {
    const deadline = performance.now() + timeoutMs;
    for (let polls = 1; ; polls++) {
      const answers = await Promise.allSettled(clients.map((c, i) => within(STATUS_TIMEOUT_MS, endpoints[i]!, c.maintenance.status())));
      const leaders = new Set(answers.map((a) => (a.status === 'fulfilled' ? a.value.leader : '0')));
      if (leaders.size === 1 && !leaders.has('0')) return polls;
      if (performance.now() > deadline) {
        const why = answers.map((a, i) => `${endpoints[i]}: ${a.status === 'fulfilled' ? `leader ${a.value.leader}` : String(a.reason)}`);
        throw new Error(`floor cluster not healthy after ${timeoutMs} ms: ${why.join('; ')}`);
      }
      answers.forEach((a, i) => {
        if (a.status === 'rejected') {
          clients[i]!.close();
          clients[i] = connect(endpoints[i]!);
        }
      });
      await sleep(FLOOR_POLL_MS);
    }
  } finally {
    for (const c of clients) c.close();
  }
}
