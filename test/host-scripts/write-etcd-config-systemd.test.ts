// write-etcd-config-systemd.sh with a stand-in systemctl: files, modes, join safety; it never starts etcd.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { b64, FakeCommand, modeOf, removeDir, runHostScript, tempDir } from './helpers';
import { envFile, settingsDigest, UNIT } from './etcd-systemd-fixtures';

describe('write-etcd-config-systemd.sh', () => {
  const work = tempDir('write-systemd');
  const root = join(work, 'root');
  const systemctl = new FakeCommand(work, 'systemctl');
  const dataDir = join(root, 'var/lib/etcd');
  const envPath = join(root, 'etc/etcd/etcd.conf');
  const settingsPath = join(root, 'etc/etcd-ha/etcd-settings.sha256');
  const stamp = join(root, 'etc/etcd-ha/applied-etcd.sha256');
  after(() => removeDir(work));

  const run = (env: { conf?: string; unit?: string; state?: string; wipe?: string; running?: string } = {}) => {
    const conf = env.conf ?? envFile(root, '127.0.0.59');
    return runHostScript('write-etcd-config-systemd', {
      ETCD_ENV_B64: b64(conf),
      ETCD_UNIT_B64: env.unit ?? b64(UNIT),
      SETTINGS_SHA256: settingsDigest(conf),
      CLUSTER_STATE: env.state ?? 'new',
      DATA_DIR: '/var/lib/etcd',
      ETCD_HA_ROOT: root,
      ETCD_HA_SERVICE_CTL: systemctl.path,
      ...(env.wipe === undefined ? {} : { WIPE_DATA_DIR: env.wipe }),
      ...(env.running === undefined ? {} : { RUNNING_MEMBER: env.running }),
    });
  };
  /** What Start Etcd leaves after a successful (re)start: the applied stamp = the settings digest. */
  const applied = (digest: string) => {
    mkdirSync(join(root, 'etc/etcd-ha'), { recursive: true });
    writeFileSync(stamp, `${digest}\n`);
  };
  const lastLine = (stdout: string) => stdout.trim().split('\n').at(-1);

  function fillDataDir(): void {
    mkdirSync(join(dataDir, 'member/snap'), { recursive: true });
    writeFileSync(join(dataDir, 'member/snap/db'), 'old member data');
  }

  beforeEach(() => {
    removeDir(root);
    systemctl.reset();
    systemctl.setActive(true);
  });

  test('first run: env file 0600, unit 0644, data dir 0700; never touches the service', () => {
    const out = run();
    assert.equal(out.status, 0, out.stderr);
    assert.equal(readFileSync(envPath, 'utf8'), envFile(root, '127.0.0.59'));
    assert.equal(modeOf(envPath), '600');
    assert.equal(readFileSync(join(root, 'etc/systemd/system/etcd.service'), 'utf8'), UNIT);
    assert.equal(modeOf(join(root, 'etc/systemd/system/etcd.service')), '644');
    assert.equal(modeOf(dataDir), '700');
    assert.equal(readFileSync(settingsPath, 'utf8'), `${settingsDigest(envFile(root, '127.0.0.59'))}\n`);
    assert.equal(modeOf(settingsPath), '644');
    assert.match(out.stdout, /configuration written/);
    assert.equal(lastLine(out.stdout), 'restart-needed=true', 'nothing applied yet');
    assert.deepEqual(systemctl.calls(), []);
  });

  test('restart-needed=false once the applied stamp holds the settings digest', () => {
    applied(settingsDigest(envFile(root, '127.0.0.59')));
    const out = run();
    assert.equal(out.status, 0, out.stderr);
    assert.equal(lastLine(out.stdout), 'restart-needed=false');
  });

  test('only initial-cluster, its state or the token changed: the env file changes, restart-needed=false', () => {
    applied(settingsDigest(envFile(root, '127.0.0.59')));
    assert.equal(run().status, 0);
    fillDataDir(); // what the started member wrote
    const bootstrap = { initialCluster: 'm1=http://127.0.0.59:2380,m2=http://127.0.0.60:2380', state: 'existing', token: 'c-1' } as const;
    const out = run({ conf: envFile(root, '127.0.0.59', '', bootstrap), running: 'true' });
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /^changed .*etcd\.conf$/m);
    assert.match(out.stdout, /^unchanged .*etcd-settings\.sha256$/m);
    assert.equal(lastLine(out.stdout), 'restart-needed=false');
  });

  test('an extra flag changed: restart-needed=true', () => {
    applied(settingsDigest(envFile(root, '127.0.0.59')));
    const out = run({ conf: envFile(root, '127.0.0.59', 'ETCD_SNAPSHOT_COUNT=5000') });
    assert.equal(out.status, 0, out.stderr);
    assert.equal(lastLine(out.stdout), 'restart-needed=true');
  });

  test('a re-run changes nothing and calls nothing', () => {
    assert.equal(run().status, 0);
    const again = run();
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /already up to date, nothing changed/);
    assert.doesNotMatch(again.stdout, /^changed /m);
    assert.equal(lastLine(again.stdout), 'restart-needed=true', 'still never applied');
    assert.deepEqual(systemctl.calls(), []);
  });

  test('puts back mode 0700 on an existing data dir', () => {
    mkdirSync(dataDir, { recursive: true, mode: 0o755 });
    const out = run();
    assert.equal(out.status, 0, out.stderr);
    assert.equal(modeOf(dataDir), '700');
  });

  test('joining (existing) with a new env file and a non-empty data dir is refused; nothing installed or called', () => {
    fillDataDir();
    const out = run({ state: 'existing' });
    assert.equal(out.status, 1);
    assert.ok(out.stderr.includes(`data dir ${dataDir} is not empty`), out.stderr);
    assert.match(out.stderr, /WIPE_DATA_DIR=true/);
    assert.deepEqual(systemctl.calls(), []);
    assert.equal(existsSync(envPath), false);
    assert.equal(existsSync(join(dataDir, 'member/snap/db')), true, 'member data is kept');
  });

  test('a running member (RUNNING_MEMBER=true) with a new env file and a non-empty data dir is written, never refused or moved', () => {
    fillDataDir();
    const out = run({ state: 'existing', running: 'true' });
    assert.equal(out.status, 0, out.stderr);
    assert.equal(readFileSync(envPath, 'utf8'), envFile(root, '127.0.0.59'));
    assert.equal(readFileSync(join(dataDir, 'member/snap/db'), 'utf8'), 'old member data');
    assert.deepEqual(readdirSync(join(root, 'var/lib')), ['etcd']);
    assert.deepEqual(systemctl.calls(), []);
  });

  test('RUNNING_MEMBER=true with WIPE_DATA_DIR=true is refused; nothing installed, stopped or moved', () => {
    fillDataDir();
    const out = run({ state: 'existing', running: 'true', wipe: 'true' });
    assert.equal(out.status, 1);
    assert.match(out.stderr, /refusing RUNNING_MEMBER=true with WIPE_DATA_DIR=true/);
    assert.equal(existsSync(envPath), false);
    assert.equal(existsSync(join(dataDir, 'member/snap/db')), true);
    assert.deepEqual(systemctl.calls(), []);
  });

  test('joining with WIPE_DATA_DIR=true stops a running etcd and moves the data dir aside, without starting it', () => {
    fillDataDir();
    applied(settingsDigest(envFile(root, '127.0.0.59')));
    const out = run({ state: 'existing', wipe: 'true' });
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(systemctl.calls(), ['is-active --quiet etcd', 'stop etcd']);
    const moved = readdirSync(join(root, 'var/lib')).filter((n) => n.startsWith('etcd.removed-'));
    assert.equal(moved.length, 1);
    assert.match(moved[0] ?? '', /^etcd\.removed-\d{8}T\d{6}Z$/);
    assert.equal(readFileSync(join(root, 'var/lib', moved[0] ?? '', 'member/snap/db'), 'utf8'), 'old member data');
    assert.equal(modeOf(dataDir), '700');
    assert.deepEqual(readdirSync(dataDir), []);
    assert.equal(existsSync(stamp), false, 'the stamp of the member moved aside is gone');
    assert.equal(lastLine(out.stdout), 'restart-needed=true');
  });

  test('wiping when etcd is not active does not stop it', () => {
    fillDataDir();
    systemctl.setActive(false);
    const out = run({ state: 'existing', wipe: 'true' });
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(systemctl.calls(), ['is-active --quiet etcd']);
  });

  test('re-running an already started joined member (env unchanged, data dir filled) is not refused', () => {
    assert.equal(run({ state: 'existing' }).status, 0);
    fillDataDir(); // what the started member wrote
    const out = run({ state: 'existing' });
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(systemctl.calls(), []);
  });

  test('joining with an empty data dir, or bootstrapping (new) with data, is not refused', () => {
    mkdirSync(dataDir, { recursive: true });
    assert.equal(run({ state: 'existing' }).status, 0);
    removeDir(root);
    fillDataDir();
    assert.equal(run({ state: 'new' }).status, 0);
  });

  test('invalid base64 in the unit is refused before anything is installed', () => {
    const out = run({ unit: '***' });
    assert.equal(out.status, 1);
    assert.match(out.stderr, /ETCD_UNIT_B64 is not valid base64/);
    assert.equal(existsSync(envPath), false);
  });
});
