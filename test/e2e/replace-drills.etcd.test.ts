// Replacement drills against real etcd through the local runner: the leader dies under writes,
// quorum is gone, two replacements race, and faults strike half-way.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { localExecutionRef } from '../../lambdas/adapters/local/process-execution-liveness';
import { HostScriptFailedError, HostUnreachableError } from '../../lambdas/core/errors';
import { hexId } from '../../lambdas/core/health';
import type { ClusterLock, HostRunner } from '../../lambdas/ports';
import { sandboxesOfSuite, threeMembers } from '../support/local-workflow';
import { within } from '../support/etcd-client';
import { startWriter } from '../support/cluster-under-load';
import { clientSecret, etcdctl, killMember, memberList, readRecord, serializableMemberList } from '../support/local-cluster-oracle';
import { etcdUnderTest } from '../support/etcd-under-test';

/**
 * A runner a test can break for one host: from its N-th command on (counting that host's commands in this
 * runner, 1-based), optionally only commands with one title, `times` times. Faults are decided by the
 * commands themselves, never by timing.
 */
interface Fault {
  readonly host: string;
  readonly fromCall?: number;
  readonly title?: string;
  readonly error: () => Error;
  times: number;
}

function breakableRunner(inner: HostRunner) {
  const faults: Fault[] = [];
  const calls: Record<string, string[]> = {};
  const runner: HostRunner = {
    async run(hosts, command) {
      for (const h of hosts) (calls[h.name] ??= []).push(command.title);
      const fault = faults.find(
        (f) =>
          f.times > 0 &&
          hosts.some((h) => h.name === f.host && (calls[h.name]?.length ?? 0) >= (f.fromCall ?? 1)) &&
          (f.title === undefined || f.title === command.title),
      );
      if (fault) {
        fault.times -= 1;
        throw fault.error();
      }
      return inner.run(hosts, command);
    },
  };
  return { runner, faults, calls };
}

/** A promise and the function that settles it, for making one execution wait on an event of another. */
function signal(): { promise: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const promise = new Promise<void>((resolve) => (fire = resolve));
  return { promise, fire };
}

const ETCD = etcdUnderTest();

describe(`ReplaceMember drills (real etcd, local runner) on ${ETCD.label}`, () => {
  const sandbox = sandboxesOfSuite();

  it('a: the leader dies under continuous writes and is replaced: 3 voters, one leader, a new ID, 0 acknowledged writes lost', async () => {
    const s = sandbox('127.0.0.181');
    const cluster = 'drill-a';
    assert.equal((await s.provision(threeMembers(cluster))).result.status, 'SUCCEEDED');
    const before = await readRecord(s, cluster);
    const endpoints = before.members.map((m) => `https://${m.address}:2379`);

    const writer = startWriter(endpoints, await clientSecret(s, cluster, 'apiserver-etcd-client'), '/drill/');
    let writes: Awaited<ReturnType<typeof writer.stop>> | undefined;
    try {
      await sleep(500);
      const leader = (
        await Promise.all(
          before.members.map(async (m) => ({ name: m.name, status: etcdctl(s, cluster, `https://${m.address}:2379`, ['endpoint', 'status', '-w', 'json']) })),
        )
      ).find((m) => {
        const [status] = JSON.parse(m.status.stdout) as Array<{ Status: { header: { member_id: number | string }; leader: number | string } }>;
        return status && String(status.Status.header.member_id) === String(status.Status.leader);
      })!.name;
      const killedId = before.members.find((m) => m.name === leader)!.id;
      await killMember(s, leader);
      const ackedAtKill = writer.acknowledgedSoFar();

      const { result } = await s.replace({ clusterName: cluster, failedMember: leader, replacement: { address: '127.0.0.185' } });
      assert.equal(result.status, 'SUCCEEDED', result.cause);
      await sleep(300);
      writes = await writer.stop();
      const { acknowledged, attempts } = writes;
      assert.ok(acknowledged.length > ackedAtKill, `writes went on during the replacement (${ackedAtKill} → ${acknowledged.length})`);

      const after = await readRecord(s, cluster);
      assert.equal(after.members.length, 3);
      assert.ok(!after.members.some((m) => m.name === leader), 'the dead leader is gone');
      const joined = after.members.find((m) => m.address === '127.0.0.185')!;
      assert.ok(joined, 'the replacement is a member');
      assert.notEqual(joined.id, killedId, 'the replacement has a new member ID');

      const list = memberList(s, cluster, 'https://127.0.0.185:2379');
      assert.equal(list.length, 3);
      assert.ok(list.every((m) => !m.learner), 'every member votes');
      assert.equal(hexId(BigInt(`0x${joined.id}`).toString()), joined.id);

      const health = etcdctl(s, cluster, after.members.map((m) => `https://${m.address}:2379`).join(','), ['endpoint', 'status', '-w', 'json']);
      const statuses = JSON.parse(health.stdout) as Array<{ Status: { leader: number | string } }>;
      assert.equal(new Set(statuses.map((st) => String(st.Status.leader))).size, 1, 'one leader, agreed by all');

      // Every acknowledged key, read from the NEW member's own store (serializable read).
      const read = etcdctl(s, cluster, 'https://127.0.0.185:2379', ['get', '/drill/', '--prefix', '--keys-only', '--consistency=s']);
      assert.equal(read.status, 0, read.stderr);
      const present = new Set(read.stdout.split('\n').filter(Boolean));
      const lost = acknowledged.filter((key) => !present.has(key));
      assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.length} acknowledged writes lost (${attempts} attempted)`);
    } finally {
      // Stopped on every way out (stop is called once: on failure before the replacement finished, here).
      if (writes === undefined) await writer.stop();
    }
  });

  it('b: with 2 of 3 dead the replacement refuses, changes no membership and says quorum is lost', async () => {
    const s = sandbox('127.0.0.186');
    const cluster = 'drill-b';
    assert.equal((await s.provision(threeMembers(cluster))).result.status, 'SUCCEEDED');
    const before = await readRecord(s, cluster);
    await killMember(s, 'infra1');
    await killMember(s, 'infra2');
    const survivor = `https://${before.members.find((m) => m.name === 'infra0')!.address}:2379`;
    const listBefore = await serializableMemberList(s, cluster, survivor);
    assert.equal(listBefore.length, 3);

    // etcd 3.5 serves the (linearizable) member list only with quorum; 3.4 answers from the member asked.
    const linearizable = etcdctl(s, cluster, survivor, ['member', 'list']);
    if (ETCD.minor === '3.4') assert.equal(linearizable.status, 0, linearizable.stderr);
    else assert.notEqual(linearizable.status, 0, `etcd ${ETCD.version} listed members without quorum: ${linearizable.stdout}`);

    const { result, calls } = await s.replace({ clusterName: cluster, failedMember: 'infra2', replacement: { address: '127.0.0.190' } });
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'QuorumLostError');
    assert.match(result.cause ?? '', /quorum is lost: 1 of 3 members besides infra2 are healthy, 2 are needed/);
    assert.match(result.cause ?? '', /restore the cluster from its last good backup instead: `etcd-ha restore --cluster \S+`/);
    // So on 3.5 Check Quorum judges from the recorded members (its fallback); on 3.4 from etcd's own list.
    const fromRecord = /The member list could not be read \(etcd 3\.5 serves it only with quorum\): judged from the 3 recorded members/;
    if (ETCD.minor === '3.4') assert.doesNotMatch(result.cause ?? '', fromRecord);
    else assert.match(result.cause ?? '', fromRecord);
    assert.equal(calls.removeFailedMember, undefined, 'nothing was removed');
    assert.equal(calls.addMemberAsLearner, undefined, 'nothing was added');
    assert.deepEqual(await serializableMemberList(s, cluster, survivor), listBefore, 'membership unchanged');
    assert.equal(s.pidOf('infra3'), undefined, 'no replacement started');
    const lock = await s.deps().lock.acquire(cluster, { owner: 'after-drill-b', ref: localExecutionRef() }, 60);
    assert.equal(lock.acquired, true, 'the lock was released on failure');
  });

  it('c: two replacements of one member: the second starts while the first holds the lock; exactly one changes membership', async () => {
    const s = sandbox('127.0.0.191');
    const cluster = 'drill-c';
    assert.equal((await s.provision(threeMembers(cluster))).result.status, 'SUCCEEDED');
    await killMember(s, 'infra1');
    const input = { clusterName: cluster, failedMember: 'infra1' };
    // The first keeps the lock it took until the second has been refused it once: the race is decided by
    // the lock, whatever the machine's speed.
    const firstHolds = signal();
    const secondRefused = signal();
    const lockFor = (onOutcome: (acquired: boolean) => Promise<void>): ClusterLock => {
      const inner = s.deps().lock;
      return {
        acquire: async (...args) => {
          const outcome = await inner.acquire(...args);
          await onOutcome(outcome.acquired);
          return outcome;
        },
        extend: (...args) => inner.extend(...args),
        release: (...args) => inner.release(...args),
      };
    };
    const firstDeps = {
      ...s.deps(),
      lock: lockFor(async (acquired) => {
        if (!acquired) return;
        firstHolds.fire();
        await within(60_000, 'the second execution to be refused the lock', secondRefused.promise);
      }),
    };
    const secondDeps = { ...s.deps(), lock: lockFor(async (acquired) => (acquired ? undefined : secondRefused.fire())) };
    const options = { retryMs: 400, lockWaitAttempts: 60 };
    const firstRun = s.replace({ ...input, replacement: { address: '127.0.0.194' } }, { ...options, deps: firstDeps, executionName: 'replace-a' });
    await within(60_000, 'the first execution to take the lock', firstHolds.promise);
    const secondRun = s.replace({ ...input, replacement: { address: '127.0.0.195' } }, { ...options, deps: secondDeps, executionName: 'replace-b' });
    const [first, second] = await Promise.all([firstRun, secondRun]);

    assert.equal(first.result.status, 'SUCCEEDED', first.result.cause);
    assert.equal(second.result.status, 'SUCCEEDED', second.result.cause);
    assert.ok(second.result.events.some((e) => e.kind === 'retried' && e.state === 'Acquire Lock'), 'the second waited for the lock');
    assert.ok((first.calls.addMemberAsLearner ?? 0) >= 1, 'the first added the replacement (retried while etcd settles after the removal)');
    assert.equal(second.calls.addMemberAsLearner, undefined, 'the second found the member already replaced');
    assert.equal(second.calls.removeFailedMember, undefined);
    const list = memberList(s, cluster, 'https://127.0.0.191:2379');
    assert.equal(list.length, 3, JSON.stringify(list));
    assert.deepEqual(list.map((m) => m.peer).sort(), ['https://127.0.0.191:2380', 'https://127.0.0.193:2380', 'https://127.0.0.194:2380']);
  });

  it('c′: a second replacement that cannot wait long fails clearly, naming the execution that holds the lock', async () => {
    const s = sandbox('127.0.0.201');
    const cluster = 'drill-c2';
    assert.equal((await s.provision(threeMembers(cluster))).result.status, 'SUCCEEDED');
    const held = await s.deps().lock.acquire(cluster, { owner: 'replace-holder', ref: localExecutionRef() }, 600);
    assert.equal(held.acquired, true);
    const { result, calls } = await s.replace({ clusterName: cluster, failedMember: 'infra1' }, { executionName: 'replace-late', retryMs: 10, lockWaitAttempts: 2 });
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'ClusterLockedError');
    assert.match(result.cause ?? '', /locked by execution replace-holder/);
    assert.equal(calls.acquireLock, 3, 'one try and two bounded retries');
    assert.equal(calls.releaseLock, undefined, 'it never releases a lock it does not hold');
    await s.deps().lock.release(cluster, 'replace-holder');
  });

  it('d: faults half-way (a failing host script; the new host dying after it was added) fail cleanly, and a re-run converges', async () => {
    const s = sandbox('127.0.0.206');
    const cluster = 'drill-d';
    assert.equal((await s.provision(threeMembers(cluster))).result.status, 'SUCCEEDED');
    await killMember(s, 'infra1');
    const broken = breakableRunner(s.deps().runner);
    const deps = { ...s.deps(), runner: broken.runner };
    const survivor = 'https://127.0.0.206:2379';

    // 1. The new member's start script fails once.
    broken.faults.push({ host: 'infra3', title: 'Start Etcd', error: () => new HostScriptFailedError('Start Etcd failed on infra3: exit code 1'), times: 1 });
    const one = await s.replace({ clusterName: cluster, failedMember: 'infra1', replacement: { address: '127.0.0.210' } }, { deps });
    assert.equal(one.result.status, 'FAILED');
    assert.equal(one.result.error, 'HostScriptFailedError');
    assert.equal(one.calls.removeLearners, 1, 'the failure path removed the learner it had added');
    let list = memberList(s, cluster, survivor);
    assert.equal(list.filter((m) => m.learner).length, 0, 'no stray learner');
    assert.equal(list.length, 2, 'quorum intact: the two healthy voters');

    // 2. The new host dies right after Add Member As Learner: its first three commands (Prepare Joining Host, Push
    //    Revocation List, Push Certificates) go through, every later one is undeliverable.
    broken.calls.infra3 = [];
    broken.faults.push({ host: 'infra3', fromCall: 4, error: () => new HostUnreachableError('infra3: SSM agent not connected'), times: 100 });
    const two = await s.replace({ clusterName: cluster, failedMember: 'infra1', replacement: { address: '127.0.0.211' } }, { deps });
    assert.equal(two.result.status, 'FAILED');
    assert.equal(two.result.error, 'HostUnreachableError');
    assert.equal(two.calls.addMemberAsLearner, 1, 'the learner was added before the host died');
    assert.deepEqual(
      two.result.events.filter((e) => e.kind === 'retried').map((e) => e.state),
      ['Write Etcd Config', 'Write Etcd Config', 'Write Etcd Config'],
      'the unreachable host was retried (HostUnreachableError only) before the execution gave up',
    );
    assert.deepEqual(broken.calls.infra3!.slice(0, 4), ['Prepare Joining Host', 'Push Revocation List', 'Push Certificates', 'Write Etcd Config']);
    assert.equal(two.calls.removeLearners, 1, 'the failure path removed the learner');
    list = memberList(s, cluster, survivor);
    assert.equal(list.filter((m) => m.learner).length, 0, 'no stray learner');
    assert.equal(list.length, 2);
    broken.faults.length = 0;

    // 3. A re-run converges.
    const three = await s.replace({ clusterName: cluster, failedMember: 'infra1', replacement: { address: '127.0.0.212' } }, { deps });
    assert.equal(three.result.status, 'SUCCEEDED', three.result.cause);
    list = memberList(s, cluster, survivor);
    assert.equal(list.length, 3);
    assert.ok(list.every((m) => !m.learner));
    assert.ok(list.some((m) => m.peer === 'https://127.0.0.212:2380'));

    // 4. And once more: nothing left to do.
    const four = await s.replace({ clusterName: cluster, failedMember: 'infra1', replacement: { address: '127.0.0.213' } }, { deps });
    assert.equal(four.result.status, 'SUCCEEDED');
    // Decided under the lock, from the record: infra1 is no longer a member, nothing to replace.
    assert.ok(four.result.events.some((e) => e.kind === 'succeeded' && e.state === 'Nothing To Replace'));
    assert.equal(four.calls.checkQuorum, undefined, 'nothing was judged or changed');
    assert.equal(four.calls.releaseLock, 1, 'the lock was released');
    assert.equal(memberList(s, cluster, survivor).length, 3);
  });
});
