// ReplaceMember's safety checks against real etcd through the local runner, each shown to matter:
// a member that still answers is not replaced without `force`; a learner left by an earlier run is
// removed before the new one is added; the snapshot taken before any change is a real, readable backup.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { localExecutionRef } from '../../lambdas/adapters/local/process-execution-liveness';
import { LocalWorkflowSandbox, sandboxesOfSuite, threeMembers } from '../support/local-workflow';
import { isRunning } from '../support/processes';
import { etcdUnderTest, snapshotStatus } from '../support/etcd-under-test';
import { etcdctl, killMember, memberList, readRecord, revisionAt } from '../support/local-cluster-oracle';

const ETCD = etcdUnderTest();

/** etcdctl member add, retried while etcd says the cluster settles (strict reconfiguration check, ~5 s after start). */
async function addStrayLearner(s: LocalWorkflowSandbox, cluster: string, endpoint: string, peerUrl: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const run = etcdctl(s, cluster, endpoint, ['member', 'add', 'stray', '--learner', `--peer-urls=${peerUrl}`]);
    const id = /Member\s+([0-9a-f]+)\s+added/.exec(run.stdout)?.[1];
    if (run.status === 0 && id) return id;
    if (!/unhealthy cluster/.test(run.stderr) || Date.now() > deadline) assert.fail(`member add --learner: ${run.stderr}`);
    await sleep(500);
  }
}

describe(`ReplaceMember safety checks (real etcd, local runner) on ${ETCD.label}`, () => {
  const sandbox = sandboxesOfSuite();

  it('refuses to replace a member that still answers unless forced, and then replaces it', async () => {
    const s = sandbox('127.0.0.231');
    const cluster = 'safety-healthy';
    assert.equal((await s.provision(threeMembers(cluster))).result.status, 'SUCCEEDED');
    const pid = s.pidOf('infra1')!;
    const listBefore = memberList(s, cluster, 'https://127.0.0.231:2379');

    const refused = await s.replace({ clusterName: cluster, failedMember: 'infra1', replacement: { address: '127.0.0.234' } });
    assert.equal(refused.result.status, 'FAILED');
    assert.equal(refused.result.error, 'MemberStillHealthyError');
    assert.match(refused.result.cause ?? '', /infra1 still answers and is healthy.*pass force to replace it anyway/);
    // Asked 3 more times first (10 s apart on AWS, at once locally): a stopping instance may still answer.
    assert.equal(refused.result.events.filter((e) => e.kind === 'retried' && e.state === 'Check Quorum').length, 3);
    assert.equal(refused.calls.snapshotBeforeChange, undefined, 'refused before the snapshot');
    assert.equal(refused.calls.removeFailedMember, undefined, 'nothing was removed');
    assert.deepEqual(memberList(s, cluster, 'https://127.0.0.231:2379'), listBefore, 'membership unchanged');
    assert.ok(isRunning(pid), 'infra1 still runs, untouched');
    assert.equal((await s.deps().lock.acquire(cluster, { owner: 'probe', ref: localExecutionRef() }, 60)).acquired, true, 'the lock was released');
    await s.deps().lock.release(cluster, 'probe');

    const forced = await s.replace({ clusterName: cluster, failedMember: 'infra1', force: true, replacement: { address: '127.0.0.234' } });
    assert.equal(forced.result.status, 'SUCCEEDED', forced.result.cause);
    const list = memberList(s, cluster, 'https://127.0.0.231:2379');
    assert.deepEqual(list.map((m) => m.peer).sort(), ['https://127.0.0.231:2380', 'https://127.0.0.233:2380', 'https://127.0.0.234:2380']);
    assert.ok(list.every((m) => !m.learner));
  });

  it('removes a learner an earlier run left unstarted, and keeps a snapshot with the revision the cluster had', async () => {
    const s = sandbox('127.0.0.236');
    const cluster = 'safety-stray';
    assert.equal((await s.provision(threeMembers(cluster))).result.status, 'SUCCEEDED');
    const survivor = 'https://127.0.0.236:2379';
    for (let i = 0; i < 20; i++) assert.equal(etcdctl(s, cluster, survivor, ['put', `/safety/${i}`, `value ${i}`]).status, 0);
    // As an execution that died after Add Member As Learner leaves it: added, never started. etcd allows one
    // learner at a time, so it would block every later join.
    const strayPeer = 'https://127.0.0.240:2380';
    const strayId = await addStrayLearner(s, cluster, survivor, strayPeer);
    assert.match(etcdctl(s, cluster, survivor, ['member', 'list']).stdout, new RegExp(`^${strayId}, unstarted, , ${strayPeer}, , true$`, 'm'));
    const revision = revisionAt(s, cluster, survivor);
    await killMember(s, 'infra1');

    const { result } = await s.replace({ clusterName: cluster, failedMember: 'infra1', replacement: { address: '127.0.0.239' } });
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    const stepOutput = <T>(state: string) => result.events.find((e) => e.kind === 'succeeded' && e.state === state)?.output as T;
    const { strays } = stepOutput<{ strays: { removed: string[] } }>('Remove Stray Learners');
    assert.deepEqual(strays.removed, [`${strayId} ${strayPeer}`]);
    const list = memberList(s, cluster, survivor);
    assert.ok(!list.some((m) => m.id === strayId), 'the stray learner is gone');
    assert.deepEqual(list.map((m) => m.peer).sort(), ['https://127.0.0.236:2380', 'https://127.0.0.238:2380', 'https://127.0.0.239:2380']);
    assert.ok(list.every((m) => !m.learner));
    assert.equal((await readRecord(s, cluster)).members.length, 3);

    // The snapshot taken before any change: as big as the step said, readable by etcd's own tool, at the
    // revision the cluster had (a membership change does not move the KV revision).
    const saved = stepOutput<{ snapshot: { location: string; bytes: number; from: string; sha256: string; revision: number } }>('Snapshot Before Change').snapshot;
    assert.ok(saved.bytes > 0);
    assert.equal(statSync(saved.location).size, saved.bytes);
    assert.notEqual(saved.from, 'https://127.0.0.237:2379', 'not from the dead member');
    const status = snapshotStatus(saved.location);
    assert.equal(status.revision, revision);
    assert.equal(saved.revision, revision, 'the revision its member gave right before the stream (nothing was written since)');
    assert.ok(status.totalKey >= 20, `snapshot holds ${status.totalKey} keys`);
    assert.equal(status.totalSize, saved.bytes - 32, 'the file is the backend plus the SHA-256 etcd appends');
    const file = readFileSync(saved.location);
    assert.equal(saved.sha256, file.subarray(file.length - 32).toString('hex'), 'the step gives the trailer etcd appended');
    assert.equal(saved.sha256, createHash('sha256').update(file.subarray(0, file.length - 32)).digest('hex'), 'the SHA-256 of the rest of the file');
    assert.doesNotMatch(file.subarray(0, 4096).toString('latin1'), /PRIVATE KEY/);
  });
});
