import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fixedSettingChanges, judgeRestart, membershipDifferences, nextMemberToRoll, planProvision, type RecordedCluster } from '../../lambdas/core/provision-plan';
import { parseClusterSpec, type ClusterSpec } from '../../lambdas/core/spec';
import type { ClusterMember } from '../../lambdas/ports';

const spec = (members: Array<{ name: string; address?: string }>, extra: Record<string, unknown> = {}): ClusterSpec =>
  parseClusterSpec({ clusterName: 'demo', runtime: 'systemd', members, ...extra });
const recorded = (names: string[], extra: Partial<RecordedCluster> = {}): RecordedCluster => {
  const members = names.map((name, i) => ({ name, id: `${i + 1}`, address: `10.0.0.${i + 1}` }));
  return { members, spec: spec(members.map(({ name, address }) => ({ name, address }))), ...extra };
};
const listed = (record: RecordedCluster, learner?: string): ClusterMember[] =>
  record.members.map((m) => ({ id: m.id, name: m.name, peerURLs: [`https://${m.address}:2380`], clientURLs: [`https://${m.address}:2379`], isLearner: m.name === learner }));
const three = ['infra0', 'infra1', 'infra2'];

describe('planProvision', () => {
  it('bootstraps when nothing is recorded', () => {
    assert.deepEqual(planProvision(spec(three.map((name) => ({ name }))), undefined, undefined), { mode: 'bootstrap' });
  });

  it('reconciles the recorded members when the spec names them and etcd agrees', () => {
    const record = recorded(three);
    const plan = planProvision(spec(three.map((name) => ({ name })), { etcd: { extraArgs: { 'quota-backend-bytes': '4294967296' } } }), record, { answered: three, members: listed(record) });
    assert.deepEqual(plan, { mode: 'reconcile', members: record.members, down: [] });
  });

  it('reconciles with one of three down (quorum stays), reporting it', () => {
    const record = recorded(three);
    const plan = planProvision(spec(three.map((name) => ({ name }))), record, { answered: ['infra0', 'infra1'] });
    assert.deepEqual(plan, { mode: 'reconcile', members: record.members, down: ['infra2'] });
  });

  it('refuses after quorum loss, pointing at a restore, never a bootstrap', () => {
    const plan = planProvision(spec(three.map((name) => ({ name }))), recorded(three), { answered: ['infra0'] });
    assert.ok('refused' in plan && plan.refused === 'quorum');
    assert.match(plan.message, /lost quorum: 1 of 3 recorded members answer \(infra1, infra2 do not\), 2 needed/);
    assert.match(plan.message, /restore it from a snapshot/);
    assert.match(plan.message, /`etcd-ha restore --cluster \S+` \(AWS\) or `etcd-ha local restore`/);
  });

  it('refuses a different member list, naming each difference and the workflow that changes membership', () => {
    const record = recorded(['infra0', 'infra1', 'infra3']);
    const plan = planProvision(spec(three.map((name) => ({ name }))), record, { answered: ['infra0', 'infra1', 'infra3'] });
    assert.ok('refused' in plan && plan.refused === 'membership');
    assert.match(plan.message, /the spec lists infra2, which is no member/);
    assert.match(plan.message, /infra3 is a member, the spec does not list it/);
    assert.match(plan.message, /ReplaceMember/);
    assert.match(plan.message, /ScaleCluster \(etcd-ha scale --cluster NAME --members N/);
  });

  it('refuses while a removed member awaits its replacement', () => {
    const whole = recorded(three);
    const record = { ...whole, members: whole.members.slice(0, 2), removed: [{ ...whole.members[2]!, removedAt: '2026-12-05T10:00:00Z', removedBy: 'x' }] };
    const plan = planProvision(spec(three.map((name) => ({ name }))), record, { answered: ['infra0', 'infra1'] });
    assert.ok('refused' in plan);
    assert.match(plan.message, /infra2 was removed \(dead\) on 2026-12-05T10:00:00Z and awaits its replacement/);
  });

  it('refuses when etcd lists a learner or a member the record lacks (a change under way)', () => {
    const record = recorded(three);
    const withLearner = planProvision(spec(three.map((name) => ({ name }))), record, { answered: three, members: listed(record, 'infra2') });
    assert.ok('refused' in withLearner && /infra2 is still a learner/.test(withLearner.message));
    const stranger = [...listed(record), { id: '9', name: '', peerURLs: ['https://10.0.0.9:2380'], clientURLs: [], isLearner: true }];
    const extra = planProvision(spec(three.map((name) => ({ name }))), record, { answered: three, members: stranger });
    assert.ok('refused' in extra && /etcd lists \(unstarted\) at https:\/\/10.0.0.9:2380, which the record lacks/.test(extra.message));
  });

  it('refuses settings a running member cannot take', () => {
    const plan = planProvision(spec(three.map((name) => ({ name })), { etcd: { dataDir: '/data/etcd', peerPort: 2390 } }), recorded(three), { answered: three });
    assert.ok('refused' in plan && plan.refused === 'settings');
    assert.match(plan.message, /etcd.dataDir: "\/var\/lib\/etcd" → "\/data\/etcd"/);
    assert.match(plan.message, /etcd.peerPort: 2380 → 2390/);
  });
});

describe('membershipDifferences and fixedSettingChanges', () => {
  it('compares addresses and instances only where the spec gives them', () => {
    const record = recorded(three);
    assert.deepEqual(membershipDifferences(spec(three.map((name) => ({ name }))), record), []);
    assert.deepEqual(membershipDifferences(spec([{ name: 'infra0', address: '10.0.0.7' }, { name: 'infra1' }, { name: 'infra2' }]), record), [
      'infra0: the spec says address 10.0.0.7, the record 10.0.0.1',
    ]);
  });

  it('lets every other setting change (flags, binary, certificates)', () => {
    const base = spec(three.map((name) => ({ name })));
    const changed = spec(three.map((name) => ({ name })), { etcd: { binaryPath: '/opt/etcd/etcd', extraArgs: { 'snapshot-count': '5000' } }, certificates: { validityDays: 90 } });
    assert.deepEqual(fixedSettingChanges(changed, base), []);
    assert.deepEqual(fixedSettingChanges(spec(three.map((name) => ({ name })), { runtime: 'kubeadm' }), base).length, 1);
  });
});

describe('nextMemberToRoll', () => {
  const table: Array<[string[], string | undefined, string | undefined]> = [
    [[], 'infra0', 'infra1'],
    [['infra1'], 'infra0', 'infra2'],
    [['infra1', 'infra2'], 'infra0', 'infra0'],
    [[], undefined, 'infra0'],
    [['infra0', 'infra1', 'infra2'], 'infra0', undefined],
  ];
  for (const [rolled, leader, expected] of table) {
    it(`rolled ${JSON.stringify(rolled)}, leader ${leader ?? 'unknown'} → ${expected ?? 'done'}`, () => {
      assert.equal(nextMemberToRoll(three, rolled, leader), expected);
    });
  }
});

describe('judgeRestart', () => {
  const voters = (down: string[]) => three.map((name) => ({ name, healthy: !down.includes(name) }));
  it('allows a restart while the others keep quorum', () => {
    assert.equal(judgeRestart('infra0', voters([])).safe, true);
  });
  it('refuses a restart that would leave too few voters, naming who is down', () => {
    const verdict = judgeRestart('infra0', voters(['infra2']));
    assert.equal(verdict.safe, false);
    assert.equal(verdict.why, 'restarting infra0 now would leave 1 of 3 voters answering, quorum needs 2 (infra2 not answering)');
  });
  it('always lets a member that does not answer be started', () => {
    assert.equal(judgeRestart('infra2', voters(['infra2', 'infra1'])).safe, true);
  });
  it('on five members, one down, still allows the others one by one', () => {
    const five = ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, healthy: name !== 'e' }));
    assert.equal(judgeRestart('a', five).safe, true);
  });
});
