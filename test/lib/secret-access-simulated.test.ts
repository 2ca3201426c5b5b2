// Who may create and read the cluster secrets, evaluated on the synthesized policies with the IAM policy simulator
// (moto ignores IAM conditions): Generate PKI creates secrets only with the stack's KMS key and the cluster tag,
// never a resource policy; a member host reads only its own member secret, never the CA or a client secret; the
// steps that talk to etcd may describe only the healthcheck client secrets they read.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EtcdHaStack } from '../../lib/etcd-ha-stack';
import { logicalId } from '../support/cdk-template';
import { ACCOUNT, REGION, decide, managedPolicy, policiesOfRole, resolveIntrinsics } from '../support/iam-simulator';

type Policies = Parameters<typeof decide>[0];

const secret = (name: string) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`;
const instance = (id: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${id}`;
const OTHER_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0000abcd-12ab-34cd-56ef-1234567890ab`;
const FOREIGN_ACCOUNT_KEY = `arn:aws:kms:${REGION}:210987654321:key/0000abcd-12ab-34cd-56ef-1234567890ab`;

let generatePki: Policies;
let checkHealth: Policies;
let host: Policies;
let stackKey: string;

before(() => {
  process.env.CDK_VALIDATION = 'false';
  const app = new App();
  const stack = new EtcdHaStack(app, 'EtcdHa');
  const template = Template.fromJSON(app.synth().getStackByName(stack.stackName).template);
  generatePki = policiesOfRole(template, logicalId(stack.steps.generatePki.role));
  checkHealth = policiesOfRole(template, logicalId(stack.steps.checkHealth.role));
  host = [managedPolicy(template, logicalId(stack.hostPolicy.policy))];
  stackKey = resolveIntrinsics(stack.resolve(stack.secretsKey.keyArn), template.toJSON().Resources) as string;
});

describe('Generate PKI: CreateSecret only in our own shape', () => {
  const create = (kmsKeyArn: string | undefined, tags: Record<string, string>) =>
    decide(generatePki, {
      action: 'secretsmanager:CreateSecret',
      resource: secret('etcd-ha/prod/ca'),
      context: {
        ...(kmsKeyArn !== undefined && { 'secretsmanager:KmsKeyArn': kmsKeyArn }),
        ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])),
        'aws:TagKeys': Object.keys(tags),
      },
    });

  it("with the stack's key and the cluster tag: allowed", async () => {
    assert.match(stackKey, /^arn:aws:kms:/);
    assert.equal(await create(stackKey, { 'etcd-ha:cluster': 'prod' }), 'Allowed');
  });

  it('with another key of the account, of another account, or the default aws/secretsmanager key: denied', async () => {
    assert.equal(await create(OTHER_KEY, { 'etcd-ha:cluster': 'prod' }), 'ImplicitlyDenied');
    assert.equal(await create(FOREIGN_ACCOUNT_KEY, { 'etcd-ha:cluster': 'prod' }), 'ImplicitlyDenied');
    assert.equal(await create(undefined, { 'etcd-ha:cluster': 'prod' }), 'ImplicitlyDenied');
  });

  it("with the stack's key but without the cluster tag: denied", async () => {
    assert.equal(await create(stackKey, {}), 'ImplicitlyDenied');
    assert.equal(await create(stackKey, { 'etcd-ha:cluster': '' }), 'ImplicitlyDenied');
  });

  it('outside the prefix: denied', async () => {
    const answer = await decide(generatePki, {
      action: 'secretsmanager:CreateSecret',
      resource: secret('other-app/prod/ca'),
      context: { 'secretsmanager:KmsKeyArn': stackKey, 'aws:RequestTag/etcd-ha:cluster': 'prod', 'aws:TagKeys': ['etcd-ha:cluster'] },
    });
    assert.equal(answer, 'ImplicitlyDenied');
  });

  it('UpdateSecret may change the description but not switch the key', async () => {
    const update = (context: Record<string, string>) => decide(generatePki, { action: 'secretsmanager:UpdateSecret', resource: secret('etcd-ha/prod/ca'), context });
    assert.equal(await update({}), 'Allowed');
    assert.equal(await update({ 'secretsmanager:KmsKeyArn': stackKey }), 'Allowed');
    assert.equal(await update({ 'secretsmanager:KmsKeyArn': OTHER_KEY }), 'ImplicitlyDenied');
  });

  it('may read what the store checks before use (DescribeSecret, GetResourcePolicy) but never put a resource policy', async () => {
    const on = (action: string) => decide(generatePki, { action, resource: secret('etcd-ha/prod/ca') });
    assert.equal(await on('secretsmanager:DescribeSecret'), 'Allowed');
    assert.equal(await on('secretsmanager:GetResourcePolicy'), 'Allowed');
    assert.equal(await on('secretsmanager:PutResourcePolicy'), 'ImplicitlyDenied');
    assert.equal(await on('secretsmanager:DeleteResourcePolicy'), 'ImplicitlyDenied');
  });
});

describe('member host: only its own member secret', () => {
  const own = instance('i-0aaaaaaaaaaaaaaa0');
  const read = (name: string, taggedFor: string | undefined, asker = own) =>
    decide(host, {
      action: 'secretsmanager:GetSecretValue',
      resource: secret(name),
      context: { 'ec2:SourceInstanceARN': asker, ...(taggedFor !== undefined && { 'aws:ResourceTag/etcd-ha:instance-arn': taggedFor }) },
    });

  it('its own member secret: allowed', async () => {
    assert.equal(await read('etcd-ha/prod/member/infra0', own), 'Allowed');
  });

  it("another instance's member secret, or an untagged one: denied", async () => {
    assert.equal(await read('etcd-ha/prod/member/infra1', instance('i-0bbbbbbbbbbbbbbb0')), 'ImplicitlyDenied');
    assert.equal(await read('etcd-ha/prod/member/infra1', undefined), 'ImplicitlyDenied');
  });

  it('the CA and the client secrets: denied, even when tagged with its own instance ARN', async () => {
    for (const item of ['ca', 'healthcheck-client', 'apiserver-etcd-client']) {
      assert.equal(await read(`etcd-ha/prod/${item}`, own), 'ImplicitlyDenied', item);
      assert.equal(await read(`etcd-ha/prod/${item}`, undefined), 'ImplicitlyDenied', item);
    }
  });
});

describe('a step that talks to etcd: only the healthcheck client secrets', () => {
  const on = (action: string, name: string) => decide(checkHealth, { action, resource: secret(name) });

  it('reads, describes and asks the resource policy of a healthcheck client secret', async () => {
    for (const action of ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:GetResourcePolicy']) {
      assert.equal(await on(action, 'etcd-ha/prod/healthcheck-client'), 'Allowed', action);
    }
  });

  it('nothing of the CA, a member or the apiserver client', async () => {
    for (const name of ['etcd-ha/prod/ca', 'etcd-ha/prod/member/infra0', 'etcd-ha/prod/apiserver-etcd-client']) {
      assert.equal(await on('secretsmanager:GetSecretValue', name), 'ImplicitlyDenied', name);
      assert.equal(await on('secretsmanager:DescribeSecret', name), 'ImplicitlyDenied', name);
    }
  });
});
