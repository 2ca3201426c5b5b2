// SecretsManagerSecretStore against moto_server: secrets created under the KMS key, idempotent puts
// (no new version for an unchanged value, counted with ListSecretVersionIds), tags kept in step; a secret of the
// same name that someone else created (another KMS key, a resource policy, not our tags) neither written nor reused.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutResourcePolicyCommand,
  SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerSecretStore } from '../../../lambdas/adapters/aws/secrets-manager-store';
import { ForeignSecretError, SpecValidationError } from '../../../lambdas/core/errors';
import { startMoto, type Moto } from '../../support/moto';
import { errorOf } from '../../support/rejection';

const tagsOf = (tags: ReadonlyArray<{ Key?: string; Value?: string }> | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).map((t) => [t.Key!, t.Value!]));

describe('SecretsManagerSecretStore against moto_server', () => {
  let moto: Moto | undefined;
  let client: SecretsManagerClient;
  let key: { KeyId: string; Arn: string };
  /** A key of someone else's: the squatter's. */
  let otherKey: { KeyId: string; Arn: string };
  let store: SecretsManagerSecretStore;

  const versions = async (name: string): Promise<number> =>
    ((await client.send(new ListSecretVersionIdsCommand({ SecretId: name }))).Versions ?? []).length;
  const describeSecret = (name: string) => client.send(new DescribeSecretCommand({ SecretId: name }));

  before(async () => {
    moto = await startMoto();
    client = new SecretsManagerClient(moto.clientConfig);
    const kms = new KMSClient(moto.clientConfig);
    try {
      const created = await kms.send(new CreateKeyCommand({ Description: 'etcd-ha secrets' }));
      key = { KeyId: created.KeyMetadata!.KeyId!, Arn: created.KeyMetadata!.Arn! };
      const other = await kms.send(new CreateKeyCommand({ Description: 'not the stack key' }));
      otherKey = { KeyId: other.KeyMetadata!.KeyId!, Arn: other.KeyMetadata!.Arn! };
    } finally {
      kms.destroy();
    }
    store = new SecretsManagerSecretStore({ client, kmsKeyId: key.Arn });
  });

  after(async () => {
    client?.destroy();
    await moto?.stop();
  });

  it('names secrets <prefix>/<cluster>/<item>, and refuses names Secrets Manager would refuse', () => {
    assert.equal(store.nameFor('demo', 'member/infra0'), 'etcd-ha/demo/member/infra0');
    assert.equal(new SecretsManagerSecretStore({ client, kmsKeyId: key.Arn, prefix: 'team-a/etcd' }).nameFor('demo', 'ca'), 'team-a/etcd/demo/ca');
    assert.throws(() => store.nameFor('demo', '../ca'), SpecValidationError);
    assert.throws(() => store.nameFor('de mo', 'ca'), SpecValidationError);
    assert.throws(() => store.nameFor('demo', `member/${'x'.repeat(600)}`), /Secrets Manager allows 512/);
    assert.throws(() => new SecretsManagerSecretStore({ client, kmsKeyId: ' ' }), /kmsKeyId must name a KMS key/);
  });

  it('get of an unknown secret is undefined', async () => {
    assert.equal(await store.get('etcd-ha/demo/nothing-here'), undefined);
  });

  it('creates a secret under the KMS key, with its description and tags, and reads it back', async () => {
    const name = store.nameFor('demo', 'ca');
    const ref = await store.put(name, '{"certPem":"C","keyPem":"K"}', {
      description: 'etcd CA of demo',
      tags: { 'etcd-ha:cluster': 'demo' },
    });
    assert.equal(ref.name, name);
    assert.equal(ref.changed, true);
    assert.match(ref.id, /^arn:aws:secretsmanager:us-east-1:\d{12}:secret:etcd-ha\/demo\/ca-[A-Za-z0-9]{6}$/);
    assert.equal(await store.get(name), '{"certPem":"C","keyPem":"K"}');

    const described = await describeSecret(name);
    assert.equal(described.ARN, ref.id);
    assert.equal(described.KmsKeyId, key.Arn);
    assert.equal(described.Description, 'etcd CA of demo');
    assert.deepEqual(tagsOf(described.Tags), { 'etcd-ha:cluster': 'demo' });
    assert.equal(await versions(name), 1);
  });

  it('a put of the same value writes no version (changed: false); a different value writes one', async () => {
    const name = store.nameFor('demo', 'healthcheck-client');
    const options = { description: 'etcd healthcheck client of demo', tags: { 'etcd-ha:cluster': 'demo' } };
    const first = await store.put(name, 'v1', options);
    const again = await store.put(name, 'v1', options);
    assert.deepEqual(again, { name, id: first.id, changed: false });
    assert.equal(await versions(name), 1);

    const changed = await store.put(name, 'v2', options);
    assert.deepEqual(changed, { name, id: first.id, changed: true });
    assert.equal(await store.get(name), 'v2');
    assert.equal(await versions(name), 2);
    assert.equal((await describeSecret(name)).KmsKeyId, key.Arn);
  });

  it("keeps tags in step: changed values set, new ones added, stale etcd-ha: ones removed, others' left alone", async () => {
    const name = store.nameFor('demo', 'member/infra0');
    const description = 'etcd member infra0 of demo';
    await store.put(name, 'bundle', {
      description,
      tags: { 'etcd-ha:cluster': 'demo', 'etcd-ha:member': 'infra0', 'etcd-ha:instance-id': 'i-0aaaaaaaaaaaaaaa0' },
    });
    await client.send(new TagResourceCommand({ SecretId: name, Tags: [{ Key: 'cost-center', Value: 'platform' }] }));

    // The member moved to another instance; the old instance's tag must not keep granting it the secret.
    const moved = await store.put(name, 'bundle', {
      description,
      tags: { 'etcd-ha:cluster': 'demo', 'etcd-ha:member': 'infra0', 'etcd-ha:instance-id': 'i-0bbbbbbbbbbbbbbb0' },
    });
    assert.equal(moved.changed, false);
    assert.deepEqual(tagsOf((await describeSecret(name)).Tags), {
      'etcd-ha:cluster': 'demo',
      'etcd-ha:member': 'infra0',
      'etcd-ha:instance-id': 'i-0bbbbbbbbbbbbbbb0',
      'cost-center': 'platform',
    });

    await store.put(name, 'bundle', { description: 'etcd member infra0 of demo (moved)', tags: { 'etcd-ha:cluster': 'demo', 'etcd-ha:member': 'infra0' } });
    const described = await describeSecret(name);
    assert.deepEqual(tagsOf(described.Tags), { 'etcd-ha:cluster': 'demo', 'etcd-ha:member': 'infra0', 'cost-center': 'platform' });
    assert.equal(described.Description, 'etcd member infra0 of demo (moved)');
    assert.equal(await versions(name), 1, 'tags and description write no version');
  });

  it('refuses a value over 64 KB before calling Secrets Manager, without the value in the message', async () => {
    const name = store.nameFor('demo', 'too-big');
    await assert.rejects(
      () => store.put(name, 'k'.repeat(70_000), { description: 'x' }),
      (error: Error) => /etcd-ha\/demo\/too-big: the value has 70000 bytes; Secrets Manager allows 65536/.test(error.message) && !error.message.includes('kkkk'),
    );
    assert.equal(await store.get(name), undefined);
  });

  describe('a secret of the name that etcd-ha did not create (squatted before the first run)', () => {
    const PLANTED = '{"certPem":"attacker CA","keyPem":"attacker key"}';
    const OURS = '{"certPem":"real CA","keyPem":"real key"}';

    /** Creates `etcd-ha/<cluster>/ca` as someone else would, then shapes it. */
    const squat = async (cluster: string, shape: { kmsKeyId?: string; tags?: Record<string, string>; resourcePolicy?: boolean }) => {
      const name = store.nameFor(cluster, 'ca');
      const tags = Object.entries(shape.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
      await client.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: PLANTED,
          ...(shape.kmsKeyId !== undefined && { KmsKeyId: shape.kmsKeyId }),
          ...(tags.length > 0 && { Tags: tags }),
        }),
      );
      if (shape.resourcePolicy) {
        const policy = {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::210987654321:root' }, Action: 'secretsmanager:GetSecretValue', Resource: '*' }],
        };
        await client.send(new PutResourcePolicyCommand({ SecretId: name, ResourcePolicy: JSON.stringify(policy) }));
      }
      return name;
    };

    /** put and get both refuse with ForeignSecretError naming the secret and `reason`; the squatted secret is as it was. */
    const assertRefused = async (name: string, reason: RegExp) => {
      const before = await describeSecret(name);
      const putError = await errorOf(store.put(name, OURS, { description: 'etcd CA of squatted', tags: { 'etcd-ha:cluster': name.split('/')[1]! } }));
      assert.ok(putError instanceof ForeignSecretError, `put: ${putError.name}: ${putError.message}`);
      assert.equal(putError.name, 'ForeignSecretError');
      assert.equal(putError.secretName, name);
      assert.ok(putError.message.includes(name), putError.message);
      assert.match(putError.message, reason);
      assert.ok(!putError.message.includes('attacker key') && !putError.message.includes('real key'), 'no value in the message');

      // Nothing written: the planted value, one version, the same tags and description.
      assert.equal((await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString, PLANTED);
      assert.equal(await versions(name), 1);
      const after = await describeSecret(name);
      assert.deepEqual(tagsOf(after.Tags), tagsOf(before.Tags));
      assert.equal(after.Description, before.Description);

      // Nor reused: a CA found there is not read back.
      const getError = await errorOf(store.get(name));
      assert.ok(getError instanceof ForeignSecretError, `get: ${getError.name}: ${getError.message}`);
      assert.match(getError.message, reason);
    };

    it('encrypted with another KMS key (tags and all as ours): refused, nothing written', async () => {
      const name = await squat('squat-key', { kmsKeyId: otherKey.Arn, tags: { 'etcd-ha:cluster': 'squat-key' } });
      await assertRefused(name, new RegExp(`encrypted with KMS key ${otherKey.Arn}, not the stack's key`));
    });

    it("encrypted with the account's aws/secretsmanager key: refused", async () => {
      const name = await squat('squat-default-key', { tags: { 'etcd-ha:cluster': 'squat-default-key' } });
      await assertRefused(name, /aws\/secretsmanager key, not the stack's key/);
    });

    it('with a resource policy (our key and tags): refused, nothing written', async () => {
      const name = await squat('squat-policy', { kmsKeyId: key.Arn, tags: { 'etcd-ha:cluster': 'squat-policy' }, resourcePolicy: true });
      await assertRefused(name, /has a resource policy/);
    });

    it('without our tags (our key, no policy): refused, nothing written', async () => {
      const name = await squat('squat-untagged', { kmsKeyId: key.Arn });
      await assertRefused(name, /has no etcd-ha:cluster tag \(expected "squat-untagged"\)/);
    });

    it("tagged for another cluster: refused", async () => {
      const name = await squat('squat-other-cluster', { kmsKeyId: key.Arn, tags: { 'etcd-ha:cluster': 'prod' } });
      await assertRefused(name, /etcd-ha:cluster tag is "prod", expected "squat-other-cluster"/);
    });

    it('each reason at once when several apply', async () => {
      const name = await squat('squat-all', { kmsKeyId: otherKey.KeyId, resourcePolicy: true });
      const error = await errorOf(store.put(name, OURS, { description: 'x', tags: { 'etcd-ha:cluster': 'squat-all' } }));
      assert.ok(error instanceof ForeignSecretError);
      assert.equal(error.reasons.length, 3, error.message);
    });

    it('ours although its key is given as a bare key ID (how AWS may return it): reused and updated', async () => {
      const name = await squat('key-id-form', { kmsKeyId: key.KeyId, tags: { 'etcd-ha:cluster': 'key-id-form' } });
      assert.equal(await store.get(name), PLANTED);
      const ref = await store.put(name, OURS, { description: 'etcd CA of key-id-form', tags: { 'etcd-ha:cluster': 'key-id-form' } });
      assert.equal(ref.changed, true);
      assert.equal(await store.get(name), OURS);
    });
  });
});
