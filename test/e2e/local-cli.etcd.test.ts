// The product's main job, end to end through the command line a newcomer uses:
// local up → status → etcdctl put/get → up again (nothing changes) → down (nothing left running).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeCertificate } from '../../lambdas/core/pki/reconcile';
import { isRunning } from '../support/processes';
import { LocalCliSandbox } from '../support/local-cli';
import { etcdUnderTest } from '../support/etcd-under-test';

const PRIVATE_KEY = /PRIVATE KEY/;

const ETCD = etcdUnderTest();

describe(`etcd-ha local: up, status, etcdctl, up again, down on ${ETCD.label}`, () => {
  const sandbox = new LocalCliSandbox('127.0.0.61');
  after(() => sandbox.cleanUp());

  let firstPids: Record<string, number> = {};
  let firstIds: string[] = [];
  let firstSerials: string[] = [];
  const serials = () => ['infra0', 'infra1', 'infra2'].map((h) => describeCertificate(sandbox.hostFile(h, 'etc/kubernetes/pki/etcd/server.crt')).serialHex);
  const status = () => {
    const run = sandbox.run(['local', 'status', '--json']);
    assert.equal(run.status, 0, run.stderr);
    return JSON.parse(run.stdout) as { clusterName: string; isRecorded: boolean; healthy: boolean; clusterId?: string; leader?: string; runtime: string; awaitingReplacement: unknown[]; members: Array<{ name: string; id: string; endpoint: string; healthy: boolean; leader: boolean; learner: boolean }> };
  };

  it('local up provisions 3 members with the workflow and shows each state per host', () => {
    const run = sandbox.run(['local', 'up']);
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    for (const line of ['✓ Validate Spec', '✓ Resolve Hosts', '✓ Generate PKI', '✓ Push Certificates [infra0]', '✓ Write Etcd Config [infra1]', '✓ Start Etcd [infra2]', '✓ Check Health', '✓ Record Cluster']) {
      assert.ok(run.stdout.includes(line), `progress shows "${line}":\n${run.stdout}`);
    }
    assert.match(run.stdout, /Cluster "local" is healthy: 3 members/);
    assert.match(run.stdout, /https:\/\/127\.0\.0\.61:2379/);
    assert.match(run.stdout, /etcd-ha local env/);
    assert.doesNotMatch(run.stdout + run.stderr, PRIVATE_KEY);
    firstPids = sandbox.pids();
    assert.equal(Object.keys(firstPids).length, 3);
    for (const pid of Object.values(firstPids)) assert.ok(isRunning(pid), `etcd ${pid} runs`);
  });

  it('local status --json: every member healthy, one leader, IDs as etcdctl prints them', () => {
    const s = status();
    assert.equal(s.clusterName, 'local');
    // CheckClusterHealth's report, as `etcd-ha status` prints it on AWS: the record's summary and the verdict.
    assert.equal(s.isRecorded, true);
    assert.equal(s.healthy, true);
    assert.equal(s.runtime, 'systemd');
    assert.match(s.clusterId ?? '', /^[0-9a-f]{1,16}$/);
    assert.equal(s.leader, s.members.find((m) => m.leader)?.name);
    assert.deepEqual(s.awaitingReplacement, []);
    assert.deepEqual(s.members.map((m) => m.name).sort(), ['infra0', 'infra1', 'infra2']);
    assert.deepEqual(s.members.map((m) => m.endpoint).sort(), ['https://127.0.0.61:2379', 'https://127.0.0.62:2379', 'https://127.0.0.63:2379']);
    assert.equal(s.members.filter((m) => m.leader).length, 1);
    assert.ok(s.members.every((m) => m.healthy && !m.learner));
    for (const m of s.members) assert.match(m.id, /^[0-9a-f]{1,16}$/);
    firstIds = s.members.map((m) => `${m.name}=${m.id}`).sort();
    firstSerials = serials();
  });

  it('local env gives etcdctl what it needs to put and get over mTLS', () => {
    const env = sandbox.run(['local', 'env']);
    assert.equal(env.status, 0, env.stderr);
    assert.match(env.stdout, /^export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=https:\/\/127\.0\.0\.61:2379,/);
    assert.doesNotMatch(env.stdout, PRIVATE_KEY);
    const script = `eval "${env.stdout.trim()}"; etcdctl put /etcd-ha/e2e hello >/dev/null && etcdctl get /etcd-ha/e2e --print-value-only && etcdctl member list`;
    const run = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^hello$/m);
    assert.equal(run.stdout.match(/started, infra\d/g)?.length, 3, run.stdout);
  });

  it('local up again changes nothing: same member IDs, same certificate serials, no restart', () => {
    const run = sandbox.run(['local', 'up']);
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    assert.deepEqual(sandbox.pids(), firstPids, 'no member was restarted');
    assert.deepEqual(serials(), firstSerials, 'no certificate was reissued');
    assert.deepEqual(status().members.map((m) => `${m.name}=${m.id}`).sort(), firstIds, 'same members');
  });

  it('local up refuses a second, different cluster, and a changed member list, and changes nothing', () => {
    const specFile = join(sandbox.home, '..', 'other-cluster.json');
    writeFileSync(specFile, JSON.stringify({ clusterName: 'other', members: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] }));
    const other = sandbox.run(['local', 'up', '--spec', specFile]);
    assert.equal(other.status, 2);
    assert.match(other.stderr, /already here; local mode runs one cluster at a time/);
    const grown = sandbox.run(['local', 'up', '--members', '5']);
    assert.equal(grown.status, 2);
    assert.match(grown.stderr, /the spec lists infra3, which is no member; the spec lists infra4, which is no member/);
    assert.deepEqual(sandbox.pids(), firstPids);
  });

  it('local down stops every member it started and removes the local state', () => {
    const run = sandbox.run(['local', 'down']);
    assert.equal(run.status, 0, run.stderr);
    for (const pid of Object.values(firstPids)) assert.equal(isRunning(pid), false, `etcd ${pid} stopped`);
    assert.equal(existsSync(sandbox.home), false);
  });
});

describe(`etcd-ha local up with a bad spec on ${ETCD.label}`, () => {
  const sandbox = new LocalCliSandbox('127.0.0.66');
  after(() => sandbox.cleanUp());

  it('exits non-zero with the validation message and starts nothing', () => {
    const file = join(sandbox.home, '..', 'bad.json');
    writeFileSync(file, JSON.stringify({ clusterName: 'Bad_Name', runtime: 'systemd', members: [{ name: 'a' }, { name: 'b' }] }));
    const run = sandbox.run(['local', 'up', '--spec', file]);
    // The command line checks the spec before the workflow runs: a usage error, one line per problem.
    assert.equal(run.status, 2);
    assert.match(run.stderr, /invalid cluster spec:\n {2}- clusterName: must be a DNS-1123 label/);
    assert.match(run.stderr, /members: has 2 members/);
    assert.deepEqual(sandbox.pids(), {});
    assert.equal(existsSync(join(sandbox.home, 'hosts')), false, 'no host was created');
    assert.equal(existsSync(join(sandbox.home, 'secrets')), false, 'no secret was written');
  });

  it('refuses a non-loopback member address before anything starts', () => {
    const file = join(sandbox.home, '..', 'remote.json');
    writeFileSync(file, JSON.stringify({ clusterName: 'remote', members: [{ name: 'a', address: '10.0.0.6' }, { name: 'b' }, { name: 'c' }] }));
    const run = sandbox.run(['local', 'up', '--spec', file]);
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /members\[0\]\.address: .*loopback/);
    assert.deepEqual(sandbox.pids(), {});
    assert.equal(existsSync(join(sandbox.home, 'secrets')), false, 'no secret was written');
  });

  it('refuses the kubeadm runtime locally, saying why', () => {
    const file = join(sandbox.home, '..', 'kubeadm.json');
    writeFileSync(file, JSON.stringify({ clusterName: 'k', runtime: 'kubeadm', members: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] }));
    const run = sandbox.run(['local', 'up', '--spec', file]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /runtime: local mode runs the systemd runtime/);
  });
});
