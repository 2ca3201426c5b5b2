// ProvisionCluster on a cluster that is already recorded, against real etcd through the local runner: a re-run
// after a replacement restarts nothing; a changed member list and a cluster without quorum are refused with
// nothing changed; a config change and a 3.4 → 3.5 upgrade roll one member at a time under a writer; each new
// cluster gets its own initial-cluster-token.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { localDeps } from '../../lambdas/local-runner/local-deps';
import { localExecutionRef } from '../../lambdas/adapters/local/process-execution-liveness';
import { runningEtcdPid } from '../../lambdas/local-runner/member-process';
import type { ClusterRecord } from '../../lambdas/ports';
import type { WorkflowEvent } from '../../lambdas/local-runner/run-workflow';
import { sandboxesOfSuite, threeMembers, type LocalWorkflowSandbox } from '../support/local-workflow';
import { clientSecret, killMember, readRecord, serializableMemberList } from '../support/local-cluster-oracle';
import { startWriter, watchHealth } from '../support/cluster-under-load';
import { mtlsClient } from '../support/etcd-client';
import { etcdUnderTest } from '../support/etcd-under-test';

const ETCD = etcdUnderTest();
const ETCD_34 = '/usr/bin/etcd';
const ETCD_35 = join(__dirname, '..', '..', '.etcd', '3.5', 'usr', 'bin', 'etcd');

const endpointOf = (m: { address: string }) => `https://${m.address}:2379`;
const pidsOf = (s: LocalWorkflowSandbox, record: ClusterRecord) => Object.fromEntries(record.members.map((m) => [m.name, runningEtcdPid(s.home.hostsDir, m.name)]));
const envOf = (s: LocalWorkflowSandbox, member: string) => readFileSync(join(s.home.hostsDir, member, 'etc', 'etcd', 'etcd.conf'), 'utf8');
/** The spec as the record keeps it: what `etcd-ha local up` with no --spec provisions again. */
const recordedSpecOf = (record: ClusterRecord) => record.spec as Record<string, unknown>;

function versionOf(binary: string): string {
  return /etcd Version: (\S+)/.exec(execFileSync(binary, ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
}

/** Which member each Choose Next Member took, and who led when it chose. */
function rollOrder(events: readonly WorkflowEvent[]): Array<{ member: string; leader: string | null }> {
  return events
    .filter((e) => e.kind === 'succeeded' && e.state === 'Choose Next Member')
    .map((e) => (e.output as { roll: { done: boolean; host?: { name: string }; leader?: string | null } }).roll)
    .filter((roll) => !roll.done)
    .map((roll) => ({ member: roll.host!.name, leader: roll.leader ?? null }));
}

async function versionsOf(s: LocalWorkflowSandbox, cluster: string, record: ClusterRecord): Promise<string[]> {
  const client = await clientSecret(s, cluster, 'healthcheck-client');
  return Promise.all(
    record.members.map(async (m) => {
      const etcd = mtlsClient(endpointOf(m), client.caCertPem, client);
      try {
        return (await etcd.maintenance.status()).version;
      } finally {
        etcd.close();
      }
    }),
  );
}

/**
 * Runs a provisioning under a writer and a health watcher; checks what every rolling change must keep: a quorum
 * answering at every sample, every acknowledged write readable afterwards, followers first and the leader last.
 */
async function provisionUnderLoad(s: LocalWorkflowSandbox, cluster: string, spec: unknown, deps = s.deps()) {
  const record = await readRecord(s, cluster);
  const writerCert = await clientSecret(s, cluster, 'apiserver-etcd-client');
  const writer = startWriter(record.members.map(endpointOf), writerCert, '/roll/');
  const watch = watchHealth(record.members.map((m) => ({ name: m.name, endpoint: endpointOf(m) })), await clientSecret(s, cluster, 'healthcheck-client'));
  const events: WorkflowEvent[] = [];
  let run: Awaited<ReturnType<LocalWorkflowSandbox['provision']>>;
  let health!: Awaited<ReturnType<typeof watch.stop>>;
  let writes!: Awaited<ReturnType<typeof writer.stop>>;
  try {
    run = await s.provision(spec, { deps, onEvent: (e) => events.push(e) });
  } finally {
    health = await watch.stop();
    writes = await writer.stop();
  }
  assert.equal(run.result.status, 'SUCCEEDED', run.result.cause);
  assert.ok(health.samples > 10, `the watcher sampled (${health.samples})`);
  assert.ok(health.minAnswering >= 2, `a quorum answered at every sample; lowest: ${health.lowest.join(', ') || 'none'} (${health.minAnswering} of 3)`);
  assert.ok(writes.acknowledged.length > 20, `writes went on during the change (${writes.acknowledged.length} of ${writes.attempts})`);
  const present = new Set<string>();
  const reader = mtlsClient(endpointOf(record.members[0]!), writerCert.caCertPem, writerCert);
  try {
    for (const key of await reader.getAll().prefix('/roll/').keys()) present.add(key);
  } finally {
    reader.close();
  }
  const lost = writes.acknowledged.filter((k) => !present.has(k));
  assert.deepEqual(lost, [], `${lost.length} of ${writes.acknowledged.length} acknowledged writes lost`);
  const order = rollOrder(events);
  assert.deepEqual(order.map((o) => o.member).sort(), record.members.map((m) => m.name).sort(), 'every member rolled once');
  for (const [i, o] of order.entries()) {
    if (i < order.length - 1) assert.notEqual(o.member, o.leader, `${o.member} was chosen while it led, before the last place`);
  }
  return { run, events, order };
}

describe(`ProvisionCluster on a recorded cluster (real etcd, local runner) on ${ETCD.label}`, () => {
  const sandbox = sandboxesOfSuite();

  it('a: a re-run after a replacement restarts no member and keeps membership and IDs; a record without a token keeps etcd’s default', async () => {
    const s = sandbox('127.0.0.91');
    const cluster = 'recon-a';
    assert.equal((await s.provision(threeMembers(cluster))).result.status, 'SUCCEEDED');
    await killMember(s, 'infra1');
    const replaced = await s.replace({ clusterName: cluster, failedMember: 'infra1', replacement: { address: '127.0.0.94' } });
    assert.equal(replaced.result.status, 'SUCCEEDED', replaced.result.cause);
    const before = await readRecord(s, cluster);
    assert.deepEqual(before.members.map((m) => m.name).sort(), ['infra0', 'infra2', 'infra3']);
    const pids = pidsOf(s, before);
    const listBefore = await serializableMemberList(s, cluster, endpointOf(before.members[0]!));

    const events: WorkflowEvent[] = [];
    const { result, calls } = await s.provision(recordedSpecOf(before), { onEvent: (e) => events.push(e) });
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.deepEqual(pidsOf(s, before), pids, 'no member restarted');
    assert.equal(calls.resolveHosts, undefined, 'hosts come from the record, not resolved again');
    const written = events.filter((e) => e.kind === 'succeeded' && e.state === 'Update Etcd Config').map((e) => (e.output as { written: { restartNeeded: boolean } }).written.restartNeeded);
    assert.deepEqual(written, [false, false, false], 'no member had a restart pending');
    const after = await readRecord(s, cluster);
    assert.deepEqual(after.members, before.members, 'membership and IDs unchanged in the record');
    assert.deepEqual(await serializableMemberList(s, cluster, endpointOf(after.members[0]!)), listBefore, 'and in etcd');
    assert.equal(after.initialClusterToken, before.initialClusterToken);

    // A cluster recorded before tokens were kept: its members' configs carry no token, and nothing restarts.
    const { initialClusterToken: _token, ...untokened } = after;
    await s.deps().registry.put(untokened);
    assert.equal((await s.provision(recordedSpecOf(after))).result.status, 'SUCCEEDED');
    assert.deepEqual(pidsOf(s, before), pids, 'no member restarted');
    for (const m of after.members) assert.doesNotMatch(envOf(s, m.name), /ETCD_INITIAL_CLUSTER_TOKEN/, `${m.name} keeps etcd's default token`);
    assert.equal((await readRecord(s, cluster)).initialClusterToken, undefined);
  });

  it('b: a different member list, and provisioning after quorum loss, are refused with nothing changed', async () => {
    const s = sandbox('127.0.0.95');
    const cluster = 'recon-b';
    assert.equal((await s.provision(threeMembers(cluster))).result.status, 'SUCCEEDED');
    const before = await readRecord(s, cluster);
    const pids = pidsOf(s, before);

    const five = { ...threeMembers(cluster), members: ['infra0', 'infra1', 'infra2', 'infra3', 'infra4'].map((name) => ({ name })) };
    const grown = await s.provision(five);
    assert.equal(grown.result.status, 'FAILED');
    assert.equal(grown.result.error, 'ProvisionRefusedError');
    assert.match(grown.result.cause ?? '', /the spec lists infra3, which is no member; the spec lists infra4, which is no member/);
    assert.match(grown.result.cause ?? '', /ReplaceMember/);
    for (const step of ['resolveHosts', 'generatePki', 'writeEtcdConfig', 'startEtcd', 'recordCluster']) assert.equal(grown.calls[step], undefined, `${step} did not run`);
    assert.deepEqual(pidsOf(s, before), pids, 'no member restarted');
    assert.deepEqual(await readRecord(s, cluster), before, 'record unchanged');

    await killMember(s, 'infra1');
    await killMember(s, 'infra2');
    const envBefore = envOf(s, 'infra1');
    const lost = await s.provision(threeMembers(cluster));
    assert.equal(lost.result.status, 'FAILED');
    assert.equal(lost.result.error, 'QuorumLostError');
    assert.match(lost.result.cause ?? '', /cluster recon-b has lost quorum: 1 of 3 recorded members answer \(infra1, infra2 do not\), 2 needed/);
    assert.match(lost.result.cause ?? '', /restore it from a snapshot/);
    for (const step of ['resolveHosts', 'generatePki', 'writeEtcdConfig', 'startEtcd', 'recordCluster']) assert.equal(lost.calls[step], undefined, `${step} did not run`);
    assert.equal(runningEtcdPid(s.home.hostsDir, 'infra1'), undefined, 'no dead member was started again');
    assert.equal(envOf(s, 'infra1'), envBefore, 'no config written');
    assert.equal(runningEtcdPid(s.home.hostsDir, 'infra0'), pids.infra0, 'the survivor kept running');
    assert.deepEqual(await readRecord(s, cluster), before, 'record unchanged');
    const lock = await s.deps().lock.acquire(cluster, { owner: 'after-recon-b', ref: localExecutionRef() }, 60);
    assert.equal(lock.acquired, true, 'the lock was released after the refusal');
  });

  it('c: an extra etcd flag on a running cluster under a writer rolls one member at a time, followers first, the leader last', async () => {
    const s = sandbox('127.0.0.111');
    const cluster = 'recon-c';
    assert.equal((await s.provision(threeMembers(cluster))).result.status, 'SUCCEEDED');
    const before = await readRecord(s, cluster);
    const pids = pidsOf(s, before);
    const changed = { ...threeMembers(cluster), etcd: { extraArgs: { 'snapshot-count': '5000' } } };
    await provisionUnderLoad(s, cluster, changed);
    const after = await readRecord(s, cluster);
    assert.deepEqual(after.members, before.members, 'membership and IDs unchanged');
    for (const m of after.members) {
      const pid = runningEtcdPid(s.home.hostsDir, m.name);
      assert.ok(pid !== undefined && pid !== pids[m.name], `${m.name} was restarted`);
      assert.match(readFileSync(`/proc/${pid}/environ`, 'utf8'), /(^|\0)ETCD_SNAPSHOT_COUNT=5000(\0|$)/, `${m.name} runs with the new flag`);
    }
    // The same spec again: applied, so nothing restarts.
    const applied = pidsOf(s, after);
    assert.equal((await s.provision(changed)).result.status, 'SUCCEEDED');
    assert.deepEqual(pidsOf(s, after), applied, 'a second run restarts nothing');
  });

  it(`d: a rolling upgrade from etcd ${versionOf(ETCD_34)} to ${versionOf(ETCD_35)} by binaryPath under a writer`, async () => {
    assert.match(versionOf(ETCD_34), /^3\.4\./, `${ETCD_34} is etcd 3.4`);
    assert.match(versionOf(ETCD_35), /^3\.5\./, `${ETCD_35} is etcd 3.5 (node scripts/ensure-etcd.mjs --require-3.5)`);
    const s = sandbox('127.0.0.114');
    const cluster = 'recon-d';
    // Every simulated host ships etcd 3.4 at the default binaryPath.
    const deps = localDeps(s.home, { firstAddress: '127.0.0.114', etcdBinary: ETCD_34 });
    assert.equal((await s.provision(threeMembers(cluster), { deps })).result.status, 'SUCCEEDED');
    const before = await readRecord(s, cluster);
    assert.ok((await versionsOf(s, cluster, before)).every((v) => v.startsWith('3.4.')), 'every member starts on 3.4');
    // As an operator would: the new version is installed on every host first, then named in the spec.
    for (const m of before.members) {
      const dir = join(s.home.hostsDir, m.name, 'opt', 'etcd', 'v3.5');
      mkdirSync(dir, { recursive: true });
      symlinkSync(ETCD_35, join(dir, 'etcd'));
    }
    await provisionUnderLoad(s, cluster, { ...threeMembers(cluster), etcd: { binaryPath: '/opt/etcd/v3.5/etcd' } }, deps);
    const after = await readRecord(s, cluster);
    assert.deepEqual(after.members, before.members, 'membership and IDs unchanged');
    assert.deepEqual(await versionsOf(s, cluster, after), after.members.map(() => versionOf(ETCD_35)), 'every member reports 3.5');
  });

  it('every new cluster gets its own initial-cluster-token, kept in the record: the same names and addresses give new member IDs', async () => {
    const first = sandbox('127.0.0.117');
    const cluster = 'recon-t';
    assert.equal((await first.provision(threeMembers(cluster))).result.status, 'SUCCEEDED');
    const one = await readRecord(first, cluster);
    assert.match(one.initialClusterToken ?? '', /^recon-t-[0-9a-f]{16}$/);
    for (const m of one.members) assert.match(envOf(first, m.name), new RegExp(`^ETCD_INITIAL_CLUSTER_TOKEN=${one.initialClusterToken}$`, 'm'));
    await first.cleanUp();

    const second = sandbox('127.0.0.117');
    assert.equal((await second.provision(threeMembers(cluster))).result.status, 'SUCCEEDED');
    const two = await readRecord(second, cluster);
    assert.deepEqual(two.members.map((m) => m.address), one.members.map((m) => m.address), 'same addresses');
    assert.notEqual(two.initialClusterToken, one.initialClusterToken);
    const ids = new Set(one.members.map((m) => m.id));
    assert.ok(two.members.every((m) => !ids.has(m.id)), `no member ID repeats: ${one.members.map((m) => m.id)} vs ${two.members.map((m) => m.id)}`);
  });
});
