// What IAM adds to the binding (issue 13, item 1), evaluated on the synthesized policies with the IAM simulator
// (moto evaluates no conditions). IAM cannot compare an instance's etcd-ha:cluster tag with the cluster an execution
// names (that is in the execution's input, which no condition key carries): the host steps may run commands on
// instances that carry a non-empty tag, and never on an untagged one. (The document, AWS-RunShellScript only, is
// checked on the statements in etcd-ha-stack.test.ts: the simulator cannot parse an ARN without an account, as
// AWS-owned documents have.)
// That the tag EQUALS the cluster is checked by the steps that map an instance to a cluster (Ec2HostDirectory:
// test/integration/aws/ec2-host-directory.moto.test.ts).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EtcdHaStack, type EtcdHaStep } from '../../lib/etcd-ha-stack';
import { logicalId } from '../support/cdk-template';
import { ACCOUNT, REGION, decide, policiesOfRole } from '../support/iam-simulator';

const INSTANCE = `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0123456789abcdef0`;

let template: Template;
let stack: EtcdHaStack;

before(() => {
  process.env.CDK_VALIDATION = 'false';
  const app = new App();
  stack = new EtcdHaStack(app, 'EtcdHa');
  template = Template.fromStack(stack);
});

const policiesOf = (step: EtcdHaStep) => policiesOfRole(template, logicalId(stack.steps[step].role));

describe('IAM and the etcd-ha:cluster tag (simulated)', () => {
  it('on instances with a non-empty etcd-ha:cluster tag only; any cluster\'s (IAM cannot name the execution\'s cluster: the step compares)', async () => {
    const policies = policiesOf('pushCertificates');
    const send = (context: Record<string, string>) => decide(policies, { action: 'ssm:SendCommand', resource: INSTANCE, context });
    assert.equal(await send({ 'ssm:resourceTag/etcd-ha:cluster': 'prod' }), 'Allowed');
    assert.equal(await send({ 'ssm:resourceTag/etcd-ha:cluster': 'dev' }), 'Allowed', 'the limit of IAM here');
    assert.equal(await send({ 'ssm:resourceTag/etcd-ha:cluster': '' }), 'ImplicitlyDenied');
    assert.equal(await send({}), 'ImplicitlyDenied', 'untagged');
  });

  it('Generate PKI writes the registry only through the lock check (ConditionCheckItem on lock items)', async () => {
    const policies = policiesOf('generatePki');
    const table = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${logicalId(stack.registryTable).toLowerCase()}`;
    assert.equal(await decide(policies, { action: 'dynamodb:PutItem', resource: table }), 'Allowed');
    assert.equal(await decide(policies, { action: 'dynamodb:ConditionCheckItem', resource: table, context: { 'dynamodb:LeadingKeys': 'lock#prod' } }), 'Allowed');
    assert.equal(await decide(policies, { action: 'dynamodb:DeleteItem', resource: table, context: { 'dynamodb:LeadingKeys': 'cluster#prod' } }), 'ImplicitlyDenied');
  });
});
