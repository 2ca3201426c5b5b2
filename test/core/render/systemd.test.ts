import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseClusterSpec } from '../../../lambdas/core/spec';
import { etcdFlags, type EtcdFlagsRequest } from '../../../lambdas/core/etcd-flags';
import { parseEnvFile } from '../../support/env-file';
import { envVarName, renderEtcdEnvFile, renderEtcdUnit } from '../../../lambdas/core/render/systemd';

const members = [
  { name: 'etcd-a', address: '10.0.1.10' },
  { name: 'etcd-b', address: '10.0.1.11' },
  { name: 'etcd-c', address: '10.0.1.12' },
];
const request = (extra: Record<string, unknown> = {}): EtcdFlagsRequest => ({
  spec: parseClusterSpec({ clusterName: 'prod', runtime: 'systemd', members, ...extra }),
  member: members[1]!,
  clusterState: 'new',
  initialCluster: members,
});

describe('systemd runtime renderer', () => {
  it('writes exactly the flag set as ETCD_* variables', () => {
    const flags = etcdFlags(request());
    const env = parseEnvFile(renderEtcdEnvFile(request()));
    assert.deepEqual(env, Object.fromEntries(Object.entries(flags).map(([k, v]) => [envVarName(k), v])));
    assert.equal(env.ETCD_NAME, 'etcd-b');
    assert.equal(env.ETCD_INITIAL_CLUSTER_STATE, 'new');
    assert.equal(env.ETCD_PEER_CLIENT_CERT_AUTH, 'true');
  });

  it('carries the cluster token as ETCD_INITIAL_CLUSTER_TOKEN, and none without one', () => {
    assert.equal(parseEnvFile(renderEtcdEnvFile({ ...request(), initialClusterToken: 'prod-7d2e' })).ETCD_INITIAL_CLUSTER_TOKEN, 'prod-7d2e');
    assert.equal(parseEnvFile(renderEtcdEnvFile(request())).ETCD_INITIAL_CLUSTER_TOKEN, undefined);
  });

  it('quotes a value with spaces so that systemd and bash read one value', () => {
    const text = renderEtcdEnvFile(request({ etcd: { extraArgs: { 'cipher-suites': 'A B' } } }));
    assert.match(text, /^ETCD_CIPHER_SUITES="A B"$/m);
  });

  it('writes a unit that loads the env file and starts the spec binary', () => {
    const unit = renderEtcdUnit(request({ etcd: { binaryPath: '/opt/etcd/bin/etcd' } }).spec);
    assert.match(unit, /^EnvironmentFile=\/etc\/etcd\/etcd\.conf$/m);
    assert.match(unit, /^ExecStart=\/opt\/etcd\/bin\/etcd$/m);
    assert.match(unit, /^Type=notify$/m);
    assert.match(unit, /^WantedBy=multi-user\.target$/m);
  });
});
