// Cloning without escalation, and registry writes to the cluster's own keys (issue 13, item 3), as AWS would
// decide them: the synthesized policies of Choose Replacement Host and Record Cluster evaluated by the IAM simulator
// (test/support/iam-simulator.ts; moto evaluates no conditions). Each "denied" below was allowed by the grants
// before (PassRole on role/*, RunInstances on any image, subnet, group or template, PutItem on any key).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EtcdHaStack } from '../../lib/etcd-ha-stack';
import { logicalId } from '../support/cdk-template';
import { ACCOUNT, REGION, decide, policiesOfRole } from '../support/iam-simulator';

const MEMBER_ROLE = `arn:aws:iam::${ACCOUNT}:role/etcd-member`;
const MEMBERS_VPC = 'vpc-0123456789abcdef0';
const NAMED_AMI = 'ami-0123456789abcdef0';
const NAMED_TEMPLATE = 'lt-0123456789abcdef0';
const ec2Arn = (resource: string, account: string = ACCOUNT) => `arn:aws:ec2:${REGION}:${account}:${resource}`;
const vpcArn = (id: string) => ec2Arn(`vpc/${id}`);

type Policies = Awaited<ReturnType<typeof policiesOfRole>>;

describe('clone and registry grants, as IAM decides them', () => {
  let chooser: Policies;
  let recorder: Policies;
  let defaultChooser: Policies;

  before(() => {
    process.env.CDK_VALIDATION = 'false';
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new EtcdHaStack(app, 'EtcdHaClones', {
      memberInstanceRoleArns: [MEMBER_ROLE],
      memberVpcIds: [MEMBERS_VPC],
      cloneImageIds: [NAMED_AMI],
      cloneLaunchTemplateIds: [NAMED_TEMPLATE],
    });
    const plain = new EtcdHaStack(app, 'EtcdHa');
    const template = Template.fromStack(stack);
    chooser = policiesOfRole(template, logicalId(stack.steps.chooseReplacementHost.role));
    recorder = policiesOfRole(template, logicalId(stack.steps.recordCluster.role));
    defaultChooser = policiesOfRole(Template.fromStack(plain), logicalId(plain.steps.chooseReplacementHost.role));
  });

  it('iam:PassRole: a member role to EC2 is allowed; any other role, or another service, is denied', async () => {
    const pass = (role: string, service = 'ec2.amazonaws.com') => decide(chooser, { action: 'iam:PassRole', resource: role, context: { 'iam:PassedToService': service } });
    assert.equal(await pass(MEMBER_ROLE), 'Allowed');
    assert.equal(await pass(`arn:aws:iam::${ACCOUNT}:role/admin`), 'ImplicitlyDenied');
    assert.equal(await pass(MEMBER_ROLE, 'lambda.amazonaws.com'), 'ImplicitlyDenied');
  });

  it('without memberInstanceRoleArns nothing may be passed or launched at all', async () => {
    assert.equal(await decide(defaultChooser, { action: 'iam:PassRole', resource: MEMBER_ROLE, context: { 'iam:PassedToService': 'ec2.amazonaws.com' } }), 'ImplicitlyDenied');
    const image = await decide(defaultChooser, { action: 'ec2:RunInstances', resource: ec2Arn(`image/${NAMED_AMI}`, ''), context: { 'ec2:Owner': ACCOUNT } });
    assert.equal(image, 'ImplicitlyDenied');
  });

  it("ec2:RunInstances with an image: the account's own or a named one; another account's is denied", async () => {
    const image = (id: string, owner: string) => decide(chooser, { action: 'ec2:RunInstances', resource: ec2Arn(`image/${id}`, ''), context: { 'ec2:Owner': owner, 'ec2:ImageID': id } });
    assert.equal(await image('ami-0aaaaaaaaaaaaaaaa', ACCOUNT), 'Allowed');
    assert.equal(await image(NAMED_AMI, '099720109477'), 'Allowed');
    assert.equal(await image('ami-0bbbbbbbbbbbbbbbb', '999999999999'), 'ImplicitlyDenied');
    assert.equal(await image('ami-0bbbbbbbbbbbbbbbb', 'aws-marketplace'), 'ImplicitlyDenied');
  });

  it("ec2:RunInstances with a subnet, security group or network interface: only in the members' VPC", async () => {
    for (const resource of ['subnet/subnet-0aaaaaaaaaaaaaaaa', 'security-group/sg-0aaaaaaaaaaaaaaaa', 'network-interface/*']) {
      const inVpc = (vpc: string) => decide(chooser, { action: 'ec2:RunInstances', resource: ec2Arn(resource), context: { 'ec2:Vpc': vpcArn(vpc) } });
      assert.equal(await inVpc(MEMBERS_VPC), 'Allowed', resource);
      assert.equal(await inVpc('vpc-0fedcba9876543210'), 'ImplicitlyDenied', resource);
    }
  });

  it('ec2:RunInstances with a launch template: only a named one', async () => {
    const template = (id: string) => decide(chooser, { action: 'ec2:RunInstances', resource: ec2Arn(`launch-template/${id}`) });
    assert.equal(await template(NAMED_TEMPLATE), 'Allowed');
    assert.equal(await template('lt-0fedcba9876543210'), 'ImplicitlyDenied');
  });

  it('ec2:RunInstances for the instance only with the cluster tag requested', async () => {
    const instance = (tags: Record<string, string>) =>
      decide(chooser, { action: 'ec2:RunInstances', resource: ec2Arn('instance/*'), context: Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])) });
    assert.equal(await instance({ 'etcd-ha:cluster': 'demo' }), 'Allowed');
    assert.equal(await instance({ Name: 'x' }), 'ImplicitlyDenied');
  });

  it("the user data of an instance without the cluster tag cannot be read (DescribeInstanceAttribute)", async () => {
    const read = (context: Record<string, string>) => decide(chooser, { action: 'ec2:DescribeInstanceAttribute', resource: ec2Arn('instance/i-0aaaaaaaaaaaaaaaa'), context });
    assert.equal(await read({ 'ec2:ResourceTag/etcd-ha:cluster': 'demo', 'aws:ResourceTag/etcd-ha:cluster': 'demo' }), 'Allowed');
    assert.equal(await read({}), 'ImplicitlyDenied');
    assert.equal(await read({ 'ec2:ResourceTag/Name': 'x', 'aws:ResourceTag/Name': 'x' }), 'ImplicitlyDenied');
  });

  it('Record Cluster writes cluster records only ("cluster#…"): a lock or probe item, or a key of no prefix, is denied', async () => {
    const table = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/`;
    const policies = recorder;
    const tableArn = (await tableOf(policies)) ?? `${table}*`;
    const put = (key: string) => decide(policies, { action: 'dynamodb:PutItem', resource: tableArn, context: { 'dynamodb:LeadingKeys': [key] } });
    assert.equal(await put('cluster#demo'), 'Allowed');
    for (const key of ['lock#demo', 'probe#demo', 'demo']) assert.equal(await put(key), 'ImplicitlyDenied', key);
    // The lock check of its transaction reads the lock item only.
    const check = (key: string) => decide(policies, { action: 'dynamodb:ConditionCheckItem', resource: tableArn, context: { 'dynamodb:LeadingKeys': [key] } });
    assert.equal(await check('lock#demo'), 'Allowed');
    assert.equal(await check('cluster#demo'), 'ImplicitlyDenied');
  });
});

/** The registry table's ARN as the resolved policies name it (the resource of the PutItem statement). */
async function tableOf(policies: Policies): Promise<string | undefined> {
  for (const policy of policies) {
    for (const statement of policy.Statement as Array<{ Action?: unknown; Resource?: unknown }>) {
      const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
      if (actions.includes('dynamodb:PutItem') && typeof statement.Resource === 'string') return statement.Resource;
    }
  }
  return undefined;
}
