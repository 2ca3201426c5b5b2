// Binding a run to its cluster (issue 13, item 1), on the local runner over real etcd. Each exploit of the issue is
// a test that the code before the binding let through:
//  - a first run that failed after its CA was made left a CA and no record: anyone's spec for that name then adopted
//    the CA, which signed a server/peer pair (with clientAuth) for the spec's host, and Record Cluster recorded it;
//  - a spec naming another cluster's host (the hosts of a home share one directory, as instances share an account)
//    pushed this cluster's certificates and config onto it;
//  - a CA secret that no record accounted for was silently adopted.
// Now the first run records the cluster as bootstrapping before its CA, a re-run converges with the same CA, another
// spec for it is refused, a host serves only the cluster of its tag, and an unrecorded CA is refused by name.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HostScriptFailedError } from '../../lambdas/core/errors';
import { ensureClusterPkiConcurrently } from '../../lambdas/core/pki/bundle';
import { parseClusterSpec } from '../../lambdas/core/spec';
import { FileClusterRegistry } from '../../lambdas/adapters/local/file-cluster-registry';
import { FileSecretStore } from '../../lambdas/adapters/local/file-secret-store';
import type { HostRunner } from '../../lambdas/ports';
import { sandboxesOfSuite, type LocalWorkflowSandbox } from '../support/local-workflow';
import { isRunning } from '../support/processes';
import { etcdUnderTest } from '../support/etcd-under-test';

const ETCD = etcdUnderTest();

/** A single-member cluster on a loopback address of this suite's own (127.0.0.67–70, .128–130). */
const oneMember = (clusterName: string, name: string, address: string) => ({
  clusterName,
  runtime: 'systemd',
  allowSingleMember: true,
  members: [{ name, address }],
});

/** A runner whose `title` fails once (on any host), as a first run that breaks after its CA was made. */
function failingOnce(inner: HostRunner, title: string): HostRunner {
  let failed = false;
  return {
    async run(hosts, command) {
      if (!failed && command.title === title) {
        failed = true;
        throw new HostScriptFailedError(`${title} failed on ${hosts.map((h) => h.name).join(', ')}: injected by the test`);
      }
      return inner.run(hosts, command);
    },
  };
}

function stores(s: LocalWorkflowSandbox) {
  return { registry: new FileClusterRegistry({ dir: s.home.registryDir }), secrets: new FileSecretStore({ dir: s.home.secretsDir }) };
}

describe(`ProvisionCluster binds a run to its cluster (local interpreter, real etcd) on ${ETCD.label}`, () => {
  const sandbox = sandboxesOfSuite();
  // One home for every cluster of the suite: their hosts share its hosts directory.
  let s: LocalWorkflowSandbox;

  it('a first run that fails after its CA was made leaves a bootstrapping record naming its members', async () => {
    s = sandbox('127.0.0.67');
    const { registry, secrets } = stores(s);
    const { result, calls } = await s.provision(oneMember('prod', 'prod0', '127.0.0.68'), { deps: s.deps((runner) => failingOnce(runner, 'Start Etcd')) });
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'HostScriptFailedError');
    assert.equal(calls.recordCluster, undefined);
    const record = await registry.get('prod');
    assert.equal(record?.status, 'bootstrapping', 'recorded before the CA was made');
    assert.deepEqual(record?.members.map((m) => ({ name: m.name, address: m.address })), [{ name: 'prod0', address: '127.0.0.68' }]);
    assert.ok(await secrets.get('etcd-ha/prod/ca'), 'the CA was made');
  });

  it("meanwhile, another spec for prod (someone's own host) is refused: prod's CA signs nothing for it, its record and CA are untouched", async () => {
    const { registry, secrets } = stores(s);
    const [recordBefore, caBefore] = [await registry.get('prod'), await secrets.get('etcd-ha/prod/ca')];
    const { result, calls } = await s.provision(oneMember('prod', 'evil0', '127.0.0.69'));
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'ProvisionRefusedError');
    assert.match(result.cause ?? '', /cluster prod's first provisioning did not complete and recorded other members: .*the spec lists evil0, which is no member.*prod0 is a member, the spec does not list it/);
    assert.equal(calls.generatePki, undefined, 'refused before any certificate');
    assert.deepEqual(await registry.get('prod'), recordBefore);
    assert.equal(await secrets.get('etcd-ha/prod/ca'), caBefore);
    assert.equal(await secrets.get('etcd-ha/prod/member/evil0'), undefined, 'no server/peer pair for the foreign host');
  });

  it('the re-run of the first spec converges with the same CA, and the cluster is recorded as running', async () => {
    const { registry, secrets } = stores(s);
    const caBefore = await secrets.get('etcd-ha/prod/ca');
    const { result } = await s.provision(oneMember('prod', 'prod0', '127.0.0.68'));
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.equal(await secrets.get('etcd-ha/prod/ca'), caBefore, 'the same CA');
    const record = await registry.get('prod');
    assert.equal(record?.status, 'running');
    assert.ok(record?.members[0]?.id, 'with its etcd member ID');
  });

  it("a spec naming another cluster's host is refused at Resolve Hosts: nothing is written, that cluster and its etcd are untouched", async () => {
    const { registry, secrets } = stores(s);
    const dev = await s.provision(oneMember('dev', 'dev0', '127.0.0.70'));
    assert.equal(dev.result.status, 'SUCCEEDED', dev.result.cause);
    const [devRecord, devCa, devPid] = [await registry.get('dev'), await secrets.get('etcd-ha/dev/ca'), s.pidOf('dev0')];

    const { result, calls } = await s.provision(oneMember('stage', 'dev0', '127.0.0.70'));
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'HostNotInClusterError');
    assert.match(result.cause ?? '', /member "dev0": host .*dev0 is tagged etcd-ha:cluster="dev", not "stage"/);
    assert.equal(calls.generatePki, undefined);
    assert.equal(await registry.get('stage'), undefined, 'no record');
    assert.equal(await secrets.get('etcd-ha/stage/ca'), undefined, 'no CA');
    assert.deepEqual(await registry.get('dev'), devRecord);
    assert.equal(await secrets.get('etcd-ha/dev/ca'), devCa);
    assert.equal(s.pidOf('dev0'), devPid, "dev0's etcd was not restarted");
    assert.ok(devPid !== undefined && isRunning(devPid));

    // The issue's own words: prod with dev's host. prod's record and CA stay as they are.
    const [prodRecord, prodCa] = [await registry.get('prod'), await secrets.get('etcd-ha/prod/ca')];
    const takeover = await s.provision(oneMember('prod', 'dev0', '127.0.0.70'));
    assert.equal(takeover.result.status, 'FAILED');
    assert.equal(takeover.result.error, 'ProvisionRefusedError');
    assert.deepEqual(await registry.get('prod'), prodRecord);
    assert.equal(await secrets.get('etcd-ha/prod/ca'), prodCa);
    assert.equal(await secrets.get('etcd-ha/prod/member/dev0'), undefined);
  });

  it('a CA secret without any record is refused naming the secret, never adopted: nothing recorded, the secret as it was', async () => {
    const { registry, secrets } = stores(s);
    // A valid CA someone else made (and knows the key of), planted under the name a future cluster's CA would take.
    const planted = await ensureClusterPkiConcurrently(undefined, parseClusterSpec(oneMember('orphan', 'orphan0', '127.0.0.128')), new Date());
    await secrets.put('etcd-ha/orphan/ca', JSON.stringify(planted.pki.ca), { description: 'planted' });
    const before = await secrets.get('etcd-ha/orphan/ca');

    const { result } = await s.provision(oneMember('orphan', 'orphan0', '127.0.0.128'));
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'UnrecordedCaError');
    assert.match(result.cause ?? '', /the secret etcd-ha\/orphan\/ca holds a CA, but no record says cluster orphan exists/);
    assert.equal(await registry.get('orphan'), undefined, 'nothing recorded');
    assert.equal(await secrets.get('etcd-ha/orphan/ca'), before, 'neither adopted nor replaced');
    assert.equal(await secrets.get('etcd-ha/orphan/member/orphan0'), undefined, 'nothing signed with it');
    assert.equal(existsSync(join(s.home.hostsDir, 'orphan0', 'etc', 'kubernetes', 'pki')), false, 'nothing pushed to the host');
  });
});
