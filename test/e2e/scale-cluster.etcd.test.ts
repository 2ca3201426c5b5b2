// ScaleCluster against real etcd through the local runner: a 3-member cluster under a writer grows to 5 and shrinks
// back to 3, one member at a time, while a watcher asks the original members for their status; bad requests are
// refused naming the field, with nothing changed. Loopback addresses 127.0.1.100 – 127.0.1.139 only.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runningEtcdPid } from '../../lambdas/local-runner/member-process';
import { sandboxesOfSuite, threeMembers, type LocalWorkflowSandbox } from '../support/local-workflow';
import { startWriter, watchHealth } from '../support/cluster-under-load';
import { clientSecret, etcdctl, memberList, readRecord } from '../support/local-cluster-oracle';
import { etcdUnderTest } from '../support/etcd-under-test';
import { isRunning } from '../support/processes';

const ETCD = etcdUnderTest();
const endpointOf = (m: { address: string }) => `https://${m.address}:2379`;

/** The record's members (name, ID, peer URL) equal etcd's member list, every one a voter. */
async function assertRecordMatchesEtcd(s: LocalWorkflowSandbox, cluster: string, size: number): Promise<void> {
  const record = await readRecord(s, cluster);
  assert.equal(record.members.length, size, `${size} members recorded`);
  assert.deepEqual((record.spec as { members: Array<{ name: string }> }).members.map((m) => m.name).sort(), record.members.map((m) => m.name).sort(), "the record's spec lists its members");
  const listed = memberList(s, cluster, endpointOf(record.members[0]!));
  assert.ok(listed.every((m) => !m.learner), 'every member votes');
  const fromEtcd = listed.map((m) => `${m.name} ${m.id} ${m.peer}`).sort();
  const fromRecord = record.members.map((m) => `${m.name} ${m.id} https://${m.address}:2380`).sort();
  assert.deepEqual(fromRecord, fromEtcd);
}

describe(`ScaleCluster (real etcd, local runner) on ${ETCD.label}`, () => {
  const sandbox = sandboxesOfSuite();

  it('3 → 5 → 3 under a writer: 0 acknowledged writes lost, a quorum always answers, the original members never restarted, the removed ones stopped and set aside', async (t) => {
    const s = sandbox('127.0.1.100');
    const cluster = 'scale-a';
    assert.equal((await s.provision(threeMembers(cluster))).result.status, 'SUCCEEDED');
    const original = (await readRecord(s, cluster)).members;
    const pids = Object.fromEntries(original.map((m) => [m.name, s.pidOf(m.name)]));
    assert.ok(Object.values(pids).every((pid) => pid !== undefined && isRunning(pid)), 'the original members run');

    // Refused before anything: the field named, nothing changed.
    const recordBefore = await readRecord(s, cluster);
    for (const [input, field] of [
      [{ clusterName: cluster, members: 4 }, /members: must be odd/],
      [{ clusterName: cluster, members: 1 }, /members: 1 leaves no fault tolerance; set allowSingleMember: true/],
      [{ clusterName: cluster, member: 5 }, /member/],
      [{ clusterName: cluster, members: 9 }, /members/],
    ] as const) {
      const { result, calls } = await s.scale(input);
      assert.equal(result.status, 'FAILED', JSON.stringify(input));
      assert.equal(result.error, 'SpecValidationError');
      assert.match(result.cause ?? '', field);
      assert.equal(calls.acquireLock, undefined, 'refused before the lock');
    }
    assert.deepEqual(await readRecord(s, cluster), recordBefore, 'the record is unchanged');
    assert.equal(memberList(s, cluster, endpointOf(original[0]!)).length, 3);

    const writer = startWriter(original.map(endpointOf), await clientSecret(s, cluster, 'apiserver-etcd-client'), '/scale/');
    const watch = watchHealth(original.map((m) => ({ name: m.name, endpoint: endpointOf(m) })), await clientSecret(s, cluster, 'healthcheck-client'));
    let writes: Awaited<ReturnType<typeof writer.stop>> | undefined;
    let watched: Awaited<ReturnType<typeof watch.stop>> | undefined;
    try {
      await sleep(300);
      const grown = await s.scale({ clusterName: cluster, members: 5 });
      assert.equal(grown.result.status, 'SUCCEEDED', grown.result.cause);
      assert.ok((grown.calls.addMemberAsLearner ?? 0) >= 2, 'a learner added for each new member (etcd may ask for a retry)');
      assert.equal(grown.calls.snapshotBeforeChange, 1, 'one snapshot before the first change');
      await assertRecordMatchesEtcd(s, cluster, 5);
      const five = (await readRecord(s, cluster)).members;
      const added = five.filter((m) => !original.some((o) => o.name === m.name));
      assert.deepEqual(added.map((m) => m.name).sort(), ['infra3', 'infra4']);
      const addedPids = Object.fromEntries(added.map((m) => [m.name, s.pidOf(m.name)!]));
      // The newest member leads: it leaves last, once leadership moved to a member that stays.
      const newest = five.find((m) => m.name === 'infra4')!;
      const moved = etcdctl(s, cluster, five.map(endpointOf).join(','), ['move-leader', newest.id]);
      assert.equal(moved.status, 0, moved.stderr);

      const shrunk = await s.scale({ clusterName: cluster, members: 3 });
      assert.equal(shrunk.result.status, 'SUCCEEDED', shrunk.result.cause);
      assert.ok((shrunk.calls.removeScaledMember ?? 0) >= 2, 'a removal for each leaving member');
      await assertRecordMatchesEtcd(s, cluster, 3);
      const stepLog = readFileSync(s.home.stepLog, 'utf8');
      assert.match(stepLog, /"message":"leadership moved before the removal","cluster":"scale-a","from":"infra4"/);
      assert.ok(stepLog.indexOf('"member":"infra3"') < stepLog.lastIndexOf('"from":"infra4"'), 'the follower left before the leader');
      assert.deepEqual((await readRecord(s, cluster)).members.map((m) => m.name).sort(), original.map((m) => m.name).sort(), 'the original members stay');

      await sleep(300);
      writes = await writer.stop();
      watched = await watch.stop();
      // The removed members: etcd stopped, their data dirs moved aside.
      for (const m of added) {
        assert.equal(runningEtcdPid(s.home.hostsDir, m.name), undefined, `${m.name}'s etcd is stopped`);
        assert.ok(!isRunning(addedPids[m.name]!), `${m.name}'s etcd process is gone`);
        const lib = join(s.home.hostsDir, m.name, 'var', 'lib');
        assert.ok(!existsSync(join(lib, 'etcd')) || readdirSync(join(lib, 'etcd')).length === 0, `${m.name}'s data dir is not in place`);
        assert.ok(readdirSync(lib).some((e) => e.startsWith('etcd.removed-')), `${m.name}'s data dir is moved aside`);
      }
      // The removed members' certificates are revoked: a client with the old member cert... is refused by the CRL (checked by the ledger).
      const ledger = JSON.parse((await s.deps().secrets.get(`etcd-ha/${cluster}/revocation`))!) as { revoked: Array<{ member: string }> };
      assert.deepEqual([...new Set(ledger.revoked.map((r) => r.member))].sort(), ['infra3', 'infra4'], 'their certificates are revoked');
    } finally {
      if (writes === undefined) await writer.stop();
      if (watched === undefined) await watch.stop();
    }
    // The original members were never restarted.
    for (const m of original) assert.equal(s.pidOf(m.name), pids[m.name], `${m.name} kept its etcd process`);
    assert.ok(Object.values(pids).every((pid) => isRunning(pid!)));
    // A quorum of the cluster answered throughout: all three original members, in every sample.
    assert.ok(watched.samples > 10, `the watcher sampled (${watched.samples})`);
    assert.equal(watched.minAnswering, 3, `the original members always answered (lowest: ${watched.lowest.join(', ')})`);
    // Every acknowledged write is there.
    const { acknowledged, attempts } = writes;
    assert.ok(acknowledged.length > 20, `writes went on (${acknowledged.length} of ${attempts})`);
    const read = etcdctl(s, cluster, endpointOf(original[0]!), ['get', '/scale/', '--prefix', '--keys-only']);
    assert.equal(read.status, 0, read.stderr);
    const present = new Set(read.stdout.split('\n').filter(Boolean));
    const lost = acknowledged.filter((key) => !present.has(key));
    assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.length} acknowledged writes lost (${attempts} attempted)`);
    t.diagnostic(`${acknowledged.length} acknowledged writes of ${attempts} attempted, 0 lost; watcher: ${watched.samples} samples, lowest answering ${watched.minAnswering} of 3 originals`);

    // Scaling to the size it has changes nothing.
    const again = await s.scale({ clusterName: cluster, members: 3 });
    assert.equal(again.result.status, 'SUCCEEDED', again.result.cause);
    assert.equal(again.calls.snapshotBeforeChange, undefined);
  });
});
