// stop-etcd-for-restore.sh and restore-member.sh on a simulated host, with the real etcd tools of the version under
// test (a snapshot taken from a real single-member etcd on 127.0.1.20, stopped by PID when the suite ends, also on
// failure):
// - systemd: the tool beside the unit's etcd restores (etcdutl with --bump-revision/--mark-compacted on 3.5, etcdctl
//   without on 3.4), the old data dir is moved aside (never deleted), the new one is 0700 and holds the member, the
//   snapshot file is gone; the same token again leaves it alone; another token moves the restored one aside too;
//   a running etcd is refused with nothing moved;
// - kubeadm: the container runtime's CLI (a `ctr` stand-in that records its arguments and runs the real tool) runs
//   etcdutl from the image the moved static pod manifest names; a manifest still in kubelet's dir is refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, runHostScript, SERVICE_CTL, shipEtcd, tempDir } from './helpers';
import { UNIT } from './etcd-systemd-fixtures';
import { etcdUnderTest } from '../support/etcd-under-test';
import { ProcessGroup } from '../support/processes';

const ETCD = etcdUnderTest();
const ADDRESS = '127.0.1.20';
const TOKEN = 'demo-restore-run-1';
const INITIAL_CLUSTER = 'infra0=https://10.0.0.6:2380,infra1=https://10.0.0.7:2380,infra2=https://10.0.0.8:2380';

describe(`restore-member.sh on ${ETCD.label}`, () => {
  const work = tempDir('restore-member');
  const processes = new ProcessGroup();
  const snapshot = join(work, 'backup.db');
  const is35 = ETCD.minor !== '3.4';

  before(async () => {
    const data = join(work, 'source');
    const etcd = processes.start('etcd', ['--name', 'm1', '--data-dir', data, '--listen-client-urls', `http://${ADDRESS}:2379`, '--advertise-client-urls', `http://${ADDRESS}:2379`, '--listen-peer-urls', `http://${ADDRESS}:2380`, '--initial-advertise-peer-urls', `http://${ADDRESS}:2380`, '--initial-cluster', `m1=http://${ADDRESS}:2380`, '--listen-metrics-urls', `http://${ADDRESS}:2381`], {
      env: { PATH: process.env.PATH },
      logFile: join(work, 'etcd.log'),
    });
    const ctl = (args: string[]) => spawnSync('etcdctl', ['--endpoints', `http://${ADDRESS}:2379`, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ETCDCTL_API: '3' } });
    for (let i = 0; i < 100 && ctl(['endpoint', 'health']).status !== 0; i += 1) await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 5; i += 1) assert.equal(ctl(['put', `/k/${i}`, 'v']).status, 0);
    const saved = ctl(['snapshot', 'save', snapshot]);
    assert.equal(saved.status, 0, saved.stderr);
    await processes.kill(etcd.pid, 'SIGTERM');
  });
  after(async () => {
    await processes.stopAll();
    removeDir(work);
  });

  const bytes = () => readFileSync(snapshot);
  const envFor = (root: string, overrides: Record<string, string> = {}) => ({
    ETCD_HA_ROOT: root,
    ETCD_HA_SERVICE_CTL: SERVICE_CTL,
    ETCD_HA_SNAPSHOT_FETCH: 'cp --',
    SNAPSHOT_URI: snapshot,
    SNAPSHOT_BYTES: String(bytes().length),
    SNAPSHOT_SHA256: bytes().subarray(bytes().length - 32).toString('hex'),
    RUNTIME: 'systemd',
    DATA_DIR: '/var/lib/etcd',
    MEMBER_NAME: 'infra1',
    INITIAL_CLUSTER,
    PEER_URLS: 'https://10.0.0.7:2380',
    RESTORE_TOKEN: TOKEN,
    BUMP_REVISION: is35 ? '1000000000' : '0',
    ...overrides,
  });
  const systemdHost = (name: string) => {
    const root = join(work, name);
    shipEtcd(root);
    mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
    writeFileSync(join(root, 'etc/systemd/system/etcd.service'), UNIT);
    mkdirSync(join(root, 'var/lib/etcd/member'), { recursive: true });
    writeFileSync(join(root, 'var/lib/etcd/member/old-data'), 'the old member');
    return root;
  };
  const asideOf = (root: string) => readdirSync(join(root, 'var/lib')).filter((e) => e.startsWith('etcd.removed-')).sort();
  const snapshotsLeft = (root: string) => (existsSync(join(root, 'var/lib/etcd-ha/snapshots')) ? readdirSync(join(root, 'var/lib/etcd-ha/snapshots')) : []);

  test('systemd: the old data dir moved aside, the snapshot restored with the member\'s own tool; the same token again leaves it alone', () => {
    const root = systemdHost('systemd');
    const out = runHostScript(['fetch-snapshot', 'restore-member'], envFor(root));
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, is35 ? /restoring with \S+\/etcdutl/ : /restoring with \S+\/etcdctl/);
    if (!is35) assert.match(out.stdout, /cannot bump the revision|restoring with/);
    const [aside] = asideOf(root);
    assert.ok(aside, 'the old data dir is kept');
    assert.equal(readFileSync(join(root, 'var/lib', aside, 'member/old-data'), 'utf8'), 'the old member');
    assert.match(out.stdout, new RegExp(`moved data dir ${join(root, 'var/lib/etcd')} aside to ${join(root, 'var/lib', aside)}`));
    assert.ok(existsSync(join(root, 'var/lib/etcd/member/snap/db')));
    assert.ok(readdirSync(join(root, 'var/lib/etcd/member/wal')).some((f) => f.endsWith('.wal')));
    assert.equal(statSync(join(root, 'var/lib/etcd')).mode & 0o777, 0o700);
    assert.equal(readFileSync(join(root, 'etc/etcd-ha/restored-token'), 'utf8').trim(), TOKEN);
    assert.deepEqual(snapshotsLeft(root), [], 'the snapshot file is gone');

    const wal = readdirSync(join(root, 'var/lib/etcd/member/wal'));
    const again = runHostScript(['fetch-snapshot', 'restore-member'], envFor(root));
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /already holds this restore \(demo-restore-run-1\): left as it is/);
    assert.deepEqual(asideOf(root), [aside]);
    assert.deepEqual(readdirSync(join(root, 'var/lib/etcd/member/wal')), wal);
    assert.deepEqual(snapshotsLeft(root), []);

    const other = runHostScript(['fetch-snapshot', 'restore-member'], envFor(root, { RESTORE_TOKEN: 'demo-restore-run-2' }));
    assert.equal(other.status, 0, other.stderr);
    assert.equal(asideOf(root).length, 2, 'another restore moves the restored data dir aside too');
  });

  test('systemd: etcd still running is refused, nothing moved; stop-etcd-for-restore.sh stops it and leaves a host restored with this token alone', () => {
    const root = systemdHost('running');
    const bin = join(work, 'running-bin');
    mkdirSync(bin, { recursive: true });
    const calls = join(work, 'systemctl-calls');
    // A systemctl stand-in: etcd is active until stopped.
    writeFileSync(join(bin, 'systemctl'), `#!/usr/bin/env bash\necho "$*" >>'${calls}'\ncase "$1" in is-active) [[ ! -e '${calls}.stopped' ]] ;; stop) touch '${calls}.stopped' ;; esac\n`);
    chmodSync(join(bin, 'systemctl'), 0o755);
    const env = envFor(root, { ETCD_HA_SERVICE_CTL: join(bin, 'systemctl') });
    const refused = runHostScript(['fetch-snapshot', 'restore-member'], env);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /etcd still runs on this host: stop it first/);
    assert.deepEqual(asideOf(root), []);
    assert.deepEqual(snapshotsLeft(root), []);

    const stopEnv = { ETCD_HA_ROOT: root, ETCD_HA_SERVICE_CTL: join(bin, 'systemctl'), RUNTIME: 'systemd', DATA_DIR: '/var/lib/etcd', RESTORE_TOKEN: TOKEN };
    const stopped = runHostScript('stop-etcd-for-restore', stopEnv);
    assert.equal(stopped.status, 0, stopped.stderr);
    assert.match(readFileSync(calls, 'utf8'), /^stop etcd$/m);
    assert.match(stopped.stdout, /data dir \S+ untouched/);
    assert.deepEqual(asideOf(root), []);
    const restored = runHostScript(['fetch-snapshot', 'restore-member'], env);
    assert.equal(restored.status, 0, restored.stderr);
    const before = readFileSync(calls, 'utf8');
    const leftAlone = runHostScript('stop-etcd-for-restore', stopEnv);
    assert.equal(leftAlone.status, 0, leftAlone.stderr);
    assert.match(leftAlone.stdout, /already holds this restore .*: etcd left as it is/);
    assert.equal(readFileSync(calls, 'utf8'), before, 'no service call');
  });

  test('kubeadm: etcdutl from the member\'s image through the container runtime\'s CLI (a recording stand-in running the real tool)', () => {
    const root = join(work, 'kubeadm');
    mkdirSync(join(root, 'etc/kubernetes/manifests'), { recursive: true });
    mkdirSync(join(root, 'var/lib/etcd/member'), { recursive: true });
    writeFileSync(join(root, 'var/lib/etcd/member/old-data'), 'the old member');
    const manifest = 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: etcd\n    image: registry.k8s.io/etcd:3.5.16-0\n';
    writeFileSync(join(root, 'etc/kubernetes/manifests/etcd.yaml'), manifest);
    const bin = join(work, 'kubeadm-bin');
    mkdirSync(bin, { recursive: true });
    const calls = join(work, 'ctr-calls');
    // ctr stand-in: records its arguments, skips `run` and its options, the mounts, image and container name, runs the real tool (3.4 has
    // only etcdctl: etcdutl's restore is the same command there, without the bump).
    writeFileSync(
      join(bin, 'ctr'),
      [
        '#!/usr/bin/env bash',
        `printf '%s\\n' "$*" >>'${calls}'`,
        'while [[ "$1" != --mount ]]; do shift; done',
        'while [[ "$1" == --mount ]]; do shift 2; done',
        'shift 2',
        '[[ "$1" == etcdutl ]] || { echo "not etcdutl: $1" >&2; exit 9; }',
        'shift',
        'if command -v etcdutl >/dev/null; then exec etcdutl "$@"; else ETCDCTL_API=3 exec etcdctl "$@"; fi',
      ].join('\n'),
    );
    chmodSync(join(bin, 'ctr'), 0o755);
    // pgrep sees no etcd of this host; the manifest still in kubelet's dir is refused first.
    const env = envFor(root, { RUNTIME: 'kubeadm', ETCD_HA_CONTAINER_RUN: `${join(bin, 'ctr')} run --rm --net-host` });
    const refused = runHostScript(['fetch-snapshot', 'restore-member'], env);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /static pod manifest is still in kubelet's manifest dir/);
    // As stop_etcd leaves it: the manifest moved out of kubelet's dir.
    writeFileSync(join(root, 'etc/kubernetes/etcd.yaml.removed-20261205T120000Z'), manifest);
    removeDir(join(root, 'etc/kubernetes/manifests'));
    const out = runHostScript(['fetch-snapshot', 'restore-member'], env);
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /restoring with the member's image registry\.k8s\.io\/etcd:3\.5\.16-0/);
    const [call] = readFileSync(calls, 'utf8').trim().split('\n');
    assert.match(call!, /^run --rm --net-host --mount type=bind,src=\S+,dst=\S+,options=rbind:ro --mount type=bind,src=\S+\/var\/lib,dst=\S+\/var\/lib,options=rbind:rw registry\.k8s\.io\/etcd:3\.5\.16-0 etcd-ha-restore-\d+ etcdutl snapshot restore /);
    assert.match(call!, /--name infra1 --initial-cluster infra0=https:\/\/10\.0\.0\.6:2380,infra1=https:\/\/10\.0\.0\.7:2380,infra2=https:\/\/10\.0\.0\.8:2380 --initial-advertise-peer-urls https:\/\/10\.0\.0\.7:2380 --initial-cluster-token demo-restore-run-1/);
    if (is35) assert.match(call!, /--bump-revision 1000000000 --mark-compacted$/);
    assert.ok(existsSync(join(root, 'var/lib/etcd/member/snap/db')));
    assert.equal(asideOf(root).length, 1);
    assert.deepEqual(snapshotsLeft(root), []);
  });
});
