import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  RESTORE_REVISION_BUMP,
  canBumpRevision,
  chooseRestoreHosts,
  describeAge,
  describeRestorePlan,
  planRestore,
  restoreToken,
  type RestorableMember,
} from '../../../lambdas/core/restore/plan';
import { RestoreRequestSchema } from '../../../lambdas/core/restore/request';
import type { BackupMetadata } from '../../../lambdas/core/backup/metadata';

const members: RestorableMember[] = [
  { name: 'infra0', address: '10.0.0.10', instanceId: 'i-00000000000000000' },
  { name: 'infra1', address: '10.0.0.11', instanceId: 'i-11111111111111111' },
  { name: 'infra2', address: '10.0.0.12', instanceId: 'i-22222222222222222' },
];

describe('chooseRestoreHosts', () => {
  const cases: Array<[string, RestorableMember[], Record<string, string>, string[], RegExp | undefined]> = [
    ['every member on its recorded host', members, {}, ['infra0=i-00000000000000000', 'infra1=i-11111111111111111', 'infra2=i-22222222222222222'], undefined],
    ['a gone host replaced by a named one', members, { infra1: 'i-99999999999999999' }, ['infra0=i-00000000000000000', 'infra1=i-99999999999999999', 'infra2=i-22222222222222222'], undefined],
    ['an unknown member is refused by name', members, { infra9: 'i-99999999999999999' }, [], /hosts\.infra9: the record has no member "infra9"/],
    ['one instance for two members is refused', members, { infra1: 'i-99999999999999999', infra2: 'i-99999999999999999' }, [], /hosts\.infra2: instance i-99999999999999999 is already named for member "infra1"/],
    ['another member\'s recorded host is refused', members, { infra1: 'i-22222222222222222' }, [], /hosts\.infra1: instance i-22222222222222222 is member "infra2"'s recorded host/],
    ['a removed member stays out without a host', [...members, { name: 'infra3', address: '10.0.0.13', removed: true }], {}, ['infra0=i-00000000000000000', 'infra1=i-11111111111111111', 'infra2=i-22222222222222222'], undefined],
    ['a removed member comes back on a named host', [...members, { name: 'infra3', address: '10.0.0.13', removed: true }], { infra3: 'i-33333333333333333' }, ['infra0=i-00000000000000000', 'infra1=i-11111111111111111', 'infra2=i-22222222222222222', 'infra3=i-33333333333333333'], undefined],
    ['no member at all', [], {}, [], /clusterName: the record lists no member to restore/],
  ];
  for (const [name, given, hosts, expected, problem] of cases) {
    it(name, () => {
      const choice = chooseRestoreHosts(given, hosts);
      if (problem) {
        assert.ok(choice.problems.some((p) => problem.test(p)), choice.problems.join('\n'));
        return;
      }
      assert.deepEqual(choice.problems, []);
      assert.deepEqual(choice.members.map((m) => `${m.name}=${m.instanceId}`), expected);
    });
  }

  it('notes which recorded instance a named host replaces', () => {
    const choice = chooseRestoreHosts(members, { infra1: 'i-99999999999999999' });
    assert.equal(choice.members[1]?.replaces, 'i-11111111111111111');
    assert.equal(choice.members[0]?.replaces, undefined);
  });
});

describe('restoreToken', () => {
  it('is the same for the same execution and differs between executions', () => {
    assert.equal(restoreToken('demo', 'exec-1'), restoreToken('demo', 'exec-1'));
    assert.notEqual(restoreToken('demo', 'exec-1'), restoreToken('demo', 'exec-2'));
    assert.equal(restoreToken('demo', 'a b:c'), 'demo-restore-a-b-c');
  });
});

describe('canBumpRevision', () => {
  for (const [version, expected] of [['3.4.23', false], ['3.5.16', true], ['v3.5.0', true], ['3.6.1', true], ['4.0.0', true], ['unknown', false]] as const) {
    it(`${version}: ${expected}`, () => assert.equal(canBumpRevision(version), expected));
  }
});

describe('describeAge', () => {
  for (const [seconds, text] of [[5, '5 s'], [120, '2 min'], [3 * 3600 + 12 * 60, '3 h 12 min'], [2 * 86_400 + 4 * 3600, '2 d 4 h'], [-3, '0 s']] as const) {
    it(`${seconds} s → ${text}`, () => assert.equal(describeAge(seconds), text));
  }
});

const backup = (etcdVersion: string): BackupMetadata => ({
  clusterName: 'demo',
  name: '2026-12-05T18-00-00-000Z',
  takenAt: '2026-12-05T18:00:00.000Z',
  location: '/home/x/backups/demo/2026-12-05T18-00-00-000Z.db',
  revision: 42,
  clusterId: 'abc',
  members: [],
  etcdVersion,
  from: 'https://127.0.0.11:2379',
  bytes: 20480,
  sha256: 'a'.repeat(64),
  execution: 'backup-1',
});

describe('planRestore', () => {
  const base = {
    clusterName: 'demo',
    lastGood: true,
    hosts: [{ name: 'infra0', address: '10.0.0.10' }],
    runtime: 'systemd',
    dataDir: '/var/lib/etcd',
    executionName: 'restore-1',
    now: new Date('2026-12-05T21:12:00.000Z'),
  };
  it('3.5: bumps the revision by a billion and says so', () => {
    const plan = planRestore({ ...base, backup: backup('3.5.16') });
    assert.equal(plan.bumpRevision, RESTORE_REVISION_BUMP);
    assert.equal(plan.revisionBumped, true);
    assert.equal(plan.snapshot.age, '3 h 12 min');
    assert.equal(plan.token, 'demo-restore-restore-1');
    assert.match(describeRestorePlan(plan).join('\n'), /revision bumped by 1000000000 and marked compacted/);
  });
  it('3.4: no bump, and the plan says to restart the API servers', () => {
    const plan = planRestore({ ...base, backup: backup('3.4.23') });
    assert.equal(plan.bumpRevision, 0);
    assert.equal(plan.revisionBumped, false);
    const text = describeRestorePlan(plan).join('\n');
    assert.match(text, /revision NOT bumped/);
    assert.match(text, /restart every kube-apiserver/);
    assert.match(text, /revision 42, taken 2026-12-05T18:00:00.000Z \(3 h 12 min ago\)/);
    assert.match(text, /to restore, run again with confirm = "demo"/);
  });
  it("the members' own etcd version decides over the backup's", () => {
    assert.equal(planRestore({ ...base, backup: backup('3.4.23'), etcdVersion: '3.5.16' }).revisionBumped, true);
  });
});

describe('RestoreRequestSchema', () => {
  const ok = (input: unknown) => RestoreRequestSchema.safeParse(input);
  const problems = (input: unknown) => {
    const result = ok(input);
    assert.equal(result.success, false);
    return JSON.stringify(result.error?.issues);
  };
  it('takes a dry run, a named backup, a confirm and replacement hosts', () => {
    assert.ok(ok({ clusterName: 'demo' }).success);
    assert.ok(ok({ clusterName: 'demo', snapshot: '2026-12-05T18-00-00-000Z', confirm: 'demo', hosts: { infra1: 'i-0123456789abcdef0' }, by: 'me' }).success);
  });
  it('refuses a misspelt field by name', () => assert.match(problems({ clusterName: 'demo', confrim: 'demo' }), /confrim/));
  it('refuses a wrong confirm', () => assert.match(problems({ clusterName: 'demo', confirm: 'prod' }), /must equal clusterName/));
  it('refuses a snapshot that is no backup name', () => assert.match(problems({ clusterName: 'demo', snapshot: '../etc/passwd' }), /expected a backup name/));
  it('refuses a host that is no instance ID', () => assert.match(problems({ clusterName: 'demo', hosts: { infra1: '10.0.0.9' } }), /expected an EC2 instance ID/));
});
