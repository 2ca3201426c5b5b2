// start-etcd-systemd.sh: first with a stand-in systemctl (the stamp decides restart / start / nothing), then
// for real with write-etcd-config-systemd.sh, adapters/local/service-ctl.sh and etcd on 127.0.0.51 / .52.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { b64, FakeCommand, modeOf, removeDir, runHostScript, SERVICE_CTL, tempDir } from './helpers';
import { stopPid, waitUntil } from './processes';
import { envFile, UNIT } from './etcd-systemd-fixtures';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('start-etcd-systemd.sh with a stand-in systemctl', () => {
  const work = tempDir('start-systemd-fake');
  const root = join(work, 'root');
  const systemctl = new FakeCommand(work, 'systemctl');
  const stamp = join(root, 'etc/etcd-ha/applied-etcd.sha256');
  const logFile = join(root, 'var/log/etcd-ha/etcd.log');
  const dataDir = join(root, 'var/lib/etcd');
  after(() => removeDir(work));

  const write = (env: { conf?: string; unit?: string; state?: string; wipe?: string } = {}) => {
    const out = runHostScript('write-etcd-config-systemd', {
      ETCD_ENV_B64: b64(env.conf ?? envFile(root, '127.0.0.59')),
      ETCD_UNIT_B64: b64(env.unit ?? UNIT),
      CLUSTER_STATE: env.state ?? 'new',
      DATA_DIR: '/var/lib/etcd',
      ETCD_HA_ROOT: root,
      ETCD_HA_SERVICE_CTL: systemctl.path,
      ...(env.wipe === undefined ? {} : { WIPE_DATA_DIR: env.wipe }),
    });
    assert.equal(out.status, 0, out.stderr);
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

  test('first start: daemon-reload + enable + restart, then the stamp (sha256 of env file and unit)', () => {
    write();
    const out = start();
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(systemctl.calls(), ['daemon-reload', 'enable etcd', 'restart etcd']);
    assert.equal(
      readFileSync(stamp, 'utf8'),
      `${sha256(envFile(root, '127.0.0.59'))}  /etc/etcd/etcd.conf\n${sha256(UNIT)}  /etc/systemd/system/etcd.service\n`,
    );
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

  test('a changed env file, or a changed unit alone, restarts etcd', () => {
    write();
    assert.equal(start().status, 0);
    for (const change of [{ conf: envFile(root, '127.0.0.59', 'ETCD_SNAPSHOT_COUNT=5000') }, { unit: UNIT.replace('Restart=always', 'Restart=on-failure') }]) {
      write(change);
      systemctl.reset();
      const out = start();
      assert.equal(out.status, 0, out.stderr);
      assert.deepEqual(systemctl.calls(), ['daemon-reload', 'enable etcd', 'restart etcd']);
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

describe('write-etcd-config-systemd.sh + start-etcd-systemd.sh with service-ctl.sh and a real etcd', () => {
  const work = tempDir('start-systemd-real');
  const started = new Set<number>();
  const hostRoot = (address: string) => join(work, address);
  const pidFile = (address: string) => join(hostRoot(address), 'run/etcd-ha/etcd.pid');

  const write = (address: string, conf: string) =>
    runHostScript('write-etcd-config-systemd', {
      ETCD_ENV_B64: b64(conf),
      ETCD_UNIT_B64: b64(UNIT),
      CLUSTER_STATE: 'new',
      DATA_DIR: '/var/lib/etcd',
      ETCD_HA_ROOT: hostRoot(address),
      ETCD_HA_SERVICE_CTL: SERVICE_CTL,
    });
  const start = (address: string) =>
    runHostScript('start-etcd-systemd', { ETCD_HA_ROOT: hostRoot(address), ETCD_HA_SERVICE_CTL: SERVICE_CTL });

  function currentPid(address: string): number {
    const pid = Number(readFileSync(pidFile(address), 'utf8').trim());
    assert.ok(Number.isInteger(pid) && pid > 0, `pid file holds ${pid}`);
    started.add(pid);
    return pid;
  }

  function healthy(address: string): boolean {
    const out = spawnSync('etcdctl', ['--endpoints', `http://${address}:2379`, '--command-timeout=2s', 'endpoint', 'health'], {
      encoding: 'utf8',
      timeout: 5_000,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    return out.status === 0;
  }

  // Every etcd this suite started is stopped by PID, also when a test failed.
  after(async () => {
    try {
      for (const address of ['127.0.0.51', '127.0.0.52']) {
        if (existsSync(pidFile(address))) started.add(Number(readFileSync(pidFile(address), 'utf8').trim()));
      }
      for (const pid of started) await stopPid(pid, 'etcd');
    } finally {
      removeDir(work);
    }
  });

  test('start twice keeps the same PID; a changed env file gives a new one', async () => {
    const address = '127.0.0.51';
    const root = hostRoot(address);
    const written = write(address, envFile(root, address));
    assert.equal(written.status, 0, written.stderr);
    assert.equal(existsSync(pidFile(address)), false, 'writing the configuration starts nothing');

    const first = start(address);
    assert.equal(first.status, 0, first.stderr);
    const pid1 = currentPid(address);
    await waitUntil(() => healthy(address), 20_000, `etcd on ${address} healthy`);
    assert.equal(modeOf(join(root, 'var/lib/etcd')), '700');

    const again = start(address);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /nothing restarted/);
    assert.equal(currentPid(address), pid1, 'a second start must not restart etcd');

    const rewritten = write(address, envFile(root, address, 'ETCD_SNAPSHOT_COUNT=5000'));
    assert.equal(rewritten.status, 0, rewritten.stderr);
    assert.match(rewritten.stdout, /^changed .*etcd\.conf$/m);
    assert.equal(currentPid(address), pid1, 'writing a new configuration restarts nothing');

    const restarted = start(address);
    assert.equal(restarted.status, 0, restarted.stderr);
    const pid2 = currentPid(address);
    assert.notEqual(pid2, pid1, 'a changed env file restarts etcd');
    assert.equal(existsSync(`/proc/${pid1}`), false, 'the old etcd is gone (reaped)');
    await waitUntil(() => healthy(address), 20_000, `restarted etcd on ${address} healthy`);
  });

  test('a start that fails carries the tail of the etcd log on stderr', () => {
    const address = '127.0.0.52';
    const root = hostRoot(address);
    assert.equal(write(address, envFile(root, address, 'ETCD_SNAPSHOT_COUNT=notanumber')).status, 0);
    const out = start(address);
    assert.equal(out.status, 1, out.stdout);
    assert.ok(out.stderr.includes(`last 30 lines of ${join(root, 'var/log/etcd-ha/etcd.log')}:`), out.stderr);
    assert.match(out.stderr, /invalid value "notanumber" for ETCD_SNAPSHOT_COUNT/);
    assert.match(out.stderr, /restart etcd failed/);
    assert.equal(existsSync(join(root, 'etc/etcd-ha/applied-etcd.sha256')), false);
    assert.equal(existsSync(pidFile(address)), false, 'no etcd left running');
  });
});
