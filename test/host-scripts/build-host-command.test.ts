// buildHostCommand: quoting, input validation, and the text running under bash and under sh.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildHostCommand,
  hostCommandInputs,
  HOST_SCRIPT_INPUTS,
  HOST_SCRIPTS,
  HostCommandInputError,
  shellQuote,
} from '../../lambdas/host-scripts';
import { HOST_SCRIPTS_DIR, removeDir, runHostScript, tempDir } from './helpers';

describe('buildHostCommand', () => {
  const dir = tempDir('build');
  after(() => removeDir(dir));

  test('lists the host scripts, each with its inputs', () => {
    assert.deepEqual(
      [...HOST_SCRIPTS],
      [
        'fetch-member-pki',
        'install-pki',
        'install-crl',
        'configure-kubelet',
        'write-etcd-config-kubeadm',
        'start-etcd-kubeadm',
        'write-etcd-config-systemd',
        'start-etcd-systemd',
        'collect-etcd-logs',
        'boot-status',
        'reset-joining-host',
        'fetch-snapshot',
        'restore-drill',
        'stop-etcd-for-restore',
        'restore-member',
        'inspect-adoptable-etcd',
        'upload-adopted-pki',
        'move-peer-url',
        'connect-kube-apiserver',
      ],
    );
    assert.deepEqual(Object.keys(HOST_SCRIPT_INPUTS).sort(), [...HOST_SCRIPTS].sort());
    assert.deepEqual(HOST_SCRIPT_INPUTS['reset-joining-host'], { required: ['MODE', 'RUNTIME', 'DATA_DIR'], optional: ['WIPE_DATA_DIR'] });
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
    const env = { ETCD_UNIT_B64: 'eA==', SETTINGS_SHA256: '0'.repeat(64), CLUSTER_STATE: 'new', DATA_DIR: '/var/lib/etcd' };
    assert.throws(
      () => buildHostCommand('write-etcd-config-systemd', { ...env, ETCD_ENV_B64: Buffer.from(pem).toString('base64') }),
      /never hold key material/,
    );
    assert.throws(() => buildHostCommand('start-etcd-systemd', { ETCD_HA_ROOT: pem }), /never hold key material/);
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
    const out = runHostScript('write-etcd-config-systemd', {
      ETCD_ENV_B64: 'eA==',
      ETCD_UNIT_B64: 'eA==',
      SETTINGS_SHA256: '0'.repeat(64),
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
      const bad = runHostScript('write-etcd-config-systemd', {
        ETCD_ENV_B64: 'eA==',
        ETCD_UNIT_B64: 'eA==',
        SETTINGS_SHA256: '0'.repeat(64),
        CLUSTER_STATE: 'new',
        DATA_DIR: dataDir,
        ETCD_HA_ROOT: dir,
      });
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, message);
    }
  });

  test('no script takes ETCD_BINARY: local mode starts what the unit names', () => {
    assert.throws(() => buildHostCommand('start-etcd-systemd', { ETCD_BINARY: '/usr/bin/etcd' }), /unknown input ETCD_BINARY/);
  });

  test('the write scripts refuse a settings digest that is not a sha256, and RUNNING_MEMBER with WIPE_DATA_DIR', () => {
    const systemd = { ETCD_ENV_B64: 'eA==', ETCD_UNIT_B64: 'eA==', CLUSTER_STATE: 'existing', DATA_DIR: '/var/lib/etcd', ETCD_HA_ROOT: dir };
    const kubeadm = { KUBEADM_CONFIG_B64: 'eA==', CLUSTER_STATE: 'existing', DATA_DIR: '/var/lib/etcd', ETCD_HA_ROOT: dir };
    for (const [script, env] of [['write-etcd-config-systemd', systemd], ['write-etcd-config-kubeadm', kubeadm]] as const) {
      const bad = runHostScript(script, { ...env, SETTINGS_SHA256: 'ABC' });
      assert.equal(bad.status, 1, script);
      assert.match(bad.stderr, /SETTINGS_SHA256 must be a sha256 in lowercase hex \(64 digits\), got 'ABC'/);
      const both = runHostScript(script, { ...env, SETTINGS_SHA256: '0'.repeat(64), RUNNING_MEMBER: 'true', WIPE_DATA_DIR: 'true' });
      assert.equal(both.status, 1, script);
      assert.match(both.stderr, /refusing RUNNING_MEMBER=true with WIPE_DATA_DIR=true/);
      const notBool = runHostScript(script, { ...env, SETTINGS_SHA256: '0'.repeat(64), RUNNING_MEMBER: 'yes' });
      assert.match(notBool.stderr, /RUNNING_MEMBER must be true or false, got 'yes'/);
      assert.equal(both.stdout + bad.stdout + notBool.stdout, '', 'nothing written');
    }
  });

  describe('several scripts in one command', () => {
    test('runs them in order in one bash process: lib.sh once, then each body', () => {
      const text = buildHostCommand(['fetch-member-pki', 'install-pki'], { MEMBER_SECRET_ID: 'etcd-ha/demo/member/infra0' });
      assert.equal(text.split('install_file() {').length, 2, 'lib.sh once');
      assert.ok(text.indexOf('require_var MEMBER_SECRET_ID') < text.indexOf('require_var PKI_BUNDLE_DIR'));
      assert.deepEqual(text.split('\n').filter((l) => /^export [A-Z_]+='/.test(l)), ["export MEMBER_SECRET_ID='etcd-ha/demo/member/infra0'"]);
      assert.equal(buildHostCommand(['start-etcd-systemd'], {}), buildHostCommand('start-etcd-systemd', {}));
    });

    test('requires the union of the inputs minus what an earlier script produces', () => {
      assert.deepEqual(hostCommandInputs(['fetch-member-pki', 'install-pki']), {
        required: ['MEMBER_SECRET_ID'],
        optional: ['ETCD_HA_ROOT', 'ETCD_HA_SERVICE_CTL', 'SECRET_REGION', 'ETCD_HA_SECRET_FETCH', 'ETCD_HA_SECRET_DIR'],
        produces: ['PKI_BUNDLE_DIR'],
      });
      assert.deepEqual(hostCommandInputs(['write-etcd-config-systemd', 'start-etcd-systemd']).required, [
        'ETCD_ENV_B64',
        'ETCD_UNIT_B64',
        'SETTINGS_SHA256',
        'CLUSTER_STATE',
        'DATA_DIR',
      ]);
      assert.throws(() => buildHostCommand(['fetch-member-pki', 'install-pki'], {}), /input MEMBER_SECRET_ID is required/);
    });

    test('refuses a produced input, a repeated or unknown script, an empty list and a wrong order', () => {
      const id = { MEMBER_SECRET_ID: 'etcd-ha/demo/member/infra0' };
      assert.throws(
        () => buildHostCommand(['fetch-member-pki', 'install-pki'], { ...id, PKI_BUNDLE_DIR: '/tmp/x' }),
        /PKI_BUNDLE_DIR is set by a script of this command; do not pass it/,
      );
      assert.throws(() => buildHostCommand(['install-pki', 'install-pki'], { PKI_BUNDLE_DIR: '/x' }), /install-pki is listed twice/);
      assert.throws(() => buildHostCommand(['install-pki', 'fetch-member-pki'], id), /only the later fetch-member-pki produces; put fetch-member-pki first/);
      assert.throws(() => buildHostCommand([], {}), /at least one script/);
      assert.throws(() => buildHostCommand(['install-pki', 'nope' as 'install-pki'], { PKI_BUNDLE_DIR: '/x' }), /unknown host script "nope"/);
    });

    test('no assembled command spells out PRIVATE KEY, so that none may carry key material unnoticed', () => {
      for (const script of HOST_SCRIPTS) {
        const env = Object.fromEntries(HOST_SCRIPT_INPUTS[script].required.map((name) => [name, 'eA==']));
        assert.ok(!buildHostCommand(script, env).includes('PRIVATE KEY'), script);
      }
    });
  });
});
