// LocalHostRunner: bash per host in parallel with a clean environment, tails, timeouts, unreachable hosts;
// then for real: the member secret fetched by the host itself (FileSecretStore + read-secret.sh) and
// etcd written, started and its log collected on 127.0.0.53, all through the runner.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalHostRunner, localScriptsPaths } from '../../../lambdas/adapters/local/local-host-runner';
import { FileSecretStore } from '../../../lambdas/adapters/local/file-secret-store';
import { LoopbackHostDirectory } from '../../../lambdas/adapters/local/loopback-host-directory';
import { buildHostCommand } from '../../../lambdas/host-scripts';
import { HostCommandRejectedError, HostCommandTimeoutError, HostUnreachableError } from '../../../lambdas/core/errors';
import { memberHostFiles } from '../../../lambdas/core/pki/bundle';
import { ETCD_CA, ETCD_PEER, ETCD_SERVER, resolveSubject } from '../../../lambdas/core/pki/cert-profiles';
import { issueCertificate } from '../../../lambdas/core/pki/issue';
import { encodeMemberBundle } from '../../../lambdas/core/pki/member-bundle';
import type { Host } from '../../../lambdas/ports';
import { NOW, sampleSpec } from '../../core/pki/support';
import { pidExists, stopPid, waitUntil } from '../../host-scripts/processes';
import { envFile, UNIT } from '../../host-scripts/etcd-systemd-fixtures';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

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

  test('localScriptsPaths gives the absolute paths of service-ctl.sh and read-secret.sh, both executable', () => {
    for (const path of [scripts.serviceCtl, scripts.readSecret]) {
      assert.ok(path.startsWith('/'), path);
      assert.ok((statSync(path).mode & 0o111) !== 0, `${path} is executable`);
    }
    assert.match(scripts.serviceCtl, /adapters\/local\/service-ctl\.sh$/);
    assert.match(scripts.readSecret, /adapters\/local\/read-secret\.sh$/);
  });

  test('runs bash with only PATH and the ETCD_HA_* variables of the host, nothing else of this process', async () => {
    process.env.ETCD_HA_TEST_LEAK = 'must not reach a host';
    try {
      const h = host('env');
      const [result] = await runner.run([h], command('env | sort'));
      assert.equal(result?.exitCode, 0, result?.stderrTail);
      const names = result!.stdoutTail.split('\n').filter(Boolean).map((line) => line.split('=')[0]);
      const expected = ['ETCD_HA_ROOT', 'ETCD_HA_SECRET_DIR', 'ETCD_HA_SECRET_FETCH', 'ETCD_HA_SERVICE_CTL', 'PATH'];
      // bash adds PWD, SHLVL and _ itself.
      assert.deepEqual(names.filter((n) => !['PWD', 'SHLVL', '_'].includes(n!)), expected);
      assert.match(result!.stdoutTail, new RegExp(`^ETCD_HA_ROOT=${h.root}$`, 'm'));
      assert.match(result!.stdoutTail, new RegExp(`^ETCD_HA_SECRET_FETCH=${scripts.readSecret}$`, 'm'));
      assert.match(result!.stdoutTail, new RegExp(`^ETCD_HA_SECRET_DIR=${secretDir}$`, 'm'));
    } finally {
      delete process.env.ETCD_HA_TEST_LEAK;
    }
  });

  test('passes ETCD_BINARY when given', async () => {
    const withBinary = new LocalHostRunner({ serviceCtl: scripts.serviceCtl, secretFetch: scripts.readSecret, secretDir, etcdBinary: '/usr/bin/etcd' });
    const [result] = await withBinary.run([host('bin')], command('printf %s "$ETCD_BINARY"'));
    assert.equal(result?.stdoutTail, '/usr/bin/etcd');
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

describe('LocalHostRunner for real: the member secret fetched by the host, etcd written, started and its log collected', () => {
  const work = mkdtempSync(join(tmpdir(), 'etcd-ha-runner-real-'));
  const secretDir = join(work, 'secrets');
  const store = new FileSecretStore({ dir: secretDir });
  const scripts = localScriptsPaths();
  const runner = new LocalHostRunner({ serviceCtl: scripts.serviceCtl, secretFetch: scripts.readSecret, secretDir });
  const directory = new LoopbackHostDirectory({ hostsDir: join(work, 'hosts'), firstAddress: '127.0.0.53' });
  const started = new Set<number>();
  let etcdHost: Host | undefined;
  const pidFile = (h: Host) => join(h.root!, 'run/etcd-ha/etcd.pid');

  after(async () => {
    try {
      if (etcdHost && existsSync(pidFile(etcdHost))) started.add(Number(readFileSync(pidFile(etcdHost), 'utf8').trim()));
      for (const pid of started) await stopPid(pid, 'etcd');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  test('fetch-member-pki + install-pki: keys 0600, staging gone, no private key in the command or its output', async () => {
    const spec = sampleSpec();
    const options = { validityDays: 365, keyAlgorithm: 'RSA-2048', now: NOW } as const;
    const ca = issueCertificate(ETCD_CA, resolveSubject(ETCD_CA, spec), 'self-signed', options);
    const infra0 = spec.members[0]!;
    const files = memberHostFiles(ca.certPem, {
      server: issueCertificate(ETCD_SERVER, resolveSubject(ETCD_SERVER, spec, infra0), ca, options),
      peer: issueCertificate(ETCD_PEER, resolveSubject(ETCD_PEER, spec, infra0), ca, options),
    });
    const name = store.nameFor('demo', 'member/infra0');
    await store.put(name, encodeMemberBundle(files), { description: 'member secret' });

    const [h] = await directory.resolve('demo', [{ name: 'infra0' }]);
    const text = buildHostCommand(['fetch-member-pki', 'install-pki'], { MEMBER_SECRET_ID: name });
    assert.ok(!text.includes('PRIVATE KEY'));
    const [result] = await runner.run([h!], { title: 'Push Certificates', text, timeoutSeconds: 30 });
    assert.equal(result?.exitCode, 0, result?.stderrTail);
    for (const file of files) {
      const path = join(h!.root!, 'etc/kubernetes/pki', file.path);
      assert.equal(readFileSync(path, 'utf8'), file.content, file.path);
      assert.equal(mode(path), file.path.endsWith('.key') ? '600' : '644', file.path);
    }
    assert.deepEqual(readdirSync(join(h!.root!, 'run/etcd-ha')).filter((n) => n.startsWith('pki-bundle.')), []);
    assert.ok(!result!.stdoutTail.includes('PRIVATE KEY') && !result!.stderrTail.includes('PRIVATE KEY'));
  });

  test('write + start twice (one PID), collect-etcd-logs shows the log: etcd on 127.0.0.53', async () => {
    const [h] = await directory.resolve('demo', [{ name: 'infra0' }]);
    etcdHost = h!;
    assert.equal(h!.address, '127.0.0.53');
    const run = async (title: string, text: string) => {
      const [result] = await runner.run([h!], { title, text, timeoutSeconds: 60 });
      assert.equal(result?.exitCode, 0, `${title}: ${result?.stderrTail}`);
      return result!;
    };
    await run(
      'Write Etcd Config',
      buildHostCommand('write-etcd-config-systemd', {
        ETCD_ENV_B64: b64(envFile(h!.root!, h!.address)),
        ETCD_UNIT_B64: b64(UNIT),
        CLUSTER_STATE: 'new',
        DATA_DIR: '/var/lib/etcd',
      }),
    );
    await run('Start Etcd', buildHostCommand('start-etcd-systemd', {}));
    const pid = Number(readFileSync(pidFile(h!), 'utf8').trim());
    started.add(pid);
    const again = await run('Start Etcd', buildHostCommand('start-etcd-systemd', {}));
    assert.match(again.stdoutTail, /nothing restarted/);
    assert.equal(Number(readFileSync(pidFile(h!), 'utf8').trim()), pid);

    await waitUntil(() => readFileSync(join(h!.root!, 'var/log/etcd-ha/etcd.log'), 'utf8').includes('ready to serve client requests'), 20_000, 'etcd ready');
    const logs = await run('Collect Etcd Logs', buildHostCommand('collect-etcd-logs', { LINES: '20' }));
    assert.match(logs.stdoutTail, /== last 20 lines of .*etcd\.log/);
    assert.match(logs.stdoutTail, /ready to serve client requests/);
  });
});
