// Done when (issue 16): after every member of a 3-member cluster is replaced, a client configured ONCE with the
// cluster's client name (`https://etcd.<cluster>.<zone>:2379`) still reads and writes. The name is looked up in the
// local runner's hosts maps (HostsMapResolver: never the machine's resolver), as kube-apiserver asks the VPC resolver
// on AWS; TLS verifies the NAME against the members' server certificates (grpc's ssl_target_name_override). Real
// etcd, local runner, ReplaceMember forced on each member in turn; only loopback addresses 127.0.2.10 and up.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Etcd3 } from 'etcd3';
import { Etcd3 as Client } from 'etcd3';
import { noop } from 'cockatiel';
import { HostsMapResolver } from '../../lambdas/adapters/local/hosts-map-resolver';
import type { ClusterSummary } from '../../lambdas/core/workflow-io';
import { sandboxesOfSuite, threeMembers } from '../support/local-workflow';
import { within } from '../support/etcd-client';
import { etcdUnderTest } from '../support/etcd-under-test';
import { clientSecret, readRecord, type ClientSecret } from '../support/local-cluster-oracle';

const ETCD = etcdUnderTest();

/** What a control plane is configured with, once: the URL by name and the apiserver-etcd-client files. */
interface ClientConfiguration {
  readonly url: string;
  readonly tls: ClientSecret;
}

/**
 * A client of `config` as kube-apiserver would make one after a (re)connect: the URL's host looked up afresh, TLS
 * checked against that host name, whichever address answers.
 */
function connect(config: ClientConfiguration, resolver: HostsMapResolver, verifyAs?: string): { client: Etcd3; addresses: string[] } {
  const url = new URL(config.url);
  const addresses = resolver.resolve(url.hostname);
  assert.ok(addresses.length > 0, `${url.hostname} resolves through the local hosts maps`);
  const client = new Client({
    hosts: addresses.map((a) => `https://${a}:${url.port}`),
    credentials: { rootCertificate: Buffer.from(config.tls.caCertPem), certChain: Buffer.from(config.tls.certPem), privateKey: Buffer.from(config.tls.keyPem) },
    // The name the server certificate must carry (and the TLS SNI): the one in the configuration.
    grpcOptions: { 'grpc.ssl_target_name_override': verifyAs ?? url.hostname, 'grpc.default_authority': verifyAs ?? url.hostname },
    dialTimeout: 3000,
    faultHandling: { global: noop, host: () => noop },
  });
  return { client, addresses };
}

/** Writes `key` and reads it back through a fresh connection of the same configuration; the addresses it used. */
async function writeAndRead(config: ClientConfiguration, resolver: HostsMapResolver, key: string, value: string): Promise<string[]> {
  const { client, addresses } = connect(config, resolver);
  try {
    await within(20_000, `put ${key}`, client.put(key).value(value).exec());
    assert.equal(await within(20_000, `get ${key}`, client.get(key).string()), value);
    return addresses;
  } finally {
    client.close();
  }
}

const inRange = (address: string) => {
  const [a, b, c, d] = address.split('.').map(Number);
  return a === 127 && b === 0 && c === 2 && d! >= 10 && d! <= 49;
};

describe(`Stable names across the replacement of every member (real etcd, local runner) on ${ETCD.label}`, () => {
  const sandbox = sandboxesOfSuite();

  it('one client configured with etcd.<cluster>.<zone> reads and writes after each of three replacements (the addresses behind the name all new) and a scale to 5 and back', async () => {
    const s = sandbox('127.0.2.10');
    const cluster = 'names';
    const provisioned = await s.provision(threeMembers(cluster));
    assert.equal(provisioned.result.status, 'SUCCEEDED', provisioned.result.cause);
    const names = (provisioned.result.output as ClusterSummary).names;
    assert.equal(names?.published, true);
    assert.equal(names?.clientUrl, 'https://etcd.names.etcd-ha.internal:2379');

    const resolver = new HostsMapResolver(s.home.dnsDir);
    const config: ClientConfiguration = { url: names!.clientUrl, tls: await clientSecret(s, cluster, 'apiserver-etcd-client') };
    const first = await writeAndRead(config, resolver, '/names/0', 'before any replacement');
    const recorded = (await readRecord(s, cluster)).members;
    assert.deepEqual(first, recorded.map((m) => m.address).sort(), 'the client name holds every voter\'s address');
    assert.ok(first.every(inRange), `only 127.0.2.10-49: ${first.join(', ')}`);
    for (const m of recorded) assert.deepEqual(resolver.resolve(`${m.name}.names.etcd-ha.internal`), [m.address]);

    // TLS really checks the name: a name the certificates do not carry is refused by the same client.
    const wrong = connect(config, resolver, 'etcd.other.etcd-ha.internal');
    await assert.rejects(within(20_000, 'a put verified as another name', wrong.client.put('/names/wrong').value('x').exec()));
    wrong.client.close();

    // A replacement is a new member with a name of its own (infra0 → infra3, lambdas/core/quorum.ts replacementName):
    // its name is published, the one of the member that left is deleted, the client name moves.
    for (const [i, member] of ['infra0', 'infra1', 'infra2'].entries()) {
      const before = (await readRecord(s, cluster)).members;
      const leaving = before.find((m) => m.name === member)!.address;
      // On AWS a clone gets a new private address; locally a freed loopback address would be reused, so each
      // replacement is given one nobody had (127.0.2.20, .21, .22).
      const run = await s.replace({ clusterName: cluster, failedMember: member, force: true, replacement: { address: `127.0.2.${20 + i}` } });
      assert.equal(run.result.status, 'SUCCEEDED', run.result.cause);
      const joined = (await readRecord(s, cluster)).members.filter((m) => !before.some((b) => b.name === m.name));
      assert.equal(joined.length, 1, 'one new member');
      const { name, address } = joined[0]!;
      assert.ok(inRange(address), `only 127.0.2.10-49: ${address}`);
      assert.deepEqual(resolver.resolve(`${name}.names.etcd-ha.internal`), [address], `${name}'s own name`);
      assert.deepEqual(resolver.resolve(`${member}.names.etcd-ha.internal`), [], `${member} left: its name is deleted`);
      const used = await writeAndRead(config, resolver, `/names/${i + 1}`, `after replacing ${member}`);
      assert.ok(used.includes(address) && !used.includes(leaving), `the client name moved from ${leaving} to ${address}: ${used.join(', ')}`);
    }

    const last = resolver.resolve('etcd.names.etcd-ha.internal');
    assert.equal(last.length, 3);
    assert.deepEqual(last.filter((a) => first.includes(a)), [], `all new: ${first.join(', ')} → ${last.join(', ')}`);
    // A scale to 5 and back to 3 (ScaleCluster records after each change, so the names follow each one): the same
    // configuration reads and writes at each size, the name holding exactly the voters.
    for (const [i, size] of [5, 3].entries()) {
      const scaled = await s.scale({ clusterName: cluster, members: size });
      assert.equal(scaled.result.status, 'SUCCEEDED', scaled.result.cause);
      const voters = (await readRecord(s, cluster)).members.map((m) => m.address).sort();
      assert.equal(voters.length, size);
      assert.ok(voters.every(inRange), `only 127.0.2.10-49: ${voters.join(', ')}`);
      assert.deepEqual(resolver.resolve('etcd.names.etcd-ha.internal'), voters, `the client name holds the ${size} voters`);
      const used = await writeAndRead(config, resolver, `/names/${4 + i}`, `at ${size} members`);
      assert.deepEqual(used, voters);
    }

    // Everything written through the name is still there.
    const { client } = connect(config, resolver);
    try {
      const all = await within(20_000, 'read all', client.getAll().prefix('/names/').strings());
      assert.deepEqual(Object.keys(all).sort(), ['/names/0', '/names/1', '/names/2', '/names/3', '/names/4', '/names/5']);
    } finally {
      client.close();
    }
    // The addresses of the first lookup (what a control plane with fixed --etcd-servers keeps) all lead nowhere now.
    const stale = new Client({
      hosts: first.map((a) => `https://${a}:2379`),
      credentials: { rootCertificate: Buffer.from(config.tls.caCertPem), certChain: Buffer.from(config.tls.certPem), privateKey: Buffer.from(config.tls.keyPem) },
      dialTimeout: 1500,
      faultHandling: { global: noop, host: () => noop },
    });
    await assert.rejects(within(20_000, 'a put to the first addresses', stale.put('/names/stale').value('x').exec()));
    stale.close();

    // The README's check, with another TLS stack (curl, OpenSSL): the name from the hosts map, verified by name.
    const files = mkdtempSync(join(tmpdir(), 'etcd-ha-names-curl-'));
    try {
      for (const [file, pem] of [['ca.crt', config.tls.caCertPem], ['client.crt', config.tls.certPem], ['client.key', config.tls.keyPem]] as const) {
        writeFileSync(join(files, file), pem, { mode: 0o600 });
      }
      const script = [
        'set -euo pipefail',
        `hosts="${s.home.dnsDir}/names.etcd-ha.internal.hosts"`,
        `addr=$(awk '$2 == "etcd.names.etcd-ha.internal" {print $1; exit}' "$hosts")`,
        `curl -sS --max-time 10 --resolve "etcd.names.etcd-ha.internal:2379:$addr" --cacert "${files}/ca.crt" --cert "${files}/client.crt" --key "${files}/client.key" https://etcd.names.etcd-ha.internal:2379/health`,
      ].join('\n');
      const run = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /"health":\s*"true"/);
    } finally {
      rmSync(files, { recursive: true, force: true });
    }
  });
});
