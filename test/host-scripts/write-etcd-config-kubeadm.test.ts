// write-etcd-config-kubeadm.sh with a stand-in kubeadm: the config file and join safety; it never runs kubeadm.
import { createHash } from 'node:crypto';
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
  const settingsPath = join(root, 'etc/etcd-ha/etcd-settings.sha256');
  const stamp = join(root, 'etc/etcd-ha/applied-etcd.sha256');
  const config = readFileSync(join(FIXTURES, 'guide/kubeadmcfg-infra0.yaml'), 'utf8');
  // Settings digests as Write Etcd Config computes them (etcdSettingsDigest): the script only compares them.
  const DIGEST = createHash('sha256').update('settings').digest('hex');
  const OTHER_DIGEST = createHash('sha256').update('other settings').digest('hex');
  after(() => removeDir(work));

  const run = (env: { config?: string; digest?: string; state?: string; wipe?: string; running?: string } = {}) =>
    runHostScript('write-etcd-config-kubeadm', {
      KUBEADM_CONFIG_B64: b64(env.config ?? config),
      SETTINGS_SHA256: env.digest ?? DIGEST,
      CLUSTER_STATE: env.state ?? 'new',
      DATA_DIR: '/var/lib/etcd',
      ETCD_HA_ROOT: root,
      ...(env.wipe === undefined ? {} : { WIPE_DATA_DIR: env.wipe }),
      ...(env.running === undefined ? {} : { RUNNING_MEMBER: env.running }),
    });
  /** What Start Etcd leaves after kubeadm succeeded: the applied stamp = the settings digest. */
  const applied = (digest: string) => {
    mkdirSync(join(root, 'etc/etcd-ha'), { recursive: true });
    writeFileSync(stamp, `${digest}\n`);
  };
  const lastLine = (stdout: string) => stdout.trim().split('\n').at(-1);

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
    assert.equal(readFileSync(settingsPath, 'utf8'), `${DIGEST}\n`);
    assert.equal(modeOf(settingsPath), '644');
    assert.equal(lastLine(out.stdout), 'restart-needed=true');
    assert.deepEqual(kubeadm.calls(), []);
  });

  test('restart-needed=false only while the stamp holds the settings digest and the manifest is there', () => {
    applied(DIGEST);
    assert.equal(lastLine(run().stdout), 'restart-needed=true', 'no manifest');
    writeManifest();
    assert.equal(lastLine(run().stdout), 'restart-needed=false');
  });

  test('only bootstrap-only flags changed (same digest): the config changes, restart-needed=false', () => {
    applied(DIGEST);
    writeManifest();
    assert.equal(run().status, 0);
    fillDataDir();
    const out = run({ config: config.replace('value: new', 'value: existing'), state: 'existing', running: 'true' });
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /^changed .*kubeadmcfg\.yaml$/m);
    assert.equal(lastLine(out.stdout), 'restart-needed=false');
  });

  test('another digest (an extra flag, the image tag…): restart-needed=true', () => {
    applied(DIGEST);
    writeManifest();
    const out = run({ config: `${config}# changed\n`, digest: OTHER_DIGEST });
    assert.equal(out.status, 0, out.stderr);
    assert.equal(lastLine(out.stdout), 'restart-needed=true');
  });

  test('a running member (RUNNING_MEMBER=true) with a new config and a non-empty data dir is written; data and manifest stay', () => {
    fillDataDir();
    writeManifest();
    const out = run({ state: 'existing', running: 'true' });
    assert.equal(out.status, 0, out.stderr);
    assert.equal(readFileSync(configFile, 'utf8'), config);
    assert.equal(readFileSync(join(dataDir, 'member/wal/0.wal'), 'utf8'), 'old member data');
    assert.equal(existsSync(manifest), true);
  });

  test('RUNNING_MEMBER=true with WIPE_DATA_DIR=true is refused; nothing written or moved', () => {
    fillDataDir();
    writeManifest();
    const out = run({ state: 'existing', running: 'true', wipe: 'true' });
    assert.equal(out.status, 1);
    assert.match(out.stderr, /refusing RUNNING_MEMBER=true with WIPE_DATA_DIR=true/);
    assert.equal(existsSync(configFile), false);
    assert.equal(existsSync(manifest), true);
    assert.equal(existsSync(join(dataDir, 'member/wal/0.wal')), true);
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

  test('joining with WIPE_DATA_DIR=true moves the data dir aside and forgets the applied stamp', () => {
    fillDataDir();
    applied(DIGEST);
    const out = run({ state: 'existing', wipe: 'true' });
    assert.equal(out.status, 0, out.stderr);
    assert.equal(existsSync(stamp), false);
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
    assert.equal(lastLine(out.stdout), 'restart-needed=true');
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
