// start-etcd-kubeadm.sh with a stand-in kubeadm that records its calls (kubeadm cannot run here).
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { b64, FakeCommand, FIXTURES, modeOf, removeDir, runHostScript, tempDir } from './helpers';

describe('start-etcd-kubeadm.sh', () => {
  const work = tempDir('kubeadm');
  const root = join(work, 'root');
  const kubeadm = new FakeCommand(work, 'kubeadm');
  const configFile = join(root, 'etc/etcd-ha/kubeadmcfg.yaml');
  const manifest = join(root, 'etc/kubernetes/manifests/etcd.yaml');
  const dataDir = join(root, 'var/lib/etcd');
  const config = readFileSync(join(FIXTURES, 'guide/kubeadmcfg-infra0.yaml'), 'utf8');
  const initCall = `init phase etcd local --config ${configFile}`;
  after(() => removeDir(work));

  const run = (env: { config?: string; state?: string; wipe?: string } = {}) =>
    runHostScript('start-etcd-kubeadm', {
      KUBEADM_CONFIG_B64: b64(env.config ?? config),
      CLUSTER_STATE: env.state ?? 'new',
      DATA_DIR: '/var/lib/etcd',
      KUBEADM: kubeadm.path,
      ETCD_HA_ROOT: root,
      ...(env.wipe === undefined ? {} : { WIPE_DATA_DIR: env.wipe }),
    });

  /** What the real kubeadm phase leaves behind: the static pod manifest. */
  function writeManifest(): void {
    mkdirSync(join(root, 'etc/kubernetes/manifests'), { recursive: true });
    writeFileSync(manifest, 'kind: Pod\n');
  }

  function fillDataDir(): void {
    mkdirSync(join(dataDir, 'member/wal'), { recursive: true });
    writeFileSync(join(dataDir, 'member/wal/0.wal'), 'old member data');
  }

  beforeEach(() => {
    removeDir(root);
    kubeadm.reset();
  });

  test('writes the config 0600 and runs kubeadm init phase etcd local once', () => {
    const out = run();
    assert.equal(out.status, 0, out.stderr);
    assert.equal(readFileSync(configFile, 'utf8'), config);
    assert.equal(modeOf(configFile), '600');
    assert.deepEqual(kubeadm.calls(), [initCall]);
  });

  test('a re-run with the same config and the manifest present does nothing', () => {
    assert.equal(run().status, 0);
    writeManifest();
    kubeadm.reset();
    const out = run();
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /etcd already configured/);
    assert.deepEqual(kubeadm.calls(), []);
  });

  test('a re-run without the manifest (kubeadm failed before) runs kubeadm again', () => {
    assert.equal(run().status, 0);
    kubeadm.reset();
    const out = run();
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(kubeadm.calls(), [initCall]);
  });

  test('a changed config is written and kubeadm runs again', () => {
    assert.equal(run().status, 0);
    writeManifest();
    kubeadm.reset();
    const out = run({ config: config.replace('value: new', 'value: existing') });
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /^changed .*kubeadmcfg\.yaml$/m);
    assert.deepEqual(kubeadm.calls(), [initCall]);
  });

  test('joining (existing) with a non-empty data dir is refused, naming the dir; nothing is called', () => {
    fillDataDir();
    const out = run({ state: 'existing' });
    assert.equal(out.status, 1);
    assert.ok(out.stderr.includes(`data dir ${dataDir} is not empty`), out.stderr);
    assert.match(out.stderr, /WIPE_DATA_DIR=true/);
    assert.deepEqual(kubeadm.calls(), []);
    assert.equal(existsSync(configFile), false);
    assert.equal(existsSync(join(dataDir, 'member/wal/0.wal')), true, 'member data is kept');
  });

  test('joining with WIPE_DATA_DIR=true moves the data dir aside and runs kubeadm', () => {
    fillDataDir();
    const out = run({ state: 'existing', wipe: 'true' });
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(kubeadm.calls(), [initCall]);
    assert.equal(existsSync(dataDir), false);
    const moved = readdirSync(join(root, 'var/lib')).filter((n) => n.startsWith('etcd.removed-'));
    assert.equal(moved.length, 1, String(moved));
    assert.match(moved[0] ?? '', /^etcd\.removed-\d{8}T\d{6}Z$/);
    assert.equal(readFileSync(join(root, 'var/lib', moved[0] ?? '', 'member/wal/0.wal'), 'utf8'), 'old member data');
  });

  test('wiping while an old manifest is in place first takes the manifest out of the manifests dir', () => {
    fillDataDir();
    writeManifest();
    const out = run({ state: 'existing', wipe: 'true' });
    assert.equal(out.status, 0, out.stderr);
    const aside = readdirSync(join(root, 'etc/etcd-ha')).filter((n) => n.startsWith('etcd.yaml.removed-'));
    assert.equal(aside.length, 1);
    assert.deepEqual(readdirSync(join(root, 'etc/kubernetes/manifests')), []);
    assert.equal(existsSync(dataDir), false);
    assert.deepEqual(kubeadm.calls(), [initCall]);
  });

  test('joining with an empty data dir, or bootstrapping (new) with data, is not refused', () => {
    mkdirSync(dataDir, { recursive: true });
    assert.equal(run({ state: 'existing' }).status, 0);
    removeDir(root);
    fillDataDir();
    assert.equal(run({ state: 'new' }).status, 0);
    assert.equal(kubeadm.calls().length, 2);
  });

  test('a failing kubeadm fails the script with a clear message', () => {
    const failing = join(work, 'kubeadm-fails');
    writeFileSync(failing, '#!/usr/bin/env bash\necho boom >&2\nexit 7\n', { mode: 0o755 });
    const out = runHostScript('start-etcd-kubeadm', {
      KUBEADM_CONFIG_B64: b64(config),
      CLUSTER_STATE: 'new',
      DATA_DIR: '/var/lib/etcd',
      KUBEADM: failing,
      ETCD_HA_ROOT: root,
    });
    assert.equal(out.status, 1);
    assert.match(out.stderr, /init phase etcd local failed/);
  });
});
