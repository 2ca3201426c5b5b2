// AdoptCluster against real etcd through the local runner (seed 001's manual way, made safe): a single etcd member as
// kubeadm lays it out (its PKI under the host root's /etc/kubernetes/pki/etcd, data in /var/lib/etcd, a static pod
// manifest that kubelet's local stand-in runs) that advertises a localhost peer URL, with keys written through the
// API server's own client certificate. The dry run changes nothing; the confirmed run moves the peer URL with its one
// restart and records the cluster; ScaleCluster then grows it to 3 under a writer that uses the original client
// certificate. Loopback addresses 127.0.1.150 – 127.0.1.169 only; ports 23479–23481.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Etcd3 } from 'etcd3';
import { runningEtcdPid } from '../../lambdas/local-runner/member-process';
import { sandboxesOfSuite, type LocalWorkflowSandbox } from '../support/local-workflow';
import { makeKubeadmEtcdHost, type KubeadmEtcdHost } from '../support/kubeadm-etcd-host';
import { startWriter } from '../support/cluster-under-load';
import { memberList, readRecord } from '../support/local-cluster-oracle';
import { etcdUnderTest } from '../support/etcd-under-test';
import { etcdOnPath } from '../host-scripts/helpers';
import type { WorkflowEvent } from '../../lambdas/local-runner/local-workflow-runner';
import { LocalCliSandbox } from '../support/local-cli';

const ETCD = etcdUnderTest();
const CLUSTER = 'kubeadm';
const ADDRESS = '127.0.1.150';
const PORTS = { clientPort: 23479, peerPort: 23480, metricsPort: 23481 };
const endpointOf = (address: string) => `https://${address}:${PORTS.clientPort}`;

function originalClient(host: KubeadmEtcdHost, endpoints: readonly string[]): Etcd3 {
  const pair = host.apiserverClient;
  return new Etcd3({
    hosts: [...endpoints],
    credentials: { rootCertificate: Buffer.from(host.caCertPem), certChain: Buffer.from(pair.certPem), privateKey: Buffer.from(pair.keyPem) },
  });
}

/** Every file under `dir` with its content, for "nothing changed". */
function snapshotOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) out[path] = readFileSync(path, 'base64');
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

const adoptInput = (extra: Record<string, unknown> = {}) => ({ clusterName: CLUSTER, member: { name: 'cp-1', address: ADDRESS }, runtime: 'systemd', ...extra });

describe(`AdoptCluster (real etcd, local runner) on ${ETCD.label}`, () => {
  const sandbox = sandboxesOfSuite();

  it('adopts a kubeadm single member (dry run first, the localhost peer URL moved with one restart, CA kept), then grows it to 3: keys and the original client certificate still work', async () => {
    const s: LocalWorkflowSandbox = sandbox('127.0.1.151');
    const host = makeKubeadmEtcdHost({ root: join(s.home.hostsDir, 'cp-1'), name: 'cp-1', address: ADDRESS, ...PORTS, advertisePeerHost: 'localhost', etcdBinary: etcdOnPath() });
    const firstPid = await host.start();
    const before = originalClient(host, [endpointOf(ADDRESS)]);
    try {
      for (let i = 0; i < 20; i++) await before.put(`/registry/pods/p${i}`).value(`pod-${i}`);
    } finally {
      before.close();
    }
    const pki = snapshotOf(join(host.root, 'etc', 'kubernetes'));

    // Refused before the lock, naming the field: nothing changed.
    const badConfirm = await s.adopt(adoptInput({ confirm: 'other' }));
    assert.equal(badConfirm.result.status, 'FAILED');
    assert.equal(badConfirm.result.error, 'SpecValidationError');
    assert.match(badConfirm.result.cause ?? '', /confirm: must be the cluster's name \("kubeadm"\)/);
    assert.equal(badConfirm.calls.acquireLock, undefined);

    // A dry run says what it found and what it would do, the one restart included, and changes nothing.
    const dry = await s.adopt(adoptInput());
    assert.equal(dry.result.status, 'SUCCEEDED', dry.result.cause);
    const report = dry.result.output as { dryRun: boolean; found: { etcdVersion: string; memberName: string; peerUrls: string[]; dataDirBytes: number; certificates: { file: string; daysLeft: number }[]; caKey: string }; actions: string[] };
    assert.equal(report.dryRun, true);
    assert.equal(report.found.etcdVersion, ETCD.version);
    assert.equal(report.found.memberName, 'cp-1');
    assert.deepEqual(report.found.peerUrls, [`https://localhost:${PORTS.peerPort}`]);
    assert.ok(report.found.dataDirBytes > 0);
    assert.equal(report.found.caKey, 'RSA-2048');
    assert.ok(report.found.certificates.some((c) => c.file === 'etcd/ca.crt' && c.daysLeft > 3000), 'the CA expiry is reported');
    assert.match(report.actions.join('\n'), new RegExp(`member update [0-9a-f]+ --peer-urls=https://${ADDRESS.replace(/\./g, '\\.')}:${PORTS.peerPort} .*ONE restart`));
    assert.equal(dry.calls.receiveMemberPki, undefined, 'the dry run receives nothing');
    assert.equal(runningEtcdPid(s.home.hostsDir, 'cp-1'), firstPid, 'not restarted');
    assert.deepEqual(snapshotOf(join(host.root, 'etc', 'kubernetes')), pki, 'the manifest and the PKI are unchanged');
    assert.equal(await s.deps().registry.get(CLUSTER), undefined, 'nothing recorded');
    assert.equal(existsSync(join(s.home.secretsDir, 'etcd-ha', CLUSTER)), false, 'no secret written');

    // A host without a kubeadm etcd fails naming the manifest it looked for; the lock is released.
    const noKubeadm = await s.adopt({ ...adoptInput(), member: { name: 'bare', address: '127.0.1.160' } });
    assert.equal(noKubeadm.result.status, 'FAILED');
    assert.equal(noKubeadm.result.error, 'HostScriptFailedError');
    assert.match(noKubeadm.result.cause ?? '', /etc\/kubernetes\/manifests\/etcd\.yaml/);
    assert.equal(noKubeadm.calls.releaseLock, 1);
    assert.equal(await s.deps().registry.get(CLUSTER), undefined, 'nothing recorded');

    // Confirmed: the host's own PKI received (no key material in any event or the step log), one restart, recorded.
    const events: WorkflowEvent[] = [];
    const adopted = await s.adopt(adoptInput({ confirm: CLUSTER }), { onEvent: (e) => events.push(e) });
    assert.equal(adopted.result.status, 'SUCCEEDED', adopted.result.cause);
    assert.equal(adopted.calls.movePeerUrl, 1);
    assert.equal(adopted.calls.snapshotBeforeChange, 1, 'a snapshot before the change');
    assert.doesNotMatch(JSON.stringify(events), /PRIVATE KEY|BEGIN CERTIFICATE/, 'no PEM in the run events');
    assert.doesNotMatch(readFileSync(s.home.stepLog, 'utf8'), /PRIVATE KEY/, 'no key in the step log');
    const adoptedPid = runningEtcdPid(s.home.hostsDir, 'cp-1');
    assert.ok(adoptedPid !== undefined && adoptedPid !== firstPid, 'restarted once for the peer URL');
    const record = await readRecord(s, CLUSTER);
    assert.equal(record.status, 'running');
    assert.deepEqual(record.members.map((m) => [m.name, m.address]), [['cp-1', ADDRESS]]);
    const listed = memberList(s, CLUSTER, endpointOf(ADDRESS));
    assert.deepEqual(listed.map((m) => [m.name, m.id, m.peer]), [['cp-1', record.members[0]!.id, `https://${ADDRESS}:${PORTS.peerPort}`]]);
    const caSecret = JSON.parse(readFileSync(join(s.home.secretsDir, 'etcd-ha', CLUSTER, 'ca'), 'utf8')) as { certPem: string };
    assert.equal(caSecret.certPem, host.caCertPem, "the host's CA is the cluster's");
    assert.deepEqual(readdirSync(join(s.home.secretsDir, 'etcd-ha', CLUSTER, 'adopt')), [], 'the upload slot and its grant are gone');
    assert.deepEqual(snapshotOf(join(host.root, 'etc', 'kubernetes', 'pki')), Object.fromEntries(Object.entries(pki).filter(([p]) => p.includes('/pki/'))), 'the PKI files on the host are untouched');

    // A re-run converges: nothing to move, no restart.
    const again = await s.adopt(adoptInput({ confirm: CLUSTER }));
    assert.equal(again.result.status, 'SUCCEEDED', again.result.cause);
    assert.equal(again.calls.movePeerUrl, undefined);
    assert.equal(runningEtcdPid(s.home.hostsDir, 'cp-1'), adoptedPid);

    // Grow to 3 under a writer that uses the API server's original client certificate: no acknowledged write lost.
    const writer = startWriter([endpointOf(ADDRESS)], { caCertPem: host.caCertPem, ...host.apiserverClient }, '/registry/leases/');
    let writes: Awaited<ReturnType<typeof writer.stop>>;
    try {
      await sleep(200);
      const grown = await s.scale({ clusterName: CLUSTER, members: 3 });
      assert.equal(grown.result.status, 'SUCCEEDED', grown.result.cause);
      await sleep(200);
    } finally {
      writes = await writer.stop();
    }
    assert.equal(runningEtcdPid(s.home.hostsDir, 'cp-1'), adoptedPid, 'the adopted member is never restarted by the scale');
    const three = await readRecord(s, CLUSTER);
    assert.equal(three.members.length, 3);
    assert.equal(memberList(s, CLUSTER, endpointOf(ADDRESS)).filter((m) => !m.learner).length, 3);
    const newcomers = three.members.filter((m) => m.name !== 'cp-1');
    // Every key, old and acknowledged, read through the ORIGINAL client certificate from a member that joined.
    for (const member of newcomers) {
      const reader = originalClient(host, [endpointOf(member.address)]);
      try {
        for (let i = 0; i < 20; i++) assert.equal(await reader.get(`/registry/pods/p${i}`).string(), `pod-${i}`, `${member.name} has the keys written before`);
        const leases = await reader.getAll().prefix('/registry/leases/').keys();
        const missing = writes.acknowledged.filter((k) => !leases.includes(k));
        assert.deepEqual(missing, [], `${member.name}: 0 of ${writes.acknowledged.length} acknowledged writes lost`);
        await reader.put(`/registry/from-${member.name}`).value('ok');
      } finally {
        reader.close();
      }
    }
    assert.ok(writes.acknowledged.length > 0, 'the writer wrote');
    console.log(`adopt + grow to 3 on ${ETCD.label}: ${writes.acknowledged.length} acknowledged writes, 0 lost; adopted member restarted once (peer URL), never by the scale`);
  });

  it('the README\'s commands: local kubeadm-member, local adopt (dry run, then --confirm local), local scale --members 3; no key material printed', async (t) => {
    const cli = new LocalCliSandbox('127.0.1.167');
    t.after(() => cli.cleanUp());
    const made = cli.run(['local', 'kubeadm-member', '--member', 'cp-1', '--address', '127.0.1.166']);
    assert.equal(made.status, 0, made.stderr);
    assert.match(made.stdout, /peers https:\/\/localhost:22380/);
    const firstPid = cli.pids()['cp-1'];
    const dry = cli.run(['local', 'adopt', '--member', 'cp-1', '--address', '127.0.1.166']);
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /Dry run: nothing changed/);
    assert.match(dry.stdout, /ONE restart/);
    assert.equal(cli.pids()['cp-1'], firstPid);
    const adopted = cli.run(['local', 'adopt', '--member', 'cp-1', '--address', '127.0.1.166', '--confirm', 'local']);
    assert.equal(adopted.status, 0, adopted.stderr);
    assert.match(adopted.stdout, /Cluster "local" adopted \(CA [0-9a-f]{16} kept\)/);
    const grown = cli.run(['local', 'scale', '--members', '3']);
    assert.equal(grown.status, 0, grown.stderr);
    assert.match(grown.stdout, /Cluster "local" has 3 members: cp-1 \(127\.0\.1\.166\), cp-2 \(127\.0\.1\.167\), cp-3 \(127\.0\.1\.168\)/);
    for (const run of [made, dry, adopted, grown]) assert.doesNotMatch(run.stdout + run.stderr, /PRIVATE KEY/);
    const running = Object.values(cli.pids());
    assert.equal(running.length, 3);
    const down = cli.run(['local', 'down']);
    assert.equal(down.status, 0, down.stderr);
    assert.deepEqual(running.filter((pid) => { try { process.kill(pid, 0); return true; } catch { return false; } }), [], 'local down stops the adopted member too');
  });
});
