// How the stack heals without an operator, as synthesized: a stop waits the grace period inside ReplaceMember, a
// scheduled health probe (its schedule, its single concurrency, its IAM), Retire Replaced Host's IAM scoped to
// member instances, SetMaintenance's chain, and the context keys of all three. Bundling is skipped.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import validator from 'asl-validator';
import { EtcdHaStack, type EtcdHaStackProps } from '../../lib/etcd-ha-stack';
import { stackPropsFromContext } from '../../lib/context';
import { actionsOf, logicalId, statementsOfRole } from '../support/cdk-template';
import { renderAsl } from '../../statemachines/render-asl';
import { MAINTENANCE_STEPS, setMaintenanceDefinition } from '../../statemachines/set-maintenance';

process.env.CDK_VALIDATION = 'false';

const app = (context: Record<string, unknown> = {}) => new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
const build = (props: EtcdHaStackProps = {}) => {
  const stack = new EtcdHaStack(app(), 'EtcdHa', props);
  return { stack, template: Template.fromStack(stack) };
};
const fromContext = (context: Record<string, unknown>) => stackPropsFromContext(app(context).node);
type States = Record<string, { Type: string; Seconds?: number; Next?: string; Default?: string; Choices?: Array<Record<string, unknown>> }>;
const replaceStates = (template: Template, stack: EtcdHaStack): States => {
  const definition = template.findResources('AWS::StepFunctions::StateMachine')[logicalId(stack.replaceMember.stateMachine)]!.Properties.DefinitionString;
  const text = typeof definition === 'string' ? definition : (definition['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : 'x')).join('');
  return (JSON.parse(text) as { States: States }).States;
};

describe('a stop is not a death', () => {
  const { stack, template } = build();

  it('waits the grace period (10 minutes by default) before Look Again, for stopping/stopped instances only', () => {
    const states = replaceStates(template, stack);
    assert.equal(states['Wait Grace Period']!.Type, 'Wait');
    assert.equal(states['Wait Grace Period']!.Seconds, 600);
    assert.equal(states['Wait Grace Period']!.Next, 'Look Again');
    const isStopped = states['Is Instance Stopped?']!;
    assert.equal(isStopped.Default, 'Acquire Lock', 'terminated, by hand and health probe requests go on at once');
    assert.match(JSON.stringify(isStopped.Choices), /"StringEquals":"stopping".*"StringEquals":"stopped"/);
    assert.equal(states['Is Healing Paused?']!.Default, 'Is Instance Stopped?');
    // Retire Replaced Host comes after the record, under the lock, before Release Lock.
    assert.equal(states['Record Cluster']!.Next, 'Retire Replaced Host');
    assert.equal(states['Retire Replaced Host']!.Next, 'Release Lock');
  });

  it('takes the grace period from healingGracePeriodMinutes', () => {
    const custom = build({ healingGracePeriodMinutes: 2 });
    assert.equal(replaceStates(custom.template, custom.stack)['Wait Grace Period']!.Seconds, 120);
    assert.equal(custom.template.findResources('AWS::Lambda::Function')[logicalId(custom.stack.healthProbe!.function.function)]!.Properties.Environment.Variables.PROBE_GRACE_SECONDS, '120');
  });
});

describe('the health probe', () => {
  const { stack, template } = build();
  const probe = stack.healthProbe!;

  it('runs every minute by default, one at a time (reserved concurrency 1), without retries that would overlap the next round', () => {
    const schedule = template.findResources('AWS::Events::Rule')[logicalId(probe.schedule)]!;
    assert.equal(schedule.Properties.ScheduleExpression, 'rate(1 minute)');
    assert.equal(schedule.Properties.Targets[0].Arn['Fn::GetAtt'][0], logicalId(probe.function.function));
    assert.equal(schedule.Properties.Targets[0].RetryPolicy.MaximumRetryAttempts, 0);
    const fn = template.findResources('AWS::Lambda::Function')[logicalId(probe.function.function)]!;
    assert.equal(fn.Properties.ReservedConcurrentExecutions, 1);
    // A throttled round is dropped after a minute, never queued behind the running one.
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { FunctionName: { Ref: logicalId(probe.function.function) }, MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 0 });
    assert.equal(fn.Properties.Handler, 'app/index.handler');
    assert.equal(fn.Properties.Environment.Variables.ETCD_HA_STEP, 'healthProbe');
    assert.deepEqual(fn.Properties.Environment.Variables.REPLACE_STATE_MACHINE_ARN, { Ref: logicalId(stack.replaceMember.stateMachine) });
    assert.equal(fn.Properties.Environment.Variables.PROBE_GRACE_SECONDS, '600');
  });

  it('takes its interval from healthProbeIntervalMinutes, and is absent with healthProbe false', () => {
    const every5 = build({ healthProbeIntervalMinutes: 5 });
    assert.equal(every5.template.findResources('AWS::Events::Rule')[logicalId(every5.stack.healthProbe!.schedule)]!.Properties.ScheduleExpression, 'rate(5 minutes)');
    const none = build({ healthProbe: false });
    assert.equal(none.stack.healthProbe, undefined);
    // Only Sync Member Rules' schedule, BackupCluster's and DrillRestore's are left.
    const schedules = Object.entries(none.template.findResources('AWS::Events::Rule')).filter(([, r]) => r.Properties.ScheduleExpression);
    assert.deepEqual(
      schedules.map(([id]) => id).sort(),
      [
        logicalId(none.stack.node.findChild('MemberRuleSync').node.findChild('Schedule') as never),
        logicalId(none.stack.backupCluster.scheduleRule!),
        logicalId(none.stack.drillRestore.scheduleRule!),
      ].sort(),
    );
  });

  it('may start ReplaceMember only, write only its own probe# items, read records and healthcheck secrets, describe instances', () => {
    const statements = statementsOfRole(template, logicalId(probe.function.role));
    const start = statements.find((s) => actionsOf(s).includes('states:StartExecution'))!;
    assert.deepEqual(start.Resource, { Ref: logicalId(stack.replaceMember.stateMachine) });
    const probeItems = statements.find((s) => s.Sid === 'ReadWriteProbeState')!;
    assert.deepEqual(actionsOf(probeItems), ['dynamodb:GetItem', 'dynamodb:PutItem']);
    assert.deepEqual(probeItems.Condition, { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['probe#*'] } });
    const actions = statements.flatMap(actionsOf);
    for (const never of ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem', 'ec2:StopInstances', 'ec2:CreateTags']) assert.ok(!actions.includes(never), never);
    // Its only unconditioned PutItem is none: the record is the lock holder's.
    assert.ok(statements.filter((s) => actionsOf(s).includes('dynamodb:PutItem')).every((s) => s.Condition !== undefined));
  });
});

describe('Retire Replaced Host', () => {
  const { stack, template } = build();
  const instances = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':instance/*']] };
  const memberInstance = { 'ec2:ResourceTag/etcd-ha:cluster': '?*' };

  it('may tag replaced-by, stop and untag the cluster tag only on member instances, and never terminate', () => {
    const bySid = Object.fromEntries(statementsOfRole(template, logicalId(stack.steps.retireReplacedHost.role)).filter((s) => s.Sid).map((s) => [s.Sid!, s]));
    assert.deepEqual(bySid.TagReplacedInstances, {
      Sid: 'TagReplacedInstances',
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: instances,
      Condition: { StringLike: memberInstance, 'ForAllValues:StringEquals': { 'aws:TagKeys': ['etcd-ha:replaced-by'] } },
    });
    assert.deepEqual(bySid.StopInstancesOfMembers ?? bySid.StopReplacedInstances, { Sid: 'StopReplacedInstances', Effect: 'Allow', Action: 'ec2:StopInstances', Resource: instances, Condition: { StringLike: memberInstance } });
    assert.deepEqual(bySid.UntagReplacedInstances?.Condition, { StringLike: memberInstance, 'ForAllValues:StringEquals': { 'aws:TagKeys': ['etcd-ha:cluster'] } });
    const everyAction = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => (p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>).flatMap((s) => actionsOf(s as never)));
    assert.ok(!everyAction.includes('ec2:TerminateInstances'));
  });
});

describe('SetMaintenance', () => {
  it('is Validate Maintenance Request → Acquire Lock → Set Maintenance → Release Lock → Maintenance Set, releasing the lock on failure', () => {
    const asl = renderAsl(MAINTENANCE_STEPS, (scope, functions) => setMaintenanceDefinition(scope, { functions }));
    assert.equal(validator(structuredClone(asl) as never).isValid, true);
    const states = asl.States as States & Record<string, { Catch?: Array<{ Next: string }> }>;
    assert.equal(asl.StartAt, 'Validate Maintenance Request');
    assert.equal(states['Validate Maintenance Request']!.Next, 'Acquire Lock');
    assert.equal(states['Acquire Lock']!.Next, 'Set Maintenance');
    assert.equal(states['Set Maintenance']!.Next, 'Release Lock');
    assert.equal(states['Release Lock']!.Next, 'Maintenance Set');
    assert.equal(states['Set Maintenance']!.Catch![0]!.Next, 'Release Lock After Failure');
  });
});

describe('context keys of healing', () => {
  it('reads them as `cdk -c` passes them', () => {
    assert.deepEqual(fromContext({ healingGracePeriodMinutes: '15', healthProbe: 'false' }), { healingGracePeriodMinutes: 15, healthProbe: false });
    assert.deepEqual(fromContext({ healthProbeIntervalMinutes: 5 }), { healthProbeIntervalMinutes: 5 });
  });

  it('refuses bad values, naming the key', () => {
    assert.throws(() => fromContext({ healingGracePeriodMinutes: '10m' }), /^Error: context healingGracePeriodMinutes must be a whole number, got "10m"$/);
    assert.throws(() => fromContext({ healingGracePeriodMinutes: '0' }), /^Error: context healingGracePeriodMinutes must be a whole number of minutes from 1 to 1440, got "0"$/);
    assert.throws(() => fromContext({ healthProbeIntervalMinutes: 2000 }), /^Error: context healthProbeIntervalMinutes must be a whole number of minutes from 1 to 1440, got 2000$/);
    assert.throws(() => fromContext({ healthProbe: 'sometimes' }), /^Error: context healthProbe must be true or false, got "sometimes"$/);
  });

  it('refuses contradictory props, naming the prop', () => {
    assert.throws(() => build({ healingGracePeriodMinutes: 1.5 }), /^Error: healingGracePeriodMinutes must be a whole number from 1 to 1440, got 1.5$/);
    assert.throws(() => build({ healthProbe: false, healthProbeIntervalMinutes: 5 }), /^Error: healthProbeIntervalMinutes must be left out when healthProbe is false \(no probe runs\), got 5$/);
  });
});
