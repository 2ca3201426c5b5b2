// collect-etcd-logs.sh: the tail of a member's etcd log from whichever source the host has, with stand-in
// journalctl and crictl where the real ones would be needed.
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeCommand, removeDir, runHostScript, tempDir } from './helpers';

describe('collect-etcd-logs.sh', () => {
  const work = tempDir('collect');
  const root = join(work, 'root');
  const logFile = join(root, 'var/log/etcd-ha/etcd.log');
  const bin = join(work, 'bin');
  mkdirSync(bin);
  const journalctl = new FakeCommand(bin, 'journalctl');
  // A bin dir with only what the script needs besides journalctl and crictl.
  const bare = join(work, 'bare');
  mkdirSync(bare);
  for (const tool of ['bash', 'mktemp', 'rm', 'tail', 'head', 'cat', 'dirname', 'basename']) {
    symlinkSync(`/usr/bin/${tool}`, join(bare, tool));
  }
  const withFakes = `${bin}:${process.env.PATH}`;
  after(() => removeDir(work));

  const run = (env: Record<string, string> = {}, path = withFakes) => runHostScript('collect-etcd-logs', { ETCD_HA_ROOT: root, ...env }, path);

  function writeLog(lines: number): void {
    mkdirSync(join(root, 'var/log/etcd-ha'), { recursive: true });
    writeFileSync(logFile, Array.from({ length: lines }, (_, i) => `etcd line ${i + 1}`).join('\n') + '\n');
  }

  beforeEach(() => {
    removeDir(root);
    mkdirSync(root);
    journalctl.reset();
    removeDir(join(bin, 'crictl'));
  });

  test('local mode: the last 40 lines of the local log by default, LINES on request', () => {
    writeLog(100);
    const out = run();
    assert.equal(out.status, 0, out.stderr);
    assert.ok(out.stdout.includes(`== last 40 lines of ${logFile}`));
    assert.match(out.stdout, /^etcd line 61$/m);
    assert.match(out.stdout, /^etcd line 100$/m);
    assert.doesNotMatch(out.stdout, /^etcd line 60$/m);
    assert.deepEqual(journalctl.calls(), []);

    const five = run({ LINES: '5' });
    assert.equal(five.stdout.split('\n').filter((l) => l.startsWith('etcd line')).length, 5);
  });

  test('refuses a LINES that is not a number from 1 to 5000', () => {
    for (const lines of ['0', 'x', '-5', '5001', '10 20']) {
      const out = run({ LINES: lines });
      assert.equal(out.status, 1, lines);
      assert.match(out.stderr, /LINES must be a number from 1 to 5000/);
    }
  });

  test('systemd runtime (etcd unit present, no local log): journalctl -u etcd', () => {
    mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
    writeFileSync(join(root, 'etc/systemd/system/etcd.service'), '[Service]\n');
    const out = run({ LINES: '25' });
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(journalctl.calls(), ['-u etcd -n 25 --no-pager']);
  });

  test('kubeadm runtime: the kubelet journal plus crictl logs of the newest etcd container', () => {
    const crictlCalls = join(work, 'crictl.calls');
    writeFileSync(
      join(bin, 'crictl'),
      [
        '#!/usr/bin/env bash',
        `printf '%s\\n' "$*" >>'${crictlCalls}'`,
        'case "$1" in',
        '  ps) printf "c0ffee\\nold1\\n" ;;',
        '  logs) echo "etcd container says hello" >&2 ;;',
        'esac',
        '',
      ].join('\n'),
    );
    chmodSync(join(bin, 'crictl'), 0o755);
    const out = run();
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(journalctl.calls(), ['-u kubelet -n 40 --no-pager']);
    assert.match(out.stdout, /== crictl logs --tail 40 c0ffee \(etcd container\)/);
    assert.match(out.stdout, /etcd container says hello/, 'the container log (stderr of crictl) is part of the output');
    assert.deepEqual(readFileSync(crictlCalls, 'utf8').split('\n').filter(Boolean), ['ps -a --name ^etcd$ -q', 'logs --tail 40 c0ffee']);
    removeDir(crictlCalls);
  });

  test('no source at all: says so and exits 0', () => {
    const out = run({}, bare);
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /no etcd log found/);
  });
});
