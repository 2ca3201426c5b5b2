// Membership events from real runs (real etcd, the local runner): what `<home>/events.jsonl` holds — what EventBridge
// would receive — after a provision, a replacement and a refused replacement: the old members as read under the lock,
// the new ones as recorded (with the IDs etcd lists), the client endpoints, the error of a failure; no key material.
// Loopback addresses 127.0.2.90 – 127.0.2.103 only; every etcd started is stopped by PID (sandboxesOfSuite).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FileMembershipEvents, type EventLine } from '../../lambdas/adapters/local/file-membership-events';
import { MembershipEventDetailSchema } from '../../lambdas/core/membership-event';
import { LocalWorkflowSandbox, sandboxesOfSuite, threeMembers } from '../support/local-workflow';
import { etcdUnderTest } from '../support/etcd-under-test';
import { killMember, memberList } from '../support/local-cluster-oracle';

const ETCD = etcdUnderTest();

const eventsOf = (s: LocalWorkflowSandbox): EventLine[] => new FileMembershipEvents({ path: s.home.eventsFile }).read();
/** name → ID as etcd lists them (hex, as etcdctl prints). */
const idsOf = (s: LocalWorkflowSandbox, cluster: string, endpoint: string) => Object.fromEntries(memberList(s, cluster, endpoint).map((m) => [m.name, m.id]));

function assertNoKeyMaterial(s: LocalWorkflowSandbox): void {
  const text = readFileSync(s.home.eventsFile, 'utf8');
  assert.doesNotMatch(text, /PRIVATE KEY|BEGIN CERTIFICATE|-----BEGIN/);
  for (const line of eventsOf(s)) assert.equal(MembershipEventDetailSchema.safeParse(line.detail).success, true, 'every detail is of the documented shape');
}

describe(`membership events (real etcd, local runner) on ${ETCD.label}`, () => {
  const sandbox = sandboxesOfSuite();

  it('a provision publishes Membership Changed with no old members; a replacement names who left and who joined; a scale, its first read', async () => {
    const s = sandbox('127.0.2.90');
    const cluster = 'events-ok';
    const provision = await s.provision(threeMembers(cluster));
    assert.equal(provision.result.status, 'SUCCEEDED', provision.result.cause);
    const ids = idsOf(s, cluster, 'https://127.0.2.90:2379');
    const [provisioned, ...more] = eventsOf(s);
    assert.equal(more.length, 0, 'one event per run');
    assert.equal(provisioned!.source, 'etcd-ha');
    assert.equal(provisioned!['detail-type'], 'Membership Changed');
    const original = ['infra0', 'infra1', 'infra2'].map((name, i) => ({ name, id: ids[name]!, address: `127.0.2.${90 + i}` }));
    assert.deepEqual(
      { ...provisioned!.detail, execution: undefined, at: undefined, eventId: undefined },
      {
        version: 1,
        outcome: 'changed',
        cluster,
        workflow: 'ProvisionCluster',
        execution: undefined,
        oldMembers: [],
        newMembers: original,
        added: ['infra0', 'infra1', 'infra2'],
        removed: [],
        clientEndpoints: ['https://127.0.2.90:2379', 'https://127.0.2.91:2379', 'https://127.0.2.92:2379'],
        at: undefined,
        eventId: undefined,
      },
    );
    assert.equal(provisioned!.detail.eventId, `${provisioned!.detail.execution.name}:changed`);
    assert.ok(original.every((m) => /^[0-9a-f]+$/.test(m.id)), 'the IDs etcd gave them');

    await killMember(s, 'infra1');
    const replace = await s.replace({ clusterName: cluster, failedMember: 'infra1', replacement: { address: '127.0.2.93' } });
    assert.equal(replace.result.status, 'SUCCEEDED', replace.result.cause);
    assert.equal(replace.calls.publishMembershipEvent, 1);
    const [, replaced] = eventsOf(s);
    const now = idsOf(s, cluster, 'https://127.0.2.90:2379');
    const joined = Object.keys(now).find((name) => !(name in ids))!;
    assert.equal(replaced!['detail-type'], 'Membership Changed');
    assert.equal(replaced!.detail.workflow, 'ReplaceMember');
    assert.deepEqual(replaced!.detail.oldMembers, original, 'as Read Cluster found them under the lock');
    assert.deepEqual(
      [...replaced!.detail.newMembers].sort((a, b) => a.address.localeCompare(b.address)),
      [original[0], original[2], { name: joined, id: now[joined]!, address: '127.0.2.93' }],
    );
    assert.deepEqual([replaced!.detail.added, replaced!.detail.removed], [[joined], ['infra1']]);
    assert.deepEqual([...replaced!.detail.clientEndpoints].sort(), ['https://127.0.2.90:2379', 'https://127.0.2.92:2379', 'https://127.0.2.93:2379']);
    assert.notEqual(replaced!.detail.execution.name, provisioned!.detail.execution.name);

    // ScaleCluster reads the cluster again before each change: its old members are those of its first read.
    const grown = await s.scale({ clusterName: cluster, members: 5 });
    assert.equal(grown.result.status, 'SUCCEEDED', grown.result.cause);
    const scaled = eventsOf(s)[2]!;
    assert.equal(scaled.detail.workflow, 'ScaleCluster');
    assert.deepEqual(scaled.detail.oldMembers, replaced!.detail.newMembers);
    assert.equal(scaled.detail.newMembers.length, 5);
    assert.equal(scaled.detail.added.length, 2);
    assert.deepEqual(scaled.detail.removed, []);
    assert.ok(scaled.detail.newMembers.every((m) => /^127\.0\.2\.(9\d|1[01]\d)$/.test(m.address)), 'loopback addresses of this test only');
    assertNoKeyMaterial(s);
  });

  it('a refused replacement publishes Membership Change Failed with its error, membership unchanged, and still fails with its own error', async () => {
    const s = sandbox('127.0.2.100');
    const cluster = 'events-failed';
    assert.equal((await s.provision(threeMembers(cluster))).result.status, 'SUCCEEDED');
    const ids = idsOf(s, cluster, 'https://127.0.2.100:2379');
    // infra1 still answers: Check Quorum refuses to replace it without force, under the lock, before any change.
    const refused = await s.replace({ clusterName: cluster, failedMember: 'infra1', replacement: { address: '127.0.2.103' } });
    assert.equal(refused.result.status, 'FAILED');
    assert.equal(refused.result.error, 'MemberStillHealthyError', 'the publish hides nothing');
    const [, failed, ...more] = eventsOf(s);
    assert.equal(more.length, 0);
    assert.equal(failed!['detail-type'], 'Membership Change Failed');
    const members = ['infra0', 'infra1', 'infra2'].map((name, i) => ({ name, id: ids[name]!, address: `127.0.2.${100 + i}` }));
    assert.equal(failed!.detail.workflow, 'ReplaceMember');
    assert.deepEqual(failed!.detail.oldMembers, members);
    assert.deepEqual(failed!.detail.newMembers, members);
    assert.deepEqual([failed!.detail.added, failed!.detail.removed], [[], []]);
    assert.equal(failed!.detail.error!.name, 'MemberStillHealthyError');
    assert.match(failed!.detail.error!.cause, /infra1 still answers and is healthy/);
    assert.equal(failed!.detail.eventId, `${failed!.detail.execution.name}:failed`);
    assertNoKeyMaterial(s);
  });
});
