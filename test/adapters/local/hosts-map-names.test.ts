// The local stand-in for the private zone: one hosts map per cluster under the home's dns dir, replaced atomically
// (no temp file left), a multi-value name as one line per address; the resolver reads every map and nothing else
// (a name only /etc/hosts knows, such as localhost, does not resolve).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostsMapNames } from '../../../lambdas/adapters/local/hosts-map-names';
import { HostsMapResolver } from '../../../lambdas/adapters/local/hosts-map-resolver';

describe('HostsMapNames and HostsMapResolver', () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-ha-dns-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const names = new HostsMapNames({ dir });
  const resolver = new HostsMapResolver(dir);

  it('writes one map per cluster, one line per address, without a temp file left behind', async () => {
    await names.apply('a.etcd-ha.internal', { upsert: [{ name: 'etcd.a.etcd-ha.internal', addresses: ['127.0.2.10', '127.0.2.11'] }], delete: [] });
    await names.apply('b.etcd-ha.internal', { upsert: [{ name: 'etcd.b.etcd-ha.internal', addresses: ['127.0.2.20'] }], delete: [] });
    assert.deepEqual(readdirSync(dir).sort(), ['a.etcd-ha.internal.hosts', 'b.etcd-ha.internal.hosts']);
    assert.match(readFileSync(join(dir, 'a.etcd-ha.internal.hosts'), 'utf8'), /^127\.0\.2\.10 etcd\.a\.etcd-ha\.internal\n127\.0\.2\.11 etcd\.a\.etcd-ha\.internal\n$/m);
    assert.deepEqual(resolver.resolve('ETCD.A.etcd-ha.internal.'), ['127.0.2.10', '127.0.2.11']);
    assert.deepEqual(resolver.resolve('etcd.b.etcd-ha.internal'), ['127.0.2.20']);
  });

  it('a change to one cluster leaves the other\'s map alone; published() lists only names under the domain', async () => {
    await names.apply('a.etcd-ha.internal', { upsert: [{ name: 'etcd.a.etcd-ha.internal', addresses: ['127.0.2.12'] }], delete: [] });
    assert.deepEqual(await names.published('a.etcd-ha.internal'), [{ name: 'etcd.a.etcd-ha.internal', addresses: ['127.0.2.12'] }]);
    assert.deepEqual(resolver.resolve('etcd.b.etcd-ha.internal'), ['127.0.2.20']);
  });

  it('knows nothing but its maps', () => {
    assert.deepEqual(resolver.resolve('localhost'), []);
    assert.deepEqual(new HostsMapResolver(join(dir, 'missing')).resolve('etcd.a.etcd-ha.internal'), []);
  });
});
