// BackupCluster on the local runner with real etcd (a 3-member cluster on 127.0.0.242-244 only; every etcd it
// starts is stopped by PID after the suite, also on failure):
// - a backup taken while a writer writes opens with `etcdutl snapshot status` (3.5) / `etcdctl snapshot status`
//   (3.4), its file's SHA-256 is the manifest's, its revision at least the manifest's (taken right before the
//   stream opened), it came from a follower, and it is recorded as the last good backup;
// - a stream with one byte flipped is refused by the SHA-256 check: the execution fails naming SnapshotCorruptError,
//   no file or manifest is left, the last good backup is still the earlier one, and no backup lock is left;
// - a second backup started while one runs ends quietly (already running), taking no snapshot;
// - pruning with an injected clock deletes what the tiers no longer keep, never the last good one;
// - on the real command line (127.0.0.245-247): `local backup` prints where the snapshot is and its revision, and
//   `local backups -o json` lists it as the last good one.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalWorkflowRunner } from '../../lambdas/local-runner/local-workflow-runner';
import type { BackupClusterOutput, BackupMetadata } from '../../lambdas/workflow-runner/contracts';
import type { EtcdAdmin, EtcdAdminFactory } from '../../lambdas/ports';
import { sandboxesOfSuite, threeMembers, type LocalWorkflowSandbox } from '../support/local-workflow';
import { etcdUnderTest, snapshotStatus } from '../support/etcd-under-test';
import { clientSecret, etcdctl, readRecord } from '../support/local-cluster-oracle';
import { startWriter } from '../support/cluster-under-load';
import { LocalCliSandbox } from '../support/local-cli';

const ETCD = etcdUnderTest();
const CLUSTER = 'kept';

function backedUp(output: unknown): BackupMetadata {
  const [first] = (output as BackupClusterOutput).backups;
  assert.ok(first && first.outcome === 'backed-up', JSON.stringify(output));
  return first.backup;
}

/** The same etcd client, but every snapshot stream has one byte flipped halfway through its first chunk. */
function flippingOneByte(real: EtcdAdminFactory): EtcdAdminFactory {
  return {
    connect(credentials): EtcdAdmin {
      const admin = real.connect(credentials);
      return {
        ...admin,
        inspect: (e) => admin.inspect(e),
        close: () => admin.close(),
        snapshot: (endpoints, sink) =>
          admin.snapshot(endpoints, (chunks) =>
            sink(
              (async function* flip() {
                let flipped = false;
                for await (const chunk of chunks) {
                  if (!flipped && chunk.length > 64) {
                    const copy = Uint8Array.from(chunk);
                    copy[copy.length >> 1]! ^= 0x01;
                    flipped = true;
                    yield copy;
                  } else yield chunk;
                }
              })(),
            ),
          ),
      };
    },
  };
}

function backupFiles(s: LocalWorkflowSandbox): string[] {
  const dir = join(s.home.backupsDir, CLUSTER);
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

describe(`BackupCluster on the local runner (real etcd) on ${ETCD.label}`, () => {
  const sandbox = sandboxesOfSuite();

  it('backs up under writes, refuses a corrupt stream, ends a concurrent second backup quietly, prunes by the tiers', async () => {
    const s = sandbox('127.0.0.242');
    const provisioned = await s.provision(threeMembers(CLUSTER));
    assert.equal(provisioned.result.status, 'SUCCEEDED', provisioned.result.cause);
    const record = await readRecord(s, CLUSTER);
    const endpoints = record.members.map((m) => `https://${m.address}:2379`);
    const runner = new LocalWorkflowRunner({ home: s.home, deps: s.deps() });

    // 1. Under writes.
    const writer = startWriter(endpoints, await clientSecret(s, CLUSTER, 'apiserver-etcd-client'), '/backup/');
    while (writer.acknowledgedSoFar() < 50) await new Promise((r) => setTimeout(r, 20));
    const first = await runner.run('backup-cluster', { clusterName: CLUSTER }, { executionName: 'backup-1' });
    const written = await writer.stop();
    assert.equal(first.status, 'SUCCEEDED', first.cause);
    assert.ok(written.acknowledged.length > 50);
    const meta = backedUp(first.output);
    const file = readFileSync(meta.location);
    assert.equal(file.length, meta.bytes);
    assert.equal(createHash('sha256').update(file.subarray(0, file.length - 32)).digest('hex'), meta.sha256);
    assert.equal(file.subarray(file.length - 32).toString('hex'), meta.sha256);
    const status = snapshotStatus(meta.location);
    assert.ok(status.revision >= meta.revision && meta.revision > 50, `snapshot revision ${status.revision}, manifest ${meta.revision}`);
    assert.ok(status.totalKey >= 50);
    assert.deepEqual(meta.members.map((m) => m.name).sort(), ['infra0', 'infra1', 'infra2']);
    assert.equal(meta.etcdVersion, ETCD.version);
    const leader = JSON.parse(etcdctl(s, CLUSTER, endpoints.join(','), ['endpoint', 'status', '-w', 'json']).stdout) as Array<{ Endpoint: string; Status: { header: { member_id: number }; leader: number } }>;
    const leaderEndpoint = leader.find((e) => String(e.Status.header.member_id) === String(e.Status.leader))?.Endpoint;
    assert.ok(leaderEndpoint !== undefined);
    assert.notEqual(meta.from, leaderEndpoint, 'a follower first');
    const runnerLast = await runner.listBackups(CLUSTER);
    assert.equal(runnerLast.lastGood?.name, meta.name);
    assert.deepEqual(backupFiles(s), [`${meta.name}.db`, `${meta.name}.json`]);

    // 2. One byte flipped: refused, nothing kept, the last good backup unchanged, no backup lock left.
    const corrupt = await new LocalWorkflowRunner({ home: s.home, deps: { ...s.deps(), etcd: flippingOneByte(s.deps().etcd) } }).run(
      'backup-cluster',
      { clusterName: CLUSTER },
      { executionName: 'backup-corrupt' },
    );
    assert.equal(corrupt.status, 'FAILED');
    assert.equal(corrupt.error, 'BackupFailedError');
    assert.match(corrupt.cause ?? '', /SnapshotCorruptError/);
    assert.deepEqual(backupFiles(s), [`${meta.name}.db`, `${meta.name}.json`]);
    assert.equal((await runner.listBackups(CLUSTER)).lastGood?.name, meta.name);
    assert.deepEqual(existsSync(s.home.backupLocksDir) ? readdirSync(s.home.backupLocksDir) : [], []);

    // 3. A second backup while one runs: started from inside the first's Take Backup; it ends quietly.
    let second: Awaited<ReturnType<LocalWorkflowRunner['run']>> | undefined;
    const third = await runner.run('backup-cluster', { clusterName: CLUSTER }, {
      executionName: 'backup-3',
      wrapSteps: (steps) => ({
        ...steps,
        takeBackup: async (input) => {
          second = await runner.run('backup-cluster', { clusterName: CLUSTER }, { executionName: 'backup-3b' });
          return steps.takeBackup!(input);
        },
      }),
    });
    assert.equal(third.status, 'SUCCEEDED', third.cause);
    assert.equal(second?.status, 'SUCCEEDED', second?.cause);
    assert.deepEqual((second!.output as BackupClusterOutput).backups, [{ clusterName: CLUSTER, outcome: 'already-running', heldBy: 'backup-3' }]);
    assert.ok(!second!.events.some((e) => e.state === 'Take Backup'), 'the second took no snapshot');
    const thirdMeta = backedUp(third.output);

    // 4. Prune with an injected clock: three days on, only the last good one stays.
    const later = new Date(Date.parse(thirdMeta.takenAt) + 3 * 24 * 3_600_000);
    const pruning = new LocalWorkflowRunner({
      home: s.home,
      deps: s.deps(),
      backupOverrides: { clock: { now: () => later }, backupRetention: { keepAllHours: 1, hourlyDays: 1, dailyDays: 2 } },
    });
    const pruned = await pruning.run('backup-cluster', { clusterName: CLUSTER }, { executionName: 'backup-4' });
    assert.equal(pruned.status, 'SUCCEEDED', pruned.cause);
    const fourth = (pruned.output as BackupClusterOutput).backups[0]!;
    assert.ok(fourth.outcome === 'backed-up');
    assert.deepEqual([...fourth.pruned].sort(), [meta.name, thirdMeta.name].sort());
    assert.deepEqual(backupFiles(s), [`${fourth.backup.name}.db`, `${fourth.backup.name}.json`]);
  });
});

describe(`etcd-ha local backup / local backups on the real command line on ${ETCD.label}`, () => {
  const cli = new LocalCliSandbox('127.0.0.245');
  after(() => cli.cleanUp());

  it('local backup prints where the snapshot is and its revision; local backups -o json lists it as the last good one', () => {
    const up = cli.run(['local', 'up']);
    assert.equal(up.status, 0, up.stderr);
    const backup = cli.run(['local', 'backup']);
    assert.equal(backup.status, 0, backup.stderr);
    const where = /Backup of local at \S+: (\S+\.db)\n\s+revision (\d+),/.exec(backup.stdout);
    assert.ok(where, backup.stdout);
    assert.ok(where[1]!.startsWith(join(cli.home, 'backups', 'local')), where[1]);
    const opened = snapshotStatus(where[1]!);
    // A cluster nobody wrote to yet: its members' header revision is 1, while `snapshot status` gives the revision of
    // the newest key, 0 (no key). Any write makes them agree (the suite above backs up under writes).
    const empty = opened.revision === 0 && Number(where[2]) === 1;
    assert.ok(empty || opened.revision >= Number(where[2]), `snapshot status ${JSON.stringify(opened)}, printed ${where[2]}`);
    const list = cli.run(['local', 'backups', '-o', 'json']);
    assert.equal(list.status, 0, list.stderr);
    const doc = JSON.parse(list.stdout) as { clusterName: string; lastGood: string; backups: Array<{ name: string; location: string; revision: number; complete: boolean }> };
    assert.equal(doc.clusterName, 'local');
    assert.equal(doc.backups.length, 1);
    assert.deepEqual([doc.backups[0]!.location, doc.backups[0]!.revision, doc.backups[0]!.complete, doc.lastGood], [where[1], Number(where[2]), true, doc.backups[0]!.name]);
  });
});
