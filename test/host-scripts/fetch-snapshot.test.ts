// fetch-snapshot.sh: the host copies a staged snapshot below its root (here with local mode's `cp --`, and with a
// stand-in aws CLI that records how it was called) and checks its size and etcd's SHA-256 trailer before any later
// script of the command may use it; a snapshot that fails a check is removed and the command fails naming why.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { buildHostCommand } from '../../lambdas/host-scripts';
import { removeDir, runHostScript, tempDir } from './helpers';

/** A stand-in snapshot: some bytes, then the SHA-256 of them, as etcd ends every snapshot it streams. */
function snapshotBytes(body = Buffer.from('bolt pages of a backend '.repeat(200))): Buffer {
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

describe('fetch-snapshot.sh', () => {
  const work = tempDir('fetch-snapshot');
  const root = join(work, 'root');
  const source = join(work, 'backup.db');
  const snapshotsDir = join(root, 'var/lib/etcd-ha/snapshots');
  after(() => removeDir(work));
  beforeEach(() => removeDir(root));

  const envFor = (bytes: Buffer, overrides: Record<string, string> = {}) => ({
    ETCD_HA_ROOT: root,
    ETCD_HA_SNAPSHOT_FETCH: 'cp --',
    SNAPSHOT_URI: source,
    SNAPSHOT_BYTES: String(bytes.length),
    SNAPSHOT_SHA256: bytes.subarray(bytes.length - 32).toString('hex'),
    ...overrides,
  });
  const left = () => (existsSync(snapshotsDir) ? readdirSync(snapshotsDir) : []);

  test('copies the snapshot below the host root as a 0600 file, checked, for the scripts after it; gone when the command ends', () => {
    const bytes = snapshotBytes();
    writeFileSync(source, bytes);
    // What a later script of the same command sees: the file, its mode and its hash.
    const text = `${buildHostCommand('fetch-snapshot', envFor(bytes))}\nstat -c 'mode=%a' -- "$SNAPSHOT_FILE"\nsha256sum -- "$SNAPSHOT_FILE"\n`;
    const out = spawnSync('bash', ['-c', text], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /SHA-256 checked/);
    assert.match(out.stdout, /mode=600/);
    assert.ok(out.stdout.includes(`${createHash('sha256').update(bytes).digest('hex')}  ${snapshotsDir}/`), out.stdout);
    assert.equal(statSync(snapshotsDir).mode & 0o777, 0o700);
    // The snapshot holds every key of the cluster: it does not outlive the command.
    assert.deepEqual(left(), []);
  });

  const refusals: Array<[string, (b: Buffer) => { bytes: Buffer; env?: Record<string, string> }, RegExp]> = [
    ['a byte flipped inside', (b) => ({ bytes: Buffer.from(b.map((v, i) => (i === 100 ? v ^ 0x01 : v))) }), /is corrupt: its SHA-256 is [0-9a-f]{64}, its trailer says/],
    ['a shorter file than the manifest says', (b) => ({ bytes: b.subarray(0, b.length - 1), env: { SNAPSHOT_BYTES: String(b.length) } }), /has \d+ bytes, its manifest says/],
    ['another trailer than the manifest says', (b) => ({ bytes: b, env: { SNAPSHOT_SHA256: 'a'.repeat(64) } }), /ends with the trailer [0-9a-f]{64}, its manifest says a{64}/],
  ];
  for (const [what, make, message] of refusals) {
    test(`refuses ${what}, and leaves no snapshot file behind`, () => {
      const good = snapshotBytes();
      const { bytes, env } = make(good);
      writeFileSync(source, bytes);
      const out = runHostScript(['fetch-snapshot', 'boot-status'], { ...envFor(good), ...env });
      assert.equal(out.status, 1, out.stdout);
      assert.match(out.stderr, message);
      assert.deepEqual(left(), []);
    });
  }

  test('refuses bad inputs by name before fetching anything', () => {
    const bytes = snapshotBytes();
    writeFileSync(source, bytes);
    for (const [field, value, message] of [
      ['SNAPSHOT_URI', 'http://example.com/x.db', /SNAPSHOT_URI must be s3:\/\/bucket\/key or an absolute path/],
      ['SNAPSHOT_BYTES', '12', /SNAPSHOT_BYTES must be a size in bytes above 32/],
      ['SNAPSHOT_SHA256', 'XYZ', /SNAPSHOT_SHA256 must be a sha256 in lowercase hex/],
      ['SNAPSHOT_REGION', 'nowhere', /SNAPSHOT_REGION must be a region/],
    ] as const) {
      const out = runHostScript('fetch-snapshot', envFor(bytes, { [field]: value }));
      assert.equal(out.status, 1, field);
      assert.match(out.stderr, message, field);
      assert.deepEqual(left(), [], field);
    }
  });

  test('on AWS it runs `aws s3 cp` with the URI and the region, nothing else in the command', () => {
    const bytes = snapshotBytes();
    writeFileSync(source, bytes);
    const bin = join(work, 'bin');
    removeDir(bin);
    const calls = join(work, 'aws-calls');
    const aws = join(bin, 'aws');
    mkdirSync(bin, { recursive: true });
    // The stand-in records its arguments and AWS_REGION, then "downloads" the backup file.
    writeFileSync(aws, `#!/usr/bin/env bash\nprintf '%s|' "$@" "AWS_REGION=$AWS_REGION" >>'${calls}'\ncp -- '${source}' "$5"\n`);
    chmodSync(aws, 0o755);
    const env = envFor(bytes, { SNAPSHOT_URI: 's3://snapshots-bucket/restores/demo/run-1/i-0123456789abcdef0.db', SNAPSHOT_REGION: 'eu-west-1' });
    delete (env as Record<string, string>).ETCD_HA_SNAPSHOT_FETCH;
    const out = runHostScript(['fetch-snapshot', 'boot-status'], env, `${bin}:${process.env.PATH}`);
    assert.equal(out.status, 0, out.stderr);
    const [call] = readFileSync(calls, 'utf8').split('\n');
    assert.match(call!, /^s3\|cp\|--only-show-errors\|s3:\/\/snapshots-bucket\/restores\/demo\/run-1\/i-0123456789abcdef0\.db\|.*\/var\/lib\/etcd-ha\/snapshots\/[0-9a-f]{64}\.\w+\.db\|AWS_REGION=eu-west-1\|$/);
  });
});
