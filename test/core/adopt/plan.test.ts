import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseAdoptFacts, type AdoptFacts } from '../../../lambdas/core/adopt/facts';
import { kubeadmImage, planAdoption, type AdoptionTarget } from '../../../lambdas/core/adopt/plan';

const NOW = new Date('2026-12-05T00:00:00Z');
const ADDRESS = '10.0.0.6';

/** What inspect-adoptable-etcd.sh reports for kubeadm's single stacked member, with `change` applied. */
function facts(change: (f: AdoptFacts) => void = () => {}): AdoptFacts {
  const f = parseAdoptFacts(
    `noise\nETCD_HA_ADOPT_FACTS=${JSON.stringify({
      format: 1,
      manifest: {
        path: '/etc/kubernetes/manifests/etcd.yaml',
        image: 'registry.k8s.io/etcd:3.5.16-0',
        flags: {
          name: 'cp-1',
          'data-dir': '/var/lib/etcd',
          'listen-client-urls': `https://127.0.0.1:2379,https://${ADDRESS}:2379`,
          'advertise-client-urls': `https://${ADDRESS}:2379`,
          'listen-metrics-urls': 'http://127.0.0.1:2381',
          'listen-peer-urls': `https://${ADDRESS}:2380`,
        },
      },
      version: { etcdserver: '3.5.16', etcdcluster: '3.5.0' },
      memberList: { members: [{ ID: '12858828581462913056', name: 'cp-1', peerURLs: [`https://${ADDRESS}:2380`], clientURLs: [`https://${ADDRESS}:2379`] }] },
      status: { header: { member_id: '12858828581462913056', cluster_id: '1' }, dbSize: '20480', leader: '12858828581462913056' },
      dataDirBytes: 123456,
      certificates: ['etcd/ca.crt', 'etcd/server.crt', 'etcd/peer.crt', 'etcd/healthcheck-client.crt', 'apiserver-etcd-client.crt'].map((file) => ({
        file,
        present: true,
        notAfter: file === 'etcd/ca.crt' ? '2035-12-01T00:00:00Z' : '2027-12-01T00:00:00Z',
      })),
      caKey: { present: true, type: 'RSA', bits: 2048 },
    })}\n`,
  );
  change(f);
  return f;
}

const target: AdoptionTarget = { clusterName: 'prod', member: { name: 'cp-1', address: ADDRESS, instanceId: 'i-0123456789abcdef0' }, runtime: 'kubeadm' };

describe('planAdoption', () => {
  it("kubeadm's single member on its address: no refusal, no restart, the spec from the manifest", () => {
    const plan = planAdoption(target, facts(), NOW);
    assert.deepEqual(plan.refusals, []);
    assert.equal(plan.peerUrlFix, undefined);
    assert.match(plan.actions.join('\n'), /no restart/);
    assert.equal(plan.found.memberId, 'b273bc7741bcb020');
    assert.equal(plan.found.dbSizeBytes, 20480);
    assert.deepEqual(plan.found.certificates.map((c) => c.daysLeft), [3283, 361, 361, 361, 361]);
    assert.equal(plan.spec?.members.length, 1);
    assert.equal(plan.spec?.allowSingleMember, true);
    assert.deepEqual(
      { ...plan.spec?.etcd, extraArgs: undefined, allowOwnedFlagOverrides: undefined, binaryPath: undefined },
      { clientPort: 2379, peerPort: 2380, metricsPort: 2381, dataDir: '/var/lib/etcd', imageTag: '3.5.16-0', imageRepository: 'registry.k8s.io', extraArgs: undefined, allowOwnedFlagOverrides: undefined, binaryPath: undefined },
    );
    assert.deepEqual(plan.spec?.members[0], { name: 'cp-1', address: ADDRESS, instanceId: 'i-0123456789abcdef0' });
  });

  it('a localhost peer URL: member update to the address and the one restart, announced', () => {
    for (const host of ['localhost', '127.0.0.1']) {
      const plan = planAdoption(target, facts((f) => (f.memberList.members[0]!.peerURLs = [`https://${host}:2380`])), NOW);
      assert.deepEqual(plan.refusals, []);
      assert.deepEqual(plan.peerUrlFix, { memberId: '12858828581462913056', from: `https://${host}:2380`, to: `https://${ADDRESS}:2380` });
      assert.match(plan.actions.join('\n'), /member update b273bc7741bcb020 --peer-urls=https:\/\/10\.0\.0\.6:2380 .*ONE restart/);
    }
  });

  const refusals: Array<[string, (f: AdoptFacts) => void, RegExp, AdoptionTarget?]> = [
    ['three members', (f) => f.memberList.members.push({ ...f.memberList.members[0]!, ID: '2', name: 'b' }, { ...f.memberList.members[0]!, ID: '3', name: 'c' }), /etcd lists 3 members \(cp-1, b, c\); AdoptCluster takes over a single-member etcd/],
    ['another member name', (f) => (f.memberList.members[0]!.name = 'master'), /member\.name: etcd's member is named "master", not "cp-1".*pass "master"/],
    ['etcd 3.3', (f) => (f.version.etcdserver = '3.3.15'), /etcd 3\.3\.15 has no learners/],
    ['no CA key', (f) => (f.caKey = { present: false }), /ca\.key is missing: the CA pair must be kept/],
    ['an EC CA key', (f) => (f.caKey = { present: true, type: 'EC', bits: 256 }), /CA key is EC-256: etcd-ha signs with RSA keys only/],
    ['an expired CA', (f) => (f.certificates[0]!.notAfter = '2026-01-01T00:00:00Z'), /etcd\/ca\.crt expired on 2026-01-01/],
    ['no peer certificate', (f) => (f.certificates = f.certificates.filter((c) => c.file !== 'etcd/peer.crt')), /etcd\/peer\.crt is missing/],
    ['a peer URL on another address', (f) => (f.memberList.members[0]!.peerURLs = ['https://10.9.9.9:2380']), /peer URL https:\/\/10\.9\.9\.9:2380, neither the host's address 10\.0\.0\.6 nor localhost/],
    ['plain http peers', (f) => (f.memberList.members[0]!.peerURLs = [`http://${ADDRESS}:2380`]), /is not https/],
    ['clients only on localhost', (f) => (f.manifest.flags['listen-client-urls'] = 'https://127.0.0.1:2379'), /does not listen for clients on https:\/\/10\.0\.0\.6/],
    ['a data dir that is not etcd\'s own', (f) => (f.manifest.flags['data-dir'] = '/var'), /dataDir/],
  ];
  for (const [name, change, reason] of refusals) {
    it(`${name}: refused with the reason, no spec`, () => {
      const plan = planAdoption(target, facts(change), NOW);
      assert.match(plan.refusals.join('\n'), reason);
      assert.equal(plan.spec, undefined);
    });
  }

  it('systemd runtime (local mode): no image in the spec', () => {
    const plan = planAdoption({ ...target, runtime: 'systemd' }, facts(), NOW);
    assert.equal(plan.spec?.runtime, 'systemd');
    assert.equal(plan.spec?.etcd.imageTag, undefined);
  });
});

describe('kubeadmImage', () => {
  it('splits registry and tag; kubeadm imageRepository drops "/etcd"', () => {
    assert.deepEqual(kubeadmImage('registry.k8s.io/etcd:3.5.16-0'), { repository: 'registry.k8s.io', tag: '3.5.16-0' });
    assert.deepEqual(kubeadmImage('my.registry:5000/etcd:3.5.21-0'), { repository: 'my.registry:5000', tag: '3.5.21-0' });
    assert.deepEqual(kubeadmImage('my.registry:5000/etcd'), {});
  });
});

describe('parseAdoptFacts', () => {
  it('no facts line, or one that is not JSON: a clear error', () => {
    assert.throws(() => parseAdoptFacts('hello\n'), /printed no ETCD_HA_ADOPT_FACTS= line/);
    assert.throws(() => parseAdoptFacts('ETCD_HA_ADOPT_FACTS={oops\n'), /is not JSON/);
  });
});
