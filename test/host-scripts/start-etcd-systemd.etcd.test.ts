// write-etcd-config-systemd.sh + start-etcd-systemd.sh for real: adapters/local/service-ctl.sh and etcd on 127.0.0.51 / .52 / .71.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { b64, modeOf, removeDir, runHostScript, SERVICE_CTL, shipEtcd, tempDir } from './helpers';
import { stopPid, waitUntil } from './processes';
import { envFile, settingsDigest, UNIT, type Bootstrap } from './etcd-systemd-fixtures';
import { etcdUnderTest } from '../support/etcd-under-test';

const ETCD = etcdUnderTest();

describe(`write-etcd-config-systemd.sh + start-etcd-systemd.sh with service-ctl.sh and a real etcd on ${ETCD.label}`, () => {
  const work = tempDir('start-systemd-real');
  const started = new Set<number>();
  const hostRoot = (address: string) => join(work, address);
  const pidFile = (address: string) => join(hostRoot(address), 'run/etcd-ha/etcd.pid');

  // Each simulated host has etcd where the unit's ExecStart looks for it, as local mode ships it.
  const write = (address: string, conf: string, more: Record<string, string> = {}) => {
    shipEtcd(hostRoot(address));
    return runHostScript('write-etcd-config-systemd', {
      ETCD_ENV_B64: b64(conf),
      ETCD_UNIT_B64: b64(UNIT),
      SETTINGS_SHA256: settingsDigest(conf),
      CLUSTER_STATE: 'new',
      DATA_DIR: '/var/lib/etcd',
      ETCD_HA_ROOT: hostRoot(address),
      ETCD_HA_SERVICE_CTL: SERVICE_CTL,
      ...more,
    });
  };
  const lastLine = (stdout: string) => stdout.trim().split('\n').at(-1);
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
      for (const address of ['127.0.0.51', '127.0.0.52', '127.0.0.71']) {
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
    assert.equal(lastLine(rewritten.stdout), 'restart-needed=true');
    assert.equal(currentPid(address), pid1, 'writing a new configuration restarts nothing');

    const restarted = start(address);
    assert.equal(restarted.status, 0, restarted.stderr);
    const pid2 = currentPid(address);
    assert.notEqual(pid2, pid1, 'a changed env file restarts etcd');
    assert.equal(existsSync(`/proc/${pid1}`), false, 'the old etcd is gone (reaped)');
    await waitUntil(() => healthy(address), 20_000, `restarted etcd on ${address} healthy`);
  });

  test('a running member re-rendered with another initial cluster, state and token keeps running: same PID', async () => {
    const address = '127.0.0.71';
    const root = hostRoot(address);
    assert.equal(write(address, envFile(root, address)).status, 0);
    const first = start(address);
    assert.equal(first.status, 0, first.stderr);
    const pid = currentPid(address);
    await waitUntil(() => healthy(address), 20_000, `etcd on ${address} healthy`);

    const bootstrap: Bootstrap = {
      initialCluster: `m1=http://${address}:2380,m2=http://127.0.0.72:2380,m3=http://127.0.0.73:2380`,
      state: 'existing',
      token: 'demo-4f1c2a',
    };
    const rewritten = write(address, envFile(root, address, '', bootstrap), { CLUSTER_STATE: 'existing', RUNNING_MEMBER: 'true' });
    assert.equal(rewritten.status, 0, rewritten.stderr);
    assert.match(rewritten.stdout, /^changed .*etcd\.conf$/m);
    assert.equal(lastLine(rewritten.stdout), 'restart-needed=false');

    const again = start(address);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /already running .*nothing restarted/);
    assert.equal(currentPid(address), pid, 'bootstrap-only flags restart nothing');
    assert.ok(healthy(address));
  });

  test('a start that fails carries the tail of the etcd log on stderr', () => {
    const address = '127.0.0.52';
    const root = hostRoot(address);
    assert.equal(write(address, envFile(root, address, 'ETCD_SNAPSHOT_COUNT=notanumber')).status, 0);
    const out = start(address);
    assert.equal(out.status, 1, out.stdout);
    assert.ok(out.stderr.includes(`last 30 lines of ${join(root, 'var/log/etcd-ha/etcd.log')}:`), out.stderr);
    // etcd 3.4 logs this line as text; 3.5 logs JSON, where the quotes are escaped.
    const refusal = ETCD.minor === '3.4' ? /invalid value "notanumber" for ETCD_SNAPSHOT_COUNT/ : /invalid value \\"notanumber\\" for ETCD_SNAPSHOT_COUNT/;
    assert.match(out.stderr, refusal);
    assert.match(out.stderr, /restart etcd failed/);
    assert.equal(existsSync(join(root, 'etc/etcd-ha/applied-etcd.sha256')), false);
    assert.equal(existsSync(pidFile(address)), false, 'no etcd left running');
  });
});
