// LocalHostRunner: bash per host in parallel with a clean environment, tails, timeouts, unreachable hosts.
// The real part (the host fetching its member secret, etcd started) is local-host-runner.etcd.test.ts.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalHostRunner, localScriptsPaths } from '../../../lambdas/adapters/local/local-host-runner';
import { HostCommandRejectedError, HostCommandTimeoutError, HostUnreachableError } from '../../../lambdas/core/errors';
import type { Host } from '../../../lambdas/ports';
import { pidExists, stopPid, waitUntil } from '../../host-scripts/processes';

describe('LocalHostRunner', () => {
  const work = mkdtempSync(join(tmpdir(), 'etcd-ha-runner-'));
  const secretDir = join(work, 'secrets');
  const scripts = localScriptsPaths();
  const runner = new LocalHostRunner({ serviceCtl: scripts.serviceCtl, secretFetch: scripts.readSecret, secretDir });
  const host = (name: string, address = '127.0.0.54'): Host => {
    const root = join(work, 'hosts', name);
    mkdirSync(root, { recursive: true });
    return { name, address, root };
  };
  const command = (text: string, timeoutSeconds = 30) => ({ title: 'Test Step', text, timeoutSeconds });
  const leftovers = new Set<number>();
  after(async () => {
    try {
      for (const pid of leftovers) await stopPid(pid, 'sleep');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  test('localScriptsPaths gives the absolute paths of service-ctl.sh, read-secret.sh, write-secret.sh and local-kubelet.sh, all executable', () => {
    for (const path of [scripts.serviceCtl, scripts.readSecret, scripts.writeSecret, scripts.localKubelet]) {
      assert.ok(path.startsWith('/'), path);
      assert.ok((statSync(path).mode & 0o111) !== 0, `${path} is executable`);
    }
    assert.match(scripts.serviceCtl, /adapters\/local\/service-ctl\.sh$/);
    assert.match(scripts.readSecret, /adapters\/local\/read-secret\.sh$/);
    assert.match(scripts.writeSecret, /adapters\/local\/write-secret\.sh$/);
    assert.match(scripts.localKubelet, /adapters\/local\/local-kubelet\.sh$/);
  });

  test('runs bash with only PATH and the ETCD_HA_* variables of the host, nothing else of this process', async () => {
    process.env.ETCD_HA_TEST_LEAK = 'must not reach a host';
    try {
      const h = host('env');
      const [result] = await runner.run([h], command('env | sort'));
      assert.equal(result?.exitCode, 0, result?.stderrTail);
      const names = result!.stdoutTail.split('\n').filter(Boolean).map((line) => line.split('=')[0]);
      const expected = [
        'ETCD_HA_APISERVER_SYNC',
        'ETCD_HA_ROOT',
        'ETCD_HA_SECRET_DIR',
        'ETCD_HA_SECRET_FETCH',
        'ETCD_HA_SECRET_PUT',
        'ETCD_HA_SERVICE_CTL',
        'ETCD_HA_SNAPSHOT_FETCH',
        'ETCD_HA_STATIC_POD_SYNC',
        'PATH',
      ];
      // bash adds PWD, SHLVL and _ itself.
      assert.deepEqual(names.filter((n) => !['PWD', 'SHLVL', '_'].includes(n!)), expected);
      assert.match(result!.stdoutTail, new RegExp(`^ETCD_HA_ROOT=${h.root}$`, 'm'));
      assert.match(result!.stdoutTail, new RegExp(`^ETCD_HA_SECRET_FETCH=${scripts.readSecret}$`, 'm'));
      assert.match(result!.stdoutTail, new RegExp(`^ETCD_HA_SECRET_DIR=${secretDir}$`, 'm'));
      assert.match(result!.stdoutTail, new RegExp(`^ETCD_HA_SECRET_PUT=${scripts.writeSecret}$`, 'm'));
      assert.match(result!.stdoutTail, new RegExp(`^ETCD_HA_STATIC_POD_SYNC=${scripts.localKubelet}$`, 'm'));
      // A staged snapshot is the backup file itself locally: the host copies it below its root.
      assert.match(result!.stdoutTail, /^ETCD_HA_SNAPSHOT_FETCH=cp --$/m);
    } finally {
      delete process.env.ETCD_HA_TEST_LEAK;
    }
  });

  describe('ships etcd on each host, as an image would', () => {
    const fakeBin = join(work, 'fake-bin');
    mkdirSync(fakeBin, { recursive: true });
    const fakeEtcd = join(fakeBin, 'etcd');
    writeFileSync(fakeEtcd, '#!/bin/sh\necho fake etcd\n', { mode: 0o755 });
    const shipped = (h: Host) => join(h.root!, 'usr/local/bin/etcd');

    test('etcdBinary becomes <root>/usr/local/bin/etcd (a symlink) before the command runs, on every host', async () => {
      const withBinary = new LocalHostRunner({ serviceCtl: scripts.serviceCtl, secretFetch: scripts.readSecret, secretDir, etcdBinary: fakeEtcd });
      const hosts = [host('ship0'), host('ship1')];
      const results = await withBinary.run(hosts, command('readlink "$ETCD_HA_ROOT/usr/local/bin/etcd" && "$ETCD_HA_ROOT/usr/local/bin/etcd"'));
      for (const [i, h] of hosts.entries()) {
        assert.equal(results[i]?.exitCode, 0, results[i]?.stderrTail);
        assert.equal(results[i]?.stdoutTail, `${fakeEtcd}\nfake etcd\n`);
        assert.equal(readlinkSync(shipped(h)), fakeEtcd);
        assert.equal((statSync(join(h.root!, 'usr/local/bin')).mode & 0o777).toString(8), '755');
      }
      assert.equal((await withBinary.run([hosts[0]!], command('true')))[0]?.exitCode, 0, 'a second command leaves it as it is');
      assert.equal(readlinkSync(shipped(hosts[0]!)), fakeEtcd);
    });

    test('without etcdBinary, the etcd on the PATH', async () => {
      const path = process.env.PATH;
      process.env.PATH = `${fakeBin}:${path}`;
      try {
        const h = host('ship-path');
        assert.equal((await runner.run([h], command('true')))[0]?.exitCode, 0);
        assert.equal(readlinkSync(shipped(h)), fakeEtcd);
      } finally {
        process.env.PATH = path;
      }
    });

    test('never replaces a file or a link already there, even a dangling one', async () => {
      const withBinary = new LocalHostRunner({ serviceCtl: scripts.serviceCtl, secretFetch: scripts.readSecret, secretDir, etcdBinary: fakeEtcd });
      const file = host('keep-file');
      const link = host('keep-link');
      const dangling = host('keep-dangling');
      for (const h of [file, link, dangling]) mkdirSync(join(h.root!, 'usr/local/bin'), { recursive: true });
      writeFileSync(shipped(file), '#!/bin/sh\necho installed etcd\n', { mode: 0o755 });
      symlinkSync('/opt/etcd-v3.5.16/etcd', shipped(link));
      symlinkSync(join(work, 'nothing-here'), shipped(dangling));
      await withBinary.run([file, link, dangling], command('true'));
      assert.equal(readFileSync(shipped(file), 'utf8'), '#!/bin/sh\necho installed etcd\n');
      assert.equal(lstatSync(shipped(file)).isSymbolicLink(), false);
      assert.equal(readlinkSync(shipped(link)), '/opt/etcd-v3.5.16/etcd');
      assert.equal(readlinkSync(shipped(dangling)), join(work, 'nothing-here'));
    });

    test('refuses an etcdBinary that is not an absolute path', () => {
      assert.throws(
        () => new LocalHostRunner({ serviceCtl: scripts.serviceCtl, secretFetch: scripts.readSecret, secretDir, etcdBinary: 'etcd' }),
        /etcdBinary must be an absolute path, got "etcd"/,
      );
    });
  });

  test('runs the hosts in parallel and returns one result per host, in order, non-zero exits included', async () => {
    const hosts = [host('p0'), host('p1'), host('p2')];
    const started = Date.now();
    const results = await runner.run(hosts, command('sleep 1; echo "on $(basename "$ETCD_HA_ROOT")"; echo oops >&2; [[ "$ETCD_HA_ROOT" != *p1 ]] || exit 3'));
    assert.ok(Date.now() - started < 2_500, `took ${Date.now() - started} ms`);
    assert.deepEqual(
      results.map((r) => [r.host, r.exitCode, r.stdoutTail, r.stderrTail]),
      [
        ['p0', 0, 'on p0\n', 'oops\n'],
        ['p1', 3, 'on p1\n', 'oops\n'],
        ['p2', 0, 'on p2\n', 'oops\n'],
      ],
    );
  });

  test('keeps the last 4 KB of stdout and stderr', async () => {
    const [result] = await runner.run([host('tail')], command('for i in $(seq 1 2000); do echo "line $i"; echo "err $i" >&2; done'));
    assert.ok(Buffer.byteLength(result!.stdoutTail) <= 4096);
    assert.ok(Buffer.byteLength(result!.stdoutTail) > 4000);
    assert.ok(result!.stdoutTail.endsWith('line 2000\n'));
    assert.ok(result!.stderrTail.endsWith('err 2000\n'));
    assert.ok(!result!.stdoutTail.includes('line 1\n'));
  });

  test('a command over its timeout is killed with its children: HostCommandTimeoutError', async () => {
    const h = host('slow');
    const pidFile = join(h.root!, 'sleep.pid');
    const started = Date.now();
    await assert.rejects(
      () => runner.run([h], command(`sleep 60 & echo $! >'${pidFile}'; echo waiting >&2; wait`, 1)),
      (error: unknown) => {
        assert.ok(error instanceof HostCommandTimeoutError, String(error));
        assert.match((error as Error).message, /Test Step: host slow \(127\.0\.0\.54\) did not finish within 1 s/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 5_000);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    leftovers.add(pid);
    await waitUntil(() => !pidExists(pid), 5_000, 'the background sleep to be killed');
  });

  test('a host without a root, or with a missing root dir, is unreachable; nothing runs anywhere', async () => {
    const ok = host('ok');
    const marker = join(ok.root!, 'ran');
    const text = `touch '${marker}'`;
    await assert.rejects(() => runner.run([ok, { name: 'aws', address: '10.0.0.6', instanceId: 'i-0123456789abcdef0' }], command(text)), HostUnreachableError);
    await assert.rejects(() => runner.run([ok, { name: 'gone', address: '127.0.0.55', root: join(work, 'nope') }], command(text)), /root dir .*nope of host gone .* is missing/);
    assert.equal(existsSync(marker), false);
  });

  test('refuses a timeout that is not a positive number', async () => {
    await assert.rejects(() => runner.run([host('t')], command('true', 0)), HostCommandRejectedError);
  });

  test('an empty host list gives no results', async () => {
    assert.deepEqual(await runner.run([], command('true')), []);
  });
});
