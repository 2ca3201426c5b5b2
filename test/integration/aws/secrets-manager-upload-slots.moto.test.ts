// SecretsManagerUploadSlots against moto_server: open makes an empty secret under the stack's key, tagged with the
// cluster, the member and the instance's ARN; a second open finds it; read is undefined until a value is put (and an
// error once the slot is gone); a same-named secret of another instance, another key or with a resource policy is
// refused; close deletes at once, so the next open makes a fresh slot. (Who may put and read: the IAM simulator test
// test/lib/adopt-upload-access-simulated.test.ts; moto ignores IAM.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  ListSecretVersionIdsCommand,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerUploadSlots } from '../../../lambdas/adapters/aws/secrets-manager-upload-slots';
import { EtcdHaError, ForeignSecretError } from '../../../lambdas/core/errors';
import { startMoto, type Moto } from '../../support/moto';
import { errorOf } from '../../support/rejection';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const SELF = 'i-0aaaaaaaaaaaaaaa1';
const OTHER = 'i-0bbbbbbbbbbbbbbb2';
const arnOf = (instanceId: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${instanceId}`;
const host = (instanceId?: string) => ({ name: 'cp-1', address: '10.0.0.11', ...(instanceId && { instanceId }) });
/** Stands for the PKI a host uploads; the tests check it never shows in an error. */
const UPLOADED = '{"caCrt":"-----BEGIN CERTIFICATE-----\\nUPLOADED-MARKER\\n"}';

const tagsOf = (tags: ReadonlyArray<{ Key?: string; Value?: string }> | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).map((t) => [t.Key!, t.Value!]));

describe('SecretsManagerUploadSlots against moto_server', () => {
  let moto: Moto | undefined;
  let client: SecretsManagerClient;
  let key: string;
  let otherKey: string;
  let slots: SecretsManagerUploadSlots;

  const describeSecret = (id: string) => client.send(new DescribeSecretCommand({ SecretId: id }));
  const versions = async (id: string) => ((await client.send(new ListSecretVersionIdsCommand({ SecretId: id }))).Versions ?? []).length;
  /** Someone else's secret at a slot's name: tags and key as given. */
  const squat = async (name: string, kmsKeyId: string, instanceId: string) => {
    await client.send(
      new CreateSecretCommand({
        Name: name,
        KmsKeyId: kmsKeyId,
        Tags: [
          { Key: 'etcd-ha:cluster', Value: name.split('/')[1]! },
          { Key: 'etcd-ha:member', Value: 'cp-1' },
          { Key: 'etcd-ha:instance-arn', Value: arnOf(instanceId) },
        ],
      }),
    );
  };

  before(async () => {
    moto = await startMoto();
    client = new SecretsManagerClient(moto.clientConfig);
    const kms = new KMSClient(moto.clientConfig);
    try {
      key = (await kms.send(new CreateKeyCommand({ Description: 'etcd-ha secrets' }))).KeyMetadata!.Arn!;
      otherKey = (await kms.send(new CreateKeyCommand({ Description: 'not the stack key' }))).KeyMetadata!.Arn!;
    } finally {
      kms.destroy();
    }
    slots = new SecretsManagerUploadSlots({ client, kmsKeyId: key, region: REGION, account: ACCOUNT });
  });

  after(async () => {
    client?.destroy();
    await moto?.stop();
  });

  it("open creates <prefix>/<cluster>/adopt/<member> without a value, under the stack's key, tagged cluster, member and instance ARN", async () => {
    const { secretId } = await slots.open('prod', 'cp-1', host(SELF));
    assert.match(secretId, /^arn:aws:secretsmanager:us-east-1:\d{12}:secret:etcd-ha\/prod\/adopt\/cp-1-[A-Za-z0-9]{6}$/);
    const described = await describeSecret(secretId);
    assert.equal(described.Name, 'etcd-ha/prod/adopt/cp-1');
    assert.equal(described.KmsKeyId, key);
    assert.deepEqual(tagsOf(described.Tags), { 'etcd-ha:cluster': 'prod', 'etcd-ha:member': 'cp-1', 'etcd-ha:instance-arn': arnOf(SELF) });
    assert.equal(await versions(secretId), 0, 'no value: nothing for anyone to read, and no first value to trust');
    await slots.close(secretId);
  });

  it('open again finds the same slot (a retried step), whether or not the host has put a value yet', async () => {
    const first = await slots.open('prod', 'cp-2', { ...host(SELF), name: 'cp-2' });
    assert.deepEqual(await slots.open('prod', 'cp-2', { ...host(SELF), name: 'cp-2' }), first);
    await client.send(new PutSecretValueCommand({ SecretId: first.secretId, SecretString: UPLOADED }));
    assert.deepEqual(await slots.open('prod', 'cp-2', { ...host(SELF), name: 'cp-2' }), first);
    assert.equal(await slots.read(first.secretId), UPLOADED);
    await slots.close(first.secretId);
  });

  it('read is undefined before the host puts a value, and the value after', async () => {
    const { secretId } = await slots.open('prod', 'cp-3', { ...host(SELF), name: 'cp-3' });
    assert.equal(await slots.read(secretId), undefined);
    assert.equal(await slots.read(secretId), undefined, 'asking again changes nothing');
    await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: UPLOADED }));
    assert.equal(await slots.read(secretId), UPLOADED);
    await slots.close(secretId);
  });

  it('read of a slot deleted under the step is an error, not "not yet" (else the step would wait until it times out)', async () => {
    const { secretId } = await slots.open('prod', 'cp-4', { ...host(SELF), name: 'cp-4' });
    await client.send(new DeleteSecretCommand({ SecretId: secretId, ForceDeleteWithoutRecovery: true }));
    const error = await errorOf(slots.read(secretId));
    assert.ok(error instanceof EtcdHaError, `${error.name}: ${error.message}`);
    assert.match(error.message, /no longer exists/);
  });

  it('close deletes at once: the next open makes a fresh, empty slot; closing twice is fine', async () => {
    const first = await slots.open('prod', 'cp-5', { ...host(SELF), name: 'cp-5' });
    await client.send(new PutSecretValueCommand({ SecretId: first.secretId, SecretString: UPLOADED }));
    await slots.close(first.secretId);
    await assert.rejects(describeSecret('etcd-ha/prod/adopt/cp-5'), { name: 'ResourceNotFoundException' });
    await slots.close(first.secretId);

    const second = await slots.open('prod', 'cp-5', { ...host(SELF), name: 'cp-5' });
    assert.notEqual(second.secretId, first.secretId, 'a new secret, not the old one restored');
    assert.equal(await slots.read(second.secretId), undefined, 'nothing of the earlier upload');
    await slots.close(second.secretId);
  });

  describe('a secret of the same name that is not a slot of ours for this instance: refused, left as it was', () => {
    const refused = async (name: string, member: string, reason: RegExp) => {
      const error = await errorOf(slots.open('squatted', member, { ...host(SELF), name: member }));
      assert.ok(error instanceof ForeignSecretError, `${error.name}: ${error.message}`);
      assert.equal(error.secretName, name);
      assert.match(error.message, reason);
      assert.doesNotMatch(error.message, /UPLOADED-MARKER/);
      return error;
    };

    it("tagged with another instance's ARN (our key and cluster tag)", async () => {
      const name = 'etcd-ha/squatted/adopt/other-instance';
      await squat(name, key, OTHER);
      await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: UPLOADED }));
      await refused(name, 'other-instance', new RegExp(`etcd-ha:instance-arn tag names another instance \\("${arnOf(OTHER)}"`));
      assert.equal(await versions(name), 1);
    });

    it('encrypted with another key (tagged for this very instance)', async () => {
      const name = 'etcd-ha/squatted/adopt/other-key';
      await squat(name, otherKey, SELF);
      await refused(name, 'other-key', /encrypted with KMS key .* not the stack's key/);
      assert.equal((await describeSecret(name)).KmsKeyId, otherKey);
    });

    it('with a resource policy (our key and tags)', async () => {
      const name = 'etcd-ha/squatted/adopt/with-policy';
      await squat(name, key, SELF);
      const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'secretsmanager:GetSecretValue', Resource: '*' }] };
      await client.send(new PutResourcePolicyCommand({ SecretId: name, ResourcePolicy: JSON.stringify(policy) }));
      await refused(name, 'with-policy', /resource policy/);
    });
  });

  it('a slot of ours scheduled for deletion is not restored: refused, naming the command that frees the name', async () => {
    const { secretId } = await slots.open('prod', 'cp-6', { ...host(SELF), name: 'cp-6' });
    await client.send(new DeleteSecretCommand({ SecretId: secretId, RecoveryWindowInDays: 7 }));
    const error = await errorOf(slots.open('prod', 'cp-6', { ...host(SELF), name: 'cp-6' }));
    assert.ok(error instanceof EtcdHaError && !(error instanceof ForeignSecretError), `${error.name}: ${error.message}`);
    assert.match(error.message, /scheduled for deletion.*--force-delete-without-recovery/);
    await slots.close(secretId);
  });

  it('a host without an instance ID is refused before anything is created; names are checked as the store checks them', async () => {
    await assert.rejects(slots.open('prod', 'cp-7', host()), /has no EC2 instance ID/);
    await assert.rejects(describeSecret('etcd-ha/prod/adopt/cp-7'), { name: 'ResourceNotFoundException' });
    await assert.rejects(slots.open('prod', '../ca', host(SELF)), { name: 'SpecValidationError' });
  });

  it('a prefix of its own: <prefix>/<cluster>/adopt/<member>', async () => {
    const own = new SecretsManagerUploadSlots({ client, kmsKeyId: key, prefix: 'team-a/etcd', region: REGION, account: ACCOUNT });
    const { secretId } = await own.open('prod', 'cp-1', host(SELF));
    assert.equal((await describeSecret(secretId)).Name, 'team-a/etcd/prod/adopt/cp-1');
    await own.close(secretId);
  });
});
