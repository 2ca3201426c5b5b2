// The ControlPlaneHostPolicy evaluated on the synthesized policy with the IAM policy simulator (moto ignores IAM
// conditions): a control-plane host reads only the control-plane bundle tagged with its own instance ARN; never
// another host's, an untagged one, a member secret, the CA or a client secret (even when tagged for it); the
// secrets' key only through Secrets Manager.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EtcdHaStack } from '../../lib/etcd-ha-stack';
import { logicalId } from '../support/cdk-template';
import { ACCOUNT, REGION, decide, managedPolicy, resolveIntrinsics } from '../support/iam-simulator';

type Policies = Parameters<typeof decide>[0];

const secret = (name: string) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`;
const instance = (id: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${id}`;
const own = instance('i-0aaaaaaaaaaaaaaa0');

let policy: Policies;
let stackKey: string;
let keyPolicy: Policies[number];

before(() => {
  process.env.CDK_VALIDATION = 'false';
  const app = new App();
  const stack = new EtcdHaStack(app, 'EtcdHa');
  const template = Template.fromJSON(app.synth().getStackByName(stack.stackName).template);
  policy = [managedPolicy(template, logicalId(stack.controlPlaneHostPolicy.policy))];
  const resources = template.toJSON().Resources;
  stackKey = resolveIntrinsics(stack.resolve(stack.secretsKey.keyArn), resources) as string;
  // KMS decides with the key's own policy too (it delegates to IAM policies of the account).
  keyPolicy = resolveIntrinsics(resources[logicalId(stack.secretsKey)].Properties.KeyPolicy, resources) as Policies[number];
});

describe('ControlPlaneHostPolicy: a control-plane host reads only its own bundle', () => {
  const read = (name: string, taggedFor: string | undefined, asker = own) =>
    decide(policy, {
      action: 'secretsmanager:GetSecretValue',
      resource: secret(name),
      context: { 'ec2:SourceInstanceARN': asker, ...(taggedFor !== undefined && { 'aws:ResourceTag/etcd-ha:instance-arn': taggedFor }) },
    });

  it('its own control-plane bundle: allowed', async () => {
    assert.equal(await read('etcd-ha/prod/control-plane/i-0aaaaaaaaaaaaaaa0', own), 'Allowed');
  });

  it("another host's bundle, or an untagged one: denied", async () => {
    assert.equal(await read('etcd-ha/prod/control-plane/i-0bbbbbbbbbbbbbbb0', instance('i-0bbbbbbbbbbbbbbb0')), 'ImplicitlyDenied');
    assert.equal(await read('etcd-ha/prod/control-plane/i-0bbbbbbbbbbbbbbb0', undefined), 'ImplicitlyDenied');
  });

  it('a member secret, the CA, a client secret or an upload slot, even tagged with its own ARN: denied', async () => {
    for (const name of ['etcd-ha/prod/member/infra0', 'etcd-ha/prod/ca', 'etcd-ha/prod/apiserver-etcd-client', 'etcd-ha/prod/healthcheck-client', 'etcd-ha/prod/adopt/cp-1']) {
      assert.equal(await read(name, own), 'ImplicitlyDenied', name);
    }
  });

  it('no write, no describe, no delete', async () => {
    for (const action of ['secretsmanager:PutSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:DeleteSecret']) {
      assert.equal(await decide(policy, { action, resource: secret('etcd-ha/prod/control-plane/i-0aaaaaaaaaaaaaaa0'), context: { 'ec2:SourceInstanceARN': own, 'aws:ResourceTag/etcd-ha:instance-arn': own } }), 'ImplicitlyDenied', action);
    }
  });

  it("kms:Decrypt of the stack's key only through Secrets Manager", async () => {
    const decrypt = (via: string | undefined) => decide(policy, { action: 'kms:Decrypt', resource: stackKey, resourcePolicy: keyPolicy, context: via ? { 'kms:ViaService': via } : {} });
    assert.equal(await decrypt(`secretsmanager.${REGION}.amazonaws.com`), 'Allowed');
    assert.equal(await decrypt(undefined), 'ImplicitlyDenied');
    assert.equal(await decrypt(`s3.${REGION}.amazonaws.com`), 'ImplicitlyDenied');
  });
});
