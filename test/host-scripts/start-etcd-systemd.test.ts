// start-etcd-systemd.sh: first with a stand-in systemctl (call order, join safety), then for real with
// adapters/local/service-ctl.sh and the etcd binary on 127.0.0.21.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { b64, FakeCommand, modeOf, removeDir, runHostScript, SERVICE_CTL, tempDir } from './helpers';
import { stopPid, waitUntil } from './processes';

const UNIT = `[Unit]
Description=etcd
[Service]
Type=notify
EnvironmentFile=/etc/etcd/etcd.conf
ExecStart=/usr/bin/etcd
Restart=always
[Install]
WantedBy=multi-user.target
`;

function envFile(root: string, address: string, extra = ''): string {
  return [
    'ETCD_NAME=m1',
    `ETCD_DATA_DIR=${join(root, 'var/lib/etcd')}`,
    `ETCD_LISTEN_CLIENT_URLS=http://${address}:2379`,
    `ETCD_ADVERTISE_CLIENT_URLS=http://${address}:2379`,
    `ETCD_LISTEN_PEER_URLS=http://${address}:2380`,
    `ETCD_INITIAL_ADVERTISE_PEER_URLS=http://${address}:2380`,
    `ETCD_INITIAL_CLUSTER=m1=http://${address}:2380`,
    'ETCD_INITIAL_CLUSTER_STATE=new',
    `ETCD_LISTEN_METRICS_URLS=http://${address}:2381`,
    extra,
  ].join('\n');
}

describe('start-etcd-systemd.sh with a stand-in systemctl', () => {
  const work = tempDir('systemd-fake');
  const root = join(work, 'root');
  const systemctl = new FakeCommand(work, 'systemctl');
  const dataDir = join(root, 'var/lib/etcd');
  after(() => removeDir(work));

  const run = (env: { conf?: string; state?: string; wipe?: string } = {}) =>
    runHostScript('start-etcd-systemd', {
      ETCD_ENV_B64: b64(env.conf ?? envFile(root, '127.0.0.22')),
      ETCD_UNIT_B64: b64(UNIT),
      CLUSTER_STATE: env.state ?? 'new',
      DATA_DIR: '/var/lib/etcd',
      ETCD_HA_ROOT: root,
      ETCD_HA_SERVICE_CTL: systemctl.path,
      ...(env.wipe === undefined ? {} : { WIPE_DATA_DIR: env.wipe }),
    });

  function fillDataDir(): void {
    mkdirSync(join(dataDir, 'member/snap'), { recursive: true });
    writeFileSync(join(dataDir, 'member/snap/db'), 'old member data');
  }

  beforeEach(() => {
    removeDir(root);
    systemctl.reset();
    systemctl.setActive(true);
  });

  test('first run: env file 0600, unit 0644, data dir 0700, daemon-reload + enable + restart', () => {
    const out = run();
    assert.equal(out.status, 0, out.stderr);
    assert.equal(modeOf(join(root, 'etc/etcd/etcd.conf')), '600');
    assert.equal(modeOf(join(root, 'etc/systemd/system/etcd.service')), '644');
    assert.equal(modeOf(dataDir), '700');
    assert.deepEqual(systemctl.calls(), ['daemon-reload', 'enable etcd', 'restart etcd']);
  });

  test('a re-run changes nothing and only asks is-active; an inactive etcd is started, not restarted', () => {
    assert.equal(run().status, 0);
    systemctl.reset();
    const again = run();
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(systemctl.calls(), ['is-active --quiet etcd']);
    assert.match(again.stdout, /nothing restarted/);

    systemctl.reset();
    systemctl.setActive(false);
    assert.equal(run().status, 0);
    assert.deepEqual(systemctl.calls(), ['is-active --quiet etcd', 'start etcd']);
  });

  test('a changed unit alone restarts etcd', () => {
    assert.equal(run().status, 0);
    systemctl.reset();
    const out = runHostScript('start-etcd-systemd', {
      ETCD_ENV_B64: b64(envFile(root, '127.0.0.22')),
      ETCD_UNIT_B64: b64(UNIT.replace('Restart=always', 'Restart=on-failure')),
      CLUSTER_STATE: 'new',
      DATA_DIR: '/var/lib/etcd',
      ETCD_HA_ROOT: root,
      ETCD_HA_SERVICE_CTL: systemctl.path,
    });
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(systemctl.calls(), ['daemon-reload', 'enable etcd', 'restart etcd']);
  });

  test('joining (existing) with a new env file and a non-empty data dir is refused; nothing installed or called', () => {
    fillDataDir();
    const out = run({ state: 'existing' });
    assert.equal(out.status, 1);
    assert.ok(out.stderr.includes(`data dir ${dataDir} is not empty`), out.stderr);
    assert.deepEqual(systemctl.calls(), []);
    assert.equal(existsSync(join(root, 'etc/etcd/etcd.conf')), false);
  });

  test('joining with WIPE_DATA_DIR=true stops etcd, moves the data dir aside, then restarts', () => {
    fillDataDir();
    const out = run({ state: 'existing', wipe: 'true' });
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(systemctl.calls(), [
      'is-active --quiet etcd',
      'stop etcd',
      'daemon-reload',
      'enable etcd',
      'restart etcd',
    ]);
    const moved = readdirSync(join(root, 'var/lib')).filter((n) => n.startsWith('etcd.removed-'));
    assert.equal(moved.length, 1);
    assert.equal(readFileSync(join(root, 'var/lib', moved[0] ?? '', 'member/snap/db'), 'utf8'), 'old member data');
    assert.equal(modeOf(dataDir), '700');
  });

  test('re-running an already started joined member (env unchanged, data dir filled) is not refused', () => {
    assert.equal(run({ state: 'existing' }).status, 0);
    fillDataDir(); // what the started member wrote
    systemctl.reset();
    const out = run({ state: 'existing' });
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(systemctl.calls(), ['is-active --quiet etcd']);
  });
});

describe('start-etcd-systemd.sh with service-ctl.sh and a real etcd', () => {
  const ADDRESS = '127.0.0.21';
  const work = tempDir('systemd-real');
  const root = join(work, 'root');
  const pidFile = join(root, 'run/etcd-ha/etcd.pid');
  const started = new Set<number>();

  const run = (conf: string) =>
    runHostScript('start-etcd-systemd', {
      ETCD_ENV_B64: b64(conf),
      ETCD_UNIT_B64: b64(UNIT),
      CLUSTER_STATE: 'new',
      DATA_DIR: '/var/lib/etcd',
      ETCD_HA_ROOT: root,
      ETCD_HA_SERVICE_CTL: SERVICE_CTL,
    });

  function currentPid(): number {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    assert.ok(Number.isInteger(pid) && pid > 0, `pid file holds ${pid}`);
    started.add(pid);
    return pid;
  }

  function healthy(): boolean {
    const out = spawnSync('etcdctl', ['--endpoints', `http://${ADDRESS}:2379`, '--command-timeout=2s', 'endpoint', 'health'], {
      encoding: 'utf8',
      timeout: 5_000,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    return out.status === 0;
  }

  // Every etcd this suite started is stopped by PID, also when a test failed.
  after(async () => {
    try {
      if (existsSync(pidFile)) started.add(Number(readFileSync(pidFile, 'utf8').trim()));
      for (const pid of started) await stopPid(pid, 'etcd');
    } finally {
      removeDir(work);
    }
  });

  test('starts etcd, leaves it alone on a re-run, restarts it when the env file changes', async () => {
    const first = run(envFile(root, ADDRESS));
    assert.equal(first.status, 0, first.stderr);
    const pid1 = currentPid();
    await waitUntil(healthy, 20_000, 'etcd on 127.0.0.21 healthy');
    assert.equal(modeOf(join(root, 'var/lib/etcd')), '700');

    const again = run(envFile(root, ADDRESS));
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /nothing restarted/);
    assert.equal(currentPid(), pid1, 'a re-run must not restart etcd');

    const changed = run(envFile(root, ADDRESS, 'ETCD_SNAPSHOT_COUNT=5000'));
    assert.equal(changed.status, 0, changed.stderr);
    assert.match(changed.stdout, /^changed .*etcd\.conf$/m);
    const pid2 = currentPid();
    assert.notEqual(pid2, pid1, 'a changed env file restarts etcd');
    assert.equal(existsSync(`/proc/${pid1}`), false, 'the old etcd is gone (reaped)');
    await waitUntil(healthy, 20_000, 'restarted etcd on 127.0.0.21 healthy');
  });
});
