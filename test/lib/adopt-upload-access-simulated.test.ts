// AdoptCluster's one-time grant, evaluated on the synthesized policies with the IAM policy simulator (moto ignores
// IAM conditions). The host policy of the real stack: an instance puts a value only into the upload slot tagged with
// its own ARN, never reads it, never puts into a member, CA or client secret, and gets a data key of the stack's key
// only through Secrets Manager for an `adopt/` secret. The step access kind 'adoptUploadSlots' (no catalog step uses it
// yet, so it is granted to a role of a small stack here): slots created only with the stack's key and our tags, read
// and deleted; nothing outside `adopt/`. KMS calls are evaluated with the key's own policy, as KMS does.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { EtcdHaStack } from '../../lib/etcd-ha-stack';
import { grantStepAccess } from '../../lib/step-access';
import { logicalId } from '../support/cdk-template';
import { ACCOUNT, REGION, decide, managedPolicy, policiesOfRole, resolveIntrinsics } from '../support/iam-simulator';

type Policies = Parameters<typeof decide>[0];
type PolicyDocument = Policies[number];

const secret = (name: string) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`;
const instance = (id: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${id}`;
const SELF = instance('i-0aaaaaaaaaaaaaaa1');
const OTHER = instance('i-0bbbbbbbbbbbbbbb2');
const SLOT = 'etcd-ha/prod/adopt/cp-1';
const OTHER_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0000abcd-12ab-34cd-56ef-1234567890ab`;
const VIA_SECRETS_MANAGER = { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` };

/** A synthesized stack's template, the stack key's ARN and the key's own policy, resolved. */
function synthesized(app: App, stack: Stack, key: kms.IKey) {
  const template = Template.fromJSON(app.synth().getStackByName(stack.stackName).template);
  const resources = template.toJSON().Resources;
  const keyResource = resources[logicalId(key)];
  return {
    template,
    keyArn: resolveIntrinsics(stack.resolve(key.keyArn), resources) as string,
    keyPolicy: resolveIntrinsics(keyResource.Properties.KeyPolicy, resources) as PolicyDocument,
  };
}

let host: Policies;
let hostTemplate: Template;
let hostKey: { arn: string; policy: PolicyDocument };
let step: Policies;
let stepKey: { arn: string; policy: PolicyDocument };

before(() => {
  process.env.CDK_VALIDATION = 'false';
  const app = new App();
  const stack = new EtcdHaStack(app, 'EtcdHa');
  const real = synthesized(app, stack, stack.secretsKey);
  hostTemplate = real.template;
  host = [managedPolicy(real.template, logicalId(stack.hostPolicy.policy))];
  hostKey = { arn: real.keyArn, policy: real.keyPolicy };

  const stepApp = new App();
  const small = new Stack(stepApp, 'AdoptAccess', { env: { account: ACCOUNT, region: REGION } });
  const secretsKey = new kms.Key(small, 'SecretsKey');
  const registryTable = new dynamodb.Table(small, 'Registry', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
  const role = new iam.Role(small, 'ReceiveMemberPkiRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  grantStepAccess(role, ['adoptUploadSlots'], { secretPrefix: 'etcd-ha', secretsKey, registryTable });
  const synth = synthesized(stepApp, small, secretsKey);
  step = policiesOfRole(synth.template, logicalId(role));
  stepKey = { arn: synth.keyArn, policy: synth.keyPolicy };
});

describe('member host: puts into its own upload slot, and nothing more', () => {
  /** PutSecretValue by instance `asker` into `name`, whose etcd-ha:instance-arn tag names `taggedFor` (or none). */
  const put = (name: string, taggedFor: string | undefined, asker = SELF, action = 'secretsmanager:PutSecretValue') =>
    decide(host, {
      action,
      resource: secret(name),
      context: { 'ec2:SourceInstanceARN': asker, ...(taggedFor !== undefined && { 'aws:ResourceTag/etcd-ha:instance-arn': taggedFor }) },
    });

  it('the instance whose ARN is the tag may put into etcd-ha/prod/adopt/cp-1', async () => {
    assert.equal(await put(SLOT, SELF), 'Allowed');
  });

  it("another instance, or any instance into an untagged slot: denied", async () => {
    assert.equal(await put(SLOT, SELF, OTHER), 'ImplicitlyDenied');
    assert.equal(await put(SLOT, OTHER), 'ImplicitlyDenied');
    assert.equal(await put(SLOT, undefined), 'ImplicitlyDenied');
  });

  it('its own member secret, the CA and the client secrets: denied, even when tagged with its own ARN', async () => {
    for (const name of ['etcd-ha/prod/member/cp-1', 'etcd-ha/prod/member/adopt', 'etcd-ha/prod/ca', 'etcd-ha/prod/healthcheck-client', 'other-app/prod/adopt/cp-1']) {
      assert.equal(await put(name, SELF), 'ImplicitlyDenied', name);
    }
  });

  it('may not read, describe, tag or delete its own slot', async () => {
    for (const action of ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:TagResource', 'secretsmanager:DeleteSecret', 'secretsmanager:PutResourcePolicy']) {
      assert.equal(await put(SLOT, SELF, SELF, action), 'ImplicitlyDenied', action);
    }
  });

  describe("the stack's key: a data key through Secrets Manager, for an adopt/ secret only", () => {
    const generate = (context: Record<string, string>) =>
      decide(host, { action: 'kms:GenerateDataKey', resource: hostKey.arn, resourcePolicy: hostKey.policy, context: { 'ec2:SourceInstanceARN': SELF, ...context } });

    it("through Secrets Manager, with the slot's ARN as encryption context: allowed", async () => {
      assert.match(hostKey.arn, /^arn:aws:kms:/);
      assert.equal(await generate({ ...VIA_SECRETS_MANAGER, 'kms:EncryptionContext:SecretARN': secret(SLOT) }), 'Allowed');
    });

    it('directly (no kms:ViaService), through another service, or for another secret: denied', async () => {
      assert.equal(await generate({ 'kms:EncryptionContext:SecretARN': secret(SLOT) }), 'ImplicitlyDenied');
      assert.equal(await generate({ 'kms:ViaService': `s3.${REGION}.amazonaws.com`, 'kms:EncryptionContext:SecretARN': secret(SLOT) }), 'ImplicitlyDenied');
      assert.equal(await generate({ ...VIA_SECRETS_MANAGER, 'kms:EncryptionContext:SecretARN': secret('etcd-ha/prod/member/cp-1') }), 'ImplicitlyDenied');
      assert.equal(await generate({ ...VIA_SECRETS_MANAGER, 'kms:EncryptionContext:SecretARN': secret('etcd-ha/prod/ca') }), 'ImplicitlyDenied');
      assert.equal(await generate(VIA_SECRETS_MANAGER), 'ImplicitlyDenied');
    });
  });

  it('the template: PutSecretValue on <prefix>/*/adopt/* with exactly the instance-ARN condition, GenerateDataKey via Secrets Manager for adopt/ secrets', () => {
    const slots = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':secret:etcd-ha/*/adopt/*']] };
    hostTemplate.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectEquals({
            Sid: 'PutOwnAdoptUpload',
            Effect: 'Allow',
            Action: 'secretsmanager:PutSecretValue',
            Resource: slots,
            Condition: { StringEquals: { 'aws:ResourceTag/etcd-ha:instance-arn': '${ec2:SourceInstanceARN}' } },
          }),
          Match.objectEquals({
            Sid: 'EncryptAdoptUploadViaSecretsManager',
            Effect: 'Allow',
            Action: 'kms:GenerateDataKey',
            Resource: Match.anyValue(),
            Condition: {
              StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
              StringLike: { 'kms:EncryptionContext:SecretARN': slots },
            },
          }),
        ]),
      },
    });
  });
});

describe("Receive Member PKI ('adoptUploadSlots'): upload slots only", () => {
  const create = (name: string, kmsKeyArn: string | undefined, tags: Record<string, string>) =>
    decide(step, {
      action: 'secretsmanager:CreateSecret',
      resource: secret(name),
      context: {
        ...(kmsKeyArn !== undefined && { 'secretsmanager:KmsKeyArn': kmsKeyArn }),
        ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])),
        'aws:TagKeys': Object.keys(tags),
      },
    });
  const OUR_TAGS = { 'etcd-ha:cluster': 'prod', 'etcd-ha:member': 'cp-1', 'etcd-ha:instance-arn': SELF };
  const on = (action: string, name: string, context: Record<string, string | string[]> = {}) => decide(step, { action, resource: secret(name), context });

  it("creates a slot only with the stack's key and the cluster and instance tags", async () => {
    assert.equal(await create(SLOT, stepKey.arn, OUR_TAGS), 'Allowed');
    assert.equal(await create(SLOT, OTHER_KEY, OUR_TAGS), 'ImplicitlyDenied');
    assert.equal(await create(SLOT, undefined, OUR_TAGS), 'ImplicitlyDenied');
    assert.equal(await create(SLOT, stepKey.arn, { 'etcd-ha:member': 'cp-1', 'etcd-ha:instance-arn': SELF }), 'ImplicitlyDenied');
    assert.equal(await create(SLOT, stepKey.arn, { 'etcd-ha:cluster': 'prod', 'etcd-ha:member': 'cp-1' }), 'ImplicitlyDenied');
  });

  it('tags a slot with our three tag keys only', async () => {
    assert.equal(await on('secretsmanager:TagResource', SLOT, { 'aws:TagKeys': Object.keys(OUR_TAGS) }), 'Allowed');
    assert.equal(await on('secretsmanager:TagResource', SLOT, { 'aws:TagKeys': ['etcd-ha:cluster', 'owner'] }), 'ImplicitlyDenied');
  });

  it('reads, checks and deletes a slot', async () => {
    for (const action of ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:GetResourcePolicy']) {
      assert.equal(await on(action, SLOT), 'Allowed', action);
    }
    assert.equal(await on('secretsmanager:DeleteSecret', SLOT, { 'aws:ResourceTag/etcd-ha:cluster': 'prod' }), 'Allowed');
    assert.equal(await on('secretsmanager:DeleteSecret', SLOT), 'ImplicitlyDenied', 'an untagged secret is not ours to delete');
  });

  it('never puts a value (the host does) nor a resource policy', async () => {
    assert.equal(await on('secretsmanager:PutSecretValue', SLOT), 'ImplicitlyDenied');
    assert.equal(await on('secretsmanager:PutResourcePolicy', SLOT), 'ImplicitlyDenied');
  });

  it('nothing of the CA, a member or a client secret: not created, read, put, tagged nor deleted', async () => {
    for (const name of ['etcd-ha/prod/ca', 'etcd-ha/prod/member/cp-1', 'etcd-ha/prod/healthcheck-client', 'etcd-ha/prod/revocation']) {
      assert.equal(await create(name, stepKey.arn, OUR_TAGS), 'ImplicitlyDenied', name);
      for (const action of ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:TagResource']) {
        assert.equal(await on(action, name, { 'aws:TagKeys': ['etcd-ha:cluster'] }), 'ImplicitlyDenied', `${action} ${name}`);
      }
      assert.equal(await on('secretsmanager:DeleteSecret', name, { 'aws:ResourceTag/etcd-ha:cluster': 'prod' }), 'ImplicitlyDenied', name);
    }
  });

  it("the stack's key only through Secrets Manager and for an adopt/ secret", async () => {
    const use = (action: string, context: Record<string, string>) => decide(step, { action, resource: stepKey.arn, resourcePolicy: stepKey.policy, context });
    for (const action of ['kms:Decrypt', 'kms:GenerateDataKey']) {
      assert.equal(await use(action, { ...VIA_SECRETS_MANAGER, 'kms:EncryptionContext:SecretARN': secret(SLOT) }), 'Allowed', action);
      assert.equal(await use(action, { 'kms:EncryptionContext:SecretARN': secret(SLOT) }), 'ImplicitlyDenied', action);
      assert.equal(await use(action, { ...VIA_SECRETS_MANAGER, 'kms:EncryptionContext:SecretARN': secret('etcd-ha/prod/ca') }), 'ImplicitlyDenied', action);
    }
  });
});
