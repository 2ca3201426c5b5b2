// DeleteCluster on the local runner with real etcd: a dry run changes nothing; a request whose confirm names another
// cluster is refused before anything changes; a confirmed run stops etcd (the PIDs are gone), moves the data dirs
// aside, deletes the secrets and the record (the record says "deleting" before any member is stopped), and leaves no
// lock; then the same name is provisioned again, with a new CA. `etcd-ha local down` runs it on the real command line.
// Loopback addresses 127.0.0.214-219 only.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalWorkflowRunner } from '../../lambdas/local-runner/local-workflow-runner';
import { FileClusterRegistry } from '../../lambdas/adapters/local/file-cluster-registry';
import type { DeletionDryRun, DeletionOutcome } from '../../lambdas/workflow-runner/contracts';
import { runningEtcdPid } from '../../lambdas/local-runner/member-process';
import { sandboxesOfSuite, threeMembers, type LocalWorkflowSandbox } from '../support/local-workflow';
import { isRunning, waitUntilGone } from '../support/processes';
import { etcdUnderTest } from '../support/etcd-under-test';
import { LocalCliSandbox } from '../support/local-cli';

const ETCD = etcdUnderTest();
const CLUSTER = 'gone-soon';
const MEMBERS = ['infra0', 'infra1', 'infra2'];

/** Everything a deletion could change, as it is now: PIDs, record, secret files, lock files, data dirs. */
function snapshot(s: LocalWorkflowSandbox) {
  const files = (dir: string): string[] =>
    existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort() : [];
  const recordFile = join(s.home.registryDir, `${CLUSTER}.json`);
  return {
    pids: MEMBERS.map((m) => runningEtcdPid(s.home.hostsDir, m)),
    record: existsSync(recordFile) ? readFileSync(recordFile, 'utf8') : undefined,
    secrets: files(join(s.home.secretsDir, 'etcd-ha', CLUSTER)),
    locks: files(s.home.locksDir),
    dataDirs: MEMBERS.map((m) => readdirSync(join(s.home.hostsDir, m, 'var', 'lib')).sort()),
  };
}

function caCertOf(s: LocalWorkflowSandbox): string {
  return (JSON.parse(readFileSync(join(s.home.secretsDir, 'etcd-ha', CLUSTER, 'ca'), 'utf8')) as { certPem: string }).certPem;
}

describe(`DeleteCluster on the local runner (real etcd) on ${ETCD.label}`, () => {
  const sandbox = sandboxesOfSuite();

  it('dry run changes nothing; a mismatched confirm is refused; a confirmed run stops, sets aside, deletes; the name is provisioned again', async () => {
    const s = sandbox('127.0.0.214');
    const provisioned = await s.provision(threeMembers(CLUSTER));
    assert.equal(provisioned.result.status, 'SUCCEEDED', provisioned.result.cause);
    const before = snapshot(s);
    assert.ok(before.pids.every((pid) => pid !== undefined && isRunning(pid)), 'every member runs');
    assert.ok(before.secrets.length >= 6, `the cluster's secrets: ${before.secrets.join(', ')}`);
    const oldCa = caCertOf(s);
    const runner = new LocalWorkflowRunner({ home: s.home, deps: s.deps() });

    // Dry run: the plan, and nothing changed.
    const dry = await runner.run('delete-cluster', { clusterName: CLUSTER, by: 'test' });
    assert.equal(dry.status, 'SUCCEEDED', dry.cause);
    const plan = dry.output as DeletionDryRun;
    assert.equal(plan.dryRun, true);
    assert.deepEqual(plan.wouldDelete.members.map((m) => `${m.name}=${m.address}`), ['infra0=127.0.0.214', 'infra1=127.0.0.215', 'infra2=127.0.0.216']);
    assert.deepEqual(plan.wouldDelete.secrets, before.secrets.map((f) => f.slice(s.home.secretsDir.length + 1)));
    assert.equal(plan.wouldDelete.record, `cluster record "${CLUSTER}"`);
    assert.match(plan.message, /^Dry run: nothing was changed/);
    assert.ok(!dry.events.some((e) => e.state === 'Acquire Lock'), 'a dry run takes no lock');
    assert.deepEqual(snapshot(s), before);

    // A confirm that names another cluster: refused by the first step, naming the field; nothing changed.
    const wrong = await runner.run('delete-cluster', { clusterName: CLUSTER, confirm: 'gone-later', by: 'test' });
    assert.equal(wrong.status, 'FAILED');
    assert.equal(wrong.error, 'SpecValidationError');
    assert.match(wrong.cause ?? '', /confirm: must equal clusterName/);
    assert.deepEqual(snapshot(s), before);

    // Confirmed: while members are stopped the record already says "deleting" (healing ends quietly).
    const registry = new FileClusterRegistry({ dir: s.home.registryDir });
    const seenWhileStopping: Array<string | undefined> = [];
    const deleted = await runner.run(
      'delete-cluster',
      { clusterName: CLUSTER, confirm: CLUSTER, by: 'test' },
      {
        wrapSteps: (steps) => ({
          ...steps,
          resetJoiningHost: async (input) => {
            const record = await registry.get(CLUSTER);
            seenWhileStopping.push(record?.maintenance?.paused ? record.maintenance.reason : undefined);
            return steps.resetJoiningHost!(input);
          },
        }),
      },
    );
    assert.equal(deleted.status, 'SUCCEEDED', deleted.cause);
    const outcome = deleted.output as DeletionOutcome;
    assert.equal(outcome.dryRun, false);
    assert.deepEqual(outcome.unreachable, []);
    assert.equal(seenWhileStopping.length, 3);
    assert.ok(seenWhileStopping.every((reason) => /^deleting the cluster \(DeleteCluster execution /.test(reason ?? '')), String(seenWhileStopping));
    for (const pid of before.pids) await waitUntilGone(pid!);
    const after = snapshot(s);
    assert.deepEqual(after.pids, [undefined, undefined, undefined], 'no etcd runs');
    assert.equal(after.record, undefined, 'record deleted');
    assert.deepEqual(after.secrets, [], 'secrets deleted');
    assert.deepEqual(after.locks, [], 'lock released last');
    for (const [i, member] of MEMBERS.entries()) {
      const aside = after.dataDirs[i]!.filter((d) => d.startsWith('etcd.removed-'));
      assert.equal(aside.length, 1, `${member}: ${after.dataDirs[i]!.join(', ')}`);
      assert.ok(existsSync(join(s.home.hostsDir, member, 'var', 'lib', aside[0]!, 'member', 'snap')), `${member}'s data kept aside`);
    }
    // Again: nothing left to delete is a clear error, not a success that hides a typo.
    const again = await runner.run('delete-cluster', { clusterName: CLUSTER, confirm: CLUSTER, by: 'test' });
    assert.equal(again.status, 'FAILED');
    assert.match(again.cause ?? '', /no cluster "gone-soon" is recorded and no secret of it exists/);

    // The name is free: provisioned again from nothing, with a new CA.
    const reprovisioned = await s.provision(threeMembers(CLUSTER));
    assert.equal(reprovisioned.result.status, 'SUCCEEDED', reprovisioned.result.cause);
    assert.ok(reprovisioned.calls.generatePki! >= 1);
    assert.notEqual(caCertOf(s), oldCa, 'a new CA');
    assert.ok(MEMBERS.every((m) => runningEtcdPid(s.home.hostsDir, m) !== undefined), 'every member runs again');
  });
});

describe(`etcd-ha local down runs DeleteCluster (real command line, real etcd) on ${ETCD.label}`, () => {
  const cli = new LocalCliSandbox('127.0.0.217');
  after(() => cli.cleanUp());

  it('--dry-run lists and keeps everything; then local down stops every member (PIDs gone) and removes the marked home', async () => {
    const up = cli.run(['local', 'up']);
    assert.equal(up.status, 0, up.stderr);
    const pids = Object.values(cli.pids());
    assert.equal(pids.length, 3);

    const dry = cli.run(['local', 'down', '--dry-run', '-o', 'json']);
    assert.equal(dry.status, 0, dry.stderr);
    const plan = (JSON.parse(dry.stdout) as { output: DeletionDryRun }).output;
    assert.deepEqual(plan.wouldDelete.members.map((m) => m.address), ['127.0.0.217', '127.0.0.218', '127.0.0.219']);
    assert.ok(pids.every(isRunning), 'a dry run stops nothing');
    assert.ok(existsSync(join(cli.home, 'registry', 'local.json')), 'a dry run deletes nothing');

    const down = cli.run(['local', 'down', '-o', 'json']);
    assert.equal(down.status, 0, down.stderr);
    const report = JSON.parse(down.stdout) as { removed: boolean; deletion: { status: string; output: DeletionOutcome } };
    assert.equal(report.deletion.status, 'SUCCEEDED');
    assert.equal(report.deletion.output.deleted.secrets.length >= 6, true);
    assert.equal(report.removed, true);
    assert.match(down.stderr, /Stop Etcd And Set Data Aside \[infra0\]/);
    for (const pid of pids) await waitUntilGone(pid);
    assert.equal(existsSync(cli.home), false);
    assert.doesNotMatch(down.stdout + down.stderr, /PRIVATE KEY/);
  });
});
