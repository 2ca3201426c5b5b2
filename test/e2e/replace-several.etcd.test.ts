// Several members dead at once (an AZ outage): ReplaceMember removes every dead voter it may remove (etcd
// refuses `member add` while a dead voter is left), records that, and adds its own replacement; the
// execution for the other dead member then only adds its replacement. Real etcd, local runner.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterLock } from '../../lambdas/ports';
import { LocalWorkflowSandbox } from '../support/local-workflow';
import { within } from '../support/etcd-client';
import { etcdUnderTest } from '../support/etcd-under-test';
import { etcdctl, killMember, memberList, readRecord } from '../support/local-cluster-oracle';
import { after } from 'node:test';

const ETCD = etcdUnderTest();

const members = (clusterName: string, count: number) => ({
  clusterName,
  runtime: 'systemd',
  members: Array.from({ length: count }, (_, i) => ({ name: `infra${i}` })),
});

/** The member names etcd says are followers, by asking each member's status. */
function followers(s: LocalWorkflowSandbox, cluster: string, members: ReadonlyArray<{ name: string; address: string }>): string[] {
  return members
    .filter((m) => {
      const run = etcdctl(s, cluster, `https://${m.address}:2379`, ['endpoint', 'status', '-w', 'json']);
      const [status] = JSON.parse(run.stdout) as Array<{ Status: { header: { member_id: number | string }; leader: number | string } }>;
      return status !== undefined && String(status.Status.header.member_id) !== String(status.Status.leader);
    })
    .map((m) => m.name);
}

describe(`ReplaceMember with several members dead (real etcd, local runner) on ${ETCD.label}`, () => {
  const s = new LocalWorkflowSandbox('127.0.0.121');
  const seven = new LocalWorkflowSandbox('127.0.0.161');
  after(() => s.cleanUp());
  after(() => seven.cleanUp());

  it('5 members, 2 followers killed, two replacements started together: both succeed, 5 healthy voters, data kept', async () => {
    const cluster = 'several';
    assert.equal((await s.provision(members(cluster, 5))).result.status, 'SUCCEEDED');
    const before = await readRecord(s, cluster);
    const survivor = `https://${before.members[0]!.address}:2379`;
    for (let i = 0; i < 10; i++) assert.equal(etcdctl(s, cluster, survivor, ['put', `/several/${i}`, `v${i}`]).status, 0);
    const [first, second] = followers(s, cluster, before.members).slice(-2);
    assert.ok(first && second, 'two followers');
    const deadIds = before.members.filter((m) => m.name === first || m.name === second).map((m) => m.id);
    await killMember(s, first);
    await killMember(s, second);

    // The second starts once the first holds the lock, as two EC2 events a moment apart would.
    let fire!: () => void;
    const firstHolds = new Promise<void>((resolve) => (fire = resolve));
    const inner = s.deps().lock;
    const signalling: ClusterLock = {
      ...inner,
      acquire: async (...args) => {
        const outcome = await inner.acquire(...args);
        if (outcome.acquired) fire();
        return outcome;
      },
      extend: (...args) => inner.extend(...args),
      release: (...args) => inner.release(...args),
    };
    const options = { retryMs: 400, lockWaitAttempts: 60 };
    const runA = s.replace({ clusterName: cluster, failedMember: first }, { ...options, deps: { ...s.deps(), lock: signalling }, executionName: 'replace-a' });
    await within(60_000, 'the first execution to take the lock', firstHolds);
    const runB = s.replace({ clusterName: cluster, failedMember: second }, { ...options, executionName: 'replace-b' });
    const [a, b] = await Promise.all([runA, runB]);
    assert.equal(a.result.status, 'SUCCEEDED', a.result.cause);
    assert.equal(b.result.status, 'SUCCEEDED', b.result.cause);

    const removedByA = a.result.events.find((e) => e.kind === 'succeeded' && e.state === 'Remove Dead Members')?.output as { removal: { removed: string[] } };
    assert.deepEqual([...removedByA.removal.removed].sort(), [first, second].sort(), 'the first removed both dead voters');
    const removedByB = b.result.events.find((e) => e.kind === 'succeeded' && e.state === 'Remove Dead Members')?.output as { removal: { removed: string[] } };
    assert.deepEqual(removedByB.removal.removed, [], 'the second found its member removed already and only added its replacement');

    const list = memberList(s, cluster, survivor);
    assert.equal(list.length, 5, JSON.stringify(list));
    assert.ok(list.every((m) => !m.learner), 'five voters, no learner');
    assert.ok(!list.some((m) => deadIds.includes(m.id)), 'both dead IDs are gone');
    const record = await readRecord(s, cluster);
    assert.deepEqual(record.members.map((m) => m.name).sort(), list.map((m) => m.name).sort());
    assert.equal(record.removed, undefined, 'no member awaits a replacement');
    const read = etcdctl(s, cluster, `https://${record.members[record.members.length - 1]!.address}:2379`, ['get', '/several/', '--prefix', '--keys-only']);
    assert.equal(read.stdout.split('\n').filter(Boolean).length, 10, 'the data is kept');
  });

  it('7 members, 3 killed, three replacements started together: each waits for the lock in turn, all three healed, 7 healthy voters', async () => {
    const cluster = 'seven';
    assert.equal((await seven.provision(members(cluster, 7))).result.status, 'SUCCEEDED');
    const before = await readRecord(seven, cluster);
    const dead = followers(seven, cluster, before.members).slice(-3);
    assert.equal(dead.length, 3);
    for (const name of dead) await killMember(seven, name);
    // Started together; each waits for the lock in turn (no ordering is imposed here).
    const runs = await Promise.all(
      dead.map((name, i) => seven.replace({ clusterName: cluster, failedMember: name }, { retryMs: 400, lockWaitAttempts: 60, executionName: `replace-${i}` })),
    );
    for (const run of runs) assert.equal(run.result.status, 'SUCCEEDED', run.result.cause);
    const removed = runs.flatMap((run) => (run.result.events.find((e) => e.kind === 'succeeded' && e.state === 'Remove Dead Members')?.output as { removal: { removed: string[] } }).removal.removed);
    assert.deepEqual(removed.sort(), [...dead].sort(), 'each dead member was removed once, by whichever execution came first');
    const list = memberList(seven, cluster, `https://${before.members[0]!.address}:2379`);
    assert.equal(list.length, 7, JSON.stringify(list));
    assert.ok(list.every((m) => !m.learner));
    assert.ok(!list.some((m) => dead.includes(m.name)));
    assert.equal((await readRecord(seven, cluster)).removed, undefined);
  });
});
