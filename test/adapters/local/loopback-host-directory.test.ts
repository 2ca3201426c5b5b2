// LoopbackHostDirectory: deterministic loopback addresses and one root dir per member.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CLUSTER_TAG_FILE, LoopbackHostDirectory } from '../../../lambdas/adapters/local/loopback-host-directory';
import { HostNotInClusterError, SpecValidationError } from '../../../lambdas/core/errors';

describe('LoopbackHostDirectory', () => {
  const work = mkdtempSync(join(tmpdir(), 'etcd-ha-hosts-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  test('member i gets firstAddress + i and the root <hostsDir>/<name>, created 0755', async () => {
    const hostsDir = join(work, 'a');
    const directory = new LoopbackHostDirectory({ hostsDir });
    const hosts = await directory.resolve('demo', [{ name: 'infra0' }, { name: 'infra1' }, { name: 'infra2' }]);
    assert.deepEqual(hosts, [
      { name: 'infra0', address: '127.0.0.11', root: join(hostsDir, 'infra0') },
      { name: 'infra1', address: '127.0.0.12', root: join(hostsDir, 'infra1') },
      { name: 'infra2', address: '127.0.0.13', root: join(hostsDir, 'infra2') },
    ]);
    for (const host of hosts) assert.equal((statSync(host.root!).mode & 0o777).toString(8), '755');
    assert.deepEqual(await directory.resolve('demo', [{ name: 'infra0' }, { name: 'infra1' }, { name: 'infra2' }]), hosts, 'a re-run resolves the same hosts');
  });

  test("tags a new host for its cluster; another cluster's spec naming it is refused (HostNotInClusterError naming host, tag and cluster), nothing created", async () => {
    const hostsDir = join(work, 'tags');
    const directory = new LoopbackHostDirectory({ hostsDir });
    const [dev0] = await directory.resolve('dev', [{ name: 'dev0' }]);
    assert.equal(readFileSync(join(dev0!.root!, CLUSTER_TAG_FILE), 'utf8'), 'dev\n');
    assert.deepEqual(await directory.resolve('dev', [{ name: 'dev0' }]), [dev0], 'its own cluster resolves it again');

    const error = await directory.resolve('prod', [{ name: 'prod0' }, { name: 'dev0' }]).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof HostNotInClusterError, String(error));
    assert.equal(error.name, 'HostNotInClusterError');
    assert.match(error.message, new RegExp(`member "dev0": host ${join(hostsDir, 'dev0')} is tagged etcd-ha:cluster="dev", not "prod"`));
    assert.equal(existsSync(join(hostsDir, 'prod0')), false, 'nothing created');
    assert.equal(readFileSync(join(dev0!.root!, CLUSTER_TAG_FILE), 'utf8'), 'dev\n', 'its tag unchanged');
  });

  test('a host made before tags were written (a root without a tag) is tagged by the cluster that resolves it', async () => {
    const hostsDir = join(work, 'legacy');
    mkdirSync(join(hostsDir, 'old0'), { recursive: true });
    const directory = new LoopbackHostDirectory({ hostsDir });
    await directory.resolve('demo', [{ name: 'old0' }]);
    assert.equal(readFileSync(join(hostsDir, 'old0', CLUSTER_TAG_FILE), 'utf8'), 'demo\n');
    await assert.rejects(directory.resolve('prod', [{ name: 'old0' }]), HostNotInClusterError);
  });

  test('keeps given addresses and skips them for the others; firstAddress is configurable', async () => {
    const directory = new LoopbackHostDirectory({ hostsDir: join(work, 'b'), firstAddress: '127.0.1.254' });
    const hosts = await directory.resolve('demo', [{ name: 'a' }, { name: 'b', address: '127.0.1.255' }, { name: 'c', address: '127.0.2.0' }, { name: 'd' }]);
    assert.deepEqual(
      hosts.map((h) => h.address),
      ['127.0.1.254', '127.0.1.255', '127.0.2.0', '127.0.2.1'],
    );
    const skipping = await new LoopbackHostDirectory({ hostsDir: join(work, 'c') }).resolve('demo', [{ name: 'x' }, { name: 'y', address: '127.0.0.11' }]);
    assert.deepEqual(skipping.map((h) => h.address), ['127.0.0.12', '127.0.0.11']);
  });

  test('a non-loopback address is refused naming members[i].address, and nothing is created', async () => {
    const hostsDir = join(work, 'd');
    const directory = new LoopbackHostDirectory({ hostsDir });
    await assert.rejects(
      () => directory.resolve('demo', [{ name: 'infra0' }, { name: 'infra1', address: '10.0.0.7' }]),
      (error: unknown) => {
        assert.ok(error instanceof SpecValidationError);
        assert.match(error.message, /members\[1\]\.address: 10\.0\.0\.7 is not a loopback address; local mode runs members on loopback addresses only/);
        return true;
      },
    );
    assert.equal(existsSync(hostsDir), false);
  });

  test('two members given the same address are refused', async () => {
    await assert.rejects(
      () => new LoopbackHostDirectory({ hostsDir: join(work, 'e') }).resolve('demo', [{ name: 'a', address: '127.0.0.50' }, { name: 'b', address: '127.0.0.50' }]),
      /members\[1\]\.address: 127\.0\.0\.50 is already given to members\[0\]/,
    );
  });

  test('addresses in use are skipped for members without one and refused for members with one', async () => {
    const directory = new LoopbackHostDirectory({ hostsDir: join(work, 'f') });
    const [joining] = await directory.resolve('demo', [{ name: 'infra3' }], { addressesInUse: ['127.0.0.11', '127.0.0.12', '127.0.0.13'] });
    assert.equal(joining!.address, '127.0.0.14');
    await assert.rejects(
      () => directory.resolve('demo', [{ name: 'infra3', address: '127.0.0.12' }], { addressesInUse: ['127.0.0.11', '127.0.0.12'] }),
      /members\[0\]\.address: 127\.0\.0\.12 is already in use by another host of the cluster/,
    );
  });

  test('recorded members keep their recorded fields and get the root resolve gives them; nothing is created', async () => {
    const hostsDir = join(work, 'g');
    const directory = new LoopbackHostDirectory({ hostsDir });
    const [resolved] = await new LoopbackHostDirectory({ hostsDir: join(work, 'g2') }).resolve('demo', [{ name: 'infra0', address: '127.0.0.30' }]);
    const recorded = directory.recorded('demo', [
      { name: 'infra0', address: '127.0.0.30' },
      { name: 'infra1', address: '127.0.0.31', instanceId: 'i-0aaaaaaaaaaaaaaa1', placement: { subnetId: 'subnet-1', availabilityZone: 'us-east-1a' } },
    ]);
    assert.deepEqual(recorded, [
      { name: 'infra0', address: '127.0.0.30', root: join(hostsDir, 'infra0') },
      { name: 'infra1', address: '127.0.0.31', instanceId: 'i-0aaaaaaaaaaaaaaa1', root: join(hostsDir, 'infra1'), placement: { subnetId: 'subnet-1', availabilityZone: 'us-east-1a' } },
    ]);
    assert.equal(resolved!.root, join(work, 'g2', 'infra0'), 'resolve gives <hostsDir>/<name> too');
    assert.equal(existsSync(hostsDir), false);
    assert.throws(() => directory.recorded('demo', [{ name: '../escape', address: '127.0.0.32' }]), /members\[0\]\.name: "\.\.\/escape" cannot name a host directory/);
  });

  test('a firstAddress outside 127.0.0.0/8 is refused', () => {
    assert.throws(() => new LoopbackHostDirectory({ hostsDir: work, firstAddress: '10.0.0.1' }), /loopback/);
    assert.throws(() => new LoopbackHostDirectory({ hostsDir: work, firstAddress: '127.0.0' }), /loopback/);
  });
});
