// LocalHostRunner for real: the member secret fetched by the host itself (FileSecretStore + read-secret.sh) and
// etcd written, started and its log collected on 127.0.0.53, all through the runner.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalHostRunner, localScriptsPaths } from '../../../lambdas/adapters/local/local-host-runner';
import { FileSecretStore } from '../../../lambdas/adapters/local/file-secret-store';
import { LoopbackHostDirectory } from '../../../lambdas/adapters/local/loopback-host-directory';
import { buildHostCommand } from '../../../lambdas/host-scripts';
import { memberHostFiles } from '../../../lambdas/core/pki/bundle';
import { ETCD_CA, ETCD_PEER, ETCD_SERVER, resolveSubject } from '../../../lambdas/core/pki/cert-profiles';
import { issueCertificate } from '../../../lambdas/core/pki/issue';
import { encodeMemberBundle } from '../../../lambdas/core/pki/member-bundle';
import type { Host } from '../../../lambdas/ports';
import { NOW, sampleSpec } from '../../core/pki/support';
import { stopPid, waitUntil } from '../../host-scripts/processes';
import { envFile, settingsDigest, UNIT } from '../../host-scripts/etcd-systemd-fixtures';
import { etcdUnderTest } from '../../support/etcd-under-test';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

const ETCD = etcdUnderTest();

describe(`LocalHostRunner for real: the member secret fetched by the host, etcd written, started and its log collected on ${ETCD.label}`, () => {
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
        SETTINGS_SHA256: settingsDigest(envFile(h!.root!, h!.address)),
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
