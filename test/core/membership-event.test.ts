// The membership event's shape (lambdas/core/membership-event.ts): what a rule matches on (source, detail-type), the
// detail a target receives, the added/removed names, and a failure's cause trimmed with no PEM block in it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  clusterOfState,
  MAX_EVENT_CAUSE_CHARS,
  membershipEvent,
  MembershipEventDetailSchema,
  trimmedCause,
  valueAt,
  type MembershipEventInput,
} from '../../lambdas/core/membership-event';

const OLD = [
  { name: 'infra0', id: '8e9e05c52164694d', address: '10.0.0.10' },
  { name: 'infra1', id: '91bc3c398fb3c146', address: '10.0.0.11' },
  { name: 'infra2', id: 'fd422379fda50e48', address: '10.0.0.12' },
];
const NEW = [OLD[0]!, OLD[2]!, { name: 'infra3', id: 'a1b2c3d4e5f60718', address: '10.0.0.13' }];
const AT = new Date('2026-12-06T00:00:00.000Z');
const input = (over: Partial<MembershipEventInput> = {}): MembershipEventInput => ({
  outcome: 'changed',
  cluster: 'prod',
  workflow: 'ReplaceMember',
  execution: { name: 'replace-infra1', id: 'arn:aws:states:eu-west-1:123456789012:execution:EtcdHaReplaceMember:replace-infra1' },
  oldMembers: OLD,
  newMembers: NEW,
  clientEndpoints: NEW.map((m) => `https://${m.address}:2379`),
  at: AT,
  ...over,
});

const KEY = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx7secret\n-----END RSA PRIVATE KEY-----';

describe('membership event', () => {
  it('a completed change: source etcd-ha, detail-type Membership Changed, who left and who joined, no error', () => {
    const event = membershipEvent(input());
    assert.equal(event.source, 'etcd-ha');
    assert.equal(event.detailType, 'Membership Changed');
    assert.deepEqual(event.detail, {
      version: 1,
      eventId: 'replace-infra1:changed',
      outcome: 'changed',
      cluster: 'prod',
      workflow: 'ReplaceMember',
      execution: input().execution,
      oldMembers: OLD,
      newMembers: NEW,
      added: ['infra3'],
      removed: ['infra1'],
      clientEndpoints: ['https://10.0.0.10:2379', 'https://10.0.0.12:2379', 'https://10.0.0.13:2379'],
      at: '2026-12-06T00:00:00.000Z',
    });
  });

  it('a failure: Membership Change Failed with the error and its cause', () => {
    const event = membershipEvent(input({ outcome: 'failed', newMembers: OLD, failure: { name: 'ClusterUnhealthyError', cause: 'infra3 never answered' } }));
    assert.equal(event.detailType, 'Membership Change Failed');
    assert.deepEqual(event.detail.error, { name: 'ClusterUnhealthyError', cause: 'infra3 never answered' });
    assert.deepEqual([event.detail.added, event.detail.removed], [[], []]);
    assert.equal(event.detail.eventId, 'replace-infra1:failed');
  });

  it('a new cluster has no old members; a restored one has new member IDs under the same names: all removed and added', () => {
    assert.deepEqual(membershipEvent(input({ workflow: 'ProvisionCluster', oldMembers: [] })).detail.added, ['infra0', 'infra2', 'infra3']);
    const restored = NEW.map((m) => ({ ...m, id: `${m.id.slice(0, -1)}0` }));
    const detail = membershipEvent(input({ workflow: 'RestoreCluster', oldMembers: NEW, newMembers: restored })).detail;
    assert.deepEqual([detail.added, detail.removed], [['infra0', 'infra2', 'infra3'], ['infra0', 'infra2', 'infra3']]);
  });

  it('keeps only name, ID and address of a member (a record carries instance and placement too)', () => {
    const withMore = NEW.map((m) => ({ ...m, instanceId: 'i-0123', placement: { availabilityZone: 'eu-west-1a' } }));
    assert.deepEqual(membershipEvent(input({ newMembers: withMore })).detail.newMembers, NEW);
  });

  it('cuts every PEM block out of a cause, a cut-off one too, and trims it', () => {
    const cause = trimmedCause(`Push Certificates failed: ${KEY} and ${KEY.slice(0, 60)}`);
    assert.doesNotMatch(cause, /PRIVATE KEY|MIIE/);
    assert.equal(cause, 'Push Certificates failed: [PEM block removed] and [PEM block removed]');
    const long = trimmedCause('x'.repeat(10_000));
    assert.equal(long.length, MAX_EVENT_CAUSE_CHARS);
    assert.ok(long.endsWith('…'));
    const event = membershipEvent(input({ outcome: 'failed', failure: { name: 'HostScriptFailedError', cause: `${'log line\n'.repeat(500)}${KEY}` } }));
    assert.doesNotMatch(JSON.stringify(event), /PRIVATE KEY|MIIE/);
    assert.ok(event.detail.error!.cause.length <= MAX_EVENT_CAUSE_CHARS);
  });

  it('the schema refuses a failure without its error, a change with one, an unknown field and an unknown workflow', () => {
    const detail = membershipEvent(input()).detail;
    assert.equal(MembershipEventDetailSchema.safeParse(detail).success, true);
    assert.equal(MembershipEventDetailSchema.safeParse({ ...detail, outcome: 'failed' }).success, false);
    assert.equal(MembershipEventDetailSchema.safeParse({ ...detail, error: { name: 'X', cause: '' } }).success, false);
    assert.equal(MembershipEventDetailSchema.safeParse({ ...detail, keyPem: 'x' }).success, false);
    assert.equal(MembershipEventDetailSchema.safeParse({ ...detail, workflow: 'DeleteCluster' }).success, false);
  });

  it('reads the cluster and the members before from a workflow state', () => {
    const state = { spec: { clusterName: 'prod' }, plan: { membersBefore: OLD } };
    assert.equal(clusterOfState(state), 'prod');
    assert.equal(clusterOfState({ clusterName: 'demo', spec: { clusterName: 'prod' } }), 'demo');
    assert.equal(clusterOfState({ members: [] }), undefined);
    assert.deepEqual(valueAt(state, '$.plan.membersBefore'), OLD);
    assert.equal(valueAt(state, '$.before.members'), undefined);
    assert.throws(() => valueAt(state, '$..members'), /not a JSONPath of plain keys/);
  });
});
