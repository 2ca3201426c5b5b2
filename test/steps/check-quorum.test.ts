// Check Quorum, step by step and without etcd: the ports are stand-ins (a registry holding one record, a secret
// store holding the healthcheck client, an etcd admin whose inspect() answers a ClusterView built here). It refuses
// to replace a member that still answers unless forced, refuses a change the others cannot commit, and judges the
// recorded hosts when etcd cannot list its members (etcd 3.5 without quorum answers an empty list).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemberStillHealthyError, QuorumLostError } from '../../lambdas/core/errors';
import type { ClusterMember, ClusterRecord, ClusterView, EtcdAdmin, EtcdAdminFactory, EtcdClientCredentials, Logger, SecretStore } from '../../lambdas/ports';
import { makeCheckQuorum } from '../../lambdas/steps/replace/check-quorum';
import { errorOf } from '../support/rejection';

const quiet: Logger = { info: () => undefined, warn: () => undefined };
const NAMES = ['infra0', 'infra1', 'infra2'];
const addressOf = (name: string) => `10.0.0.${10 + NAMES.indexOf(name)}`;
const HOSTS = NAMES.map((name) => ({ name, address: addressOf(name) }));
const PKI = {
  ca: 'etcd-ha/demo/ca',
  healthcheckClient: 'etcd-ha/demo/healthcheck-client',
  apiserverEtcdClient: 'etcd-ha/demo/apiserver-etcd-client',
  members: Object.fromEntries(NAMES.map((name) => [name, `etcd-ha/demo/member/${name}`])),
};
const CLIENT: EtcdClientCredentials = { caCertPem: 'CA PEM', certPem: 'HEALTHCHECK CERT PEM', keyPem: 'HEALTHCHECK KEY PEM' };

const RECORD: ClusterRecord = {
  clusterName: 'demo',
  runtime: 'systemd',
  members: NAMES.map((name, i) => ({ name, id: String(100 + i), address: addressOf(name) })),
  secrets: {},
  updatedAt: '2026-01-01T00:00:00.000Z',
  spec: { clusterName: 'demo', runtime: 'systemd', members: HOSTS },
};

const input = (extra: Record<string, unknown> = {}) => ({
  spec: { clusterName: 'demo', runtime: 'systemd', members: HOSTS },
  hosts: HOSTS,
  failed: { name: 'infra1', id: '101', address: addressOf('infra1') },
  pki: PKI,
  ...extra,
});

const endpointOf = (name: string) => `https://${addressOf(name)}:2379`;

/** What etcd answers when `answering` answer their status; `listed: false` is etcd 3.5 without quorum (no member list). */
function viewWhere(answering: readonly string[], listed: readonly string[] = NAMES): ClusterView {
  const members: ClusterMember[] = listed.map((name) => ({
    id: String(100 + NAMES.indexOf(name)),
    name,
    peerURLs: [`https://${addressOf(name)}:2380`],
    clientURLs: [endpointOf(name)],
    isLearner: false,
  }));
  return {
    statuses: NAMES.map((name) =>
      answering.includes(name) ? { endpoint: endpointOf(name), ok: true } : { endpoint: endpointOf(name), ok: false, error: 'connect ECONNREFUSED' },
    ),
    members,
    alarms: [],
  };
}

/** The step over stand-ins; `calls` records what etcd was asked and with which client. */
function checkQuorumOver(view: ClusterView, record: ClusterRecord | undefined = RECORD) {
  const calls = { connectedWith: [] as EtcdClientCredentials[], inspected: [] as string[][], closed: 0 };
  const secrets: SecretStore = {
    nameFor: (cluster, item) => `etcd-ha/${cluster}/${item}`,
    get: async (name) => (name === PKI.healthcheckClient ? JSON.stringify(CLIENT) : undefined),
    put: async () => assert.fail('Check Quorum writes no secret'),
  };
  const admin: EtcdAdmin = {
    inspect: async (endpoints) => {
      calls.inspected.push([...endpoints]);
      return view;
    },
    memberAdd: async () => assert.fail('Check Quorum changes no membership'),
    memberRemove: async () => assert.fail('Check Quorum changes no membership'),
    memberPromote: async () => assert.fail('Check Quorum changes no membership'),
    snapshot: async () => assert.fail('Check Quorum takes no snapshot'),
    close: async () => {
      calls.closed += 1;
    },
  };
  const etcd: EtcdAdminFactory = {
    connect: (credentials) => {
      calls.connectedWith.push(credentials);
      return admin;
    },
  };
  const registry = {
    get: async (name: string) => (name === 'demo' ? record : undefined),
    findByInstanceId: async () => assert.fail('Check Quorum looks the cluster up by name'),
    put: async () => assert.fail('Check Quorum records nothing'),
  };
  return { checkQuorum: makeCheckQuorum({ secrets, etcd, registry, log: quiet }), calls };
}

describe('Check Quorum', () => {
  it('refuses to replace a member that still answers without force: MemberStillHealthyError', async () => {
    const { checkQuorum, calls } = checkQuorumOver(viewWhere(NAMES));
    const error = await errorOf(checkQuorum(input()));
    assert.ok(error instanceof MemberStillHealthyError, `expected MemberStillHealthyError, got ${String(error)}`);
    assert.equal(error.name, 'MemberStillHealthyError', 'the workflow catches it by name');
    assert.match(error.message, /infra1 still answers/);
    assert.match(error.message, /force/);
    assert.deepEqual(calls.connectedWith, [CLIENT], 'with the healthcheck client');
    assert.deepEqual(calls.inspected, [NAMES.map(endpointOf)], 'every recorded host is asked');
    assert.equal(calls.closed, 1, 'the client is closed, also on a refusal');
  });

  it('with force, goes ahead with the member that still answers', async () => {
    const { checkQuorum } = checkQuorumOver(viewWhere(NAMES));
    assert.deepEqual(await checkQuorum(input({ force: true })), { stillNeeded: true, voters: 3, healthyOthers: 2, quorum: 2, alreadyRemoved: false });
  });

  it('goes ahead without force when the failed member does not answer', async () => {
    const { checkQuorum } = checkQuorumOver(viewWhere(['infra0', 'infra2']));
    assert.deepEqual(await checkQuorum(input()), { stillNeeded: true, voters: 3, healthyOthers: 2, quorum: 2, alreadyRemoved: false });
  });

  it('with an empty member list (no quorum) and only infra0 answering, judges the recorded hosts: QuorumLostError', async () => {
    const { checkQuorum } = checkQuorumOver(viewWhere(['infra0'], []));
    const error = await errorOf(checkQuorum(input()));
    assert.ok(error instanceof QuorumLostError, `expected QuorumLostError, got ${String(error)}`);
    assert.equal(error.name, 'QuorumLostError');
    assert.match(error.message, /quorum is lost: 1 of 3 members besides infra1 are healthy, 2 are needed \(down: infra1, infra2\)/);
    assert.match(error.message, /The member list could not be read \(etcd 3\.5 serves it only with quorum\): judged from the 3 recorded members/);
  });

  it('with an empty member list but infra0 and infra2 answering, the recorded hosts make the change safe', async () => {
    const { checkQuorum } = checkQuorumOver(viewWhere(['infra0', 'infra2'], []));
    assert.deepEqual(await checkQuorum(input()), { stillNeeded: true, voters: 3, healthyOthers: 2, quorum: 2, alreadyRemoved: false });
  });

  it('carries on when etcd no longer lists the failed member (a re-run after Remove Failed Member)', async () => {
    const { checkQuorum } = checkQuorumOver(viewWhere(['infra0', 'infra2'], ['infra0', 'infra2']));
    assert.deepEqual(await checkQuorum(input()), { stillNeeded: true, voters: 2, healthyOthers: 2, quorum: 0, alreadyRemoved: true });
  });

  it('when the record no longer has the failed member (another execution replaced it), is no longer needed and asks etcd nothing', async () => {
    const replaced: ClusterRecord = {
      ...RECORD,
      members: [RECORD.members[0]!, RECORD.members[2]!, { name: 'infra3', id: '103', address: '10.0.0.13' }],
    };
    const { checkQuorum, calls } = checkQuorumOver(viewWhere(NAMES), replaced);
    assert.deepEqual(await checkQuorum(input()), { stillNeeded: false, voters: 3, healthyOthers: 0, quorum: 0, alreadyRemoved: true });
    assert.deepEqual(calls.connectedWith, []);
  });
});
