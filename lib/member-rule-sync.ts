// Keeps the EC2 state-change rules to member instances: EC2's events carry no tags, so each rule's pattern lists
// the recorded members' instance IDs (lambdas/core/member-event-patterns.ts), and this function rewrites them from
// the registry every minute. A schedule rather than the table's stream: it also puts the member list back after a
// deploy (CloudFormation resets the rules to their placeholder pattern, which matches no instance), needs no stream
// permissions on "*", and a member that joined less than a minute ago is still covered by the health probe.
import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/catalog/contracts';
import { grantStepAccess, type StepAccessResources } from './step-access';
import { StepFunction } from './step-function';

/** A rule the function rewrites, with the instance states it matches. */
export interface MemberRule {
  readonly rule: events.Rule;
  readonly states: readonly string[];
}

export interface MemberRuleSyncProps {
  readonly rules: readonly MemberRule[];
  /** The environment every step function gets (the registry table). */
  readonly environment: Readonly<Record<string, string>>;
  readonly access: StepAccessResources;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

export class MemberRuleSync extends Construct {
  readonly function: StepFunction;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: MemberRuleSyncProps) {
    super(scope, id);
    if (props.rules.length === 0) throw new Error('MemberRuleSync needs at least one rule');
    const families = props.rules.map((r) => ({ ruleNames: [r.rule.ruleName], states: [...r.states] }));
    this.function = new StepFunction(this, 'Function', {
      step: 'syncMemberRules',
      description: "etcd-ha Sync Member Rules: the EC2 state-change rules list the recorded members' instances, and no other",
      timeout: Duration.seconds(60),
      environment: { ...props.environment, [ENV.memberRules]: Stack.of(this).toJsonString(families) },
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      // Rounds never overlap: two writers of one rule would race.
      reservedConcurrentExecutions: 1,
    });
    grantStepAccess(this.function.role, ['readRegistry'], props.access);
    this.function.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'RewriteMemberRules', actions: ['events:DescribeRule', 'events:PutRule'], resources: props.rules.map((r) => r.rule.ruleArn) }),
    );
    this.function.function.configureAsyncInvoke({ maxEventAge: Duration.seconds(60), retryAttempts: 0 });
    this.schedule = new events.Rule(this, 'Schedule', {
      description: "etcd-ha: Sync Member Rules, every minute (the EC2 rules list the members' instances)",
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.function.function, { retryAttempts: 0 })],
    });
  }
}
