// Check Quorum, step by step and without etcd: the ports are stand-ins (a secret store holding the healthcheck
// client, an etcd admin whose inspect() answers a ClusterView built here). It judges the cluster Read Cluster read
// under the lock (the record is Read Cluster's: test/steps/read-cluster.test.ts). It refuses to replace a member
// that still answers unless forced, refuses a change the others cannot commit, and judges the recorded hosts when
// etcd cannot list its members (etcd 3.5 without quorum answers an empty list). A failed member removed already
// (by an earlier execution, or no longer listed by etcd) leaves only the addition, which needs a quorum of the
// voters that remain.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemberStillHealthyError, QuorumLostError } from '../../lambdas/core/errors';
import type { ClusterMember, ClusterView, Logger } from '../../lambdas/ports';
import { makeCheckQuorum } from '../../lambdas/steps/replace/check-quorum';
import { errorOf } from '../support/rejection';
import { demoPkiRefs, etcdAnswering, HEALTHCHECK_CLIENT, secretsWithHealthcheckClient } from './etcd-stand-in';

const quiet: Logger = { info: () => undefined, warn: () => undefined };
const NAMES = ['infra0', 'infra1', 'infra2'];
const addressOf = (name: string) => `10.0.0.${10 + Number(name.slice('infra'.length))}`;
const HOSTS = NAMES.map((name) => ({ name, address: addressOf(name) }));
const PKI = demoPkiRefs(NAMES);
const CLIENT = HEALTHCHECK_CLIENT;

const input = (extra: Record<string, unknown> = {}) => ({
  spec: { clusterName: 'demo', runtime: 'systemd', members: HOSTS },
  hosts: HOSTS,
  failed: { name: 'infra1', id: '101', address: addressOf('infra1') },
  pki: PKI,
  ...extra,
});

const endpointOf = (name: string) => `https://${addressOf(name)}:2379`;

/**
 * What etcd answers when `answering` answer their status: `asked` are the endpoints' members, `listed` the member
 * list (`[]` is etcd 3.5 without quorum, which cannot list its members).
 */
function viewWhere(answering: readonly string[], listed: readonly string[] = NAMES, asked: readonly string[] = NAMES): ClusterView {
  const members: ClusterMember[] = listed.map((name) => ({
    id: String(100 + Number(name.slice('infra'.length))),
    name,
    peerURLs: [`https://${addressOf(name)}:2380`],
    clientURLs: [endpointOf(name)],
    isLearner: false,
  }));
  return {
    statuses: asked.map((name) =>
      answering.includes(name) ? { endpoint: endpointOf(name), ok: true } : { endpoint: endpointOf(name), ok: false, error: 'connect ECONNREFUSED' },
    ),
    members,
    alarms: [],
  };
}

/** The step over stand-ins; `calls` records what etcd was asked and with which client. */
function checkQuorumOver(view: ClusterView) {
  const { etcd, calls } = etcdAnswering(() => view, 'Check Quorum');
  return { checkQuorum: makeCheckQuorum({ secrets: secretsWithHealthcheckClient('Check Quorum'), etcd, log: quiet }), calls };
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
    assert.deepEqual(await checkQuorum(input({ force: true })), { voters: 3, healthyOthers: 2, quorum: 2, alreadyRemoved: false });
  });

  it('goes ahead without force when the failed member does not answer', async () => {
    const { checkQuorum } = checkQuorumOver(viewWhere(['infra0', 'infra2']));
    assert.deepEqual(await checkQuorum(input()), { voters: 3, healthyOthers: 2, quorum: 2, alreadyRemoved: false });
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
    assert.deepEqual(await checkQuorum(input()), { voters: 3, healthyOthers: 2, quorum: 2, alreadyRemoved: false });
  });

  it('carries on when etcd no longer lists the failed member (a re-run after Remove Dead Members): the addition needs 2 of the 2 voters left', async () => {
    const { checkQuorum } = checkQuorumOver(viewWhere(['infra0', 'infra2'], ['infra0', 'infra2']));
    assert.deepEqual(await checkQuorum(input()), { voters: 2, healthyOthers: 2, quorum: 2, alreadyRemoved: true });
  });

  describe('a failed member an earlier execution removed (failed.removed): only its replacement is to be added', () => {
    // infra1 and infra4 of a 5-member cluster died; an earlier execution removed both from etcd (recording them as
    // awaiting their replacements): infra0, infra2 and infra3 remain, the only voters.
    const REMAINING = ['infra0', 'infra2', 'infra3'];
    const removedInput = () =>
      input({
        spec: { clusterName: 'demo', runtime: 'systemd', members: ['infra0', 'infra1', 'infra2', 'infra3', 'infra4'].map((name) => ({ name, address: addressOf(name) })) },
        hosts: REMAINING.map((name) => ({ name, address: addressOf(name) })),
        failed: { name: 'infra1', id: '101', address: addressOf('infra1'), removed: true },
      });

    it('with 2 of the 3 remaining voters answering, goes ahead: alreadyRemoved', async () => {
      const { checkQuorum, calls } = checkQuorumOver(viewWhere(['infra0', 'infra2'], REMAINING, REMAINING));
      assert.deepEqual(await checkQuorum(removedInput()), { voters: 3, healthyOthers: 2, quorum: 2, alreadyRemoved: true });
      assert.deepEqual(calls.inspected, [REMAINING.map(endpointOf)], 'the recorded members are asked');
    });

    it('with only 1 of the 3 answering, refuses: QuorumLostError (the addition could not commit)', async () => {
      const { checkQuorum } = checkQuorumOver(viewWhere(['infra0'], REMAINING, REMAINING));
      const error = await errorOf(checkQuorum(removedInput()));
      assert.ok(error instanceof QuorumLostError, `expected QuorumLostError, got ${String(error)}`);
      assert.equal(error.name, 'QuorumLostError');
      assert.match(error.message, /quorum is lost: 1 of 3 members are healthy, 2 are needed \(down: infra2, infra3\)/);
    });

    it('trusts the record while a stale member list still names it (etcd 3.4 answers the list from the member asked, which may lag): alreadyRemoved', async () => {
      const { checkQuorum } = checkQuorumOver(viewWhere(['infra0', 'infra2', 'infra3'], [...REMAINING, 'infra1'], REMAINING));
      assert.equal((await checkQuorum(removedInput())).alreadyRemoved, true);
    });
  });
});
