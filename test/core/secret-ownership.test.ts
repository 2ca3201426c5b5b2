// secret-ownership: the KMS key forms that name the stack's key, and the reasons a secret is not ours.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { foreignSecretReasons, sameKmsKey } from '../../lambdas/core/secret-ownership';

const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const KEY_ARN = `arn:aws:kms:eu-west-1:123456789012:key/${KEY_ID}`;

describe('sameKmsKey', () => {
  const cases: Array<[string, string, boolean]> = [
    [KEY_ARN, KEY_ARN, true],
    [KEY_ID, KEY_ARN, true],
    [KEY_ARN, KEY_ID, true],
    [KEY_ID, KEY_ID, true],
    ['alias/etcd-ha', 'arn:aws:kms:eu-west-1:123456789012:alias/etcd-ha', true],
    // The same key ID in another account or region is another key.
    [`arn:aws:kms:eu-west-1:210987654321:key/${KEY_ID}`, KEY_ARN, false],
    [`arn:aws:kms:us-east-1:123456789012:key/${KEY_ID}`, KEY_ARN, false],
    ['0000abcd-12ab-34cd-56ef-1234567890ab', KEY_ARN, false],
    // An alias may point anywhere: without kms:DescribeKey it is not the key.
    ['arn:aws:kms:eu-west-1:123456789012:alias/etcd-ha', KEY_ARN, false],
    ['alias/etcd-ha', KEY_ID, false],
    ['alias/other', 'alias/etcd-ha', false],
  ];
  for (const [described, configured, same] of cases) {
    it(`${described} vs ${configured}: ${same}`, () => assert.equal(sameKmsKey(described, configured), same));
  }
});

describe('foreignSecretReasons', () => {
  const owner = { kmsKeyId: KEY_ARN, clusterName: 'prod' };
  const ours = { kmsKeyId: KEY_ID, hasResourcePolicy: false, tags: { 'etcd-ha:cluster': 'prod', 'cost-center': 'x' } };

  it('none for a secret of ours', () => assert.deepEqual(foreignSecretReasons(ours, owner), []));

  it('one for each thing that is not ours', () => {
    assert.deepEqual(foreignSecretReasons({ hasResourcePolicy: true, tags: { 'etcd-ha:cluster': 'dev' } }, owner), [
      `it is encrypted with the aws/secretsmanager key, not the stack's key ${KEY_ARN}`,
      'it has a resource policy, which may let other principals read or change it',
      'its etcd-ha:cluster tag is "dev", expected "prod"',
    ]);
    assert.deepEqual(foreignSecretReasons({ ...ours, tags: {} }, owner), ['it has no etcd-ha:cluster tag (expected "prod")']);
    assert.deepEqual(foreignSecretReasons({ ...ours, kmsKeyId: 'alias/aws/secretsmanager' }, owner), [
      `it is encrypted with KMS key alias/aws/secretsmanager, not the stack's key ${KEY_ARN}`,
    ]);
  });
});
