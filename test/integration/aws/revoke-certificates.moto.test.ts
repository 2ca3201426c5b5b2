// Revoke Removed Members against moto_server's Secrets Manager, through the stores the Lambda entry builds: a removed
// member's secret loses its instance tags (the host policy's condition then matches no instance), keeps its value and
// is not scheduled for deletion; the ledger lists its serials and the CRL is signed again; a re-run changes nothing.
import type { ClusterRecord, ClusterRegistry } from '../../../lambdas/ports';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DescribeSecretCommand, ListSecretVersionIdsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerSecretStore } from '../../../lambdas/adapters/aws/secrets-manager-store';
import { withInstanceArnTags } from '../../../lambdas/entry/aws';
import { makeGeneratePki } from '../../../lambdas/steps/generate-pki';
import { makeRevokeCertificates } from '../../../lambdas/steps/revoke-certificates';
import { loadLedger } from '../../../lambdas/steps/revocation-ledger';
import { readRevocationList, serialOf } from '../../../lambdas/core/pki/crl';
import { decodeMemberBundle } from '../../../lambdas/core/pki/member-bundle';
import { parseClusterSpec } from '../../../lambdas/core/spec';
import type { PkiRefs } from '../../../lambdas/steps/inputs';
import type { SecretStore } from '../../../lambdas/ports';
import { startMoto, type Moto } from '../../support/moto';

const tagsOf = (tags: ReadonlyArray<{ Key?: string; Value?: string }> | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).map((t) => [t.Key!, t.Value!]));
const HOSTS = [
  { name: 'infra0', address: '10.0.0.10', instanceId: 'i-00000000000000000' },
  { name: 'infra1', address: '10.0.0.11', instanceId: 'i-00000000000000001' },
  { name: 'infra2', address: '10.0.0.12', instanceId: 'i-00000000000000002' },
];
const spec = parseClusterSpec({ clusterName: 'demo', members: HOSTS });
const log = { info: () => undefined, warn: () => undefined };
const clock = { now: () => new Date('2026-03-01T10:00:00Z') };

describe('Revoke Removed Members against moto_server', () => {
  let moto: Moto | undefined;
  let client: SecretsManagerClient;
  let store: SecretStore;

  before(async () => {
    moto = await startMoto();
    client = new SecretsManagerClient(moto.clientConfig);
    const kms = new KMSClient(moto.clientConfig);
    try {
      const key = await kms.send(new CreateKeyCommand({ Description: 'etcd-ha secrets' }));
      store = withInstanceArnTags(new SecretsManagerSecretStore({ client, kmsKeyId: key.KeyMetadata!.Arn! }), 'us-east-1', '123456789012');
    } finally {
      kms.destroy();
    }
  });

  after(async () => {
    client?.destroy();
    await moto?.stop();
  });

  it("untags the removed member's secret (kept, not scheduled for deletion), lists its serials on a CRL signed by the CA; a re-run changes nothing", async () => {
    // The first Generate PKI of a cluster records it as bootstrapping (as the lock holder) before it makes the CA.
    let record: ClusterRecord | undefined;
    const registry = {
      get: async () => record,
      put: async (written: ClusterRecord) => {
        record = written;
      },
      findByInstanceId: async () => undefined,
      list: async () => [],
    } as ClusterRegistry;
    const pki = (await makeGeneratePki({ secrets: store, registry, clock, log })({ spec, hosts: HOSTS, lock: { clusterName: 'demo', owner: 'exec-1' } })) as PkiRefs;
    const secret = pki.members.infra1!;
    const describe = () => client.send(new DescribeSecretCommand({ SecretId: secret }));
    assert.equal(tagsOf((await describe()).Tags)['etcd-ha:instance-arn'], 'arn:aws:ec2:us-east-1:123456789012:instance/i-00000000000000001', 'readable by its host before');
    const value = await store.get(secret);
    const files = new Map(decodeMemberBundle(value!).map((f) => [f.path, f.content]));
    const serials = [serialOf(files.get('etcd/server.crt')!), serialOf(files.get('etcd/peer.crt')!)].sort();

    const revoke = makeRevokeCertificates({ secrets: store, clock, log });
    const input = { spec, hosts: [HOSTS[0], HOSTS[2]], pki, leaving: ['infra1', []] };
    const first = await revoke(input);
    assert.deepEqual(first.revoked, ['infra1']);
    assert.equal(first.crlNumber, 1);

    const after = await describe();
    assert.deepEqual(tagsOf(after.Tags), { 'etcd-ha:cluster': 'demo', 'etcd-ha:member': 'infra1', 'etcd-ha:revoked': '2026-03-01T10:00:00.000Z' });
    assert.equal(after.DeletedDate, undefined, 'not scheduled for deletion');
    assert.equal(await store.get(secret), value, 'its value kept');
    for (const kept of ['infra0', 'infra2']) {
      assert.ok(tagsOf((await client.send(new DescribeSecretCommand({ SecretId: pki.members[kept]! }))).Tags)['etcd-ha:instance-arn'], `${kept} still readable by its host`);
    }
    const ca = JSON.parse((await store.get(pki.ca))!) as { certPem: string };
    const crl = await readRevocationList(first.crl, ca.certPem);
    assert.deepEqual(crl.serials.sort(), serials);
    assert.equal(crl.signedByCa, true);
    const ledger = await loadLedger(store, 'demo');
    assert.deepEqual(Object.keys(ledger.issued).sort(), ['infra0', 'infra2']);

    const versions = async (id: string) => ((await client.send(new ListSecretVersionIdsCommand({ SecretId: id }))).Versions ?? []).length;
    const before = { ledger: await versions('etcd-ha/demo/revocation'), member: await versions(secret) };
    const again = await revoke(input);
    assert.equal(again.crl, first.crl, 'the same list: nothing changed');
    assert.equal(again.signed, undefined);
    assert.deepEqual({ ledger: await versions('etcd-ha/demo/revocation'), member: await versions(secret) }, before);
  });
});
