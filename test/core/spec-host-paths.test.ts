// The host path rules on their own: a data dir must be etcd's own directory, and "below a directory" is judged
// segment by segment.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dedicatedDirectoryProblem, isBelow, unplainPathProblem } from '../../lambdas/core/spec-host-paths';

describe('dedicatedDirectoryProblem', () => {
  const refused: Array<[string, RegExp]> = [
    ['/', /system directory/],
    ['/etc', /lies in \/etc/],
    ['/etc/kubernetes/pki', /lies in \/etc/],
    ['/usr', /lies in \/usr/],
    ['/usr/local', /lies in \/usr/],
    ['/var', /system directory/],
    ['/var/lib', /system directory/],
    ['/bin', /lies in \/bin/],
    ['/boot', /lies in \/boot/],
    ['/dev', /lies in \/dev/],
    ['/dev/shm/etcd', /lies in \/dev/],
    ['/proc', /lies in \/proc/],
    ['/sys', /lies in \/sys/],
    ['/root', /system directory/],
    ['/home', /system directory/],
    ['/home/alice', /home directory/],
    ['/home/alice/.ssh', /hidden segments/],
    ['/tmp', /lies in \/tmp/],
    ['/tmp/etcd', /lies in \/tmp/],
    ['/var/tmp/etcd', /lies in \/var\/tmp/],
    ['/var/log', /lies in \/var\/log/],
    ['/var/lib/kubelet', /lies in \/var\/lib\/kubelet/],
    ['/var/lib/containerd', /lies in \/var\/lib\/containerd/],
    ['/opt', /system directory/],
    ['/var/lib/etcd/../../..', /must not contain "\.\." segments/],
    ['/var/lib/../../etc', /must not contain "\.\." segments/],
    ['/var/lib/./etcd', /must not contain "\." segments/],
    ['/var//lib/etcd', /must not contain "\/\/"/],
    ['/var/lib/etcd/', /must not end with "\/"/],
    ['var/lib/etcd', /absolute path/],
  ];
  for (const [path, reason] of refused) {
    it(`refuses ${path}`, () => assert.match(dedicatedDirectoryProblem(path) ?? 'accepted', reason));
  }
  for (const path of ['/var/lib/etcd', '/var/lib/etcd-main', '/data/etcd', '/srv/etcd', '/mnt/etcd-volume', '/home/alice/etcd-data', '/opt/etcd/data', '/var/lib/etcd/member-data']) {
    it(`accepts ${path}`, () => assert.equal(dedicatedDirectoryProblem(path), undefined));
  }
});

describe('isBelow', () => {
  const cases: Array<[string, string, boolean]> = [
    ['/usr/local/bin/etcd', '/usr/local/bin', true],
    ['/opt/etcd/v3.5.16/etcd', '/opt/etcd', true],
    ['/usr/local/bin-evil/etcd', '/usr/local/bin', false],
    ['/opt/etcd-evil/etcd', '/opt/etcd', false],
    ['/usr/local/bin', '/usr/local/bin', false],
    ['/usr/local', '/usr/local/bin', false],
    ['/anything', '/', true],
  ];
  for (const [path, dir, below] of cases) {
    it(`${path} ${below ? 'is' : 'is not'} below ${dir}`, () => assert.equal(isBelow(path, dir), below));
  }
});

describe('unplainPathProblem', () => {
  it('accepts a plain absolute path', () => assert.equal(unplainPathProblem('/usr/local/bin/etcd'), undefined));
  it('refuses a path that climbs out with ".."', () => assert.match(unplainPathProblem('/usr/local/bin/../../../tmp/etcd') ?? '', /"\.\."/));
});
