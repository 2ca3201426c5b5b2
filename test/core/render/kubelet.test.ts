import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseClusterSpec } from '../../../lambdas/core/spec';
import { renderKubeletDropIn } from '../../../lambdas/core/render/kubelet';

const guide = (file: string) => readFileSync(join(__dirname, '..', '..', 'fixtures', 'guide', file), 'utf8');
const spec = (extra: Record<string, unknown> = {}) =>
  parseClusterSpec({ clusterName: 'demo', members: [{ name: 'a' }, { name: 'b' }, { name: 'c' }], ...extra });

describe('kubelet drop-in renderer', () => {
  it('writes the KubeletConfiguration of the guide, field by field', () => {
    assert.deepEqual(parse(renderKubeletDropIn(spec()).config), parse(guide('kubelet.conf')));
  });

  it('writes the 20-etcd-service-manager.conf of the guide, line by line', () => {
    const dropIn = renderKubeletDropIn(spec());
    assert.equal(dropIn.dropIn, guide('20-etcd-service-manager.conf'));
    assert.equal(dropIn.dropInPath, '/etc/systemd/system/kubelet.service.d/20-etcd-service-manager.conf');
    assert.equal(dropIn.configPath, '/etc/systemd/system/kubelet.service.d/kubelet.conf');
  });

  it('takes the cgroup driver and runtime endpoint from the spec', () => {
    const config = parse(renderKubeletDropIn(spec({ kubelet: { cgroupDriver: 'cgroupfs', containerRuntimeEndpoint: 'unix:///run/crio/crio.sock' } })).config);
    assert.equal(config.cgroupDriver, 'cgroupfs');
    assert.equal(config.containerRuntimeEndpoint, 'unix:///run/crio/crio.sock');
  });
});
