// write-etcd-config-kubeadm.sh with a stand-in kubeadm: the config file and join safety; it never runs kubeadm.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { b64, FakeCommand, FIXTURES, modeOf, removeDir, runHostScript, tempDir } from './helpers';

describe('write-etcd-config-kubeadm.sh', () => {
  const work = tempDir('write-kubeadm');
  const root = join(work, 'root');
  const kubeadm = new FakeCommand(work, 'kubeadm');
  const configFile = join(root, 'etc/etcd-ha/kubeadmcfg.yaml');
  const manifest = join(root, 'etc/kubernetes/manifests/etcd.yaml');
  const dataDir = join(root, 'var/lib/etcd');
  const config = readFileSync(join(FIXTURES, 'guide/kubeadmcfg-infra0.yaml'), 'utf8');
  after(() => removeDir(work));

  const run = (env: { config?: string; state?: string; wipe?: string } = {}) =>
    runHostScript('write-etcd-config-kubeadm', {
      KUBEADM_CONFIG_B64: b64(env.config ?? config),
      CLUSTER_STATE: env.state ?? 'new',
      DATA_DIR: '/var/lib/etcd',
      ETCD_HA_ROOT: root,
      ...(env.wipe === undefined ? {} : { WIPE_DATA_DIR: env.wipe }),
    });

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

  test('writes the config 0600 and runs nothing', () => {
    const out = run();
    assert.equal(out.status, 0, out.stderr);
    assert.equal(readFileSync(configFile, 'utf8'), config);
    assert.equal(modeOf(configFile), '600');
    assert.match(out.stdout, /kubeadm config written/);
    assert.deepEqual(kubeadm.calls(), []);
  });

  test('a re-run with the same config changes nothing', () => {
    assert.equal(run().status, 0);
    const out = run();
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /already up to date, nothing changed/);
    assert.doesNotMatch(out.stdout, /^changed /m);
  });

  test('joining (existing) with a non-empty data dir is refused, naming the dir; nothing is written', () => {
    fillDataDir();
    const out = run({ state: 'existing' });
    assert.equal(out.status, 1);
    assert.ok(out.stderr.includes(`data dir ${dataDir} is not empty`), out.stderr);
    assert.match(out.stderr, /WIPE_DATA_DIR=true/);
    assert.equal(existsSync(configFile), false);
    assert.equal(existsSync(join(dataDir, 'member/wal/0.wal')), true, 'member data is kept');
  });

  test('joining with WIPE_DATA_DIR=true moves the data dir aside', () => {
    fillDataDir();
    const out = run({ state: 'existing', wipe: 'true' });
    assert.equal(out.status, 0, out.stderr);
    assert.equal(existsSync(dataDir), false);
    const moved = readdirSync(join(root, 'var/lib')).filter((n) => n.startsWith('etcd.removed-'));
    assert.equal(moved.length, 1, String(moved));
    assert.match(moved[0] ?? '', /^etcd\.removed-\d{8}T\d{6}Z$/);
    assert.equal(readFileSync(join(root, 'var/lib', moved[0] ?? '', 'member/wal/0.wal'), 'utf8'), 'old member data');
    assert.equal(readFileSync(configFile, 'utf8'), config);
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
  });

  test('joining with an empty data dir, or bootstrapping (new) with data, is not refused', () => {
    mkdirSync(dataDir, { recursive: true });
    assert.equal(run({ state: 'existing' }).status, 0);
    removeDir(root);
    fillDataDir();
    assert.equal(run({ state: 'new' }).status, 0);
  });

  test('re-running an already started joined member (config unchanged, data dir filled) is not refused', () => {
    assert.equal(run({ state: 'existing' }).status, 0);
    fillDataDir();
    writeManifest();
    const out = run({ state: 'existing' });
    assert.equal(out.status, 0, out.stderr);
    assert.equal(existsSync(manifest), true, 'the running member is left alone');
  });
});
