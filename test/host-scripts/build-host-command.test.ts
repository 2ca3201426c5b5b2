// buildHostCommand: quoting, input validation, and the text running under bash and under sh.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildHostCommand,
  HOST_SCRIPTS,
  HostCommandInputError,
  shellQuote,
} from '../../lambdas/host-scripts';
import { HOST_SCRIPTS_DIR, removeDir, runHostScript, tempDir } from './helpers';

describe('buildHostCommand', () => {
  const dir = tempDir('build');
  after(() => removeDir(dir));

  test('lists the four host scripts', () => {
    assert.deepEqual(
      [...HOST_SCRIPTS],
      ['install-pki', 'configure-kubelet', 'start-etcd-kubeadm', 'start-etcd-systemd'],
    );
  });

  test('starts with the bash guard, then sorted exports, then lib.sh, then the script', () => {
    const text = buildHostCommand('install-pki', { PKI_BUNDLE_DIR: '/tmp/x', ETCD_HA_ROOT: '/r' });
    const lines = text.split('\n');
    assert.match(lines[0] ?? '', /BASH_VERSION/);
    const exports = lines.filter((l) => l.startsWith('export '));
    assert.deepEqual(exports, ["export ETCD_HA_ROOT='/r'", "export PKI_BUNDLE_DIR='/tmp/x'"]);
    assert.ok(text.indexOf('install_file()') < text.indexOf('require_var PKI_BUNDLE_DIR'));
  });

  test('single-quotes values so that bash sees them byte for byte', () => {
    const value = `it's "$HOME" \`id\` $(id) \\ \n ''`;
    const out = spawnSync('bash', ['-c', `v=${shellQuote(value)}; printf '%s' "$v"`], { encoding: 'utf8' });
    assert.equal(out.stdout, value);
  });

  test('refuses bad and unknown variable names, missing inputs, NUL and key material', () => {
    const ok = { PKI_BUNDLE_DIR: '/tmp/b' };
    assert.throws(() => buildHostCommand('install-pki', { ...ok, lower: 'x' }), HostCommandInputError);
    assert.throws(() => buildHostCommand('install-pki', { ...ok, 'A-B': 'x' }), /must match/);
    assert.throws(() => buildHostCommand('install-pki', { ...ok, KUBEADM: 'x' }), /unknown input KUBEADM/);
    assert.throws(() => buildHostCommand('install-pki', {}), /PKI_BUNDLE_DIR is required/);
    assert.throws(() => buildHostCommand('install-pki', { PKI_BUNDLE_DIR: 'a\0b' }), /NUL/);
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMII...\n-----END RSA PRIVATE KEY-----\n';
    const env = { ETCD_UNIT_B64: 'eA==', CLUSTER_STATE: 'new', DATA_DIR: '/var/lib/etcd' };
    assert.throws(
      () => buildHostCommand('start-etcd-systemd', { ...env, ETCD_ENV_B64: Buffer.from(pem).toString('base64') }),
      /never hold key material/,
    );
    assert.throws(() => buildHostCommand('no-such' as 'install-pki', ok), /unknown host script/);
  });

  test('the script refuses to run without lib.sh', () => {
    const body = readFileSync(join(HOST_SCRIPTS_DIR, 'install-pki.sh'), 'utf8');
    const out = spawnSync('bash', ['-c', `PKI_BUNDLE_DIR=/nowhere\n${body}`], { encoding: 'utf8' });
    assert.equal(out.status, 2);
    assert.match(out.stderr, /lib\.sh must be prepended/);
  });

  test('run by sh from a file (as AWS-RunShellScript does), it re-executes itself under bash', () => {
    const file = join(dir, '_script.sh');
    writeFileSync(file, buildHostCommand('install-pki', { PKI_BUNDLE_DIR: join(dir, 'missing') }));
    const out = spawnSync('sh', [file], { encoding: 'utf8' });
    assert.equal(out.status, 1, out.stderr);
    assert.match(out.stderr, /PKI bundle dir .*missing does not exist/);
  });

  test('an input error exits non-zero with the message on stderr', () => {
    const out = runHostScript('start-etcd-systemd', {
      ETCD_ENV_B64: 'eA==',
      ETCD_UNIT_B64: 'eA==',
      CLUSTER_STATE: 'maybe',
      DATA_DIR: '/var/lib/etcd',
      ETCD_HA_ROOT: dir,
    });
    assert.equal(out.status, 1);
    assert.match(out.stderr, /CLUSTER_STATE must be new or existing, got 'maybe'/);
    assert.equal(out.stdout, '');

    for (const [dataDir, message] of [
      ['var/lib/etcd', /path must be absolute: var\/lib\/etcd/],
      ['/var/lib/../../etc', /must not contain '\.\.'/],
    ] as const) {
      const bad = runHostScript('start-etcd-systemd', {
        ETCD_ENV_B64: 'eA==',
        ETCD_UNIT_B64: 'eA==',
        CLUSTER_STATE: 'new',
        DATA_DIR: dataDir,
        ETCD_HA_ROOT: dir,
      });
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, message);
    }
  });
});
