// restore-drill.sh with real etcd (addresses 127.0.1.60-62 only; the source etcd is stopped by PID after the suite,
// also on failure): after fetch-snapshot in the same command, a real snapshot restored with the member's own tool
// (the one beside the unit's etcd; on kubeadm, through a stand-in for the container CLI) is served by a temporary
// etcd on the simulated host's loopback address, its keys and revision printed on one result line, and nothing is
// left behind: no temporary etcd process, no drill dir, no fetched snapshot. A snapshot whose bytes inside were
// overwritten and whose trailer was recomputed passes fetch-snapshot's check but does not open: the member's tool
// says so, and the script fails naming it. Bad inputs are refused by name before anything is made.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { etcdUnderTest } from '../support/etcd-under-test';
import { ProcessGroup } from '../support/processes';
import { etcdOnPath, removeDir, runHostScript, shipEtcd, tempDir } from './helpers';

const ETCD = etcdUnderTest();
const SOURCE = '127.0.1.60';
const DRILL_ADDRESS = '127.0.1.61';

/** Every process whose command line names `fragment` (a temporary etcd names its drill dir). */
function processesNaming(fragment: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(fragment);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** The one line the step parses. */
function resultLine(stdout: string): string {
  const lines = stdout.split('\n').filter((l) => l.startsWith('drill-result '));
  assert.equal(lines.length, 1, stdout);
  return lines[0]!;
}

/** Overwrites bolt's two meta pages (the first 8 KiB) and recomputes etcd's trailer: the hash checks pass, the file does not open. */
function unopenable(snapshot: Buffer): Buffer {
  const body = Buffer.from(snapshot.subarray(0, snapshot.length - 32));
  body.fill(0xab, 0, 8192);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

describe(`restore-drill.sh on ${ETCD.label}`, () => {
  const work = tempDir('restore-drill');
  const processes = new ProcessGroup();
  const root = join(work, 'root');
  const drills = join(root, 'var/lib/etcd-ha/drills');
  const fetched = join(root, 'var/lib/etcd-ha/snapshots');
  const good = join(work, 'good.db');
  let revision = 0;

  before(async () => {
    // A source cluster of one with three keys, snapshotted with etcdctl, then stopped.
    const url = (port: number) => `http://${SOURCE}:${port}`;
    const etcd = processes.start('etcd', ['--name', 'src', '--data-dir', join(work, 'src'), '--listen-client-urls', url(22379), '--advertise-client-urls', url(22379),
      '--listen-peer-urls', url(22380), '--initial-advertise-peer-urls', url(22380), '--initial-cluster', `src=${url(22380)}`], { env: { PATH: process.env.PATH }, logFile: join(work, 'src.log') });
    const ctl = (...args: string[]) => execFileSync('etcdctl', ['--endpoints', url(22379), ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ETCDCTL_API: '3' } });
    for (let i = 0; ; i++) {
      try {
        ctl('put', '/drill/a', '1');
        break;
      } catch (error) {
        if (i > 100) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    ctl('put', '/drill/b', '2');
    ctl('put', '/drill/c', '3');
    revision = Number((JSON.parse(ctl('get', '/drill/a', '-w', 'json')) as { header: { revision: number } }).header.revision);
    ctl('snapshot', 'save', good);
    await processes.kill(etcd.pid, 'SIGTERM');
    // The simulated host: a systemd unit whose ExecStart names the member's etcd, shipped as local mode does.
    mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
    writeFileSync(join(root, 'etc/systemd/system/etcd.service'), '[Service]\nExecStart=/usr/local/bin/etcd\n');
    shipEtcd(root);
  });
  after(async () => {
    await processes.stopAll();
    removeDir(work);
  });

  const inputs = (file: string, extra: Record<string, string> = {}) => {
    const bytes = readFileSync(file);
    return {
      ETCD_HA_ROOT: root,
      ETCD_HA_SNAPSHOT_FETCH: 'cp --',
      SNAPSHOT_URI: file,
      SNAPSHOT_BYTES: String(bytes.length),
      SNAPSHOT_SHA256: bytes.subarray(bytes.length - 32).toString('hex'),
      RUNTIME: 'systemd',
      DRILL_ADDRESS,
      ...extra,
    };
  };
  const leftBehind = () => ({
    drills: existsSync(drills) ? readdirSync(drills) : [],
    fetched: existsSync(fetched) ? readdirSync(fetched) : [],
    processes: processesNaming(drills),
  });

  test('restores a good snapshot, serves it on the host loopback, prints its keys and revision, leaves nothing behind', () => {
    const out = runHostScript(['fetch-snapshot', 'restore-drill'], inputs(good, { BACKUP_REVISION: String(revision) }));
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, new RegExp(`temporary etcd \\(pid \\d+\\) on http://${DRILL_ADDRESS.replaceAll('.', '\\.')}:\\d+`));
    assert.match(out.stdout, ETCD.minor === '3.4' ? /restoring with .*\/etcdctl/ : /restoring with .*\/etcdutl/);
    const line = resultLine(out.stdout);
    assert.equal(line, `drill-result keys=3 revision=${revision} keys-at-backup-revision=3 etcd=${ETCD.version}`);
    assert.deepEqual(leftBehind(), { drills: [], fetched: [], processes: [] });
  });

  test('a snapshot that passes the hash checks but does not open: the member tool refuses it, nothing is left behind', () => {
    const bad = join(work, 'unopenable.db');
    writeFileSync(bad, unopenable(readFileSync(good)));
    const out = runHostScript(['fetch-snapshot', 'restore-drill'], inputs(bad));
    assert.equal(out.status, 1, out.stdout);
    // fetch-snapshot's size and trailer checks passed; the restore tool's own open failed.
    assert.match(out.stdout, /SHA-256 checked/);
    assert.match(out.stderr, /invalid database|failed to open database/);
    assert.match(out.stderr, /the snapshot does not open: the member's own tool could not restore it/);
    assert.doesNotMatch(out.stdout, /drill-result/);
    assert.deepEqual(leftBehind(), { drills: [], fetched: [], processes: [] });
  });

  test('kubeadm: restores and serves from the member image through the container CLI (a stand-in that runs the binary the image would)', () => {
    const kubeRoot = join(work, 'kubeadm-root');
    mkdirSync(join(kubeRoot, 'etc/kubernetes/manifests'), { recursive: true });
    writeFileSync(join(kubeRoot, 'etc/kubernetes/manifests/etcd.yaml'), 'spec:\n  containers:\n  - name: etcd\n    image: registry.k8s.io/etcd:3.5.16-0\n');
    const calls = join(work, 'ctr-calls');
    const ctr = join(work, 'ctr');
    const bin = join(etcdOnPath(), '..');
    // ctr run [--mount SPEC]... IMAGE ID COMMAND ARGS...: records the image and command, runs COMMAND from the etcd under test.
    writeFileSync(
      ctr,
      `#!/usr/bin/env bash\nwhile [[ "$1" == --mount ]]; do shift 2; done\nprintf '%s %s\\n' "$1" "$3" >>'${calls}'\nshift 2\ncmd="$1"; shift\n` +
        `if [[ "$cmd" == etcdutl && ! -x '${bin}/etcdutl' ]]; then export ETCDCTL_API=3; cmd=etcdctl; fi\nexec '${bin}'/"$cmd" "$@"\n`,
    );
    chmodSync(ctr, 0o755);
    const out = runHostScript(['fetch-snapshot', 'restore-drill'], { ...inputs(good), ETCD_HA_ROOT: kubeRoot, RUNTIME: 'kubeadm', ETCD_HA_CONTAINER_RUN: ctr });
    assert.equal(out.status, 0, out.stderr);
    assert.match(resultLine(out.stdout), new RegExp(`^drill-result keys=3 revision=${revision} etcd=${ETCD.version.replaceAll('.', '\\.')}$`));
    assert.deepEqual(readFileSync(calls, 'utf8').trim().split('\n'), ['registry.k8s.io/etcd:3.5.16-0 etcdutl', 'registry.k8s.io/etcd:3.5.16-0 etcd']);
    assert.deepEqual(readdirSync(join(kubeRoot, 'var/lib/etcd-ha/drills')), []);
    assert.deepEqual(processesNaming(join(kubeRoot, 'var/lib/etcd-ha/drills')), []);
  });

  test('refuses bad inputs by name before making anything', () => {
    for (const [field, value, message] of [
      ['DRILL_ADDRESS', '10.0.0.5', /DRILL_ADDRESS must be a loopback address \(127\.x\.y\.z\), got '10\.0\.0\.5'/],
      ['RUNTIME', 'docker', /RUNTIME must be systemd or kubeadm, got 'docker'/],
      ['BACKUP_REVISION', 'latest', /BACKUP_REVISION must be a whole number, got 'latest'/],
    ] as const) {
      const out = runHostScript(['fetch-snapshot', 'restore-drill'], inputs(good, { [field]: value }));
      assert.equal(out.status, 1, field);
      assert.match(out.stderr, message, field);
      assert.deepEqual(leftBehind(), { drills: [], fetched: [], processes: [] }, field);
    }
  });
});
