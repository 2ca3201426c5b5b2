// ConnectControlPlane after each membership change (connectControlPlaneOnChange): the rule matches the completed
// membership events only, starts ConnectControlPlane with the changed cluster's name (the input it validates), and
// may start nothing else; off by default.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EtcdHaStack, type EtcdHaStackProps } from '../../lib/etcd-ha-stack';
import { ConnectRequestSchema } from '../../lambdas/steps/control-plane/inputs';
import { logicalId } from '../support/cdk-template';

function synth(props: EtcdHaStackProps = {}) {
  process.env.CDK_VALIDATION = 'false';
  const app = new App();
  const stack = new EtcdHaStack(app, 'EtcdHa', props);
  return { stack, template: Template.fromJSON(app.synth().getStackByName(stack.stackName).template) };
}

const rulesOn = (template: Template) =>
  Object.values(template.findResources('AWS::Events::Rule')).filter((r) => JSON.stringify(r.Properties.EventPattern ?? {}).includes('Membership Changed'));

describe('ConnectControlPlane after each membership change', () => {
  it('is off by default', () => {
    assert.equal(rulesOn(synth().template).length, 0);
  });

  it('on: a rule on source etcd-ha / Membership Changed starts ConnectControlPlane with {"clusterName": <detail.cluster>}', () => {
    const { stack, template } = synth({ connectControlPlaneOnChange: true });
    const [rule] = rulesOn(template);
    assert.ok(rule);
    assert.deepEqual(rule.Properties.EventPattern, { source: ['etcd-ha'], 'detail-type': ['Membership Changed'] });
    const [target] = rule.Properties.Targets as Array<{ Arn: unknown; RoleArn: { 'Fn::GetAtt': [string, string] }; InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string } }>;
    assert.deepEqual(target!.Arn, { Ref: logicalId(stack.connectControlPlane.stateMachine) });
    assert.deepEqual(Object.values(target!.InputTransformer.InputPathsMap), ['$.detail.cluster']);
    const [path] = Object.keys(target!.InputTransformer.InputPathsMap);
    // EventBridge puts a string value in quotes where a placeholder is a JSON value.
    const input = JSON.parse(target!.InputTransformer.InputTemplate.replace(`<${path}>`, JSON.stringify('prod'))) as unknown;
    assert.deepEqual(input, { clusterName: 'prod' });
    assert.equal(ConnectRequestSchema.safeParse(input).success, true, 'ConnectControlPlane accepts the input');
    // The rule's role may start that state machine and nothing else.
    const role = template.findResources('AWS::IAM::Policy');
    const statements = Object.values(role)
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(target!.RoleArn['Fn::GetAtt'][0]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string; Resource: unknown }>);
    assert.deepEqual(statements.map((s) => [s.Action, s.Resource]), [['states:StartExecution', { Ref: logicalId(stack.connectControlPlane.stateMachine) }]]);
  });
});
