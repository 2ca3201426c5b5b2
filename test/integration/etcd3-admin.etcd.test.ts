// The etcd3 EtcdAdmin against a real 3-member mTLS cluster, judged by judgeClusterHealth: what the
// Wait Until Healthy loop and ReplaceMember will see. etcdctl is the oracle for IDs and membership.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect as utilInspect } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureClusterPki } from '../../lambdas/core/pki/bundle';
import { hostLayout } from '../../lambdas/core/layout';
import type { PeerAddress } from '../../lambdas/core/etcd-flags';
import { hexId, judgeClusterHealth, type ExpectedCluster, type HealthVerdict } from '../../lambdas/core/health';
import type { ClusterView, EtcdAdmin } from '../../lambdas/ports';
import { Etcd3AdminFactory } from '../../lambdas/adapters/etcd/etcd3-admin';
import { EtcdNotReadyError, EtcdUnavailableError } from '../../lambdas/core/errors';
import { checkedSnapshot, SnapshotHashCheck } from '../../lambdas/core/snapshot-hash';
import { startRealCluster, type RealCluster } from '../support/real-cluster';
import { isRunning } from '../support/processes';
import { mtlsClient } from '../support/etcd-client';
import { etcdUnderTest, snapshotStatus } from '../support/etcd-under-test';

const members: PeerAddress[] = [
  { name: 'infra0', address: '127.0.0.41' },
  { name: 'infra1', address: '127.0.0.42' },
  { name: 'infra2', address: '127.0.0.43' },
];
const ADDRESS_PREFIX = '127.0.0.4';
const UNSTARTED_PEER = 'https://127.0.0.44:2380';
const LAG = { maxAppliedIndexLag: 100 };
const CALL_TIMEOUT_MS = 2000;

/** PIDs of etcd processes whose environment puts them on this test's addresses (etcd is started with env only). */
function etcdProcessesOnOurAddresses(): number[] {
  const run = spawnSync('pgrep', ['-x', 'etcd'], { encoding: 'utf8' });
  const pids = run.stdout.split('\n').filter(Boolean).map(Number);
  return pids.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`ETCD_LISTEN_CLIENT_URLS=https://${ADDRESS_PREFIX}`);
    } catch {
      return false;
    }
  });
}

const ETCD = etcdUnderTest();

describe(`Etcd3Admin against a real 3-member mTLS cluster on ${ETCD.label}`, () => {
  const work = mkdtempSync(join(tmpdir(), 'etcd-ha-admin-'));
  const admins: EtcdAdmin[] = [];
  let cluster: RealCluster | undefined;
  let admin: EtcdAdmin;
  let expected: ExpectedCluster;
  let endpoints: string[];

  const judge = (view: ClusterView, expectation = expected) => judgeClusterHealth(view, expectation, LAG);
  const connect = (pair: { certPem: string; keyPem: string }, caCertPem = cluster!.pki.ca.certPem) => {
    const a = new Etcd3AdminFactory({ callTimeoutMs: CALL_TIMEOUT_MS }).connect({ caCertPem, certPem: pair.certPem, keyPem: pair.keyPem });
    admins.push(a);
    return a;
  };
  /** etcdctl with infra0's host files, as an operator on that host would run it. */
  const etcdctl = (...args: string[]) => {
    const pkiDir = hostLayout(cluster!.spec.etcd.dataDir, cluster!.hostRoot('infra0')).pkiDir;
    return execFileSync(
      'etcdctl',
      ['--endpoints', endpoints.join(','), '--cacert', join(pkiDir, 'etcd/ca.crt'), '--cert', join(pkiDir, 'etcd/peer.crt'), '--key', join(pkiDir, 'etcd/peer.key'), ...args],
      { encoding: 'utf8', env: { PATH: process.env.PATH, ETCDCTL_API: '3' } },
    );
  };
  /** Asks until the verdict satisfies `done` (a Wait loop in small). */
  const inspectUntil = async (done: (v: HealthVerdict) => boolean, asked = endpoints, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = await admin.inspect(asked);
      const verdict = judge(view);
      if (done(verdict)) return { view, verdict };
      if (Date.now() > deadline) assert.fail(`verdict not reached in ${timeoutMs} ms: ${verdict.problems.join(' | ')}`);
      await sleep(200);
    }
  };

  /**
   * Retries while etcd says "not now", as the workflow's Wait loop does: right after start-up or a change,
   * --strict-reconfig-check refuses membership changes with "unhealthy cluster" for about 5 s.
   */
  const whenReady = async <T>(call: () => Promise<T>, timeoutMs = 15_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof EtcdNotReadyError) || Date.now() > deadline) throw error;
        notReadyAnswers.push(error.message);
        await sleep(500);
      }
    }
  };
  const notReadyAnswers: string[] = [];

  before(async () => {
    assert.deepEqual(etcdProcessesOnOurAddresses(), [], 'no etcd left on 127.0.0.41-43 from an earlier run');
    cluster = await startRealCluster({ members, work, spec: { clusterName: 'admin', runtime: 'systemd' } });
    endpoints = [...cluster.endpoints];
    expected = { members, clientPort: cluster.spec.etcd.clientPort, peerPort: cluster.spec.etcd.peerPort };
    admin = connect(cluster.pki.healthcheckClient);
  });

  after(async () => {
    const pids = Object.values(cluster?.processes ?? {}).map((p) => p.pid);
    for (const pid of pids) if (isRunning(pid)) process.kill(pid, 'SIGCONT');
    await Promise.allSettled(admins.map((a) => a.close()));
    await cluster?.stop();
    rmSync(work, { recursive: true, force: true });
    assert.deepEqual(pids.filter(isRunning), [], 'every etcd this test started is gone');
    assert.deepEqual(etcdProcessesOnOurAddresses(), [], 'no etcd left on 127.0.0.41-43');
  });

  it('inspects a healthy cluster: each status from the member asked, one leader, the spec members', async () => {
    const view = await admin.inspect(endpoints);
    assert.deepEqual(view.statuses.map((s) => [s.endpoint, s.ok]), endpoints.map((e) => [e, true]));
    for (const s of view.statuses) {
      // The status answer came from the member at that endpoint, not from a random host.
      const listed = view.members.find((m) => m.id === s.memberId);
      assert.deepEqual(listed?.clientURLs, [s.endpoint]);
      assert.equal(typeof s.raftIndex, 'number');
      assert.equal(typeof s.raftAppliedIndex, 'number');
      assert.ok(s.raftIndex! > 0 && s.raftAppliedIndex! > 0 && s.dbSize! > 0, JSON.stringify(s));
      assert.equal(s.version, ETCD.version);
      assert.equal(s.isLearner, false);
    }
    assert.deepEqual(view.alarms, []);

    const verdict = judge(view);
    assert.deepEqual(verdict.problems, []);
    assert.equal(verdict.healthy, true);
    assert.equal(verdict.members.filter((m) => m.leader).length, 1);
    assert.equal(verdict.members.find((m) => m.leader)!.name, verdict.leaderName);
    assert.ok(['infra0', 'infra1', 'infra2'].includes(verdict.leaderName!));

    // etcdctl prints the same hex IDs, names and URLs.
    const fromEtcdctl = etcdctl('member', 'list')
      .trim()
      .split('\n')
      .map((line) => line.split(', '))
      .map(([id, state, name, peer, client, learner]) => ({ id, state, name, peer, client, learner }))
      .sort((a, b) => a.name!.localeCompare(b.name!));
    assert.deepEqual(
      fromEtcdctl,
      verdict.members.map((m) => ({ id: m.id, state: 'started', name: m.name, peer: m.peerUrl, client: m.endpoint, learner: 'false' })),
    );
  });

  it('names the differences when the spec expects other members', async () => {
    const view = await admin.inspect(endpoints);
    const otherSpec: ExpectedCluster = { ...expected, members: [members[0]!, members[1]!, { name: 'infra3', address: '127.0.0.44' }] };
    const verdict = judge(view, otherSpec);
    assert.equal(verdict.healthy, false);
    assert.deepEqual(verdict.problems, [
      'infra3 (https://127.0.0.44:2379) was not asked for its status',
      'member list lacks infra3 (https://127.0.0.44:2380)',
      'member list has infra2 which the spec does not',
    ]);
    assert.deepEqual(verdict.members.filter((m) => !m.healthy).map((m) => m.name), ['infra3', 'infra2']);
  });

  it('adds a learner at an unstarted peer URL (unhealthy: unstarted learner), repeats safely, removes it (healthy again)', async () => {
    const add = await whenReady(() => admin.memberAdd(endpoints, UNSTARTED_PEER, true));
    assert.equal(add.added, true);
    assert.deepEqual({ ...add.member, id: 'x' }, { id: 'x', name: '', peerURLs: [UNSTARTED_PEER], clientURLs: [], isLearner: true });
    assert.equal(add.members.length, 4);
    const learnerHex = hexId(add.member.id);
    assert.match(etcdctl('member', 'list'), new RegExp(`^${learnerHex}, unstarted, , ${UNSTARTED_PEER}, , true$`, 'm'));

    const { verdict } = await inspectUntil((v) => v.members.length === 4);
    assert.equal(verdict.healthy, false);
    assert.deepEqual(verdict.problems, [`member list has an unstarted learner ${learnerHex} (${UNSTARTED_PEER}) which the spec does not`]);
    assert.deepEqual(verdict.members[3], { name: '', id: learnerHex, endpoint: '', peerUrl: UNSTARTED_PEER, healthy: false, leader: false, learner: true });
    assert.ok(verdict.leaderName, 'the voters still have their leader');

    // etcd refuses a repeat within the same second as "member ID already exist" (the ID hashes the peer
    // URLs and the time in seconds), a later one as "Peer URLs already exists": both are "already added".
    const again = await admin.memberAdd(endpoints, UNSTARTED_PEER, true);
    assert.deepEqual(again, { ...again, added: false, member: add.member });
    await sleep(1100);
    const later = await admin.memberAdd(endpoints, UNSTARTED_PEER, true);
    assert.deepEqual(later, { ...later, added: false, member: add.member });

    // A learner that never started cannot be in sync: etcd says "not yet", which the workflow retries.
    await assert.rejects(admin.memberPromote(endpoints, add.member.id), (e: Error) => {
      assert.ok(e instanceof EtcdNotReadyError, `${e.name}: ${e.message}`);
      assert.match(e.message, /in sync with leader/);
      return true;
    });

    const removed = await whenReady(() => admin.memberRemove(endpoints, add.member.id));
    assert.equal(removed.removed, true);
    assert.deepEqual(removed.members.map((m) => m.name).sort(), ['infra0', 'infra1', 'infra2']);
    const back = await inspectUntil((v) => v.healthy);
    assert.deepEqual(back.verdict.problems, []);
    assert.doesNotMatch(etcdctl('member', 'list'), /unstarted/);
    if (notReadyAnswers.length > 0) console.log(`# etcd said "not now" ${notReadyAnswers.length}x: ${[...new Set(notReadyAnswers)].join(' | ')}`);

    const removedAgain = await whenReady(() => admin.memberRemove(endpoints, add.member.id));
    assert.equal(removedAgain.removed, false);
    assert.equal(removedAgain.members.length, 3);
  });

  it('treats promoting a member that is already a voter as done', async () => {
    const view = await admin.inspect(endpoints);
    const voter = view.members.find((m) => m.name === 'infra0')!;
    const result = await whenReady(() => admin.memberPromote(endpoints, voter.id));
    assert.equal(result.promoted, false);
    assert.equal(result.members.length, 3);
  });

  it('reports a raised alarm, and is healthy again once it is disarmed', async () => {
    const view = await admin.inspect(endpoints);
    const target = view.members.find((m) => m.name === 'infra2')!;
    // etcdctl cannot raise an alarm; the etcd3 client can.
    const raw = mtlsClient(endpoints[0]!, cluster!.pki.ca.certPem, cluster!.pki.healthcheckClient);
    try {
      await raw.maintenance.alarm({ action: 'Activate', memberID: target.id, alarm: 'Nospace' });
      const raised = judge(await admin.inspect(endpoints));
      assert.deepEqual(raised.problems, [`alarm raised: NOSPACE (member ${hexId(target.id)})`]);
      assert.match(etcdctl('alarm', 'list'), new RegExp(`memberID:${BigInt(target.id)} alarm:NOSPACE`));
    } finally {
      etcdctl('alarm', 'disarm');
      raw.close();
    }
    await inspectUntil((v) => v.healthy);
  });

  it('refuses a client certificate from another CA on every endpoint, without hanging', async () => {
    const other = ensureClusterPki(undefined, cluster!.spec, new Date()).pki;
    const stranger = connect(other.healthcheckClient, other.ca.certPem);
    const started = Date.now();
    const view = await stranger.inspect(endpoints);
    // Refused at the TLS handshake, in well under a second here. The bound only says "never hangs": every
    // call is bounded (statuses in parallel, then at most one member list per endpoint), with room for a
    // loaded 2-core machine.
    const took = Date.now() - started;
    assert.ok(took < 4 * CALL_TIMEOUT_MS + 2000, `inspect took ${took} ms`);
    assert.deepEqual(view.statuses.map((s) => s.ok), [false, false, false]);
    assert.deepEqual(view.members, []);
    const verdict = judge(view);
    assert.equal(verdict.healthy, false);
    assert.ok(verdict.problems.includes('no member list: no member answered for it'), verdict.problems.join('\n'));
    await assert.rejects(stranger.memberRemove(endpoints, '1'), EtcdUnavailableError);
  });

  it('never puts key material in what it returns or prints', async () => {
    const key = cluster!.pki.healthcheckClient.keyPem;
    const keyBody = key.split('\n')[1]!;
    // util.inspect prints Buffers as hex bytes.
    const keyHex = Buffer.from(key).toString('hex').match(/../g)!.slice(0, 40).join(' ');
    const view = await admin.inspect(endpoints);
    for (const text of [JSON.stringify(view), utilInspect(admin, { depth: 5 }), JSON.stringify(admin)]) {
      assert.doesNotMatch(text, /PRIVATE KEY/);
      assert.ok(!text.includes(keyBody));
      assert.ok(!text.includes(keyHex.slice(0, 60)));
    }
  });

  it('bounds a member that accepts connections but never answers (SIGSTOP): one timeout, then the others', async () => {
    const pid = cluster!.processes.infra0!.pid;
    process.kill(pid, 'SIGSTOP');
    try {
      // A longer timeout than the other tests: one timeout (status) and a second one (the member list asked
      // of the stopped member) are then 4 s apart, far more than a loaded machine adds.
      const timeoutMs = 4000;
      const fresh = new Etcd3AdminFactory({ callTimeoutMs: timeoutMs }).connect({ caCertPem: cluster!.pki.ca.certPem, ...cluster!.pki.healthcheckClient });
      admins.push(fresh); // no connection to infra0 is open yet
      const started = Date.now();
      const view = await fresh.inspect(endpoints);
      const took = Date.now() - started;
      assert.ok(took >= timeoutMs - 100 && took < 2 * timeoutMs, `inspect took ${took} ms: one timeout, not two`);
      assert.equal(view.statuses[0]!.ok, false);
      assert.match(view.statuses[0]!.error!, /no answer within 4000 ms|deadline/i);
      assert.deepEqual(view.statuses.slice(1).map((s) => s.ok), [true, true]);
      assert.equal(view.members.length, 3, 'the member list comes from a member that answered');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await inspectUntil((v) => v.healthy);
  });

  it('after SIGKILL of the leader: unhealthy, naming it, with one new leader among the others', async () => {
    const before = judge(await admin.inspect(endpoints));
    const victim = before.leaderName!;
    const victimEndpoint = before.members.find((m) => m.name === victim)!.endpoint;
    await cluster!.kill(victim, 'SIGKILL');
    assert.equal(isRunning(cluster!.processes[victim]!.pid), false);

    const { verdict } = await inspectUntil((v) => v.leaderName !== undefined && v.leaderName !== victim);
    assert.equal(verdict.healthy, false);
    const dead = verdict.problems.filter((p) => p.startsWith(`${victim} (${victimEndpoint}) did not answer: `));
    assert.equal(dead.length, 1, verdict.problems.join('\n'));
    assert.deepEqual(verdict.problems, dead, 'the dead member is the only problem');
    assert.deepEqual(verdict.members.filter((m) => !m.healthy).map((m) => m.name), [victim]);
    assert.equal(verdict.members.filter((m) => m.leader).length, 1);
    assert.notEqual(verdict.leaderName, victim);
    console.log(`# killed ${victim}; ${dead[0]}; new leader ${verdict.leaderName}`);
  });
  it('snapshots from the first member that streams: a dead one and a stopped one are passed over, the sink gets exactly what etcd sent (its SHA-256 trailer checks), and etcd reads the file', async () => {
    // The leader was killed by the test before: its endpoint refuses connections.
    const view = await admin.inspect(endpoints);
    const dead = view.statuses.filter((st) => !st.ok).map((st) => st.endpoint);
    assert.equal(dead.length, 1, JSON.stringify(view.statuses));
    const [stopped, live] = endpoints.filter((e) => !dead.includes(e));
    const raw = mtlsClient(live!, cluster!.pki.ca.certPem, cluster!.pki.healthcheckClient);
    const stoppedPid = cluster!.processes[members[endpoints.indexOf(stopped!)]!.name]!.pid;
    const file = join(work, 'snapshot.db');
    try {
      await raw.put('/snapshot/marker').value('here');
      const liveStatus = await raw.maintenance.status();
      const revision = Number(liveStatus.header.revision);
      process.kill(stoppedPid, 'SIGSTOP'); // accepts connections, never answers
      const started = Date.now();
      const checks: SnapshotHashCheck[] = [];
      const taken = await admin.snapshot([dead[0]!, stopped!, live!], async (chunks) => {
        const check = new SnapshotHashCheck();
        checks.push(check);
        const out = createWriteStream(file, { mode: 0o600 });
        for await (const chunk of checkedSnapshot(chunks, check)) out.write(chunk);
        await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
      });
      assert.equal(taken.endpoint, live);
      assert.ok(Date.now() - started < 4 * CALL_TIMEOUT_MS + 2000, 'the stopped member cost one bounded wait');
      // The status of the member it came from, asked before its stream opened: nothing was written since the put.
      assert.equal(taken.status.endpoint, live);
      assert.equal(taken.status.revision, revision);
      assert.equal(taken.status.clusterId, liveStatus.header.cluster_id);
      assert.equal(taken.status.memberId, liveStatus.header.member_id);

      // Exactly the bytes etcd sent: the file's last 32 bytes are the SHA-256 of the rest, as the sink's check found.
      assert.equal(checks.length, 1, 'the sink ran once: the dead and the stopped member were passed over before their streams');
      const verified = checks[0]!.finish();
      const saved = readFileSync(file);
      assert.equal(verified.bytes, saved.length);
      assert.equal(verified.sha256, saved.subarray(saved.length - 32).toString('hex'));
      assert.equal(verified.sha256, createHash('sha256').update(saved.subarray(0, saved.length - 32)).digest('hex'));
      const status = snapshotStatus(file);
      assert.equal(status.revision, revision);
      assert.ok(status.totalKey >= 1);
      assert.equal(status.totalSize, saved.length - 32, 'the backend plus the SHA-256 etcd appends');
    } finally {
      process.kill(stoppedPid, 'SIGCONT');
      raw.close();
    }
  });

  it("does not try the next member when the sink itself fails: that is the store's failure, not etcd's", async () => {
    let calls = 0;
    await assert.rejects(
      admin.snapshot(endpoints, async (chunks) => {
        calls += 1;
        for await (const chunk of chunks) if (chunk.length > 0) throw new Error('disk full');
      }),
      /disk full/,
    );
    assert.equal(calls, 1);
  });

  it('fails naming every endpoint when none streams', async () => {
    await assert.rejects(admin.snapshot(['https://127.0.0.45:2379'], async () => undefined), (e: Error) => {
      assert.ok(e instanceof EtcdUnavailableError, `${e.name}: ${e.message}`);
      assert.match(e.message, /^snapshot: no endpoint answered \(https:\/\/127\.0\.0\.45:2379: /);
      return true;
    });
  });
});
