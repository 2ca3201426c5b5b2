// DeleteCluster's grants, evaluated as AWS would (the IAM simulator over the synthesized policies; moto ignores IAM
// conditions): only Delete Secrets may delete a secret, and only one under the prefix that carries the etcd-ha:cluster
// tag; no DeleteCluster step reads a secret value; only Delete Record deletes a record (`cluster#` keys), never a
// lock or a probe item, and it may check the lock item's owner in its transaction. cdk-nag runs in the synth.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EtcdHaStack } from '../../lib/etcd-ha-stack';
import { ALL_STEPS, DELETE_ONLY_STEPS } from '../../lambdas/catalog/steps';
import { logicalId } from '../support/cdk-template';
import { ACCOUNT, REGION, decide, policiesOfRole } from '../support/iam-simulator';

const secret = (name: string) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`;
const table = (template: Template) => {
  const [id] = Object.keys(template.findResources('AWS::DynamoDB::Table'));
  return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${id!.toLowerCase()}`;
};

describe('DeleteCluster IAM (simulated)', () => {
  let template: Template;
  let stack: EtcdHaStack;
  const policiesOf = (step: (typeof ALL_STEPS)[number]) => policiesOfRole(template, logicalId(stack.steps[step].role));

  before(() => {
    process.env.CDK_VALIDATION = 'false';
    const app = new App();
    stack = new EtcdHaStack(app, 'EtcdHa');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    template = Template.fromJSON(app.synth().getStackByName(stack.stackName).template);
  });

  it('Delete Secrets deletes a cluster secret under the prefix only when it carries the etcd-ha:cluster tag', async () => {
    const policies = policiesOf('deleteClusterSecrets');
    const tagged = { 'aws:ResourceTag/etcd-ha:cluster': 'prod' };
    assert.equal(await decide(policies, { action: 'secretsmanager:DeleteSecret', resource: secret('etcd-ha/prod/ca'), context: tagged }), 'Allowed');
    assert.equal(await decide(policies, { action: 'secretsmanager:DeleteSecret', resource: secret('etcd-ha/prod/member/infra0'), context: tagged }), 'Allowed');
    // A secret someone else made under the prefix, without our tag; one outside the prefix.
    assert.equal(await decide(policies, { action: 'secretsmanager:DeleteSecret', resource: secret('etcd-ha/prod/ca') }), 'ImplicitlyDenied');
    assert.equal(await decide(policies, { action: 'secretsmanager:DeleteSecret', resource: secret('payments/db-password'), context: tagged }), 'ImplicitlyDenied');
    assert.equal(await decide(policies, { action: 'secretsmanager:ListSecrets', resource: '*' }), 'Allowed');
  });

  it('no step but Delete Secrets may delete a secret; no DeleteCluster step may read a value', async () => {
    const request = { action: 'secretsmanager:DeleteSecret', resource: secret('etcd-ha/prod/ca'), context: { 'aws:ResourceTag/etcd-ha:cluster': 'prod' } };
    const allowed: string[] = [];
    for (const step of ALL_STEPS) if ((await decide(policiesOf(step), request)) === 'Allowed') allowed.push(step);
    assert.deepEqual(allowed, ['deleteClusterSecrets']);
    for (const step of DELETE_ONLY_STEPS) {
      assert.equal(await decide(policiesOf(step), { action: 'secretsmanager:GetSecretValue', resource: secret('etcd-ha/prod/ca') }), 'ImplicitlyDenied', step);
    }
  });

  it('Delete Record deletes cluster records only (never a lock or probe item) and checks the lock item in its transaction', async () => {
    const policies = policiesOf('deleteClusterRecord');
    const on = (keys: string[]) => ({ resource: table(template), context: { 'dynamodb:LeadingKeys': keys } });
    assert.equal(await decide(policies, { action: 'dynamodb:DeleteItem', ...on(['cluster#prod']) }), 'Allowed');
    assert.equal(await decide(policies, { action: 'dynamodb:DeleteItem', ...on(['lock#prod']) }), 'ImplicitlyDenied');
    assert.equal(await decide(policies, { action: 'dynamodb:DeleteItem', ...on(['probe#prod']) }), 'ImplicitlyDenied');
    assert.equal(await decide(policies, { action: 'dynamodb:ConditionCheckItem', ...on(['lock#prod']) }), 'Allowed');
    assert.equal(await decide(policies, { action: 'dynamodb:PutItem', ...on(['cluster#prod']) }), 'ImplicitlyDenied');
    // Only it (and Release Lock, on lock items) may delete anything in the registry table.
    const deleters: string[] = [];
    for (const step of ALL_STEPS) if ((await decide(policiesOf(step), { action: 'dynamodb:DeleteItem', ...on(['cluster#prod']) })) === 'Allowed') deleters.push(step);
    assert.deepEqual(deleters, ['deleteClusterRecord']);
  });
});
