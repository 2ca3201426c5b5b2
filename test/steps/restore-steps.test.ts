// RestoreCluster's read-only steps without etcd or AWS (a stand-in registry and host directory, the local backup
// store in a temp dir): Validate Restore Request refuses a misspelt field, a wrong confirm, an unknown or bootstrapping
// cluster, naming the field, and writes nothing; Plan Restore chooses the last good backup or the named one (refused
// by name without its manifest), puts each member on its recorded host or the replacement named for it (checked by
// the directory, as ReplaceMember's are), with the host's current address, and plans without writing anything.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePlanRestore, makeValidateRestoreRequest, type PlannedRestore } from '../../lambdas/steps/restore/plan-restore';
import { DirBackupStore } from '../../lambdas/adapters/local/dir-backup-store';
import { HostNotInClusterError } from '../../lambdas/core/errors';
import type { BackupMetadata } from '../../lambdas/core/backup/metadata';
import type { ClusterRecord, Host, HostDirectory } from '../../lambdas/ports';
import type { Member } from '../../lambdas/core/spec';
import { errorOf as rejection } from '../support/rejection';

const base = mkdtempSync(join(tmpdir(), 'etcd-ha-restore-steps-'));
after(() => rmSync(base, { recursive: true, force: true }));

const member = (i: number) => ({ name: `infra${i}`, id: `${i}a`, address: `10.0.0.${10 + i}`, instanceId: `i-0000000000000000${i}` });
const RECORD: ClusterRecord = {
  clusterName: 'prod',
  runtime: 'kubeadm',
  members: [member(0), member(1), member(2)],
  secrets: {},
  updatedAt: '2026-12-05T00:00:00.000Z',
  spec: { clusterName: 'prod', runtime: 'kubeadm', members: [] },
};
const RECORDS = [RECORD, { ...RECORD, clusterName: 'young', status: 'bootstrapping' as const }];

/** Current addresses by instance (an instance's private IP may have changed since it was recorded). */
const CURRENT: Record<string, string> = { 'i-00000000000000000': '10.0.0.10', 'i-00000000000000001': '10.0.0.11', 'i-00000000000000002': '10.0.0.12', 'i-0000000000000000a': '10.0.1.7' };

function deps(dir: string) {
  const store = new DirBackupStore({ dir });
  const resolved: Member[][] = [];
  const directory: HostDirectory = {
    async resolve(clusterName, members) {
      resolved.push([...members]);
      return members.map((m): Host => {
        if (m.instanceId === 'i-0000000000000000b') throw new HostNotInClusterError(`member "${m.name}": instance ${m.instanceId} is tagged etcd-ha:cluster=other, not ${clusterName}`);
        return { name: m.name, address: CURRENT[m.instanceId!]!, instanceId: m.instanceId! };
      });
    },
    recorded: () => assert.fail('Plan Restore resolves every host: the current address'),
  };
  return {
    store,
    resolved,
    deps: {
      registry: {
        get: async (name: string) => RECORDS.find((r) => r.clusterName === name),
        findByInstanceId: async () => undefined,
        list: async () => RECORDS,
        put: async () => assert.fail('planning never writes the record'),
      },
      directory,
      secrets: { nameFor: (c: string, i: string) => `etcd-ha/${c}/${i}`, get: async () => undefined, put: async () => assert.fail('no secret written') },
      clock: { now: () => new Date('2026-12-05T12:30:00.000Z') },
      log: { info: () => undefined, warn: () => undefined },
      backups: store,
      lastBackup: store,
    },
  };
}

async function* chunks(): AsyncGenerator<Uint8Array> {
  yield new Uint8Array(64);
}

async function backUp(store: DirBackupStore, name: string, options: { manifest?: boolean; lastGood?: boolean } = {}): Promise<BackupMetadata> {
  const saved = await store.save('prod', name, chunks());
  const meta: BackupMetadata = {
    clusterName: 'prod',
    name,
    takenAt: `${name.slice(0, 13)}:${name.slice(14, 16)}:${name.slice(17, 19)}.${name.slice(20, 23)}Z`,
    location: saved.location,
    revision: 420,
    clusterId: 'cdf818194e3a8c32',
    members: [],
    etcdVersion: '3.5.16',
    from: 'https://10.0.0.11:2379',
    bytes: saved.bytes,
    sha256: 'b'.repeat(64),
    execution: 'backup-1',
  };
  if (options.manifest !== false) await store.describe(meta);
  if (options.lastGood) await store.put(meta);
  return meta;
}

describe('Validate Restore Request', () => {
  const validate = makeValidateRestoreRequest(deps(join(base, 'validate')).deps);
  it('takes a dry run and a confirmed request', async () => {
    assert.deepEqual(await validate({ request: { clusterName: 'prod', by: 'alice' } }), { clusterName: 'prod', confirmed: false, by: 'alice', snapshot: null, hosts: {} });
    assert.equal(((await validate({ request: { clusterName: 'prod', confirm: 'prod' } })) as { confirmed: boolean }).confirmed, true);
  });
  for (const [what, request, message] of [
    ['a misspelt field, by name', { clusterName: 'prod', confrim: 'prod' }, /confrim: is not a known field/],
    ['a confirm naming another cluster', { clusterName: 'prod', confirm: 'prd' }, /confirm: must equal clusterName/],
    ['an unknown cluster', { clusterName: 'nope' }, /clusterName: no cluster "nope" is recorded: nothing to restore/],
    ['a cluster still bootstrapping', { clusterName: 'young' }, /clusterName: .*young/],
  ] as const) {
    it(`refuses ${what}`, async () => {
      const error = await rejection(validate({ request }));
      assert.equal(error.name, 'SpecValidationError');
      assert.match(error.message, message);
    });
  }
});

describe('Plan Restore', () => {
  it('the last good backup, every member on its recorded instance at its current address, the token from the execution', async () => {
    const { deps: d, store, resolved } = deps(join(base, 'last-good'));
    await backUp(store, '2026-12-05T10-00-00-000Z', { lastGood: true });
    await backUp(store, '2026-12-05T11-00-00-000Z');
    const planned = (await makePlanRestore(d)({ clusterName: 'prod', snapshot: null, hosts: {}, execution: 'restore-1' })) as PlannedRestore;
    assert.equal(planned.plan.snapshot.name, '2026-12-05T10-00-00-000Z');
    assert.equal(planned.plan.snapshot.lastGood, true);
    assert.equal(planned.plan.snapshot.age, '2 h 30 min');
    assert.deepEqual(resolved, [[0, 1, 2].map((i) => ({ name: `infra${i}`, instanceId: `i-0000000000000000${i}` }))]);
    assert.deepEqual(planned.plan.hosts.map((h) => `${h.name}=${h.address}`), ['infra0=10.0.0.10', 'infra1=10.0.0.11', 'infra2=10.0.0.12']);
    assert.equal(planned.plan.token, 'prod-restore-restore-1');
    assert.equal(planned.plan.bumpRevision, 1_000_000_000);
    assert.deepEqual(planned.members.map((m) => m.stageFor), ['i-00000000000000000', 'i-00000000000000001', 'i-00000000000000002']);
    assert.deepEqual(planned.spec.members.map((m) => m.name), ['infra0', 'infra1', 'infra2']);
    assert.equal(planned.dryRun.dryRun, true);
    assert.ok(planned.dryRun.message.some((line) => line.includes('every write after 2026-12-05T10:00:00.000Z is lost')));
  });

  it('a named backup; a replacement host for a member whose host is gone, checked by the directory', async () => {
    const { deps: d, store, resolved } = deps(join(base, 'named'));
    await backUp(store, '2026-12-05T10-00-00-000Z', { lastGood: true });
    await backUp(store, '2026-12-05T11-00-00-000Z');
    const planned = (await makePlanRestore(d)({ clusterName: 'prod', snapshot: '2026-12-05T11-00-00-000Z', hosts: { infra1: 'i-0000000000000000a' }, execution: 'r' })) as PlannedRestore;
    assert.equal(planned.plan.snapshot.name, '2026-12-05T11-00-00-000Z');
    assert.equal(planned.plan.snapshot.lastGood, false);
    assert.deepEqual(resolved[0]![1], { name: 'infra1', instanceId: 'i-0000000000000000a' });
    assert.deepEqual(planned.plan.hosts[1], { name: 'infra1', address: '10.0.1.7', instanceId: 'i-0000000000000000a', replaces: 'i-00000000000000001' });
  });

  for (const [what, input, setUp, message] of [
    ['a named backup without its manifest, by name', { snapshot: '2026-12-05T11-00-00-000Z' }, { manifest: false }, /snapshot: backup "2026-12-05T11-00-00-000Z" of cluster "prod" has no stored manifest/],
    ['a cluster without a good backup', {}, {}, /snapshot: cluster "prod" has no good backup yet/],
    ['a host named for a member the record does not have', { hosts: { infra9: 'i-0000000000000000a' } }, { lastGood: true }, /hosts\.infra9: the record has no member "infra9"/],
    ['a replacement host tagged for another cluster', { hosts: { infra1: 'i-0000000000000000b' } }, { lastGood: true }, /instance i-0000000000000000b is tagged etcd-ha:cluster=other/],
  ] as const) {
    it(`refuses ${what}; writes nothing`, async () => {
      const { deps: d, store } = deps(join(base, what.replace(/\W+/g, '-')));
      await backUp(store, '2026-12-05T11-00-00-000Z', setUp);
      const error = await rejection(makePlanRestore(d)({ clusterName: 'prod', hosts: {}, execution: 'r', snapshot: ('snapshot' in input ? input.snapshot : null), ...('hosts' in input && { hosts: input.hosts }) }));
      assert.match(error.message, message);
    });
  }
});
