// The naming rule: a name per member, one multi-value name for clients, and the changes from what is published.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clientDnsName, clientUrlByName, clusterNames, hasNameChanges, memberDnsName, nameLengthProblem, planNameChanges } from '../../lambdas/core/names';
import { parseClusterSpec } from '../../lambdas/core/spec';
import { SpecValidationError } from '../../lambdas/core/errors';

const scope = { clusterName: 'demo', dnsZone: 'etcd-ha.internal' };
const members = [
  { name: 'infra0', address: '10.0.0.6' },
  { name: 'infra1', address: '10.0.0.7' },
  { name: 'infra2', address: '10.0.0.8' },
];

describe('stable names', () => {
  it('a name per member and one for clients, under <cluster>.<zone>', () => {
    assert.equal(memberDnsName(scope, 'infra0'), 'infra0.demo.etcd-ha.internal');
    assert.equal(clientDnsName(scope), 'etcd.demo.etcd-ha.internal');
    assert.equal(clientUrlByName(scope, 2379), 'https://etcd.demo.etcd-ha.internal:2379');
  });

  it('the client name holds every voter\'s address; records sorted', () => {
    assert.deepEqual(clusterNames(scope, members), {
      domain: 'demo.etcd-ha.internal',
      clientName: 'etcd.demo.etcd-ha.internal',
      records: [
        { name: 'etcd.demo.etcd-ha.internal', addresses: ['10.0.0.6', '10.0.0.7', '10.0.0.8'] },
        { name: 'infra0.demo.etcd-ha.internal', addresses: ['10.0.0.6'] },
        { name: 'infra1.demo.etcd-ha.internal', addresses: ['10.0.0.7'] },
        { name: 'infra2.demo.etcd-ha.internal', addresses: ['10.0.0.8'] },
      ],
    });
  });
});

describe('planNameChanges', () => {
  const desired = clusterNames(scope, members);

  it('nothing published: every name is upserted', () => {
    const changes = planNameChanges(desired, []);
    assert.equal(changes.upsert.length, 4);
    assert.deepEqual(changes.delete, []);
  });

  it('published as desired (other spelling: final dot, upper case, other order): no change', () => {
    const published = desired.records.map((r) => ({ name: `${r.name.toUpperCase()}.`, addresses: [...r.addresses].reverse() }));
    assert.equal(hasNameChanges(planNameChanges(desired, published)), false);
  });

  it('a replaced member: its name and the client name move to the new address; a member that left is deleted', () => {
    const before = clusterNames(scope, [...members, { name: 'infra3', address: '10.0.0.9' }]).records;
    const after = clusterNames(scope, [members[0]!, members[1]!, { name: 'infra2', address: '10.0.0.20' }]);
    const changes = planNameChanges(after, before);
    assert.deepEqual(changes.upsert.map((r) => `${r.name}=${r.addresses.join(',')}`), [
      'etcd.demo.etcd-ha.internal=10.0.0.20,10.0.0.6,10.0.0.7',
      'infra2.demo.etcd-ha.internal=10.0.0.20',
    ]);
    assert.deepEqual(changes.delete, [{ name: 'infra3.demo.etcd-ha.internal', addresses: ['10.0.0.9'] }]);
  });

  it('never touches names of another cluster or outside the cluster\'s domain', () => {
    const others = [
      { name: 'infra0.other.etcd-ha.internal', addresses: ['10.1.0.1'] },
      { name: 'xdemo.etcd-ha.internal', addresses: ['10.1.0.2'] },
      { name: 'demo.etcd-ha.internal', addresses: ['10.1.0.3'] },
    ];
    assert.deepEqual(planNameChanges(desired, [...desired.records, ...others]), { upsert: [], delete: [] });
  });

  it('no voters left (the cluster is deleted): every name of the cluster goes', () => {
    const changes = planNameChanges(clusterNames(scope, []), desired.records);
    assert.deepEqual(changes.upsert, []);
    assert.equal(changes.delete.length, 4);
  });
});

describe('spec.dnsZone', () => {
  const base = { clusterName: 'demo', members: members.map((m) => ({ name: m.name, address: m.address })) };

  it('defaults to etcd-ha.internal', () => {
    assert.equal(parseClusterSpec(base).dnsZone, 'etcd-ha.internal');
  });

  it('a zone that is no DNS name is refused, naming the field', () => {
    assert.throws(() => parseClusterSpec({ ...base, dnsZone: 'Not A Zone' }), (error: unknown) => {
      assert.ok(error instanceof SpecValidationError);
      assert.match(error.message, /dnsZone: must be a DNS-1123 subdomain/);
      return true;
    });
  });

  it('a member whose stable name would exceed 253 characters is refused, naming the member', () => {
    const long = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}`;
    assert.ok(nameLengthProblem({ clusterName: 'demo', dnsZone: 'etcd-ha.internal' }, long));
    assert.throws(() => parseClusterSpec({ ...base, members: [{ name: long }, { name: 'b' }, { name: 'c' }] }), /members\[0\]\.name: makes the member's DNS name ".*" 2\d\d characters long; a DNS name holds at most 253/);
  });
});
