// start-etcd-kubeadm.sh with a stand-in kubeadm that records its calls (kubeadm cannot run here).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { b64, FakeCommand, FIXTURES, modeOf, removeDir, runHostScript, tempDir } from './helpers';

describe('start-etcd-kubeadm.sh', () => {
  const work = tempDir('start-kubeadm');
  const root = join(work, 'root');
  const kubeadm = new FakeCommand(work, 'kubeadm');
  const configFile = join(root, 'etc/etcd-ha/kubeadmcfg.yaml');
  const manifest = join(root, 'etc/kubernetes/manifests/etcd.yaml');
  const stamp = join(root, 'etc/etcd-ha/applied-etcd.sha256');
  const config = readFileSync(join(FIXTURES, 'guide/kubeadmcfg-infra0.yaml'), 'utf8');
  const initCall = `init phase etcd local --config ${configFile}`;
  // Settings digests as Write Etcd Config computes them (etcdSettingsDigest): the scripts only compare them.
  const DIGEST = createHash('sha256').update('settings').digest('hex');
  const OTHER_DIGEST = createHash('sha256').update('other settings').digest('hex');
  after(() => removeDir(work));

  const write = (text = config, digest = DIGEST) => {
    const out = runHostScript('write-etcd-config-kubeadm', {
      KUBEADM_CONFIG_B64: b64(text),
      SETTINGS_SHA256: digest,
      CLUSTER_STATE: 'new',
      DATA_DIR: '/var/lib/etcd',
      ETCD_HA_ROOT: root,
    });
    assert.equal(out.status, 0, out.stderr);
  };
  // A stand-in journalctl first on PATH: the failure path shows kubelet's journal.
  const bin = join(work, 'bin');
  mkdirSync(bin);
  const journalctl = new FakeCommand(bin, 'journalctl');
  const start = (command = kubeadm.path) =>
    runHostScript('start-etcd-kubeadm', { KUBEADM: command, ETCD_HA_ROOT: root }, `${bin}:${process.env.PATH}`);

  /** What the real kubeadm phase leaves behind: the static pod manifest. */
  function writeManifest(): void {
    mkdirSync(join(root, 'etc/kubernetes/manifests'), { recursive: true });
    writeFileSync(manifest, 'kind: Pod\n');
  }

  beforeEach(() => {
    removeDir(root);
    kubeadm.reset();
    journalctl.reset();
  });

  test('without a written config it fails and runs nothing', () => {
    const out = start();
    assert.equal(out.status, 1);
    assert.match(out.stderr, /kubeadmcfg\.yaml does not exist; write the configuration first/);
    assert.deepEqual(kubeadm.calls(), []);
  });

  test('without the settings digest (written by an older Write Etcd Config) it fails and runs nothing', () => {
    write();
    rmSync(join(root, 'etc/etcd-ha/etcd-settings.sha256'));
    const out = start();
    assert.equal(out.status, 1);
    assert.match(out.stderr, /etcd-settings\.sha256 does not exist; write the configuration first/);
    assert.deepEqual(kubeadm.calls(), []);
  });

  test('runs kubeadm init phase etcd local once, then writes the stamp (the settings digest)', () => {
    write();
    const out = start();
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(kubeadm.calls(), [initCall]);
    assert.equal(readFileSync(stamp, 'utf8'), `${DIGEST}\n`);
    assert.equal(modeOf(stamp), '644');
  });

  test('a re-run with the same config and the manifest present does nothing', () => {
    write();
    assert.equal(start().status, 0);
    writeManifest();
    kubeadm.reset();
    const out = start();
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /etcd already configured/);
    assert.deepEqual(kubeadm.calls(), []);
  });

  test('a re-run without the manifest runs kubeadm again', () => {
    write();
    assert.equal(start().status, 0);
    kubeadm.reset();
    const out = start();
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(kubeadm.calls(), [initCall]);
  });

  test('changed settings (another digest) run kubeadm again, even with the manifest present', () => {
    write();
    assert.equal(start().status, 0);
    writeManifest();
    write(`${config}# an extra flag\n`, OTHER_DIGEST);
    kubeadm.reset();
    const out = start();
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(kubeadm.calls(), [initCall]);
  });

  test('a config changed only in bootstrap-only flags (same digest) runs nothing: kubelet keeps the pod', () => {
    write();
    assert.equal(start().status, 0);
    writeManifest();
    write(config.replace('value: new', 'value: existing'));
    kubeadm.reset();
    const out = start();
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /etcd already configured/);
    assert.deepEqual(kubeadm.calls(), []);
  });

  test('a failing kubeadm fails with a clear message and the kubelet journal header, writes no stamp; a re-run tries again', () => {
    write();
    writeManifest(); // a manifest without a stamp (kubeadm died half-way) does not count as applied
    const failing = join(work, 'kubeadm-fails');
    writeFileSync(failing, '#!/usr/bin/env bash\necho boom >&2\nexit 7\n', { mode: 0o755 });
    const out = start(failing);
    assert.equal(out.status, 1);
    assert.match(out.stderr, /boom/);
    assert.match(out.stderr, /init phase etcd local failed/);
    assert.match(out.stderr, /last 30 lines of journalctl -u kubelet:/);
    assert.deepEqual(journalctl.calls(), ['-u kubelet -n 30 --no-pager']);
    assert.equal(existsSync(stamp), false);

    const retry = start();
    assert.equal(retry.status, 0, retry.stderr);
    assert.deepEqual(kubeadm.calls(), [initCall]);
  });
});
