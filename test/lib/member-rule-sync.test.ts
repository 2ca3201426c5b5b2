// The EC2 rules list member instances only (issue 13, item 8): the stack creates them with a placeholder that
// matches no instance, and Sync Member Rules (every minute) may rewrite those two rules and nothing else. What the
// rewritten patterns match is shown on moto_server (test/integration/aws/eventbridge-member-rules.moto.test.ts).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EtcdHaStack } from '../../lib/etcd-ha-stack';
import type { MemberRuleSync } from '../../lib/member-rule-sync';
import { NO_MEMBER_INSTANCE } from '../../lambdas/core/member-event-patterns';
import { actionsOf, logicalId, statementsOfRole } from '../support/cdk-template';

describe('Sync Member Rules in the stack', () => {
  let stack: EtcdHaStack;
  let template: Template;
  let sync: MemberRuleSync;

  before(() => {
    process.env.CDK_VALIDATION = 'false';
    stack = new EtcdHaStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'EtcdHa');
    template = Template.fromStack(stack);
    sync = stack.node.findChild('MemberRuleSync') as MemberRuleSync;
  });

  it('creates both EC2 rules with a placeholder that matches no instance', () => {
    for (const rule of [stack.replaceTrigger!.instanceStateChangeRule!, stack.replaceTrigger!.instanceStoppedRule!]) {
      const pattern = template.findResources('AWS::Events::Rule')[logicalId(rule)]!.Properties.EventPattern;
      assert.deepEqual(pattern.detail['instance-id'], [NO_MEMBER_INSTANCE]);
    }
  });

  it('may describe and put those two rules only, and read the registry; runs every minute, one at a time', () => {
    const statements = statementsOfRole(template, logicalId(sync.function.role));
    const rewrite = statements.find((s) => s.Sid === 'RewriteMemberRules')!;
    assert.deepEqual(actionsOf(rewrite), ['events:DescribeRule', 'events:PutRule']);
    assert.deepEqual(rewrite.Resource, [stack.replaceTrigger!.instanceStateChangeRule!, stack.replaceTrigger!.instanceStoppedRule!].map((r) => ({ 'Fn::GetAtt': [logicalId(r), 'Arn'] })));
    const actions = statements.flatMap(actionsOf).filter((a) => !a.startsWith('logs:'));
    assert.deepEqual(actions.sort(), ['dynamodb:GetItem', 'dynamodb:Scan', 'events:DescribeRule', 'events:PutRule'].sort());
    assert.equal(template.findResources('AWS::Events::Rule')[logicalId(sync.schedule)]!.Properties.ScheduleExpression, 'rate(1 minute)');
    const fn = template.findResources('AWS::Lambda::Function')[logicalId(sync.function.function)]!;
    assert.equal(fn.Properties.ReservedConcurrentExecutions, 1);
    assert.equal(fn.Properties.Environment.Variables.ETCD_HA_STEP, 'syncMemberRules');
  });

  it('is absent without the EC2 rules (automaticReplacement false)', () => {
    const manual = new EtcdHaStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'EtcdHaManual', { automaticReplacement: false });
    assert.equal(manual.node.tryFindChild('MemberRuleSync'), undefined);
  });
});
