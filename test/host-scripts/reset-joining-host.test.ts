// reset-joining-host.sh (Prepare / Reset Joining Host) with stand-ins: systemctl for the systemd runtime, and on
// PATH a pgrep that finds etcd until the stand-in sleep has run a given number of times, so that the kubeadm
// runtime's wait for etcd to stop takes no real time.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeCommand, removeDir, runHostScript, tempDir } from './helpers';

const MOVED_ASIDE = /^etcd\.removed-\d{8}T\d{6}Z$/;

describe('reset-joining-host.sh', () => {
  const work = tempDir('reset-joining-host');
  const root = join(work, 'root');
  const dataDir = join(root, 'var/lib/etcd');
  const systemctl = new FakeCommand(work, 'systemctl');
  const bin = join(work, 'bin');
  mkdirSync(bin);
  const sleep = new FakeCommand(bin, 'sleep');
  const pgrepCalls = join(work, 'pgrep.calls');
  /** How many stand-in sleeps etcd outlives: pgrep finds it until then; "never": it keeps running. */
  const etcdStopsAfter = join(work, 'etcd-stops-after');
  writeFileSync(
    join(bin, 'pgrep'),
    [
      '#!/usr/bin/env bash',
      `printf '%s\\n' "$*" >>'${pgrepCalls}'`,
      `after="$(cat '${etcdStopsAfter}')"`,
      '[[ "$after" == never ]] && exit 0',
      `slept="$(cat '${join(bin, 'sleep.calls')}' 2>/dev/null | wc -l)"`,
      '(( slept < after ))',
      '',
    ].join('\n'),
  );
  chmodSync(join(bin, 'pgrep'), 0o755);
  after(() => removeDir(work));

  const run = (env: Record<string, string>) =>
    runHostScript(
      'reset-joining-host',
      { DATA_DIR: '/var/lib/etcd', ETCD_HA_ROOT: root, ETCD_HA_SERVICE_CTL: systemctl.path, ...env },
      `${bin}:${process.env.PATH}`,
    );
  const fillDataDir = () => {
    mkdirSync(join(dataDir, 'member/snap'), { recursive: true });
    writeFileSync(join(dataDir, 'member/snap/db'), 'bbolt');
  };
  /** The data dirs moved aside next to the data dir. */
  const movedAside = () => readdirSync(join(root, 'var/lib')).filter((name) => name !== 'etcd');
  const stamp = join(root, 'etc/etcd-ha/applied-etcd.sha256');
  const writeStamp = () => {
    mkdirSync(join(root, 'etc/etcd-ha'), { recursive: true });
    writeFileSync(stamp, `${'a'.repeat(64)}\n`);
  };
  const pgrepLooks = () => (existsSync(pgrepCalls) ? readFileSync(pgrepCalls, 'utf8').split('\n').filter(Boolean) : []);

  beforeEach(() => {
    removeDir(root);
    mkdirSync(join(root, 'var/lib'), { recursive: true });
    systemctl.reset();
    systemctl.setActive(true);
    sleep.reset();
    removeDir(pgrepCalls);
    writeFileSync(etcdStopsAfter, '0');
  });

  describe('systemd runtime', () => {
    test('prepare with an empty (or absent) data dir: stops a running etcd, and moves nothing', () => {
      const out = run({ MODE: 'prepare', RUNTIME: 'systemd' });
      assert.equal(out.status, 0, out.stderr);
      assert.deepEqual(systemctl.calls(), ['is-active --quiet etcd', 'stop etcd']);
      mkdirSync(dataDir);
      systemctl.reset();
      const again = run({ MODE: 'prepare', RUNTIME: 'systemd' });
      assert.equal(again.status, 0, again.stderr);
      assert.match(again.stdout, /data dir .*var\/lib\/etcd is empty/);
      assert.deepEqual(movedAside(), []);
      assert.deepEqual(pgrepLooks(), [], 'a unit needs no wait for its process');
    });

    test('prepare does not stop an etcd that is not running', () => {
      systemctl.setActive(false);
      const out = run({ MODE: 'prepare', RUNTIME: 'systemd' });
      assert.equal(out.status, 0, out.stderr);
      assert.deepEqual(systemctl.calls(), ['is-active --quiet etcd']);
      assert.match(out.stdout, /etcd is not running/);
    });

    test('prepare refuses a non-empty data dir, naming it and wipeDataDir, and moves nothing', () => {
      fillDataDir();
      for (const env of [{}, { WIPE_DATA_DIR: 'false' }] as Array<Record<string, string>>) {
        const out = run({ MODE: 'prepare', RUNTIME: 'systemd', ...env });
        assert.equal(out.status, 1);
        assert.match(out.stderr, /refusing to join: data dir .*var\/lib\/etcd is not empty .*set wipeDataDir in the request/);
        assert.equal(readFileSync(join(dataDir, 'member/snap/db'), 'utf8'), 'bbolt');
        assert.deepEqual(movedAside(), []);
      }
    });

    test('prepare with WIPE_DATA_DIR=true moves a non-empty data dir aside, whole, deleting nothing', () => {
      fillDataDir();
      const out = run({ MODE: 'prepare', RUNTIME: 'systemd', WIPE_DATA_DIR: 'true' });
      assert.equal(out.status, 0, out.stderr);
      const [aside, ...more] = movedAside();
      assert.match(aside ?? '', MOVED_ASIDE);
      assert.deepEqual(more, []);
      assert.equal(readFileSync(join(root, 'var/lib', aside!, 'member/snap/db'), 'utf8'), 'bbolt');
      assert.equal(existsSync(dataDir), false);
      assert.match(out.stdout, /moved data dir .* aside to .*etcd\.removed-/);
    });

    test('reset always moves a non-empty data dir aside (WIPE_DATA_DIR or not), after stopping etcd', () => {
      fillDataDir();
      const out = run({ MODE: 'reset', RUNTIME: 'systemd', WIPE_DATA_DIR: 'false' });
      assert.equal(out.status, 0, out.stderr);
      assert.deepEqual(systemctl.calls(), ['is-active --quiet etcd', 'stop etcd']);
      assert.equal(movedAside().length, 1);
      assert.equal(existsSync(dataDir), false);
      // Run twice (a retried state): nothing left to move.
      const again = run({ MODE: 'reset', RUNTIME: 'systemd' });
      assert.equal(again.status, 0, again.stderr);
      assert.equal(movedAside().length, 1);
    });

    test('a failing stop fails the script before the data dir is touched', () => {
      fillDataDir();
      writeStamp();
      systemctl.setFailing('stop');
      const out = run({ MODE: 'reset', RUNTIME: 'systemd' });
      assert.equal(out.status, 1);
      assert.match(out.stderr, /stop etcd failed/);
      assert.deepEqual(movedAside(), []);
      assert.equal(existsSync(stamp), true, 'the stamp still describes the etcd that runs');
    });
  });

  // Without this, the join that follows would find its settings digest "applied" (a bootstrap-only change
  // gives the same digest), and Write Etcd Config would say restart-needed=false for an etcd that is stopped.
  for (const [mode, runtime] of [['prepare', 'systemd'], ['reset', 'systemd'], ['prepare', 'kubeadm'], ['reset', 'kubeadm']] as const) {
    test(`${mode} (${runtime}) removes the applied stamp once etcd is stopped: the member that joins starts afresh`, () => {
      writeStamp();
      writeFileSync(join(root, 'etc/etcd-ha/etcd-settings.sha256'), `${'a'.repeat(64)}\n`);
      const out = run({ MODE: mode, RUNTIME: runtime });
      assert.equal(out.status, 0, out.stderr);
      assert.equal(existsSync(stamp), false);
      assert.match(out.stdout, /removed .*applied-etcd\.sha256/);
      assert.equal(existsSync(join(root, 'etc/etcd-ha/etcd-settings.sha256')), true, 'the settings digest stays');
      const again = run({ MODE: mode, RUNTIME: runtime });
      assert.equal(again.status, 0, again.stderr);
    });
  }

  describe('kubeadm runtime', () => {
    const manifests = join(root, 'etc/kubernetes/manifests');
    const writeManifest = () => {
      mkdirSync(manifests, { recursive: true });
      writeFileSync(join(manifests, 'etcd.yaml'), 'kind: Pod\n');
    };

    test('moves the static pod manifest out of the manifest dir, then waits until pgrep finds no etcd', () => {
      writeManifest();
      writeFileSync(etcdStopsAfter, '2');
      const out = run({ MODE: 'prepare', RUNTIME: 'kubeadm' });
      assert.equal(out.status, 0, out.stderr);
      assert.deepEqual(readdirSync(manifests), [], 'kubelet would run any file left in its manifest dir');
      const kept = readdirSync(join(root, 'etc/kubernetes')).filter((name) => name !== 'manifests');
      assert.equal(kept.length, 1);
      assert.match(kept[0]!, /^etcd\.yaml\.removed-\d{8}T\d{6}Z$/);
      assert.equal(readFileSync(join(root, 'etc/kubernetes', kept[0]!), 'utf8'), 'kind: Pod\n');
      assert.deepEqual(pgrepLooks(), ['-x etcd', '-x etcd', '-x etcd'], 'two looks find etcd, the third does not');
      assert.deepEqual(sleep.calls(), ['1', '1']);
      assert.match(out.stdout, /no etcd process runs/);
      assert.deepEqual(systemctl.calls(), [], 'no unit on the kubeadm runtime');
    });

    test('without a manifest (already moved, a re-run) it only checks that no etcd runs, then resets the data dir', () => {
      fillDataDir();
      const out = run({ MODE: 'reset', RUNTIME: 'kubeadm' });
      assert.equal(out.status, 0, out.stderr);
      assert.deepEqual(pgrepLooks(), ['-x etcd']);
      assert.deepEqual(sleep.calls(), []);
      assert.equal(movedAside().length, 1);
    });

    test('fails naming the 60 s when etcd keeps running, and leaves the data dir alone', () => {
      writeManifest();
      fillDataDir();
      writeFileSync(etcdStopsAfter, 'never');
      const out = run({ MODE: 'reset', RUNTIME: 'kubeadm' });
      assert.equal(out.status, 1);
      assert.match(out.stderr, /etcd still runs 60 s after its static pod manifest was removed/);
      assert.equal(sleep.calls().length, 60, 'one look a second');
      assert.deepEqual(movedAside(), [], 'not while etcd may still write to it');
    });
  });

  test('refuses a MODE, RUNTIME or WIPE_DATA_DIR it does not know, before stopping anything', () => {
    for (const [env, message] of [
      [{ MODE: 'wipe', RUNTIME: 'systemd' }, /MODE must be prepare or reset, got 'wipe'/],
      [{ MODE: 'prepare', RUNTIME: 'docker' }, /RUNTIME must be systemd or kubeadm, got 'docker'/],
      [{ MODE: 'prepare', RUNTIME: 'systemd', WIPE_DATA_DIR: 'yes' }, /WIPE_DATA_DIR must be true or false, got 'yes'/],
    ] as const) {
      const out = run(env);
      assert.equal(out.status, 1, JSON.stringify(env));
      assert.match(out.stderr, message);
    }
    assert.deepEqual(systemctl.calls(), []);
  });
});
