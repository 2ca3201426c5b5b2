// Replacement drills against real etcd through the local runner: the leader dies under writes,
// quorum is gone, two replacements race, and faults strike half-way.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Etcd3 } from 'etcd3';
import { HostScriptFailedError, HostUnreachableError } from '../../lambdas/core/errors';
import { hexId } from '../../lambdas/core/health';
import type { ClusterRecord, HostRunner } from '../../lambdas/ports';
import { LocalWorkflowSandbox, threeMembers } from '../support/local-workflow';
import { isRunning, waitUntilGone } from '../support/processes';
import { etcdUnderTest } from '../support/etcd-under-test';

interface Secret {
  caCertPem: string;
  certPem: string;
  keyPem: string;
}

async function readRecord(s: LocalWorkflowSandbox, cluster: string): Promise<ClusterRecord> {
  const record = await s.deps().registry.get(cluster);
  assert.ok(record, `cluster ${cluster} is recorded`);
  return record;
}

async function client(s: LocalWorkflowSandbox, cluster: string, secret: 'healthcheck-client' | 'apiserver-etcd-client'): Promise<Secret> {
  return JSON.parse((await s.deps().secrets.get(`etcd-ha/${cluster}/${secret}`))!) as Secret;
}

/** etcdctl against one member, with the cluster's healthcheck client written to files by etcd-ha's own store. */
function etcdctl(s: LocalWorkflowSandbox, cluster: string, endpoint: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const dir = `${s.home.secretsDir}/etcd-ha/${cluster}`;
  const script = [
    'set -e',
    `tmp=$(mktemp -d)`,
    `trap 'rm -rf "$tmp"' EXIT`,
    `node -e 'const s=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));const fs=require("fs");fs.writeFileSync(process.argv[2]+"/ca",s.caCertPem);fs.writeFileSync(process.argv[2]+"/crt",s.certPem);fs.writeFileSync(process.argv[2]+"/key",s.keyPem,{mode:0o600})' "${dir}/healthcheck-client" "$tmp"`,
    `ETCDCTL_API=3 etcdctl --endpoints ${endpoint} --cacert "$tmp/ca" --cert "$tmp/crt" --key "$tmp/key" --command-timeout=3s ${args.map((a) => `'${a}'`).join(' ')}`,
  ].join('\n');
  const run = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The member list as etcd itself reports it (served locally by etcd 3.4, so it works without quorum too). */
function memberList(s: LocalWorkflowSandbox, cluster: string, endpoint: string): Array<{ id: string; name: string; peer: string; learner: boolean }> {
  const run = etcdctl(s, cluster, endpoint, ['member', 'list']);
  assert.equal(run.status, 0, run.stderr);
  return run.stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [id, , name, peer, , learner] = line.split(', ');
      return { id: id!, name: name!, peer: peer!, learner: learner === 'true' };
    });
}

async function killMember(s: LocalWorkflowSandbox, name: string): Promise<void> {
  const pid = s.pidOf(name);
  assert.ok(pid !== undefined && isRunning(pid), `${name} runs`);
  process.kill(pid, 'SIGKILL');
  await waitUntilGone(pid);
}

/** A runner a test can break for one host: fail its next N calls of one step, or every call once it "died". */
function breakableRunner(inner: HostRunner) {
  const faults: Array<{ host: string; title?: string; error: () => Error; times: number }> = [];
  const runner: HostRunner = {
    async run(hosts, command) {
      const fault = faults.find((f) => f.times > 0 && hosts.some((h) => h.name === f.host) && (f.title === undefined || f.title === command.title));
      if (fault) {
        fault.times -= 1;
        throw fault.error();
      }
      return inner.run(hosts, command);
    },
  };
  return { runner, faults };
}

const ETCD = etcdUnderTest();

describe(`ReplaceMember drills (real etcd, local runner) on ${ETCD.label}`, () => {
  const sandboxes: LocalWorkflowSandbox[] = [];
  const sandbox = (firstAddress: string) => {
    const s = new LocalWorkflowSandbox(firstAddress);
    sandboxes.push(s);
    return s;
  };
  after(async () => {
    for (const s of sandboxes) {
      // Replacement hosts too: every host directory that ever ran etcd.
      for (const host of existsSync(s.home.hostsDir) ? readdirSync(s.home.hostsDir) : []) {
        const pid = s.pidOf(host);
        if (pid !== undefined && isRunning(pid)) process.kill(pid, 'SIGKILL');
        if (pid !== undefined) await waitUntilGone(pid);
      }
      await s.cleanUp();
    }
  });

  it('a: the leader dies under continuous writes and is replaced: 3 voters, one leader, a new ID, 0 acknowledged writes lost', async () => {
    const s = sandbox('127.0.0.181');
    const cluster = 'drill-a';
    assert.equal((await s.provision(threeMembers(cluster))).result.status, 'SUCCEEDED');
    const before = await readRecord(s, cluster);
    const endpoints = before.members.map((m) => `https://${m.address}:2379`);

    const writerCert = await client(s, cluster, 'apiserver-etcd-client');
    const writer = new Etcd3({
      hosts: endpoints,
      credentials: { rootCertificate: Buffer.from(writerCert.caCertPem), certChain: Buffer.from(writerCert.certPem), privateKey: Buffer.from(writerCert.keyPem) },
    });
    const acknowledged: string[] = [];
    let writing = true;
    let attempts = 0;
    const writes = (async () => {
      for (let i = 0; writing && i < 100_000; i++) {
        attempts += 1;
        const key = `/drill/${String(i).padStart(6, '0')}`;
        try {
          await Promise.race([writer.put(key).value(String(i)).exec(), sleep(2000).then(() => Promise.reject(new Error('timeout')))]);
          acknowledged.push(key);
        } catch {
          // Not acknowledged: the writer may not count it, whether or not it landed.
        }
      }
    })();
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
      const ackedAtKill = acknowledged.length;

      const { result } = await s.replace({ clusterName: cluster, failedMember: leader, replacement: { address: '127.0.0.185' } });
      assert.equal(result.status, 'SUCCEEDED', result.cause);
      await sleep(300);
      writing = false;
      await writes;
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
      writing = false;
      await writes;
      writer.close();
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
    const listBefore = memberList(s, cluster, survivor);

    const { result, calls } = await s.replace({ clusterName: cluster, failedMember: 'infra2', replacement: { address: '127.0.0.190' } });
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'QuorumLostError');
    assert.match(result.cause ?? '', /quorum is lost: 1 of 3 members besides infra2 are healthy, 2 are needed/);
    assert.match(result.cause ?? '', /restore the cluster from a snapshot/);
    assert.equal(calls.removeFailedMember, undefined, 'nothing was removed');
    assert.equal(calls.addMemberAsLearner, undefined, 'nothing was added');
    assert.deepEqual(memberList(s, cluster, survivor), listBefore, 'membership unchanged');
    assert.equal(s.pidOf('infra3'), undefined, 'no replacement started');
    const lock = await s.deps().lock.acquire(cluster, 'after-drill-b', 60);
    assert.equal(lock.acquired, true, 'the lock was released on failure');
  });

  it('c: two replacements started together for one cluster: exactly one changes membership', async () => {
    const s = sandbox('127.0.0.191');
    const cluster = 'drill-c';
    assert.equal((await s.provision(threeMembers(cluster))).result.status, 'SUCCEEDED');
    await killMember(s, 'infra1');
    const input = { clusterName: cluster, failedMember: 'infra1' };
    const [first, second] = await Promise.all([
      s.replace({ ...input, replacement: { address: '127.0.0.194' } }, { executionName: 'replace-a', retryMs: 400, lockWaitAttempts: 60 }),
      (async () => {
        await sleep(20);
        return s.replace({ ...input, replacement: { address: '127.0.0.195' } }, { executionName: 'replace-b', retryMs: 400, lockWaitAttempts: 60 });
      })(),
    ]);
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
    const held = await s.deps().lock.acquire(cluster, 'replace-holder', 600);
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

    // 2. The new host dies right after Add Member As Learner (every later command to it is undeliverable).
    const two = await s.replace(
      { clusterName: cluster, failedMember: 'infra1', replacement: { address: '127.0.0.211' } },
      {
        deps,
        onEvent: (event) => {
          if (event.state === 'Add Member As Learner' && event.kind === 'succeeded') {
            broken.faults.push({ host: 'infra3', error: () => new HostUnreachableError('infra3: SSM agent not connected'), times: 100 });
          }
        },
      },
    );
    assert.equal(two.result.status, 'FAILED');
    assert.equal(two.result.error, 'HostUnreachableError');
    assert.ok(
      // The event stream is asynchronous: the fault may strike Write Etcd Config or Start Etcd.
      two.result.events.some((e) => e.kind === 'retried' && ['Write Etcd Config', 'Start Etcd'].includes(e.state)),
      `the unreachable host was retried first: ${JSON.stringify(two.result.events.filter((e) => e.kind !== 'entered').map((e) => `${e.kind} ${e.state}`))}`,
    );
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
    assert.equal(four.calls.acquireLock, undefined, 'infra1 is no longer a member: nothing to replace');
    assert.equal(memberList(s, cluster, survivor).length, 3);
  });
});
