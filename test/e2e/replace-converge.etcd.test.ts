// ReplaceMember converges after a failure and respects a live lock holder, against real etcd through the
// local runner: a new member that started but failed before its promotion is rolled back (learner removed,
// etcd stopped, data dir moved aside) and a re-run finishes on the same host with the same name; an expired
// lock is taken over only from an execution that has ended.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EtcdMemberChangeRefusedError } from '../../lambdas/core/errors';
import type { EtcdAdminFactory } from '../../lambdas/ports';
import { localExecutionRef } from '../../lambdas/adapters/local/process-execution-liveness';
import { sandboxesOfSuite, threeMembers } from '../support/local-workflow';
import { isRunning, waitUntilGone } from '../support/processes';
import { etcdUnderTest } from '../support/etcd-under-test';
import { killMember, memberList, readRecord } from '../support/local-cluster-oracle';

const ETCD = etcdUnderTest();

/** An etcd admin whose next `times` promotions etcd "refuses": the new member has started, and is never promoted. */
function refusingPromotion(inner: EtcdAdminFactory, times: number): EtcdAdminFactory {
  let left = times;
  return {
    connect(credentials) {
      const admin = inner.connect(credentials);
      return {
        inspect: (...args) => admin.inspect(...args),
        memberAdd: (...args) => admin.memberAdd(...args),
        memberRemove: (...args) => admin.memberRemove(...args),
        memberPromote: async (...args) => {
          if (left > 0) {
            left -= 1;
            throw new EtcdMemberChangeRefusedError('member promote: refused by the test');
          }
          return admin.memberPromote(...args);
        },
        moveLeader: (...args) => admin.moveLeader(...args),
        memberUpdate: (...args) => admin.memberUpdate(...args),
        snapshot: (...args) => admin.snapshot(...args),
        close: () => admin.close(),
      };
    },
  };
}

describe(`ReplaceMember converges after failures (real etcd, local runner) on ${ETCD.label}`, () => {
  const sandbox = sandboxesOfSuite();

  it('a new member that started and failed before promotion: rolled back, then a re-run finishes on the same host and name, and another does nothing', async () => {
    const s = sandbox('127.0.0.131');
    const cluster = 'converge';
    assert.equal((await s.provision(threeMembers(cluster))).result.status, 'SUCCEEDED');
    await killMember(s, 'infra1');
    const survivor = 'https://127.0.0.131:2379';

    const failing = await s.replace({ clusterName: cluster, failedMember: 'infra1' }, { deps: { ...s.deps(), etcd: refusingPromotion(s.deps().etcd, 1) } });
    assert.equal(failing.result.status, 'FAILED');
    assert.equal(failing.result.error, 'EtcdMemberChangeRefusedError');
    const joined = failing.result.events.find((e) => e.kind === 'succeeded' && e.state === 'Start Etcd');
    assert.ok(joined, 'the new member had started');
    assert.ok(failing.result.events.some((e) => e.kind === 'succeeded' && e.state === 'Reset Joining Host'), 'its host was reset');
    assert.equal(s.pidOf('infra3') !== undefined && isRunning(s.pidOf('infra3')!), false, 'no etcd left running on the new host');
    const dataParent = join(s.home.hostsDir, 'infra3', 'var', 'lib');
    assert.ok(readdirSync(dataParent).some((d) => d.startsWith('etcd.removed-')), 'its data dir was moved aside, not deleted');
    assert.equal(existsSync(join(dataParent, 'etcd')), false);
    let list = memberList(s, cluster, survivor);
    assert.equal(list.length, 2, 'the learner was removed; infra1 stays removed');
    assert.ok(list.every((m) => !m.learner));

    const rerun = await s.replace({ clusterName: cluster, failedMember: 'infra1' });
    assert.equal(rerun.result.status, 'SUCCEEDED', rerun.result.cause);
    list = memberList(s, cluster, survivor);
    assert.equal(list.length, 3);
    assert.ok(list.every((m) => !m.learner));
    const infra3 = list.find((m) => m.name === 'infra3');
    assert.ok(infra3, 'the same name');
    const record = await readRecord(s, cluster);
    const failedHost = (failing.result.events.find((e) => e.kind === 'succeeded' && e.state === 'Choose Replacement Host')?.output as { joining: { host: { address: string } } }).joining.host.address;
    assert.equal(record.members.find((m) => m.name === 'infra3')?.address, failedHost, 'on the same host');

    const again = await s.replace({ clusterName: cluster, failedMember: 'infra1' });
    assert.equal(again.result.status, 'SUCCEEDED');
    assert.ok(again.result.events.some((e) => e.kind === 'succeeded' && e.state === 'Nothing To Replace'));
    assert.equal(memberList(s, cluster, survivor).length, 3);
  });

  it("an expired lock whose holder still runs is not taken over; one whose holder ended is", async () => {
    const s = sandbox('127.0.0.136');
    const cluster = 'expired-lock';
    assert.equal((await s.provision(threeMembers(cluster))).result.status, 'SUCCEEDED');
    await killMember(s, 'infra1');
    const lock = s.deps().lock;

    // Held by this very process (it still runs), and expired.
    assert.equal((await lock.acquire(cluster, { owner: 'live-holder', ref: localExecutionRef() }, 1)).acquired, true);
    await sleep(1100);
    const refused = await s.replace({ clusterName: cluster, failedMember: 'infra1' }, { lockWaitAttempts: 1, retryMs: 10 });
    assert.equal(refused.result.status, 'FAILED');
    assert.equal(refused.result.error, 'ClusterLockedError');
    assert.match(refused.result.cause ?? '', /locked by execution live-holder .*expired .* but its execution local:\d+:\d+ still runs/);
    await lock.release(cluster, 'live-holder');

    // Held by a process that has ended.
    const gone = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const ref = localExecutionRef(gone.pid!);
      assert.equal((await lock.acquire(cluster, { owner: 'dead-holder', ref }, 1)).acquired, true);
    } finally {
      gone.kill('SIGKILL');
      await waitUntilGone(gone.pid!);
    }
    await sleep(1100);
    const taken = await s.replace({ clusterName: cluster, failedMember: 'infra1' });
    assert.equal(taken.result.status, 'SUCCEEDED', taken.result.cause);
    const acquired = taken.result.events.find((e) => e.kind === 'succeeded' && e.state === 'Acquire Lock')?.output as { lock: { tookOverFrom?: string } };
    assert.equal(acquired.lock.tookOverFrom, 'dead-holder');
    assert.equal(memberList(s, cluster, 'https://127.0.0.136:2379').length, 3);
  });
});
