// `etcd-ha local down` deletes only a directory etcd-ha created (it carries the marker file): ETCD_HA_HOME pointing
// at anything else is refused with a message naming the directory, and nothing in it is stopped or deleted. The
// client directory `local env` points etcdctl at is 0700. No etcd here: a home without a recorded cluster.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../bin/cli/main';
import { writeClientFiles } from '../../bin/cli/local-files';
import { EXIT, type Output } from '../../bin/cli/output';
import { LOCAL_HOME_MARKER, isMarkedLocalHome, localHome, prepareLocalHome } from '../../lambdas/local-runner/local-home';
import { localDeps } from '../../lambdas/local-runner/local-deps';

function capture(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe('local down: only a marked local home', () => {
  let base: string;
  let saved: string | undefined;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'etcd-ha-down-'));
    saved = process.env.ETCD_HA_HOME;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.ETCD_HA_HOME;
    else process.env.ETCD_HA_HOME = saved;
    rmSync(base, { recursive: true, force: true });
  });

  it('refuses a directory without the marker, naming it; stops and deletes nothing, writes nothing (exit 2)', async () => {
    const precious = join(base, 'my-home');
    mkdirSync(join(precious, 'hosts', 'infra0'), { recursive: true });
    writeFileSync(join(precious, 'thesis.tex'), 'years of work');
    process.env.ETCD_HA_HOME = precious;
    const listing = () => readdirSync(precious, { recursive: true }).sort();
    const before = listing();
    for (const args of [['local', 'down'], ['local', 'down', '--dry-run'], ['local', 'down', '-o', 'json']]) {
      const output = capture();
      assert.equal(await main(args, output), EXIT.usage, args.join(' '));
      assert.match(output.stderr.join('\n'), new RegExp(`refusing to touch ${precious.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: it has no etcd-ha marker file \\(${LOCAL_HOME_MARKER}\\)`));
      assert.match(output.stderr.join('\n'), /Nothing was stopped or deleted/);
      assert.deepEqual(output.stdout, []);
    }
    assert.deepEqual(listing(), before);
    assert.equal(readFileSync(join(precious, 'thesis.tex'), 'utf8'), 'years of work');
  });

  it('a home etcd-ha created carries the marker (0700); local down removes it (exit 0, -o json says so)', async () => {
    const home = join(base, 'nested', 'home');
    process.env.ETCD_HA_HOME = home;
    localDeps(localHome());
    assert.ok(isMarkedLocalHome(home));
    assert.equal(mode(home), 0o700);
    const output = capture();
    assert.equal(await main(['local', 'down', '-o', 'json'], output), EXIT.done);
    assert.equal(existsSync(home), false);
    assert.deepEqual(JSON.parse(output.stdout.join('\n')), { home, removed: true, stopped: [] });
  });

  it('marks an empty directory it is pointed at, but never one that holds something (that one is used unmarked)', () => {
    const empty = join(base, 'empty');
    mkdirSync(empty);
    prepareLocalHome(localHome({ ETCD_HA_HOME: empty }));
    assert.ok(isMarkedLocalHome(empty));
    const used = join(base, 'used');
    mkdirSync(used);
    writeFileSync(join(used, 'notes'), 'x');
    prepareLocalHome(localHome({ ETCD_HA_HOME: used }));
    assert.equal(isMarkedLocalHome(used), false);
    // A marker file with other content is not the marker.
    writeFileSync(join(used, LOCAL_HOME_MARKER), 'not ours');
    assert.equal(isMarkedLocalHome(used), false);
  });

  it('--dry-run on a marked home without a cluster keeps it (exit 0)', async () => {
    const home = join(base, 'home');
    process.env.ETCD_HA_HOME = home;
    prepareLocalHome(localHome());
    const output = capture();
    assert.equal(await main(['local', 'down', '--dry-run'], output), EXIT.done);
    assert.ok(isMarkedLocalHome(home));
    assert.match(output.stdout.join('\n'), /no cluster is recorded/);
  });

  it('local down --help names the marker rule and --dry-run', async () => {
    const output = capture();
    assert.equal(await main(['local', 'down', '--help'], output), EXIT.done);
    assert.match(output.stdout.join('\n'), /--dry-run/);
    assert.match(output.stdout.join('\n'), /marker/);
  });
});

describe('local client files', () => {
  it('the client dir is 0700 even when it was there before with wider permissions; the key 0600', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'etcd-ha-client-')), 'client');
    mkdirSync(dir, { mode: 0o755 });
    const files = writeClientFiles(dir, { caCertPem: 'ca', certPem: 'cert', keyPem: 'not a real key' });
    assert.equal(mode(dir), 0o700);
    assert.equal(mode(files.key), 0o600);
    rmSync(dir, { recursive: true, force: true });
  });
});
