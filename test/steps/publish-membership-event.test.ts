// Publish Membership Event over a registry stand-in and the local events file: the old members from where the
// definition says the state keeps them, the new ones from the record, the endpoints from the record's client port,
// the failure from $.failure; a retried publish writes the event once; a run that never knew its cluster publishes none.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePublishMembershipEvent } from '../../lambdas/steps/publish-membership-event';
import { FileMembershipEvents } from '../../lambdas/adapters/local/file-membership-events';
import type { ClusterRecord } from '../../lambdas/ports';

const BEFORE = [
  { name: 'infra0', id: 'a0', address: '127.0.2.90' },
  { name: 'infra1', id: 'a1', address: '127.0.2.91' },
];
const RECORD = {
  clusterName: 'demo',
  runtime: 'local',
  members: [BEFORE[0]!, { name: 'infra2', id: 'a2', address: '127.0.2.92', instanceId: 'i-2' }],
  secrets: {},
  updatedAt: '2026-12-06T00:00:00.000Z',
  spec: { clusterName: 'demo', etcd: { clientPort: 12379 } },
} as ClusterRecord;

function setUp() {
  const dir = mkdtempSync(join(tmpdir(), 'events-'));
  const events = new FileMembershipEvents({ path: join(dir, 'events.jsonl') });
  const warnings: string[] = [];
  const publish = makePublishMembershipEvent({
    registry: { get: async (name: string) => (name === 'demo' ? RECORD : undefined) },
    clock: { now: () => new Date('2026-12-06T01:00:00.000Z') },
    log: { info: () => {}, warn: (m) => warnings.push(m) },
    membershipEvents: events,
  });
  return { dir, events, publish, warnings, done: () => rmSync(dir, { recursive: true, force: true }) };
}

const execution = { name: 'replace-1', id: 'local:123:456' };

describe('Publish Membership Event', () => {
  it('a replacement: old members from the state, new ones and endpoints from the record, one line in events.jsonl (0600)', async () => {
    const t = setUp();
    try {
      const out = await t.publish({ workflow: 'ReplaceMember', outcome: 'changed', execution, membersBeforeAt: '$.membersBefore', state: { clusterName: 'demo', membersBefore: BEFORE } });
      assert.deepEqual(out, { published: true, eventId: 'replace-1:changed', detailType: 'Membership Changed' });
      const [line, ...more] = t.events.read();
      assert.equal(more.length, 0);
      assert.equal(line!.source, 'etcd-ha');
      assert.equal(line!['detail-type'], 'Membership Changed');
      assert.deepEqual(line!.detail.oldMembers, BEFORE);
      assert.deepEqual(line!.detail.newMembers, [BEFORE[0], { name: 'infra2', id: 'a2', address: '127.0.2.92' }]);
      assert.deepEqual([line!.detail.added, line!.detail.removed], [['infra2'], ['infra1']]);
      assert.deepEqual(line!.detail.clientEndpoints, ['https://127.0.2.90:12379', 'https://127.0.2.92:12379']);
      assert.equal(statSync(join(t.dir, 'events.jsonl')).mode & 0o777, 0o600);
      // Retried (the same execution and outcome): written once.
      await t.publish({ workflow: 'ReplaceMember', outcome: 'changed', execution, membersBeforeAt: '$.membersBefore', state: { clusterName: 'demo', membersBefore: BEFORE } });
      assert.equal(t.events.read().length, 1);
    } finally {
      t.done();
    }
  });

  it('a failure: the error and cause from $.failure, key material cut out; members before absent (failed before the read): none', async () => {
    const t = setUp();
    try {
      const cause = 'Acquire Lock: held by provision-7\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIsecret\n-----END EC PRIVATE KEY-----';
      await t.publish({ workflow: 'ScaleCluster', outcome: 'failed', execution, membersBeforeAt: '$.before.members', state: { clusterName: 'demo', failure: { Error: 'ClusterLockedError', Cause: cause } } });
      const text = readFileSync(join(t.dir, 'events.jsonl'), 'utf8');
      assert.doesNotMatch(text, /PRIVATE KEY|MHcCAQ/);
      const [line] = t.events.read();
      assert.equal(line!['detail-type'], 'Membership Change Failed');
      assert.deepEqual(line!.detail.error, { name: 'ClusterLockedError', cause: 'Acquire Lock: held by provision-7\n[PEM block removed]' });
      assert.deepEqual(line!.detail.oldMembers, []);
    } finally {
      t.done();
    }
  });

  it('publishes nothing for a run that failed before its cluster was known, and says so', async () => {
    const t = setUp();
    try {
      const out = await t.publish({ workflow: 'ReplaceMember', outcome: 'failed', execution, membersBeforeAt: '$.membersBefore', state: { instanceId: 'i-0abc', failure: { Error: 'SpecValidationError' } } });
      assert.equal(out.published, false);
      assert.deepEqual(t.events.read(), []);
      assert.equal(t.warnings.length, 1);
    } finally {
      t.done();
    }
  });

  it('refuses an input that is not a workflow ending (an unknown workflow, no execution)', async () => {
    const t = setUp();
    try {
      await assert.rejects(t.publish({ workflow: 'DeleteCluster', outcome: 'changed', execution, membersBeforeAt: '$.membersBefore', state: {} }), /workflow/);
      await assert.rejects(t.publish({ workflow: 'ReplaceMember', outcome: 'changed', membersBeforeAt: '$.membersBefore', state: {} }), /execution/);
    } finally {
      t.done();
    }
  });
});
