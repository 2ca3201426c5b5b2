// Who may read a staged snapshot (RestoreCluster's `restores/` copies), evaluated on the synthesized host policy with
// the IAM policy simulator (moto ignores IAM conditions): a member host reads the copy tagged with its own instance ARN
// (s3:ExistingObjectTag/etcd-ha:instance-arn = ec2:SourceInstanceARN), never another instance's copy, never a backup
// or a Snapshot Before Change snapshot. (Its kms:Decrypt via S3 is pinned in test/lib/etcd-ha-stack.test.ts: the
// simulator denies every KMS call without the key's own policy, which lives in the key, not here.)
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EtcdHaStack } from '../../lib/etcd-ha-stack';
import { logicalId } from '../support/cdk-template';
import { ACCOUNT, REGION, decide, managedPolicy, resolveIntrinsics } from '../support/iam-simulator';

type Policies = Parameters<typeof decide>[0];

const instance = (id: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${id}`;
const SELF = 'i-0aaaaaaaaaaaaaaa1';
const OTHER = 'i-0bbbbbbbbbbbbbbb2';

let host: Policies;
let bucketArn: string;

before(() => {
  process.env.CDK_VALIDATION = 'false';
  const app = new App();
  const stack = new EtcdHaStack(app, 'EtcdHa');
  const template = Template.fromJSON(app.synth().getStackByName(stack.stackName).template);
  host = [managedPolicy(template, logicalId(stack.hostPolicy.policy))];
  const resources = template.toJSON().Resources;
  bucketArn = resolveIntrinsics(stack.resolve(stack.snapshotBucket.bucketArn), resources) as string;
});

/** GetObject by instance `caller` of `key`, whose etcd-ha:instance-arn tag names `taggedFor` (or none). */
const read = (caller: string, key: string, taggedFor?: string) =>
  decide(host, {
    action: 's3:GetObject',
    resource: `${bucketArn}/${key}`,
    context: {
      'ec2:SourceInstanceARN': instance(caller),
      ...(taggedFor !== undefined && { 's3:ExistingObjectTag/etcd-ha:instance-arn': instance(taggedFor) }),
    },
  });

describe('member host: staged snapshots', () => {
  it('reads the copy staged for itself', async () => {
    assert.match(bucketArn, /^arn:aws:s3:::/);
    assert.equal(await read(SELF, `restores/prod/restore-1/${SELF}.db`, SELF), 'Allowed');
  });

  it("may not read another instance's copy, nor an untagged one", async () => {
    assert.equal(await read(SELF, `restores/prod/restore-1/${OTHER}.db`, OTHER), 'ImplicitlyDenied');
    assert.equal(await read(SELF, `restores/prod/restore-1/${SELF}.db`), 'ImplicitlyDenied');
  });

  it('may not read a backup or a Snapshot Before Change snapshot, whatever its tags say', async () => {
    assert.equal(await read(SELF, 'backups/prod/2026-12-05T18-00-00-000Z.db', SELF), 'ImplicitlyDenied');
    assert.equal(await read(SELF, 'backups/prod/2026-12-05T18-00-00-000Z.json', SELF), 'ImplicitlyDenied');
    assert.equal(await read(SELF, 'snapshots/prod/x.db', SELF), 'ImplicitlyDenied');
  });

});
