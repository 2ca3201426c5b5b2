// configure-kubelet.sh with a stand-in systemctl that records its calls (kubelet cannot run here).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { b64, FakeCommand, FIXTURES, modeOf, removeDir, runHostScript, tempDir } from './helpers';

describe('configure-kubelet.sh', () => {
  const work = tempDir('kubelet');
  const root = join(work, 'root');
  const systemctl = new FakeCommand(work, 'systemctl');
  const dropInDir = join(root, 'etc/systemd/system/kubelet.service.d');
  const kubeletConf = readFileSync(join(FIXTURES, 'guide/kubelet.conf'), 'utf8');
  const dropIn = readFileSync(join(FIXTURES, 'guide/20-etcd-service-manager.conf'), 'utf8');
  after(() => removeDir(work));

  const run = (config = kubeletConf, dropin = dropIn) =>
    runHostScript('configure-kubelet', {
      KUBELET_CONFIG_B64: b64(config),
      KUBELET_DROPIN_B64: b64(dropin),
      ETCD_HA_ROOT: root,
      ETCD_HA_SERVICE_CTL: systemctl.path,
    });

  beforeEach(() => {
    removeDir(root);
    systemctl.reset();
    systemctl.setActive(true);
  });

  test('first run installs both files 0644, then daemon-reload and restart kubelet', () => {
    const out = run();
    assert.equal(out.status, 0, out.stderr);
    assert.equal(readFileSync(join(dropInDir, 'kubelet.conf'), 'utf8'), kubeletConf);
    assert.equal(readFileSync(join(dropInDir, '20-etcd-service-manager.conf'), 'utf8'), dropIn);
    assert.equal(modeOf(join(dropInDir, 'kubelet.conf')), '644');
    assert.equal(modeOf(join(dropInDir, '20-etcd-service-manager.conf')), '644');
    assert.equal(modeOf(dropInDir), '755');
    assert.deepEqual(systemctl.calls(), ['daemon-reload', 'restart kubelet']);
  });

  test('a re-run with equal files restarts nothing (only is-active is asked)', () => {
    assert.equal(run().status, 0);
    systemctl.reset();
    const out = run();
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(systemctl.calls(), ['is-active --quiet kubelet']);
    assert.match(out.stdout, /nothing restarted/);
    assert.doesNotMatch(out.stdout, /^changed /m);
  });

  test('a re-run with equal files starts kubelet when it is not active, without a restart', () => {
    assert.equal(run().status, 0);
    systemctl.reset();
    systemctl.setActive(false);
    const out = run();
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(systemctl.calls(), ['is-active --quiet kubelet', 'start kubelet']);
  });

  test('a changed drop-in is installed and kubelet restarted', () => {
    assert.equal(run().status, 0);
    systemctl.reset();
    const out = run(kubeletConf, dropIn.replace('Restart=always', 'Restart=on-failure'));
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /^changed .*20-etcd-service-manager\.conf$/m);
    assert.match(out.stdout, /^unchanged .*kubelet\.conf$/m);
    assert.deepEqual(systemctl.calls(), ['daemon-reload', 'restart kubelet']);
  });

  test('invalid base64 is refused before anything is installed or called', () => {
    const out = runHostScript('configure-kubelet', {
      KUBELET_CONFIG_B64: '***',
      KUBELET_DROPIN_B64: b64(dropIn),
      ETCD_HA_ROOT: root,
      ETCD_HA_SERVICE_CTL: systemctl.path,
    });
    assert.equal(out.status, 1);
    assert.match(out.stderr, /KUBELET_CONFIG_B64 is not valid base64/);
    assert.deepEqual(systemctl.calls(), []);
  });
});
