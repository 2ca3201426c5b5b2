// install-pki.sh: modes, idempotence, per-file change reports, staging dir removal, CA key refusal.
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { installLines, modeOf, removeDir, runHostScript, tempDir } from './helpers';

const MEMBER_FILES: Record<string, string> = {
  'etcd/ca.crt': 'CA CERT\n',
  'etcd/server.crt': 'SERVER CERT\n',
  'etcd/server.key': 'SERVER KEY MATERIAL\n',
  'etcd/peer.crt': 'PEER CERT\n',
  'etcd/peer.key': 'PEER KEY MATERIAL\n',
  'etcd/healthcheck-client.crt': 'HC CERT\n',
  'etcd/healthcheck-client.key': 'HC KEY MATERIAL\n',
  'apiserver-etcd-client.crt': 'APISERVER CLIENT CERT\n',
  'apiserver-etcd-client.key': 'APISERVER CLIENT KEY MATERIAL\n',
};

describe('install-pki.sh', () => {
  const work = tempDir('pki');
  const root = join(work, 'root');
  const bundle = join(work, 'staging', 'bundle');
  const pki = join(root, 'etc/kubernetes/pki');
  after(() => removeDir(work));

  function stage(files: Record<string, string>): void {
    removeDir(bundle);
    for (const [rel, content] of Object.entries(files)) {
      mkdirSync(dirname(join(bundle, rel)), { recursive: true });
      writeFileSync(join(bundle, rel), content);
    }
  }

  const run = () => runHostScript('install-pki', { PKI_BUNDLE_DIR: bundle, ETCD_HA_ROOT: root });

  beforeEach(() => removeDir(root));

  test('installs keys 0600, certificates 0644, directories 0755, and removes the staging dir', () => {
    stage(MEMBER_FILES);
    const out = run();
    assert.equal(out.status, 0, out.stderr);
    for (const [rel, content] of Object.entries(MEMBER_FILES)) {
      const path = join(pki, rel);
      assert.equal(readFileSync(path, 'utf8'), content, rel);
      assert.equal(modeOf(path), rel.endsWith('.key') ? '600' : '644', rel);
    }
    for (const dir of ['etc', 'etc/kubernetes', 'etc/kubernetes/pki', 'etc/kubernetes/pki/etcd']) {
      assert.equal(modeOf(join(root, dir)), '755', dir);
    }
    assert.equal(installLines(out.stdout).length, Object.keys(MEMBER_FILES).length);
    assert.ok(installLines(out.stdout).every((l) => l.startsWith('changed ')));
    assert.equal(existsSync(bundle), false, 'staging dir must be removed');
    assert.ok(!out.stdout.includes('KEY MATERIAL') && !out.stderr.includes('KEY MATERIAL'), 'never prints content');
  });

  test('a re-run with the same bundle changes nothing; a changed file is the only one reported changed', () => {
    stage(MEMBER_FILES);
    assert.equal(run().status, 0);

    stage(MEMBER_FILES);
    const again = run();
    assert.equal(again.status, 0, again.stderr);
    const lines = installLines(again.stdout);
    assert.equal(lines.length, Object.keys(MEMBER_FILES).length);
    assert.ok(lines.every((l) => l.startsWith('unchanged ')), again.stdout);
    assert.match(again.stdout, /nothing changed/);

    stage({ ...MEMBER_FILES, 'etcd/server.key': 'NEW SERVER KEY\n' });
    const changed = run();
    assert.equal(changed.status, 0, changed.stderr);
    assert.deepEqual(
      installLines(changed.stdout).filter((l) => l.startsWith('changed ')),
      [`changed ${join(pki, 'etcd/server.key')}`],
    );
    assert.equal(readFileSync(join(pki, 'etcd/server.key'), 'utf8'), 'NEW SERVER KEY\n');
    assert.equal(modeOf(join(pki, 'etcd/server.key')), '600');
    assert.equal(existsSync(bundle), false);
  });

  test('a re-run puts back a wrong mode without reporting a content change', () => {
    stage(MEMBER_FILES);
    assert.equal(run().status, 0);
    chmodSync(join(pki, 'etcd/peer.key'), 0o644);
    stage(MEMBER_FILES);
    const out = run();
    assert.equal(out.status, 0, out.stderr);
    assert.equal(modeOf(join(pki, 'etcd/peer.key')), '600');
    assert.match(out.stdout, /^unchanged .*etcd\/peer\.key \(corrected mode 0600\)$/m);
    assert.doesNotMatch(out.stdout, /^changed /m);
  });

  test('refuses symlinks in the bundle', () => {
    stage(MEMBER_FILES);
    symlinkSync('/etc/passwd', join(bundle, 'etcd/extra.crt'));
    const out = run();
    assert.equal(out.status, 1);
    assert.match(out.stderr, /symlink not allowed: etcd\/extra\.crt/);
    assert.equal(existsSync(pki), false);
  });

  test('refuses a bundle holding the etcd CA key: nothing installed, staging dir removed', () => {
    stage({ ...MEMBER_FILES, 'etcd/ca.key': 'CA KEY MATERIAL\n' });
    const out = run();
    assert.notEqual(out.status, 0);
    assert.match(out.stderr, /CA private key etcd\/ca\.key/);
    assert.match(out.stderr, /nothing was installed/);
    assert.equal(existsSync(pki), false, 'nothing may be installed');
    assert.equal(existsSync(bundle), false, 'the CA key must not linger on the host');
    assert.ok(!out.stdout.includes('KEY MATERIAL') && !out.stderr.includes('KEY MATERIAL'));
  });

  test('refuses a missing bundle dir and a bundle dir overlapping the PKI dir', () => {
    const missing = runHostScript('install-pki', { PKI_BUNDLE_DIR: join(work, 'nope'), ETCD_HA_ROOT: root });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /does not exist/);

    mkdirSync(join(pki, 'etcd'), { recursive: true });
    writeFileSync(join(pki, 'etcd/ca.crt'), 'CA CERT\n');
    const overlap = runHostScript('install-pki', { PKI_BUNDLE_DIR: pki, ETCD_HA_ROOT: root });
    assert.equal(overlap.status, 1);
    assert.match(overlap.stderr, /overlaps the PKI dir/);
    assert.equal(existsSync(join(pki, 'etcd/ca.crt')), true, 'the PKI dir must survive');
  });
});
