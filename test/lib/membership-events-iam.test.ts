// Publish Membership Event's grant, evaluated as AWS would (the IAM simulator over the synthesized policies): it puts
// events on the membership bus only (the default bus, or the one the stack was given), only with source etcd-ha (the
// events:source condition), and no other function may put events at all. Its function alone names the bus.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { App, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Template } from 'aws-cdk-lib/assertions';
import { EtcdHaStack } from '../../lib/etcd-ha-stack';
import { ALL_STEPS } from '../../lambdas/catalog/steps';
import { ENV } from '../../lambdas/catalog/contracts';
import { logicalId } from '../support/cdk-template';
import { ACCOUNT, REGION, decide, policiesOfRole } from '../support/iam-simulator';

const DEFAULT_BUS = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`;
const OWN_BUS = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/etcd-ha-events`;

function synth(membershipEventBus?: (app: App) => events.IEventBus) {
  process.env.CDK_VALIDATION = 'false';
  const app = new App();
  const stack = new EtcdHaStack(app, 'EtcdHa', { ...(membershipEventBus && { membershipEventBus: membershipEventBus(app) }) });
  const template = Template.fromJSON(app.synth().getStackByName(stack.stackName).template);
  const policiesOf = (step: (typeof ALL_STEPS)[number]) => policiesOfRole(template, logicalId(stack.steps[step].role));
  // events:source is multivalued: one value per entry of the PutEvents request; none given: the key is absent.
  const put = (step: (typeof ALL_STEPS)[number], bus: string, ...sources: string[]) =>
    decide(policiesOf(step), { action: 'events:PutEvents', resource: bus, context: sources.length > 0 ? { 'events:source': sources } : {} });
  return { stack, template, put };
}

describe('membership events: IAM (simulated) and the stack', () => {
  let onDefault: ReturnType<typeof synth>;
  let onOwn: ReturnType<typeof synth>;
  before(() => {
    onDefault = synth();
    onOwn = synth((app) => events.EventBus.fromEventBusArn(new Stack(app, 'Shared'), 'Bus', OWN_BUS));
  });

  it('Publish Membership Event puts etcd-ha events on the default bus, and nothing posing as another source', async () => {
    assert.equal(await onDefault.put('publishMembershipEvent', DEFAULT_BUS, 'etcd-ha'), 'Allowed');
    assert.equal(await onDefault.put('publishMembershipEvent', DEFAULT_BUS, 'aws.ec2'), 'ImplicitlyDenied');
    assert.equal(await onDefault.put('publishMembershipEvent', OWN_BUS, 'etcd-ha'), 'ImplicitlyDenied');
    // One of its entries posing as EC2, or a request whose source the condition cannot see: refused.
    assert.equal(await onDefault.put('publishMembershipEvent', DEFAULT_BUS, 'etcd-ha', 'aws.ec2'), 'ImplicitlyDenied');
    assert.equal(await onDefault.put('publishMembershipEvent', DEFAULT_BUS), 'ImplicitlyDenied');
  });

  it('with a bus given to the stack: that bus only', async () => {
    assert.equal(await onOwn.put('publishMembershipEvent', OWN_BUS, 'etcd-ha'), 'Allowed');
    assert.equal(await onOwn.put('publishMembershipEvent', DEFAULT_BUS, 'etcd-ha'), 'ImplicitlyDenied');
    assert.equal(await onOwn.put('publishMembershipEvent', OWN_BUS, 'etcd-ha.fake'), 'ImplicitlyDenied');
  });

  it('no other step may put events', async () => {
    for (const step of ALL_STEPS.filter((s) => s !== 'publishMembershipEvent')) {
      assert.equal(await onDefault.put(step, DEFAULT_BUS, 'etcd-ha'), 'ImplicitlyDenied', step);
    }
  });

  it('names the bus in its function\'s environment (the default one unless given), with a 30 s timeout', () => {
    for (const [synthed, bus] of [[onDefault, 'default'], [onOwn, 'etcd-ha-events']] as const) {
      const fn = synthed.template.toJSON().Resources[logicalId(synthed.stack.steps.publishMembershipEvent.function)];
      assert.equal(fn.Properties.Environment.Variables[ENV.membershipEventBus], bus);
      assert.equal(fn.Properties.Environment.Variables[ENV.step], 'publishMembershipEvent');
      assert.equal(fn.Properties.Timeout, 30);
      assert.match(fn.Properties.Description, /^etcd-ha Publish Membership Event/);
    }
  });

  it('invokes it from the five workflows that change membership, on both ways out', () => {
    const fnArn = logicalId(onDefault.stack.steps.publishMembershipEvent.function);
    for (const workflow of [onDefault.stack.provisionCluster, onDefault.stack.replaceMember, onDefault.stack.scaleCluster, onDefault.stack.adoptCluster, onDefault.stack.restoreCluster]) {
      const definition = JSON.stringify(onDefault.template.toJSON().Resources[logicalId(workflow.stateMachine)].Properties.DefinitionString);
      for (const state of ['Publish Membership Event', 'Publish Membership Failure']) assert.ok(definition.includes(`\\"${state}\\":{`), `${logicalId(workflow.stateMachine)}: ${state}`);
      assert.ok(definition.includes(fnArn), `${logicalId(workflow.stateMachine)} invokes ${fnArn}`);
    }
  });
});
