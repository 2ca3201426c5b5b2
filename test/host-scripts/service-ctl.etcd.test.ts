// adapters/local/service-ctl.sh, the systemctl stand-in of local mode, driven directly with a real etcd
// on 127.0.0.23 and 127.0.0.72 (the binary the unit names, found below the host root) and with processes it did not start.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdOnPath, removeDir, SERVICE_CTL, shipEtcd, tempDir } from './helpers';
import { pidExists, stopPid, waitUntil } from './processes';
import { etcdUnderTest } from '../support/etcd-under-test';

const ADDRESS = '127.0.0.23';

const ETCD = etcdUnderTest();

describe(`service-ctl.sh on ${ETCD.label}`, () => {
  const work = tempDir('service-ctl');
  const root = join(work, 'root');
  const pidFile = join(root, 'run/etcd-ha/etcd.pid');
  const logFile = join(root, 'var/log/etcd-ha/etcd.log');
  const customRoot = join(work, 'custom-root');
  const etcdPids = new Set<number>();
  const otherPids = new Set<number>();

  function ctl(args: string[], env: Record<string, string> = { ETCD_HA_ROOT: root }) {
    const out = spawnSync(SERVICE_CTL, args, {
      encoding: 'utf8',
      timeout: 30_000,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    });
    return { status: out.status, stdout: out.stdout, stderr: out.stderr };
  }

  function writeEnv(lines: string[], at = root): void {
    mkdirSync(join(at, 'etc/etcd'), { recursive: true });
    writeFileSync(join(at, 'etc/etcd/etcd.conf'), `${lines.join('\n')}\n`, { mode: 0o600 });
  }

  /** The unit as the renderer writes it, with ExecStart= naming `execStart`. */
  function writeUnit(execStart: string, at = root): void {
    mkdirSync(join(at, 'etc/systemd/system'), { recursive: true });
    writeFileSync(join(at, 'etc/systemd/system/etcd.service'), `[Service]\nType=notify\nEnvironmentFile=/etc/etcd/etcd.conf\nExecStart=${execStart}\n`);
  }

  const memberEnv = (name: string, address: string, at: string) => [
    `ETCD_NAME=${name}`,
    `ETCD_DATA_DIR=${join(at, 'var/lib/etcd')}`,
    `ETCD_LISTEN_CLIENT_URLS=http://${address}:2379`,
    `ETCD_ADVERTISE_CLIENT_URLS=http://${address}:2379`,
    `ETCD_LISTEN_PEER_URLS=http://${address}:2380`,
    `ETCD_INITIAL_ADVERTISE_PEER_URLS=http://${address}:2380`,
    `ETCD_INITIAL_CLUSTER=${name}=http://${address}:2380`,
    'ETCD_INITIAL_CLUSTER_STATE=new',
    `ETCD_LISTEN_METRICS_URLS=http://${address}:2381`,
  ];

  function pidFromFile(): number {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    etcdPids.add(pid);
    return pid;
  }

  after(async () => {
    try {
      for (const file of [pidFile, join(customRoot, 'run/etcd-ha/etcd.pid')]) {
        if (existsSync(file)) etcdPids.add(Number(readFileSync(file, 'utf8').trim()));
      }
      for (const pid of etcdPids) await stopPid(pid, 'etcd');
      for (const pid of otherPids) await stopPid(pid, 'sleep');
    } finally {
      removeDir(work);
    }
  });

  test('requires ETCD_HA_ROOT', () => {
    const out = ctl(['is-active', 'etcd'], {});
    assert.equal(out.status, 1);
    assert.match(out.stderr, /ETCD_HA_ROOT is required/);
  });

  test('daemon-reload and enable succeed; kubelet is never active and cannot be started', () => {
    assert.equal(ctl(['daemon-reload']).status, 0);
    assert.equal(ctl(['enable', 'etcd']).status, 0);
    assert.equal(ctl(['enable', 'kubelet']).status, 0);
    const active = ctl(['is-active', 'kubelet']);
    assert.equal(active.status, 3);
    assert.equal(active.stdout.trim(), 'inactive');
    for (const verb of ['start', 'restart']) {
      const out = ctl([verb, 'kubelet']);
      assert.equal(out.status, 1);
      assert.match(out.stderr, /kubelet is not available in local mode/);
    }
    assert.equal(ctl(['frobnicate']).status, 2);
  });

  test('start runs etcd detached with only the env file settings; start again is a no-op; stop waits until it is gone', async () => {
    writeEnv(memberEnv('sc', ADDRESS, root));
    writeUnit('/usr/local/bin/etcd');
    shipEtcd(root);
    assert.equal(ctl(['is-active', '--quiet', 'etcd']).status, 3);

    const start = ctl(['start', 'etcd']);
    assert.equal(start.status, 0, start.stderr);
    const pid = pidFromFile();
    assert.equal(ctl(['is-active', '--quiet', 'etcd']).status, 0);
    assert.equal(ctl(['is-active', 'etcd.service']).stdout.trim(), 'active');

    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
    assert.ok(environ.every((kv) => kv.startsWith('ETCD_') || kv.startsWith('PATH=')), environ.join(' '));
    assert.ok(!environ.some((kv) => kv.startsWith('ETCD_HA_ROOT=')));
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [, , , sessionId] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    assert.equal(Number(sessionId), pid, 'etcd leads its own session (setsid)');

    const again = ctl(['start', 'etcd']);
    assert.equal(again.status, 0);
    assert.match(again.stdout, /already running/);
    assert.equal(pidFromFile(), pid);
    assert.match(readFileSync(logFile, 'utf8'), /service-ctl: starting/);

    const stop = ctl(['stop', 'etcd']);
    assert.equal(stop.status, 0, stop.stderr);
    assert.equal(pidExists(pid), false, 'stop returns only once the PID is gone (reaped)');
    assert.equal(existsSync(pidFile), false);
    assert.equal(ctl(['is-active', '--quiet', 'etcd']).status, 3);
    assert.match(ctl(['stop', 'etcd']).stdout, /not running/);
  });

  test('start fails with the log tail when etcd exits at once', () => {
    writeEnv(['ETCD_NAME=bad', 'ETCD_LISTEN_CLIENT_URLS=not-a-url']);
    const out = ctl(['start', 'etcd']);
    assert.equal(out.status, 1);
    assert.match(out.stderr, /exited right after start/);
    assert.equal(existsSync(pidFile), false);
  });

  test("start runs the binary the unit's ExecStart names, found below the host root, and records it", async () => {
    const address = '127.0.0.72';
    const binaryPath = '/opt/etcd-v3.5.16/etcd';
    // Another etcd than the PATH's when the project's 3.5 is there and the PATH has 3.4: the version proves it too.
    const project = join(__dirname, '../../.etcd/3.5/usr/bin/etcd');
    const target = existsSync(project) ? project : etcdOnPath();
    const at = shipEtcd(customRoot, binaryPath, target);
    writeEnv(memberEnv('custom', address, customRoot), customRoot);
    writeUnit(binaryPath, customRoot);
    const env = { ETCD_HA_ROOT: customRoot };

    const start = ctl(['start', 'etcd'], env);
    assert.equal(start.status, 0, start.stderr);
    const pid = Number(readFileSync(join(customRoot, 'run/etcd-ha/etcd.pid'), 'utf8').trim());
    etcdPids.add(pid);
    assert.equal(readlinkSync(`/proc/${pid}/exe`), realpathSync(target), 'the process runs the binary the unit names');
    assert.equal(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0], at);
    assert.match(readFileSync(join(customRoot, 'run/etcd-ha/etcd.proc'), 'utf8'), new RegExp(`^\\d+ ${at}\n$`));
    const version = /etcd Version: (\S+)/.exec(spawnSync(target, ['--version'], { encoding: 'utf8' }).stdout)?.[1];
    await waitUntil(() => spawnSync('curl', ['-sf', `http://${address}:2379/version`], { encoding: 'utf8' }).status === 0, 20_000, 'etcd /version');
    const served = JSON.parse(spawnSync('curl', ['-sf', `http://${address}:2379/version`], { encoding: 'utf8' }).stdout) as { etcdserver: string };
    assert.equal(served.etcdserver, version);

    const stop = ctl(['stop', 'etcd'], env);
    assert.equal(stop.status, 0, stop.stderr);
    assert.equal(pidExists(pid), false, 'it signals the process it started');
  });

  test('a unit that names a missing or non-executable binary, or none, fails naming the unit, the path and the host root', () => {
    const host = join(work, 'broken-root');
    writeEnv(memberEnv('broken', '127.0.0.73', host), host);
    const env = { ETCD_HA_ROOT: host };
    const unit = join(host, 'etc/systemd/system/etcd.service');

    const noUnit = ctl(['start', 'etcd'], env);
    assert.equal(noUnit.status, 1);
    assert.ok(noUnit.stderr.includes(`the unit ${unit} does not exist (host root ${host})`), noUnit.stderr);

    writeUnit('/opt/etcd-v9/etcd', host);
    const missing = ctl(['start', 'etcd'], env);
    assert.equal(missing.status, 1);
    assert.ok(
      missing.stderr.includes(`the unit ${unit} starts /opt/etcd-v9/etcd, which does not exist on this host (${host}/opt/etcd-v9/etcd, host root ${host})`),
      missing.stderr,
    );

    mkdirSync(join(host, 'opt/etcd-v9'), { recursive: true });
    writeFileSync(join(host, 'opt/etcd-v9/etcd'), 'not a program', { mode: 0o644 });
    const notExecutable = ctl(['start', 'etcd'], env);
    assert.equal(notExecutable.status, 1);
    assert.match(notExecutable.stderr, /starts \/opt\/etcd-v9\/etcd, which is not an executable file on this host/);

    for (const [execStart, message] of [
      ['', /has no ExecStart=/],
      ['etcd', /must name an absolute path without '\.\.', got 'etcd'/],
      ['/opt/../../etcd', /must name an absolute path without '\.\.'/],
      ['/opt/etcd-v9/etcd --debug', /has arguments; local mode runs the binary alone/],
    ] as const) {
      writeUnit(execStart, host);
      const out = ctl(['start', 'etcd'], env);
      assert.equal(out.status, 1, execStart);
      assert.match(out.stderr, message);
    }
    assert.equal(existsSync(join(host, 'run/etcd-ha/etcd.pid')), false, 'nothing started');
  });

  test('never signals a process it did not start, even when its PID is in the pid file', async () => {
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    const pid = sleeper.pid;
    assert.ok(pid);
    otherPids.add(pid);
    try {
      mkdirSync(join(root, 'run/etcd-ha'), { recursive: true });
      writeFileSync(pidFile, `${pid}\n`);
      assert.equal(ctl(['is-active', '--quiet', 'etcd']).status, 3);
      assert.match(ctl(['stop', 'etcd']).stdout, /not running/);
      assert.equal(existsSync(pidFile), false, 'a stale pid file is cleared');

      // Even with a record claiming the PID, a different start time or program means "not ours".
      writeFileSync(pidFile, `${pid}\n`);
      writeFileSync(join(root, 'run/etcd-ha/etcd.proc'), '1 /usr/bin/etcd\n');
      assert.equal(ctl(['is-active', '--quiet', 'etcd']).status, 3);
      assert.match(ctl(['stop', 'etcd']).stdout, /not running/);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(sleeper.exitCode, null, 'the foreign process is still running');
      assert.equal(sleeper.signalCode, null);
    } finally {
      sleeper.kill('SIGTERM');
      await waitUntil(() => sleeper.exitCode !== null || sleeper.signalCode !== null, 5_000, 'sleep to exit');
    }
  });
});
