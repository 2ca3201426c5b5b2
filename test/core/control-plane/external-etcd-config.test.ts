// The printed etcd.external block against the kubeadm HA guide's (test/fixtures/kubeadm-guide-external-etcd.yaml),
// both parsed as YAML and compared field by field; endpoints by the cluster's client name.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { externalEtcdConfig, renderExternalEtcdConfig, KUBEADM_API_VERSIONS } from '../../../lambdas/core/control-plane/external-etcd-config';
import { clusterClientEndpoint, clusterClientName, controlPlaneEtcdEndpoints } from '../../../lambdas/core/control-plane/etcd-client-name';

interface External {
  endpoints: string[];
  caFile: string;
  certFile: string;
  keyFile: string;
}
const guide = parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'kubeadm-guide-external-etcd.yaml'), 'utf8')) as { kind: string; etcd: { external: External } };

describe('control-plane-config: the etcd.external block', () => {
  for (const version of KUBEADM_API_VERSIONS) {
    it(`${version}: the guide's fields, the guide's file paths, endpoints by name`, () => {
      const printed = parse(renderExternalEtcdConfig(externalEtcdConfig([clusterClientEndpoint('demo', 2379)], version))) as {
        apiVersion: string;
        kind: string;
        etcd: { external: External };
      };
      assert.equal(printed.apiVersion, `kubeadm.k8s.io/${version}`);
      assert.equal(printed.kind, guide.kind);
      assert.deepEqual(Object.keys(printed.etcd), Object.keys(guide.etcd), 'only etcd.external, as in the guide');
      assert.deepEqual(Object.keys(printed.etcd.external).sort(), Object.keys(guide.etcd.external).sort());
      for (const field of ['caFile', 'certFile', 'keyFile'] as const) assert.equal(printed.etcd.external[field], guide.etcd.external[field], field);
      assert.deepEqual(printed.etcd.external.endpoints, ['https://etcd.demo.etcd-ha.internal:2379']);
      // The guide's endpoints are https://<host>:2379: ours have the same shape, a name in place of an IP.
      const shape = /^https:\/\/[^/:]+:2379$/;
      for (const endpoint of [...guide.etcd.external.endpoints, ...printed.etcd.external.endpoints]) assert.match(endpoint, shape);
    });
  }

  it('refuses an unknown api version and no endpoints, naming the field', () => {
    assert.throws(() => externalEtcdConfig(['https://a:2379'], 'v1beta2' as never), /apiVersion must be one of v1beta4, v1beta3, got "v1beta2"/);
    assert.throws(() => externalEtcdConfig([]), /endpoints must name at least one/);
  });
});

describe('the cluster client name (one function)', () => {
  it('etcd.<cluster>.<zone>, the zone etcd-ha.internal by default, a trailing dot dropped', () => {
    assert.equal(clusterClientName('demo'), 'etcd.demo.etcd-ha.internal');
    assert.equal(clusterClientName('demo', 'corp.example.'), 'etcd.demo.corp.example');
  });
  it('endpoints by name, or by address (local mode until the local name map exists)', () => {
    const input = { clusterName: 'demo', clientPort: 2379, memberAddresses: ['127.0.2.50', '127.0.2.51'] };
    assert.deepEqual(controlPlaneEtcdEndpoints({ ...input, style: 'name' }), ['https://etcd.demo.etcd-ha.internal:2379']);
    assert.deepEqual(controlPlaneEtcdEndpoints({ ...input, style: 'addresses' }), ['https://127.0.2.50:2379', 'https://127.0.2.51:2379']);
  });
});
