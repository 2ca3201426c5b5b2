// ConnectControlPlane end to end on real etcd: a 3-member local cluster (127.0.2.50–52) and simulated kubeadm
// control-plane hosts (127.0.2.60–65), each with a stand-in kube-apiserver that answers /livez 200 only when it reads
// from etcd with the files and --etcd-servers of its manifest, (re)started by a kubelet stand-in when the manifest
// changes. Shows: the push installs the three files (key 0600); the manifests change one host at a time (a host's
// restart starts only after the previous host's /livez answered 200); a second run restarts nothing; a renewed pair
// is pushed again without a restart; a failing health endpoint stops the roll (the next host untouched) and the lock
// is released; no key material in outputs or logs. Endpoints by address: the local name map is not there yet
// (controlPlaneEtcdEndpoints, the one naming function, switches them to `etcd.<cluster>.<zone>`).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { sandboxesOfSuite, threeMembers, type LocalWorkflowSandbox } from '../support/local-workflow';
import { etcdUnderTest } from '../support/etcd-under-test';
import { APISERVER_MANIFEST, apiServerEvents, apiServerStandInsOfSuite, seedControlPlaneHost } from '../support/control-plane-hosts';
import { LocalWorkflowRunner } from '../../lambdas/local-runner/local-workflow-runner';
import type { ConnectDeps } from '../../lambdas/steps/control-plane';
import { issueCertificate } from '../../lambdas/core/pki/issue';
import { APISERVER_ETCD_CLIENT } from '../../lambdas/core/pki/cert-profiles';
import { localExecutionRef } from '../../lambdas/adapters/local/process-execution-liveness';

const CLUSTER = 'cpdemo';
const STALE_SERVERS = 'https://127.0.2.89:2379';

describe(`ConnectControlPlane on ${etcdUnderTest().label}`, () => {
  // First: its after() hook must run before the sandbox's removes the host roots (and the PID files in them).
  const standIn = apiServerStandInsOfSuite();
  const sandbox = sandboxesOfSuite();
  let box: LocalWorkflowSandbox;
  const root = (host: string) => join(box.home.hostsDir, host);
  const seed = (names: string[], first: number) =>
    names.map((name, i) => {
      const address = `127.0.2.${first + i}`;
      seedControlPlaneHost(standIn(root(name)), address, STALE_SERVERS);
      return { name, address };
    });
  const connect = async (hosts: { name: string; address: string }[], overrides: Partial<ConnectDeps> = {}) => {
    const runner = new LocalWorkflowRunner({ home: box.home, deps: box.deps(), connectOverrides: overrides });
    return runner.run('connect-control-plane', { clusterName: CLUSTER, hosts, endpoints: 'addresses' });
  };

  before(async () => {
    box = sandbox('127.0.2.50');
    const { result } = await box.provision(threeMembers(CLUSTER));
    assert.equal(result.status, 'SUCCEEDED', result.cause);
  });

  it('refuses a bad request before the lock, naming the field', async () => {
    const runner = new LocalWorkflowRunner({ home: box.home, deps: box.deps() });
    const bad = await runner.run('connect-control-plane', { clusterName: CLUSTER, hosts: [{ name: 'cp9', address: 'not-an-ip' }] });
    assert.equal(bad.status, 'FAILED');
    assert.match(bad.cause ?? '', /hosts\.0\.address|hosts\[0\]\.address/);
    const unknown = await runner.run('connect-control-plane', { clusterName: 'nosuch', hosts: [{ name: 'cp9', address: '127.0.2.69' }] });
    assert.match(unknown.cause ?? '', /clusterName: no cluster "nosuch" is recorded/);
  });

  it('pushes the files, rolls the API servers one at a time, and a second run restarts nothing', async () => {
    const hosts = seed(['cp0', 'cp1', 'cp2'], 60);
    const before = Object.fromEntries(hosts.map((h) => [h.name, apiServerEvents(root(h.name)).length]));
    const started = Date.now();
    const result = await connect(hosts);
    assert.equal(result.status, 'SUCCEEDED', result.cause);

    const out = result.output as { endpoints: string[]; apiServers: { host: string; changed: boolean }[]; pushed: { host: string; changed: boolean }[] };
    assert.deepEqual(out.endpoints, ['https://127.0.2.50:2379', 'https://127.0.2.51:2379', 'https://127.0.2.52:2379']);
    assert.deepEqual(out.apiServers, hosts.map((h) => ({ host: h.name, changed: true })));
    assert.deepEqual(out.pushed.map((p) => p.changed), [true, true, true]);

    const caPem = readFileSync(join(root('cp0'), 'etc/kubernetes/pki/etcd/ca.crt'), 'utf8');
    for (const { name } of hosts) {
      const pki = join(root(name), 'etc/kubernetes/pki');
      assert.equal(statSync(join(pki, 'apiserver-etcd-client.key')).mode & 0o777, 0o600, `${name}: key 0600`);
      assert.equal(statSync(join(pki, 'apiserver-etcd-client.crt')).mode & 0o777, 0o644);
      assert.equal(readFileSync(join(pki, 'etcd/ca.crt'), 'utf8'), caPem);
      const manifest = readFileSync(join(root(name), APISERVER_MANIFEST), 'utf8');
      assert.match(manifest, /--etcd-servers=https:\/\/127\.0\.2\.50:2379,https:\/\/127\.0\.2\.51:2379,https:\/\/127\.0\.2\.52:2379\n/);
      assert.match(manifest, /--etcd-keyfile=\/etc\/kubernetes\/pki\/apiserver-etcd-client\.key\n/, 'a missing flag is added');
      assert.match(manifest, /--service-cluster-ip-range=10\.96\.0\.0\/12/, 'other flags untouched');
    }

    // One at a time: each host's restart (the kubelet stand-in stopping the old API server) starts only after the
    // previous host's new API server first answered /livez 200.
    const timeline = hosts.map(({ name }) => {
      const events = apiServerEvents(root(name)).slice(before[name]);
      const stop = events.find((e) => e.kind === 'stop');
      const healthy = events.find((e) => e.kind === 'healthy');
      assert.ok(stop && healthy, `${name}: restarted and healthy (${JSON.stringify(events)})`);
      return { name, stop: stop.at - started, healthy: healthy.at - started };
    });
    for (let i = 1; i < timeline.length; i++) {
      assert.ok(timeline[i]!.stop > timeline[i - 1]!.healthy, `restart of ${timeline[i]!.name} after ${timeline[i - 1]!.name} answered: ${JSON.stringify(timeline)}`);
    }
    console.log(`roll timeline (ms since start): ${JSON.stringify(timeline)}`);

    // The same again: nothing written, nothing restarted, every API server still healthy.
    const counts = hosts.map(({ name }) => apiServerEvents(root(name)).filter((e) => e.kind !== 'healthy').length);
    const again = await connect(hosts);
    assert.equal(again.status, 'SUCCEEDED', again.cause);
    const second = again.output as { apiServers: { changed: boolean }[]; pushed: { changed: boolean }[]; renewedBundles: string[] };
    assert.deepEqual(second.apiServers.map((a) => a.changed), [false, false, false]);
    assert.deepEqual(second.pushed.map((p) => p.changed), [false, false, false]);
    assert.deepEqual(second.renewedBundles, []);
    assert.deepEqual(hosts.map(({ name }) => apiServerEvents(root(name)).filter((e) => e.kind !== 'healthy').length), counts, 'no stop/start');
    for (const run of [result, again]) assert.doesNotMatch(JSON.stringify(run), /PRIVATE KEY/);
  });

  it('a renewed client pair is pushed again, without restarting an API server', async () => {
    const hosts = [{ name: 'cp0', address: '127.0.2.60' }, { name: 'cp1', address: '127.0.2.61' }, { name: 'cp2', address: '127.0.2.62' }];
    const deps = box.deps();
    const clientName = deps.secrets.nameFor(CLUSTER, 'apiserver-etcd-client');
    const ca = JSON.parse((await deps.secrets.get(deps.secrets.nameFor(CLUSTER, 'ca')))!) as { certPem: string; keyPem: string };
    const stored = JSON.parse((await deps.secrets.get(clientName))!) as { caCertPem: string };
    const renewed = issueCertificate(APISERVER_ETCD_CLIENT, { commonName: 'kube-apiserver-etcd-client', dnsNames: [], ipAddresses: [] }, ca, { validityDays: 365, keyAlgorithm: 'RSA-2048', now: new Date() });
    await deps.secrets.put(clientName, JSON.stringify({ ...renewed, caCertPem: stored.caCertPem }), { description: 'renewed in a test', tags: { 'etcd-ha:cluster': CLUSTER } });
    const counts = hosts.map(({ name }) => apiServerEvents(root(name)).filter((e) => e.kind !== 'healthy').length);

    const result = await connect(hosts);
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    const out = result.output as { apiServers: { changed: boolean }[]; pushed: { changed: boolean }[]; renewedBundles: string[] };
    assert.equal(out.renewedBundles.length, 3);
    assert.deepEqual(out.pushed.map((p) => p.changed), [true, true, true]);
    assert.deepEqual(out.apiServers.map((a) => a.changed), [false, false, false]);
    assert.equal(readFileSync(join(root('cp1'), 'etc/kubernetes/pki/apiserver-etcd-client.crt'), 'utf8'), renewed.certPem);
    assert.deepEqual(hosts.map(({ name }) => apiServerEvents(root(name)).filter((e) => e.kind !== 'healthy').length), counts, 'no restart');
    // The running API servers read the new pair at their next connection: still healthy.
    for (const { address } of hosts) assert.equal((await fetch(`http://${address}:6443/livez`)).status, 200);
  });

  it('a failing health endpoint stops the roll: the next host untouched, the lock released', async () => {
    const hosts = seed(['cp3', 'cp4', 'cp5'], 63);
    const seeded = readFileSync(join(root('cp5'), APISERVER_MANIFEST), 'utf8');
    const cp5Events = apiServerEvents(root('cp5')).length;
    const result = await connect(hosts, {
      // cp4's health endpoint never answers (nothing listens there); 3 s to come back.
      apiServerLivezUrl: (host) => (host.name === 'cp4' ? 'http://127.0.2.64:6999/livez' : `http://${host.address}:6443/livez`),
      apiServerWaitSeconds: 3,
    });
    assert.equal(result.status, 'FAILED');
    assert.match(result.cause ?? '', /Update API Server failed on cp4[\s\S]*did not answer 200 within 3 s/);
    assert.match(readFileSync(join(root('cp3'), APISERVER_MANIFEST), 'utf8'), /--etcd-servers=https:\/\/127\.0\.2\.50:2379,/);
    // Nothing goes on behind the failed run's back (a failed Map's next iteration could, in a local interpreter).
    await sleep(2000);
    assert.equal(readFileSync(join(root('cp5'), APISERVER_MANIFEST), 'utf8'), seeded, 'cp5 untouched');
    assert.equal(apiServerEvents(root('cp5')).length, cp5Events, 'cp5 not restarted');
    const lock = box.deps().lock;
    const taken = await lock.acquire(CLUSTER, { owner: 'after-failure', ref: localExecutionRef() }, 60);
    assert.equal(taken.acquired, true, 'the lock was released');
    await lock.release(CLUSTER, 'after-failure');
    assert.doesNotMatch(JSON.stringify(result), /PRIVATE KEY/);
    assert.doesNotMatch(readFileSync(box.home.stepLog, 'utf8'), /PRIVATE KEY/);
  });
});
