// start-etcd-systemd.sh with a stand-in systemctl: the settings digest against the applied stamp decides
// restart / start / nothing.
// The real part (service-ctl.sh and etcd) is start-etcd-systemd.etcd.test.ts.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { b64, FakeCommand, modeOf, removeDir, runHostScript, tempDir } from './helpers';
import { envFile, settingsDigest, UNIT, type Bootstrap } from './etcd-systemd-fixtures';

describe('start-etcd-systemd.sh with a stand-in systemctl', () => {
  const work = tempDir('start-systemd-fake');
  const root = join(work, 'root');
  const systemctl = new FakeCommand(work, 'systemctl');
  const stamp = join(root, 'etc/etcd-ha/applied-etcd.sha256');
  const logFile = join(root, 'var/log/etcd-ha/etcd.log');
  const dataDir = join(root, 'var/lib/etcd');
  after(() => removeDir(work));

  const write = (env: { conf?: string; unit?: string; state?: string; wipe?: string; running?: string } = {}) => {
    const conf = env.conf ?? envFile(root, '127.0.0.59');
    const unit = env.unit ?? UNIT;
    const out = runHostScript('write-etcd-config-systemd', {
      ETCD_ENV_B64: b64(conf),
      ETCD_UNIT_B64: b64(unit),
      SETTINGS_SHA256: settingsDigest(conf, unit),
      CLUSTER_STATE: env.state ?? 'new',
      DATA_DIR: '/var/lib/etcd',
      ETCD_HA_ROOT: root,
      ETCD_HA_SERVICE_CTL: systemctl.path,
      ...(env.wipe === undefined ? {} : { WIPE_DATA_DIR: env.wipe }),
      ...(env.running === undefined ? {} : { RUNNING_MEMBER: env.running }),
    });
    assert.equal(out.status, 0, out.stderr);
    return out.stdout.trim().split('\n').at(-1);
  };
  const start = () => runHostScript('start-etcd-systemd', { ETCD_HA_ROOT: root, ETCD_HA_SERVICE_CTL: systemctl.path });

  beforeEach(() => {
    removeDir(root);
    systemctl.reset();
    systemctl.setActive(true);
  });

  test('without a written configuration it fails and calls nothing', () => {
    const out = start();
    assert.equal(out.status, 1);
    assert.match(out.stderr, /etcd\.conf does not exist; write the configuration first/);
    assert.deepEqual(systemctl.calls(), []);
  });

  test('without the settings digest (written by an older Write Etcd Config) it fails and calls nothing', () => {
    write();
    rmSync(join(root, 'etc/etcd-ha/etcd-settings.sha256'));
    const out = start();
    assert.equal(out.status, 1);
    assert.match(out.stderr, /etcd-settings\.sha256 does not exist; write the configuration first/);
    assert.deepEqual(systemctl.calls(), []);
  });

  test('first start: daemon-reload + enable + restart, then the stamp (the settings digest)', () => {
    write();
    const out = start();
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(systemctl.calls(), ['daemon-reload', 'enable etcd', 'restart etcd']);
    assert.equal(readFileSync(stamp, 'utf8'), `${settingsDigest(envFile(root, '127.0.0.59'))}\n`);
    assert.equal(modeOf(stamp), '644');
  });

  test('a re-run only asks is-active; an inactive etcd is started, not restarted', () => {
    write();
    assert.equal(start().status, 0);
    systemctl.reset();
    const again = start();
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(systemctl.calls(), ['is-active --quiet etcd']);
    assert.match(again.stdout, /already running .*nothing restarted/);

    systemctl.reset();
    systemctl.setActive(false);
    const down = start();
    assert.equal(down.status, 0, down.stderr);
    assert.deepEqual(systemctl.calls(), ['is-active --quiet etcd', 'start etcd']);
  });

  test('a re-written but equal configuration restarts nothing', () => {
    write();
    assert.equal(start().status, 0);
    write();
    systemctl.reset();
    assert.equal(start().status, 0);
    assert.deepEqual(systemctl.calls(), ['is-active --quiet etcd']);
  });

  test('a changed setting (an extra flag), or a changed unit alone (another binary), restarts etcd', () => {
    write();
    assert.equal(start().status, 0);
    for (const change of [{ conf: envFile(root, '127.0.0.59', 'ETCD_SNAPSHOT_COUNT=5000') }, { unit: UNIT.replace('/usr/local/bin/etcd', '/opt/etcd-v3.5.16/etcd') }]) {
      assert.equal(write(change), 'restart-needed=true');
      systemctl.reset();
      const out = start();
      assert.equal(out.status, 0, out.stderr);
      assert.deepEqual(systemctl.calls(), ['daemon-reload', 'enable etcd', 'restart etcd']);
    }
  });

  test('a running member re-rendered with only initial-cluster, its state and the token changed is not restarted', () => {
    write();
    assert.equal(start().status, 0);
    const bootstraps: Bootstrap[] = [
      { initialCluster: 'm1=http://127.0.0.59:2380,m2=http://127.0.0.60:2380,m3=http://127.0.0.61:2380' },
      { state: 'existing' },
      { token: 'demo-4f1c2a' },
    ];
    for (const bootstrap of bootstraps) {
      assert.equal(write({ conf: envFile(root, '127.0.0.59', '', bootstrap), state: bootstrap.state ?? 'new', running: 'true' }), 'restart-needed=false');
      systemctl.reset();
      const out = start();
      assert.equal(out.status, 0, out.stderr);
      assert.deepEqual(systemctl.calls(), ['is-active --quiet etcd'], JSON.stringify(bootstrap));
      assert.match(out.stdout, /already running .*nothing restarted/);
    }
  });

  test('joining with WIPE_DATA_DIR=true: Write stops etcd and moves the data aside, Start restarts it', () => {
    mkdirSync(join(dataDir, 'member/snap'), { recursive: true });
    writeFileSync(join(dataDir, 'member/snap/db'), 'old member data');
    write({ state: 'existing', wipe: 'true' });
    const out = start();
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(systemctl.calls(), ['is-active --quiet etcd', 'stop etcd', 'daemon-reload', 'enable etcd', 'restart etcd']);
  });

  test('a failed restart prints the last 30 lines of the etcd log, writes no stamp, and a re-run tries again', () => {
    write();
    mkdirSync(join(root, 'var/log/etcd-ha'), { recursive: true });
    writeFileSync(logFile, Array.from({ length: 50 }, (_, i) => `etcd log line ${i + 1}`).join('\n') + '\n');
    systemctl.setFailing('restart');
    const out = start();
    assert.equal(out.status, 1);
    assert.match(out.stderr, /restart etcd failed/);
    assert.ok(out.stderr.includes(`last 30 lines of ${logFile}:`), out.stderr);
    assert.match(out.stderr, /^etcd log line 21$/m);
    assert.match(out.stderr, /^etcd log line 50$/m);
    assert.doesNotMatch(out.stderr, /^etcd log line 20$/m);
    assert.equal(existsSync(stamp), false, 'no stamp after a failure');

    systemctl.reset();
    const retry = start();
    assert.equal(retry.status, 0, retry.stderr);
    assert.deepEqual(systemctl.calls(), ['daemon-reload', 'enable etcd', 'restart etcd']);
    assert.equal(existsSync(stamp), true);
  });
});
