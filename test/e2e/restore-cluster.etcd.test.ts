// RestoreCluster on the local runner with real etcd (a 3-member cluster on 127.0.1.10-12 only; every etcd it starts is
// stopped by PID after the suite, also on failure). One cluster, in order:
// - keys written, BackupCluster, more keys written, 2 of 3 members killed (quorum lost);
// - restore without confirm: succeeds with the plan and changes nothing (the survivor's PID, every data dir, the
//   record byte-identical);
// - the backup with one byte flipped: restore refused by Verify Snapshot before any host is touched (same checks);
// - restore with confirm: 3 healthy voters, every key written before the backup and none after, a new cluster ID,
//   the record updated (lastRestore, new member IDs, token); on 3.5 the revision is the backup's + 1e9 or more, on 3.4
//   it is not bumped; each old data dir moved aside, none deleted;
// - the same execution again (same name, same input): converges, the cluster untouched (same cluster ID and PIDs).
// A restore that fails after the hosts were touched (Start Etcd refused on one host; 127.0.1.16-18): the execution
// fails naming the cause and what the hosts hold, the lock is released, nothing staged is left, every old data dir is
// kept aside (and never started again); a new execution then restores the cluster.
// And on the real command line (127.0.1.30-32): local up → local backup → 2 of 3 killed → local restore prints the
// plan and changes nothing → a --confirm naming another cluster exits 2 → local restore --confirm local → healthy.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalWorkflowRunner } from '../../lambdas/local-runner/local-workflow-runner';
import type { BackupClusterOutput, BackupMetadata } from '../../lambdas/workflow-runner/contracts';
import type { RestoreDryRun } from '../../lambdas/steps/restore/plan-restore';
import type { RestoreOutcome } from '../../lambdas/steps/restore/record-restored-cluster';
import { RESTORE_REVISION_BUMP } from '../../lambdas/core/restore/plan';
import { sandboxesOfSuite, threeMembers, type LocalWorkflowSandbox } from '../support/local-workflow';
import { etcdUnderTest } from '../support/etcd-under-test';
import { etcdctl, killMember, memberList, readRecord, revisionAt } from '../support/local-cluster-oracle';
import { LocalCliSandbox } from '../support/local-cli';

const ETCD = etcdUnderTest();
const CLUSTER = 'restored';
const HOSTS = ['infra0', 'infra1', 'infra2'];

/** What a restore must not change when it refuses or only plans: PIDs, data dirs (and what is beside them), the record. */
function hostState(s: LocalWorkflowSandbox): string {
  const state = HOSTS.map((h) => {
    const lib = join(s.home.hostsDir, h, 'var', 'lib');
    const entries = existsSync(lib) ? readdirSync(lib).sort() : [];
    return `${h}: pid ${s.pidOf(h) ?? '-'}; var/lib: ${entries.join(' ')}`;
  });
  return [...state, readFileSync(join(s.home.registryDir, `${CLUSTER}.json`), 'utf8')].join('\n');
}

function put(s: LocalWorkflowSandbox, endpoint: string, key: string) {
  const run = etcdctl(s, CLUSTER, endpoint, ['put', key, `value of ${key}`]);
  assert.equal(run.status, 0, run.stderr);
}

function get(s: LocalWorkflowSandbox, endpoint: string, prefix: string): string[] {
  const run = etcdctl(s, CLUSTER, endpoint, ['get', '--prefix', '--keys-only', prefix]);
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.split('\n').filter((l) => l.trim() !== '');
}

describe(`RestoreCluster on the local runner (real etcd) on ${ETCD.label}`, () => {
  const sandbox = sandboxesOfSuite();

  it('restores 2-of-3-dead from the last good backup: dry run and corrupt snapshot change nothing; a re-run converges', async () => {
    const s = sandbox('127.0.1.10');
    const provisioned = await s.provision(threeMembers(CLUSTER));
    assert.equal(provisioned.result.status, 'SUCCEEDED', provisioned.result.cause);
    const before = await readRecord(s, CLUSTER);
    const endpoints = before.members.map((m) => `https://${m.address}:2379`);
    const runner = new LocalWorkflowRunner({ home: s.home, deps: s.deps() });

    // Keys before the backup, the backup, keys after it; then quorum lost.
    for (let i = 0; i < 20; i += 1) put(s, endpoints[0]!, `/before/${i}`);
    const backup = await runner.run('backup-cluster', { clusterName: CLUSTER }, { executionName: 'backup-1' });
    assert.equal(backup.status, 'SUCCEEDED', backup.cause);
    const [outcome] = (backup.output as BackupClusterOutput).backups;
    assert.ok(outcome?.outcome === 'backed-up');
    const meta: BackupMetadata = outcome.backup;
    for (let i = 0; i < 10; i += 1) put(s, endpoints[0]!, `/after/${i}`);
    const revisionBeforeLoss = revisionAt(s, CLUSTER, endpoints[0]!);
    await killMember(s, 'infra1');
    await killMember(s, 'infra2');

    // 1. No confirm: the plan, nothing changed.
    const untouched = hostState(s);
    const dry = await runner.run('restore-cluster', { clusterName: CLUSTER }, { executionName: 'restore-dry' });
    assert.equal(dry.status, 'SUCCEEDED', dry.cause);
    const plan = (dry.output as RestoreDryRun).plan;
    assert.equal((dry.output as RestoreDryRun).dryRun, true);
    assert.equal(plan.snapshot.name, meta.name);
    assert.equal(plan.snapshot.revision, meta.revision);
    assert.equal(plan.snapshot.lastGood, true);
    assert.deepEqual(plan.hosts.map((h) => `${h.name}=${h.address}`), before.members.map((m) => `${m.name}=${m.address}`));
    assert.equal(plan.token, `${CLUSTER}-restore-restore-dry`);
    assert.equal(plan.revisionBumped, ETCD.version.startsWith('3.5'));
    assert.ok(!dry.events.some((e) => e.state === 'Stop Etcd For Restore' || e.state === 'Verify Snapshot'), 'no host command, no verification');
    assert.equal(hostState(s), untouched, 'PIDs, data dirs and the record are as they were');
    assert.deepEqual(existsSync(s.home.locksDir) ? readdirSync(s.home.locksDir).filter((f) => f.includes(CLUSTER)) : [], [], 'the lock is released');

    // 2. One byte of the backup flipped: refused before any host is touched.
    const original = readFileSync(meta.location);
    const flipped = Uint8Array.from(original);
    flipped[flipped.length >> 1]! ^= 0x01;
    writeFileSync(meta.location, flipped);
    const corrupt = await runner.run('restore-cluster', { clusterName: CLUSTER, confirm: CLUSTER }, { executionName: 'restore-corrupt' });
    writeFileSync(meta.location, original);
    assert.equal(corrupt.status, 'FAILED');
    assert.match(`${corrupt.error} ${corrupt.cause}`, /Corrupt/);
    assert.ok(!corrupt.events.some((e) => e.state === 'Stop Etcd For Restore'), 'no host was touched');
    assert.equal(hostState(s), untouched, 'PIDs, data dirs and the record are as they were');

    // 3. Confirmed.
    const restore = await runner.run('restore-cluster', { clusterName: CLUSTER, confirm: CLUSTER, by: 'test' }, { executionName: 'restore-1' });
    assert.equal(restore.status, 'SUCCEEDED', restore.cause);
    // Certificates are issued and pushed again on the way: no key in any state's input or output, nor in the step log.
    assert.ok(!/PRIVATE KEY/.test(JSON.stringify(restore.events)), 'no key material in the run events');
    assert.ok(!existsSync(s.home.stepLog) || !/PRIVATE KEY/.test(readFileSync(s.home.stepLog, 'utf8')), 'no key material in the step log');
    const done = restore.output as RestoreOutcome;
    const listed = memberList(s, CLUSTER, endpoints.join(','));
    assert.deepEqual(listed.map((m) => `${m.name}${m.learner ? ' (learner)' : ''}`).sort(), HOSTS);
    assert.deepEqual(get(s, endpoints[1]!, '/before/').length, 20, 'every key written before the backup');
    assert.deepEqual(get(s, endpoints[2]!, '/after/'), [], 'no key written after it');
    assert.notEqual(done.clusterId, meta.clusterId, 'a new cluster ID');
    const after = await readRecord(s, CLUSTER);
    assert.equal(after.lastRestore?.clusterId, done.clusterId);
    assert.equal(after.lastRestore?.backup, meta.name);
    assert.equal(after.initialClusterToken, `${CLUSTER}-restore-restore-1`);
    assert.deepEqual(after.members.map((m) => m.id).sort(), listed.map((m) => m.id).sort(), 'the new member IDs recorded');
    assert.ok(after.members.every((m, i) => m.id !== before.members[i]!.id), 'every member ID is new');
    const revision = revisionAt(s, CLUSTER, endpoints[0]!);
    if (ETCD.version.startsWith('3.5')) {
      // The snapshot's revision (at least the manifest's) plus the bump: past every revision a watcher saw before the loss.
      assert.ok(revision >= meta.revision + RESTORE_REVISION_BUMP, `3.5: revision ${revision} >= ${meta.revision} + ${RESTORE_REVISION_BUMP}`);
      assert.ok(revision > revisionBeforeLoss, `3.5: revision ${revision} > ${revisionBeforeLoss}, the last one before the loss`);
    } else {
      assert.ok(revision < RESTORE_REVISION_BUMP && revision <= revisionBeforeLoss, `3.4: revision ${revision} not bumped (backup ${meta.revision})`);
    }
    console.log(`# ${ETCD.label}: backup revision ${meta.revision}, revision before the loss ${revisionBeforeLoss}, after the restore ${revision}`);
    assert.deepEqual(done.movedAside.map((m) => m.host).sort(), HOSTS);
    for (const { host, to } of done.movedAside) {
      assert.ok(existsSync(join(to, 'member')), `${host}: the old data dir is kept at ${to}`);
    }
    assert.deepEqual(existsSync(s.home.locksDir) ? readdirSync(s.home.locksDir).filter((f) => f.includes(CLUSTER)) : [], [], 'the lock is released');

    // 4. The same execution again converges: nothing stopped, nothing restored again.
    const pids = HOSTS.map((h) => s.pidOf(h));
    const again = await runner.run('restore-cluster', { clusterName: CLUSTER, confirm: CLUSTER, by: 'test' }, { executionName: 'restore-1' });
    assert.equal(again.status, 'SUCCEEDED', again.cause);
    assert.equal((again.output as RestoreOutcome).clusterId, done.clusterId);
    assert.deepEqual((again.output as RestoreOutcome).movedAside, []);
    assert.deepEqual(HOSTS.map((h) => s.pidOf(h)), pids, 'every member kept running');
    assert.deepEqual(get(s, endpoints[0]!, '/before/').length, 20);
  });
});

describe(`RestoreCluster failing after the hosts were touched, on ${ETCD.label}`, () => {
  const sandbox = sandboxesOfSuite();

  it('fails naming what the hosts hold, unlocks, starts no old data; a new execution restores', async () => {
    const s = sandbox('127.0.1.16');
    const provisioned = await s.provision(threeMembers(CLUSTER));
    assert.equal(provisioned.result.status, 'SUCCEEDED', provisioned.result.cause);
    const record = await readRecord(s, CLUSTER);
    const endpoints = record.members.map((m) => `https://${m.address}:2379`);
    const runner = new LocalWorkflowRunner({ home: s.home, deps: s.deps() });
    for (let i = 0; i < 5; i += 1) put(s, endpoints[0]!, `/before/${i}`);
    const backup = await runner.run('backup-cluster', { clusterName: CLUSTER }, { executionName: 'backup-1' });
    assert.equal(backup.status, 'SUCCEEDED', backup.cause);
    await killMember(s, 'infra2');

    let othersStarted = 0;
    const broken = await runner.run('restore-cluster', { clusterName: CLUSTER, confirm: CLUSTER }, {
      executionName: 'restore-broken',
      wrapSteps: (steps) => ({
        ...steps,
        startEtcd: async (input) => {
          if ((input as { host: { name: string } }).host.name !== 'infra1') {
            const started = await steps.startEtcd!(input);
            othersStarted += 1;
            return started;
          }
          // Fail once the other hosts' Start Etcd are done: an abandoned Map iteration would otherwise go on starting
          // its member after the execution ended (as an SSM command already sent does on AWS).
          for (let i = 0; i < 300 && othersStarted < 2; i += 1) await new Promise((r) => setTimeout(r, 100));
          throw Object.assign(new Error('Start Etcd failed on infra1: exit code 1'), { name: 'HostScriptFailedError' });
        },
      }),
    });
    assert.equal(broken.status, 'FAILED');
    assert.equal(broken.error, 'HostScriptFailedError');
    assert.match(broken.cause ?? '', /Start Etcd failed on infra1/);
    assert.match(broken.cause ?? '', /Hosts: etcd was stopped on every member host; .*moved aside to \/var\/lib\/etcd\.removed-<UTC time> \(never deleted, never started again automatically\)/);
    assert.deepEqual(existsSync(s.home.locksDir) ? readdirSync(s.home.locksDir).filter((f) => f.includes(CLUSTER)) : [], [], 'the lock is released');
    for (const h of HOSTS) {
      assert.equal(readdirSync(join(s.home.hostsDir, h, 'var', 'lib')).filter((e) => e.startsWith('etcd.removed-')).length, 1, `${h}: its old data dir is kept aside`);
      assert.equal(existsSync(join(s.home.hostsDir, h, 'var', 'lib', 'etcd-ha', 'snapshots')) ? readdirSync(join(s.home.hostsDir, h, 'var', 'lib', 'etcd-ha', 'snapshots')).length : 0, 0, `${h}: no snapshot left`);
    }
    assert.ok(broken.events.some((e) => e.state === 'Unstage Snapshots After Failure'));

    const again = await runner.run('restore-cluster', { clusterName: CLUSTER, confirm: CLUSTER }, { executionName: 'restore-again' });
    assert.equal(again.status, 'SUCCEEDED', again.cause);
    assert.deepEqual(memberList(s, CLUSTER, endpoints.join(',')).map((m) => m.name).sort(), HOSTS);
    assert.equal(get(s, endpoints[2]!, '/before/').length, 5);
  });
});

describe(`etcd-ha local restore on the command line on ${ETCD.label}`, () => {
  const cli = new LocalCliSandbox('127.0.1.30');
  after(() => cli.cleanUp());

  it('local backup, 2 of 3 killed, local restore: the plan first (nothing changed), then --confirm local: healthy again', () => {
    const up = cli.run(['local', 'up']);
    assert.equal(up.status, 0, up.stderr);
    const backup = cli.run(['local', 'backup']);
    assert.equal(backup.status, 0, backup.stderr);
    const [survivor, ...victims] = Object.keys(cli.pids()).sort();
    for (const member of victims) assert.equal(cli.run(['local', 'kill', '--member', member]).status, 0);
    const pidsBefore = cli.pids();

    const dry = cli.run(['local', 'restore']);
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /Dry run: nothing was changed\. A restore of cluster "local" would use:/);
    assert.match(dry.stdout, /backup\s+\S+ \(the last good one\)/);
    assert.match(dry.stdout, /To restore: npx etcd-ha local restore --confirm local/);
    assert.deepEqual(cli.pids(), pidsBefore);

    const wrong = cli.run(['local', 'restore', '--confirm', 'prod']);
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /--confirm: must equal --cluster/);

    const restored = cli.run(['local', 'restore', '--confirm', 'local']);
    assert.equal(restored.status, 0, `${restored.stdout}\n${restored.stderr}`);
    assert.match(restored.stdout, /cluster "local" restored from backup/);
    assert.ok(!/PRIVATE KEY/.test(`${dry.stdout}${dry.stderr}${restored.stdout}${restored.stderr}`), 'no key material in the CLI output');
    assert.ok(survivor !== undefined && Object.keys(cli.pids()).length === 3);
    const status = cli.run(['local', 'status', '-o', 'json']);
    assert.equal(status.status, 0, status.stdout);
    const report = JSON.parse(status.stdout) as { healthy: boolean; members: Array<{ healthy: boolean; learner: boolean }> };
    assert.equal(report.healthy, true);
    assert.deepEqual(report.members.map((m) => m.healthy && !m.learner), [true, true, true]);
  });
});
