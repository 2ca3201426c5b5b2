// Revocation against real etcd through the local runner: every member loads the cluster's CRL from the start, and
// after a replacement the removed member's own certificates — its server pair used as a client, its peer pair on the
// peer port — are refused by the members that stay, while the new member's pairs are accepted. etcd reads the CRL on
// every connection it accepts (pkg/transport/listener_tls.go), so no member restarts for it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { decodeMemberBundle } from '../../lambdas/core/pki/member-bundle';
import { serialOf } from '../../lambdas/core/pki/crl';
import { sandboxesOfSuite, threeMembers, type LocalWorkflowSandbox } from '../support/local-workflow';
import { etcdUnderTest } from '../support/etcd-under-test';
import { killMember, memberList, readRecord } from '../support/local-cluster-oracle';
import { within } from '../support/etcd-client';

const ETCD = etcdUnderTest();

interface MemberPairs {
  readonly ca: string;
  readonly server: { cert: string; key: string };
  readonly peer: { cert: string; key: string };
}

/** A member's pairs as its secret holds them (what its host installed). */
async function pairsOf(s: LocalWorkflowSandbox, cluster: string, member: string): Promise<MemberPairs> {
  const text = await s.deps().secrets.get(`etcd-ha/${cluster}/member/${member}`);
  assert.ok(text, `the secret of ${member} is kept`);
  const files = new Map(decodeMemberBundle(text).map((f) => [f.path, f.content]));
  const file = (path: string) => files.get(path) ?? assert.fail(`${member}'s bundle lacks ${path}`);
  return {
    ca: file('etcd/ca.crt'),
    server: { cert: file('etcd/server.crt'), key: file('etcd/server.key') },
    peer: { cert: file('etcd/peer.crt'), key: file('etcd/peer.key') },
  };
}

/**
 * GET /version over mTLS with `pair` as the client certificate: etcd serves it on the client and the peer port.
 * "accepted" with etcd's answer, or "refused" with the error (etcd closes a connection whose certificate is revoked
 * right after the handshake).
 */
function getVersion(url: string, ca: string, pair: { cert: string; key: string }): Promise<{ outcome: 'accepted'; body: string } | { outcome: 'refused'; error: string }> {
  return new Promise((resolve) => {
    const req = request(`${url}/version`, { ca, cert: pair.cert, key: pair.key, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ outcome: 'accepted', body }));
      res.on('error', (error) => resolve({ outcome: 'refused', error: error.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error) => resolve({ outcome: 'refused', error: error.message }));
    req.end();
  });
}

describe(`Revocation of a replaced member's certificates (real etcd, local runner) on ${ETCD.label}`, () => {
  const sandbox = sandboxesOfSuite();

  it('every member starts with the CRL; after a replacement the old member\'s client and peer certificates are refused, the new member\'s accepted', async () => {
    const s = sandbox('127.0.0.142');
    const cluster = 'revoke';
    const provisioned = await s.provision(threeMembers(cluster));
    assert.equal(provisioned.result.status, 'SUCCEEDED', provisioned.result.cause);
    for (const host of ['infra0', 'infra1', 'infra2']) {
      const root = join(s.home.hostsDir, host);
      assert.ok(existsSync(join(root, 'etc/kubernetes/pki/etcd/crl.pem')), `${host} has the CRL`);
      const env = readFileSync(join(root, 'etc/etcd/etcd.conf'), 'utf8');
      assert.match(env, new RegExp(`^ETCD_CLIENT_CRL_FILE=${root}/etc/kubernetes/pki/etcd/crl.pem$`, 'm'));
      assert.match(env, new RegExp(`^ETCD_PEER_CRL_FILE=${root}/etc/kubernetes/pki/etcd/crl.pem$`, 'm'));
    }
    const record = await readRecord(s, cluster);
    const address = (name: string) => record.members.find((m) => m.name === name)?.address ?? assert.fail(`no ${name}`);
    const stays = address('infra0');
    const old = await pairsOf(s, cluster, 'infra1');
    // Before: the pairs work (so that the refusal below is the revocation's doing).
    assert.equal((await getVersion(`https://${stays}:2379`, old.ca, old.server)).outcome, 'accepted');
    assert.equal((await getVersion(`https://${stays}:2380`, old.ca, old.peer)).outcome, 'accepted');

    await killMember(s, 'infra1');
    const replaced = await s.replace({ clusterName: cluster, failedMember: 'infra1' });
    assert.equal(replaced.result.status, 'SUCCEEDED', replaced.result.cause);
    const revoked = replaced.result.events.find((e) => e.kind === 'succeeded' && e.state === 'Revoke Removed Members')?.output as { revocation: { revoked: string[]; crlNumber: number } };
    assert.deepEqual(revoked.revocation.revoked, ['infra1']);
    assert.equal(revoked.revocation.crlNumber, 2, 'the empty bootstrap list, then this one');
    const listed = memberList(s, cluster, `https://${stays}:2379`).map((m) => m.name).sort();
    assert.deepEqual(listed, ['infra0', 'infra2', 'infra3']);

    const crl = readFileSync(join(s.home.hostsDir, 'infra0', 'etc/kubernetes/pki/etcd/crl.pem'), 'utf8');
    assert.equal(readFileSync(join(s.home.hostsDir, 'infra3', 'etc/kubernetes/pki/etcd/crl.pem'), 'utf8'), crl, 'the joining member loads the same list');
    const newcomer = await pairsOf(s, cluster, 'infra3');
    const after = await readRecord(s, cluster);
    for (const name of ['infra0', 'infra2', 'infra3']) {
      const at = after.members.find((m) => m.name === name)?.address ?? assert.fail(`${name} is not recorded`);
      for (const [port, oldPair, newPair] of [[2379, old.server, newcomer.server], [2380, old.peer, newcomer.peer]] as const) {
        const refused = await within(10_000, `old pair at ${name}:${port}`, getVersion(`https://${at}:${port}`, old.ca, oldPair));
        assert.equal(refused.outcome, 'refused', `${name}:${port} still accepts the removed member's certificate`);
        const accepted = await within(10_000, `new pair at ${name}:${port}`, getVersion(`https://${at}:${port}`, newcomer.ca, newPair));
        assert.equal(accepted.outcome, 'accepted', `${name}:${port} refuses the new member: ${JSON.stringify(accepted)}`);
      }
    }
    // The removed member's serials are on the list; its secret is kept (untagged on AWS: see the moto test).
    assert.ok(crl.startsWith('-----BEGIN X509 CRL-----'));
    assert.notEqual(serialOf(old.server.cert), serialOf(newcomer.server.cert));
  });
});
