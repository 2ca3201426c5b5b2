// adapters/local/local-kubelet.sh, kubelet's stand-in on a simulated host: the static pod manifest's etcd flags become
// the env file service-ctl.sh starts etcd with (absolute paths below the host root), and like kubelet it restarts
// etcd only when the manifest changed. Here service-ctl.sh is a recording stand-in; the real one runs in
// test/host-scripts/adopt-scripts.etcd.test.ts.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { localScriptsPaths } from '../../../lambdas/adapters/local/local-host-runner';
import { kubeadmEtcdManifest } from '../../support/kubeadm-etcd-host';
import { FakeCommand, tempDir } from '../../host-scripts/helpers';

describe('local-kubelet.sh', () => {
  const work = tempDir('local-kubelet');
  const root = join(work, 'root');
  const serviceCtl = new FakeCommand(work, 'service-ctl');
  const manifestPath = join(root, 'etc/kubernetes/manifests/etcd.yaml');
  const manifest = kubeadmEtcdManifest({ name: 'cp-1', address: '127.0.1.140', clientPort: 23100, peerPort: 23101, metricsPort: 23102, peerHost: 'localhost' });
  mkdirSync(join(root, 'etc/kubernetes/manifests'), { recursive: true });
  after(() => rmSync(work, { recursive: true, force: true }));

  const sync = (env: Record<string, string> = { ETCD_HA_ROOT: root, ETCD_HA_SERVICE_CTL: serviceCtl.path }) => {
    const out = spawnSync(localScriptsPaths().localKubelet, [], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
    return { status: out.status, stdout: out.stdout, stderr: out.stderr };
  };

  test('writes the env file from the manifest flags (paths below the root) and the unit, and restarts etcd', () => {
    writeFileSync(manifestPath, manifest);
    const out = sync();
    assert.equal(out.status, 0, out.stderr);
    const env = readFileSync(join(root, 'etc/etcd/etcd.conf'), 'utf8').split('\n');
    assert.equal(env.length, 19, 'eighteen flags and the final line break');
    assert.ok(env.includes(`ETCD_DATA_DIR=${root}/var/lib/etcd`));
    assert.ok(env.includes(`ETCD_PEER_TRUSTED_CA_FILE=${root}/etc/kubernetes/pki/etcd/ca.crt`));
    assert.ok(env.includes('ETCD_INITIAL_CLUSTER=cp-1=https://localhost:23101'));
    assert.ok(env.includes('ETCD_LISTEN_CLIENT_URLS=https://127.0.0.1:23100,https://127.0.1.140:23100'));
    assert.ok(env.includes('ETCD_EXPERIMENTAL_INITIAL_CORRUPT_CHECK=true'));
    assert.match(readFileSync(join(root, 'etc/systemd/system/etcd.service'), 'utf8'), /^ExecStart=\/usr\/local\/bin\/etcd$/m);
    assert.deepEqual(serviceCtl.calls(), ['restart etcd']);
  });

  test('an unchanged manifest: etcd left alone when it runs, started when it does not', () => {
    serviceCtl.reset();
    serviceCtl.setActive(true);
    assert.match(sync().stdout, /unchanged and etcd runs: nothing to do/);
    assert.deepEqual(serviceCtl.calls(), ['is-active --quiet etcd']);
    serviceCtl.reset();
    serviceCtl.setActive(false);
    assert.match(sync().stdout, /starting it/);
    assert.deepEqual(serviceCtl.calls(), ['is-active --quiet etcd', 'start etcd']);
  });

  test('a changed manifest restarts etcd; a removed one stops it', () => {
    serviceCtl.reset();
    writeFileSync(manifestPath, manifest.replaceAll('https://localhost:23101', 'https://127.0.1.140:23101'));
    assert.equal(sync().status, 0);
    assert.ok(readFileSync(join(root, 'etc/etcd/etcd.conf'), 'utf8').includes('ETCD_LISTEN_PEER_URLS=https://127.0.1.140:23101\n'));
    assert.deepEqual(serviceCtl.calls(), ['restart etcd']);
    serviceCtl.reset();
    rmSync(manifestPath);
    assert.match(sync().stdout, /no static pod manifest/);
    assert.deepEqual(serviceCtl.calls(), ['stop etcd']);
  });

  test('refuses a manifest without flags, and missing variables', () => {
    writeFileSync(manifestPath, 'apiVersion: v1\nkind: Pod\n');
    assert.match(sync().stderr, /not an etcd static pod manifest/);
    assert.match(sync({ ETCD_HA_SERVICE_CTL: serviceCtl.path }).stderr, /ETCD_HA_ROOT is required/);
    assert.match(sync({ ETCD_HA_ROOT: root }).stderr, /ETCD_HA_SERVICE_CTL is required/);
  });
});
