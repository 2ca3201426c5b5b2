// AdoptCluster's host scripts against a real single-member kubeadm etcd (test/support/kubeadm-etcd-host.ts; addresses
// 127.0.1.140-142, ports 23010-23032; every etcd stopped by PID after the suite, also on failure):
//   inspect-adoptable-etcd reports the member as etcd itself does and changes nothing on the host;
//   upload-adopted-pki puts exactly the host's PKI into the slot granted to that host, and only there, never
//     showing key material;
//   move-peer-url moves a member that advertises a localhost peer URL to its address, with one restart, once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { etcdUnderTest } from '../support/etcd-under-test';
import { httpsGet, makeKubeadmEtcdHost, type KubeadmEtcdHost } from '../support/kubeadm-etcd-host';
import { etcdOnPath, LOCAL_KUBELET, removeDir, runHostScript, SERVICE_CTL, tempDir, WRITE_SECRET, type RunResult } from './helpers';

const ETCD = etcdUnderTest();
const SECRET_ID = 'etcd-ha/demo/adopt/cp-1';
const PKI_FILES = [
  'etcd/ca.crt',
  'etcd/ca.key',
  'etcd/server.crt',
  'etcd/server.key',
  'etcd/peer.crt',
  'etcd/peer.key',
  'etcd/healthcheck-client.crt',
  'etcd/healthcheck-client.key',
  'apiserver-etcd-client.crt',
  'apiserver-etcd-client.key',
];

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** Every file below `dir` with the SHA-256 of its bytes, so that "nothing changed" is checked byte for byte. */
function treeDigest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) out[relative(dir, path)] = sha256(readFileSync(path));
    }
  };
  walk(dir);
  return out;
}

/** The last stdout line, which must start with `prefix`; its rest. */
function lastLine(result: RunResult, prefix: string): string {
  const line = result.stdout.trimEnd().split('\n').pop() ?? '';
  assert.ok(line.startsWith(prefix), `last stdout line should start with ${prefix}:\n${result.stdout}\n${result.stderr}`);
  return line.slice(prefix.length);
}

/** Neither stream shows a private key, nor any line of the host's key files. */
function assertNoKeyMaterial(root: string, result: RunResult): void {
  const shown = `${result.stdout}\n${result.stderr}`;
  assert.doesNotMatch(shown, /PRIVATE KEY/);
  for (const file of PKI_FILES.filter((f) => f.endsWith('.key'))) {
    const path = join(root, 'etc/kubernetes/pki', file);
    if (!existsSync(path)) continue;
    for (const line of readFileSync(path, 'utf8').split('\n').filter((l) => l.length >= 40)) {
      assert.ok(!shown.includes(line), `output shows a line of ${file}`);
    }
  }
}

/** The files of an adoption upload, parsed back: path, mode and content each. */
function parseUpload(text: string): Array<{ path: string; mode: string; content: string }> {
  const lines = text.split('\n');
  assert.match(lines[0] ?? '', /^# etcd-ha adoption upload, format 1: /);
  assert.equal(lines.at(-1), '', 'the value ends with a line break');
  assert.equal(lines.at(-2), '=== END');
  const files: Array<{ path: string; mode: string; content: string }> = [];
  for (const line of lines.slice(1, -2)) {
    const header = /^=== (\S+) (0600|0644)$/.exec(line);
    if (header) files.push({ path: header[1]!, mode: header[2]!, content: '' });
    else files.at(-1)!.content += `${line}\n`;
  }
  return files;
}

/** POSTs to etcd's JSON gateway with the host's healthcheck pair (paths of files, never their content, on the command line). */
function gatewayPost(host: KubeadmEtcdHost, path: string, body: unknown): unknown {
  const pki = join(host.root, 'etc/kubernetes/pki/etcd');
  const out = execFileSync(
    'curl',
    ['-sS', '--fail', '--max-time', '5', '--cacert', join(pki, 'ca.crt'), '--cert', join(pki, 'healthcheck-client.crt'), '--key', join(pki, 'healthcheck-client.key'),
      '-X', 'POST', '-d', JSON.stringify(body), `${host.clientUrl}${path}`],
    { encoding: 'utf8' },
  );
  return JSON.parse(out);
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe(`AdoptCluster host scripts on ${ETCD.label}`, () => {
  const work = tempDir('adopt-scripts');
  const hosts: KubeadmEtcdHost[] = [];
  const newHost = (dir: string, address: string, port: number, advertisePeerHost?: string) => {
    const host = makeKubeadmEtcdHost({
      root: join(work, dir),
      name: 'cp-1',
      address,
      clientPort: port,
      peerPort: port + 1,
      metricsPort: port + 2,
      etcdBinary: etcdOnPath(),
      ...(advertisePeerHost !== undefined && { advertisePeerHost }),
    });
    hosts.push(host);
    return host;
  };
  let adopted: KubeadmEtcdHost;

  before(async () => {
    adopted = newHost('cp-1', '127.0.1.140', 23010);
    await adopted.start();
  });

  after(async () => {
    for (const host of hosts) await host.stop();
    for (const host of hosts) assert.equal(host.pid(), undefined, `etcd of ${host.root} stopped`);
    removeDir(work);
  });

  describe('inspect-adoptable-etcd', () => {
    test('reports the member as etcd does (one member, its ID, name, URLs, version), the data size, expiries and the CA key, and changes nothing', async () => {
      // Let the member settle (cluster version, attributes) so that what the data dir holds is what it keeps holding.
      await new Promise((r) => setTimeout(r, 1500));
      const before = treeDigest(adopted.root);
      const pid = adopted.pid();
      const result = runHostScript('inspect-adoptable-etcd', { ETCD_HA_ROOT: adopted.root });
      assert.equal(result.status, 0, result.stderr);
      const facts = JSON.parse(lastLine(result, 'ETCD_HA_ADOPT_FACTS=')) as {
        format: number;
        manifest: { path: string; image: string; flags: Record<string, string> };
        version: { etcdserver: string };
        memberList: { members: Array<{ ID: string; name: string; peerURLs: string[]; clientURLs: string[] }> };
        status: { header: { member_id: string }; version: string };
        dataDirBytes: number;
        certificates: Array<{ file: string; present: boolean; notAfter?: string; commonName?: string }>;
        caKey: { present: boolean; type?: string; bits?: number };
      };
      assert.equal(facts.format, 1);
      assert.equal(facts.manifest.path, '/etc/kubernetes/manifests/etcd.yaml');
      assert.equal(facts.manifest.image, 'registry.k8s.io/etcd:3.5.15-0');
      assert.equal(facts.manifest.flags.name, 'cp-1');
      assert.equal(facts.manifest.flags['data-dir'], '/var/lib/etcd');
      assert.equal(facts.manifest.flags['listen-client-urls'], `https://127.0.0.1:23010,${adopted.clientUrl}`);
      assert.equal(Object.keys(facts.manifest.flags).length, 18);
      assert.equal(facts.version.etcdserver, ETCD.version);
      assert.equal(facts.status.version, ETCD.version);
      assert.equal(facts.memberList.members.length, 1);
      const [member] = facts.memberList.members;
      assert.equal(member!.ID, facts.status.header.member_id);
      assert.match(member!.ID, /^\d+$/);
      assert.equal(member!.name, 'cp-1');
      assert.deepEqual(member!.peerURLs, [adopted.peerUrl]);
      assert.deepEqual(member!.clientURLs, [adopted.clientUrl]);
      assert.ok(facts.dataDirBytes > 0, `dataDirBytes ${facts.dataDirBytes}`);
      const pki = join(adopted.root, 'etc/kubernetes/pki');
      const expected = [
        ['etcd/ca.crt', 'etcd-ca'],
        ['etcd/server.crt', 'cp-1'],
        ['etcd/peer.crt', 'cp-1'],
        ['etcd/healthcheck-client.crt', 'kube-etcd-healthcheck-client'],
        ['apiserver-etcd-client.crt', 'kube-apiserver-etcd-client'],
      ];
      assert.deepEqual(facts.certificates.map((c) => [c.file, c.commonName]), expected);
      for (const cert of facts.certificates) {
        assert.equal(cert.present, true);
        const validTo = new X509Certificate(readFileSync(join(pki, cert.file))).validTo;
        assert.equal(cert.notAfter, new Date(validTo).toISOString().replace(/\.000Z$/, 'Z'), cert.file);
      }
      assert.deepEqual(facts.caKey, { present: true, readable: true, type: 'RSA', bits: 2048 });
      assertNoKeyMaterial(adopted.root, result);
      assert.deepEqual(treeDigest(adopted.root), before, 'manifest, PKI and data dir byte for byte the same');
      assert.equal(adopted.pid(), pid, 'etcd not restarted');
    });

    test('a host without an etcd static pod manifest: fails naming the path, as only a kubeadm stacked etcd can be adopted', () => {
      const root = join(work, 'no-kubeadm');
      mkdirSync(root, { recursive: true });
      const result = runHostScript('inspect-adoptable-etcd', { ETCD_HA_ROOT: root });
      assert.equal(result.status, 1);
      assert.match(result.stderr, new RegExp(`no etcd static pod manifest at ${root}/etc/kubernetes/manifests/etcd\\.yaml`));
      assert.match(result.stderr, /kubeadm stacked etcd/);
      assert.deepEqual(readdirSync(root), [], 'nothing made');
    });

    test('an etcd that does not answer: fails naming the URL', () => {
      const down = newHost('down', '127.0.1.142', 23030);
      const result = runHostScript('inspect-adoptable-etcd', { ETCD_HA_ROOT: down.root });
      assert.equal(result.status, 1);
      assert.match(result.stderr, /etcd does not answer GET \/version at https:\/\/127\.0\.1\.142:23030/);
      assert.doesNotMatch(result.stdout, /ETCD_HA_ADOPT_FACTS/);
    });
  });

  describe('upload-adopted-pki', () => {
    const secrets = join(work, 'secrets');
    const stored = join(secrets, SECRET_ID);
    const grantFile = join(secrets, `${SECRET_ID}.upload-grant`);
    const upload = (root: string) =>
      runHostScript('upload-adopted-pki', { ETCD_HA_ROOT: root, UPLOAD_SECRET_ID: SECRET_ID, ETCD_HA_SECRET_PUT: WRITE_SECRET, ETCD_HA_SECRET_DIR: secrets });
    const grant = (root: string | undefined) => {
      rmSync(stored, { force: true });
      mkdirSync(dirname(grantFile), { recursive: true, mode: 0o700 });
      if (root === undefined) rmSync(grantFile, { force: true });
      else writeFileSync(grantFile, `${realpathSync(root)}\n`);
    };
    const staged = (root: string) => {
      const dir = join(root, 'run/etcd-ha');
      return existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith('adopt-upload')) : [];
    };

    test('with the grant: puts exactly the PKI files, .key 0600 and .crt 0644, prints the SHA-256 of the value and no key material', () => {
      grant(adopted.root);
      const result = upload(adopted.root);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /^uploaded 10 files /m);
      const text = readFileSync(stored, 'utf8');
      assert.equal(lastLine(result, 'ETCD_HA_UPLOAD_SHA256='), sha256(text));
      assert.equal(statSync(stored).mode & 0o777, 0o600);
      const files = parseUpload(text);
      assert.deepEqual(files.map((f) => f.path), PKI_FILES);
      for (const file of files) {
        assert.equal(file.mode, file.path.endsWith('.key') ? '0600' : '0644', file.path);
        assert.equal(file.content, readFileSync(join(adopted.root, 'etc/kubernetes/pki', file.path), 'utf8'), file.path);
      }
      assertNoKeyMaterial(adopted.root, result);
      assert.deepEqual(staged(adopted.root), [], 'the staged value is removed');
    });

    test("without a grant, or with another host's grant: fails and puts nothing", () => {
      for (const grantee of [undefined, join(work, 'down')]) {
        grant(grantee);
        const result = upload(adopted.root);
        assert.equal(result.status, 1, `grant ${grantee}`);
        assert.match(result.stderr, /no upload grant for this host/);
        assert.match(result.stderr, /cannot put the PKI into the upload secret etcd-ha\/demo\/adopt\/cp-1/);
        assert.equal(existsSync(stored), false, 'nothing written');
        assertNoKeyMaterial(adopted.root, result);
        assert.deepEqual(staged(adopted.root), [], 'the staged value is removed, also on failure');
      }
    });

    test('a missing required file, or half of the apiserver client pair: fails naming it and puts nothing', () => {
      const root = join(work, 'partial');
      cpSync(join(adopted.root, 'etc/kubernetes/pki'), join(root, 'etc/kubernetes/pki'), { recursive: true });
      grant(root);
      rmSync(join(root, 'etc/kubernetes/pki/apiserver-etcd-client.key'));
      let result = upload(root);
      assert.equal(result.status, 1);
      assert.match(result.stderr, /only one of .*apiserver-etcd-client\.crt and \.key exists: both or neither/);
      rmSync(join(root, 'etc/kubernetes/pki/etcd/peer.key'));
      result = upload(root);
      assert.equal(result.status, 1);
      assert.match(result.stderr, /pki\/etcd\/peer\.key is missing/);
      assert.equal(existsSync(stored), false, 'nothing written');
    });

    test('without the apiserver client pair: puts the eight etcd files', () => {
      const root = join(work, 'no-apiserver-client');
      cpSync(join(adopted.root, 'etc/kubernetes/pki'), join(root, 'etc/kubernetes/pki'), { recursive: true });
      rmSync(join(root, 'etc/kubernetes/pki/apiserver-etcd-client.crt'));
      rmSync(join(root, 'etc/kubernetes/pki/apiserver-etcd-client.key'));
      grant(root);
      const result = upload(root);
      assert.equal(result.status, 0, result.stderr);
      assert.deepEqual(parseUpload(readFileSync(stored, 'utf8')).map((f) => f.path), PKI_FILES.slice(0, 8));
    });
  });

  describe('move-peer-url', () => {
    let moved: KubeadmEtcdHost;
    const peerUrl = 'https://127.0.1.141:23021';
    const clientUrl = 'https://127.0.1.141:23020';
    const move = () =>
      runHostScript('move-peer-url', {
        ETCD_HA_ROOT: moved.root,
        ETCD_HA_SERVICE_CTL: SERVICE_CTL,
        ETCD_HA_STATIC_POD_SYNC: LOCAL_KUBELET,
        PEER_URL: peerUrl,
        CLIENT_URL: clientUrl,
        WAIT_SECONDS: '60',
      });
    const manifestOf = () => readFileSync(join(moved.root, 'etc/kubernetes/manifests/etcd.yaml'), 'utf8');
    const backups = () => readdirSync(join(moved.root, 'etc/kubernetes/etcd-ha-backup'));

    before(async () => {
      moved = newHost('cp-1-localhost', '127.0.1.141', 23020, 'localhost');
      await moved.start();
    });

    test('before member update: refuses and changes nothing', () => {
      const manifest = manifestOf();
      const pid = moved.pid();
      const result = move();
      assert.equal(result.status, 1);
      assert.match(result.stderr, /the membership does not give cp-1 the peer URL https:\/\/127\.0\.1\.141:23021 yet: run member update first/);
      assert.equal(manifestOf(), manifest);
      assert.equal(moved.pid(), pid);
    });

    test('after member update: rewrites the three values, keeps the old manifest outside the manifest dir, restarts etcd once, which then answers on the new peer URL with its data', async () => {
      gatewayPost(moved, '/v3/kv/put', { key: b64('/adopt/before'), value: b64('kept') });
      const list = gatewayPost(moved, '/v3/cluster/member/list', {}) as { members: Array<{ ID: string; peerURLs: string[] }> };
      assert.deepEqual(list.members[0]!.peerURLs, ['https://localhost:23021']);
      await assert.rejects(httpsGet(`${peerUrl}/version`, moved.caCertPem, moved.healthcheckClient), 'nothing listens on the new peer URL yet');
      gatewayPost(moved, '/v3/cluster/member/update', { ID: list.members[0]!.ID, peerURLs: [peerUrl] });
      const old = manifestOf();
      const pid = moved.pid();

      const result = move();
      assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
      const now = manifestOf();
      const changed = now.split('\n').filter((line, i) => line !== old.split('\n')[i]);
      assert.deepEqual(changed, [
        `    - --initial-advertise-peer-urls=${peerUrl}`,
        `    - --initial-cluster=cp-1=${peerUrl}`,
        `    - --listen-peer-urls=${peerUrl}`,
      ]);
      assert.deepEqual(readdirSync(join(moved.root, 'etc/kubernetes/manifests')), ['etcd.yaml'], 'nothing else for kubelet to run');
      assert.equal(backups().length, 1);
      assert.match(backups()[0]!, /^etcd\.yaml\.\d{8}T\d{6}Z$/);
      assert.equal(readFileSync(join(moved.root, 'etc/kubernetes/etcd-ha-backup', backups()[0]!), 'utf8'), old);
      const restarted = moved.pid();
      assert.ok(restarted !== undefined && restarted !== pid, `restarted: pid ${pid} -> ${restarted}`);
      assert.match(await httpsGet(`${peerUrl}/version`, moved.caCertPem, moved.healthcheckClient), /"etcdserver":"/);
      const after = gatewayPost(moved, '/v3/cluster/member/list', {}) as { members: Array<{ peerURLs: string[] }> };
      assert.deepEqual(after.members[0]!.peerURLs, [peerUrl]);
      const read = gatewayPost(moved, '/v3/kv/range', { key: b64('/adopt/before') }) as { kvs: Array<{ value: string }> };
      assert.equal(Buffer.from(read.kvs[0]!.value, 'base64').toString(), 'kept');
    });

    test('a second run: nothing written, nothing restarted', () => {
      const manifest = manifestOf();
      const pid = moved.pid();
      const result = move();
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /already listens on and advertises https:\/\/127\.0\.1\.141:23021 .*: nothing written, nothing restarted/);
      assert.equal(manifestOf(), manifest);
      assert.equal(moved.pid(), pid);
      assert.equal(backups().length, 1);
    });
  });
});
