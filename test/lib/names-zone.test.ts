// The stable names' zone in the stack: its own private hosted zone in the members' VPC (vpcId), or an existing one
// (hostedZoneId + dnsZoneName), or none (neither: no zone, no variables, no Route 53 grant). The grant, evaluated as
// AWS would (the IAM simulator): only the three steps that publish names may change records, only A records strictly
// under the zone, only UPSERT and DELETE, only in that zone. cdk-nag runs in the synth.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EtcdHaStack } from '../../lib/etcd-ha-stack';
import { stackPropsFromContext } from '../../lib/context';
import { ALL_STEPS } from '../../lambdas/catalog/steps';
import { ENV } from '../../lambdas/catalog/contracts';
import { logicalId } from '../support/cdk-template';
import { decide, policiesOfRole } from '../support/iam-simulator';

const NETWORK = { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0'], securityGroupId: 'sg-0123456789abcdef0' };
const PUBLISHERS = ['deleteClusterRecord', 'recordCluster', 'recordRestoredCluster'];
const ZONE = 'Z0123456789ABCDEFGHIJ';
const zoneArn = (id: string) => `arn:aws:route53:::hostedzone/${id}`;

function synth(id: string, props: ConstructorParameters<typeof EtcdHaStack>[2]): { stack: EtcdHaStack; template: Template } {
  process.env.CDK_VALIDATION = 'false';
  const app = new App();
  const stack = new EtcdHaStack(app, id, props);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { stack, template: Template.fromJSON(app.synth().getStackByName(stack.stackName).template) };
}

const variables = (template: Template, stack: EtcdHaStack, step: (typeof ALL_STEPS)[number]) =>
  (template.toJSON().Resources[logicalId(stack.steps[step].function)].Properties.Environment.Variables ?? {}) as Record<string, unknown>;

describe('Stable names zone: the stack\'s own in the members\' VPC', () => {
  let s: ReturnType<typeof synth>;
  before(() => (s = synth('EtcdHaNames', NETWORK)));

  it('creates one private hosted zone etcd-ha.internal in vpcId (retained by default) and outputs its ID', () => {
    s.template.resourceCountIs('AWS::Route53::HostedZone', 1);
    s.template.hasResource('AWS::Route53::HostedZone', {
      Properties: { Name: 'etcd-ha.internal.', VPCs: [{ VPCId: NETWORK.vpcId, VPCRegion: Match.anyValue() }] },
      DeletionPolicy: 'Retain',
    });
    s.template.hasOutput('MemberNamesZoneId', { Value: { Ref: Match.stringLikeRegexp('MemberNamesZone') } });
  });

  it('tells only the three publishing steps the zone (HOSTED_ZONE_ID, DNS_ZONE_NAME)', () => {
    const told = ALL_STEPS.filter((step) => ENV.hostedZoneId in variables(s.template, s.stack, step));
    assert.deepEqual(told.sort(), PUBLISHERS);
    assert.equal(variables(s.template, s.stack, 'recordCluster')[ENV.dnsZoneName], 'etcd-ha.internal');
  });
});

describe('Stable names zone: an existing one (hostedZoneId + dnsZoneName)', () => {
  let s: ReturnType<typeof synth>;
  before(() => (s = synth('EtcdHaGivenZone', { hostedZoneId: ZONE, dnsZoneName: 'etcd.corp.example' })));
  const policiesOf = (step: (typeof ALL_STEPS)[number]) => policiesOfRole(s.template, logicalId(s.stack.steps[step].role));
  const change = (names: string[], types = ['A'], actions = ['UPSERT'], zone = ZONE) => ({
    action: 'route53:ChangeResourceRecordSets',
    resource: zoneArn(zone),
    context: { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': names, 'route53:ChangeResourceRecordSetsRecordTypes': types, 'route53:ChangeResourceRecordSetsActions': actions },
  });

  it('creates no zone; the publishing steps get the given ID and name', () => {
    s.template.resourceCountIs('AWS::Route53::HostedZone', 0);
    assert.deepEqual(
      [variables(s.template, s.stack, 'recordCluster')[ENV.hostedZoneId], variables(s.template, s.stack, 'recordCluster')[ENV.dnsZoneName]],
      [ZONE, 'etcd.corp.example'],
    );
  });

  it('Record Cluster may UPSERT and DELETE A records under the zone, in that zone only, and list it', async () => {
    const policies = policiesOf('recordCluster');
    assert.equal(await decide(policies, change(['etcd.demo.etcd.corp.example', 'infra0.demo.etcd.corp.example'], ['A', 'A'], ['UPSERT', 'DELETE'])), 'Allowed');
    assert.equal(await decide(policies, { action: 'route53:ListResourceRecordSets', resource: zoneArn(ZONE) }), 'Allowed');
    // The zone's own apex (its SOA and NS), another record type, another action, another zone, a name outside it.
    assert.equal(await decide(policies, change(['etcd.corp.example'])), 'ImplicitlyDenied');
    assert.equal(await decide(policies, change(['etcd.demo.etcd.corp.example'], ['NS'])), 'ImplicitlyDenied');
    assert.equal(await decide(policies, change(['etcd.demo.etcd.corp.example'], ['A'], ['CREATE'])), 'ImplicitlyDenied');
    assert.equal(await decide(policies, change(['etcd.demo.etcd.corp.example'], ['A'], ['UPSERT'], 'Z9999999999OTHERZONE')), 'ImplicitlyDenied');
    assert.equal(await decide(policies, change(['www.example.com', 'etcd.demo.etcd.corp.example'], ['A', 'A'])), 'ImplicitlyDenied');
  });

  it('no other step may change or list the names', async () => {
    const allowed: string[] = [];
    for (const step of ALL_STEPS) if ((await decide(policiesOf(step), change(['etcd.demo.etcd.corp.example']))) === 'Allowed') allowed.push(step);
    assert.deepEqual(allowed.sort(), PUBLISHERS);
    assert.equal(await decide(policiesOf('checkHealth'), { action: 'route53:ListResourceRecordSets', resource: zoneArn(ZONE) }), 'ImplicitlyDenied');
  });
});

describe('Stable names zone: neither a VPC nor a zone', () => {
  it('no zone, no variables, no Route 53 statement', () => {
    const s = synth('EtcdHaNoNames', {});
    s.template.resourceCountIs('AWS::Route53::HostedZone', 0);
    assert.deepEqual(ALL_STEPS.filter((step) => ENV.hostedZoneId in variables(s.template, s.stack, step)), []);
    assert.doesNotMatch(JSON.stringify(s.template.findResources('AWS::IAM::Policy')), /route53:/);
  });

  it('context: -c hostedZoneId=… -c dnsZoneName=… become the props', () => {
    const app = new App({ context: { hostedZoneId: ZONE, dnsZoneName: 'etcd.corp.example' } });
    assert.deepEqual(stackPropsFromContext(app.node), { hostedZoneId: ZONE, dnsZoneName: 'etcd.corp.example' });
  });

  it('props: hostedZoneId needs dnsZoneName, dnsZoneName needs a zone to go into; each error names the prop and the value', () => {
    assert.throws(() => new EtcdHaStack(new App(), 'A', { hostedZoneId: ZONE }), /dnsZoneName must be given with hostedZoneId \(the zone's name\), got undefined/);
    assert.throws(() => new EtcdHaStack(new App(), 'B', { dnsZoneName: 'etcd.corp.example' }), /dnsZoneName must be given with hostedZoneId or vpcId .*got "etcd\.corp\.example"/);
    assert.throws(() => new EtcdHaStack(new App(), 'C', { hostedZoneId: 'zone-1', dnsZoneName: 'x.example' }), /hostedZoneId must be a Route 53 hosted zone ID \(Z…\), got "zone-1"/);
    assert.throws(() => new EtcdHaStack(new App(), 'D', { ...NETWORK, dnsZoneName: 'Etcd.Example.' }), /dnsZoneName must be a lower-case DNS name/);
  });
});
