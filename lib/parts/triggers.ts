// What starts workflows without an operator: the EventBridge rules on instance failures and Auto Scaling
// terminate hooks, and the scheduled health probe for a dead etcd on a running instance.
import { Duration, type RemovalPolicy, type Stack } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { HealthProbe } from '../health-probe';
import { MemberRuleSync } from '../member-rule-sync';
import { ReplaceMemberTrigger, STOPPED_INSTANCE_STATES, TERMINATED_INSTANCE_STATES } from '../replace-member-trigger';
import type { StepFunctions } from './steps';

export interface TriggersProps {
  readonly replaceMember: sfn.IStateMachine;
  readonly stepFunctions: StepFunctions;
  readonly automaticReplacement: boolean;
  readonly autoScalingGroupNames?: readonly string[];
  readonly healthProbe: boolean;
  readonly healthProbeIntervalMinutes: number;
  readonly healingGracePeriodMinutes: number;
  readonly alarmTopicArn?: string;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

export interface Triggers {
  readonly healthProbe?: HealthProbe;
  readonly replaceTrigger?: ReplaceMemberTrigger;
  readonly memberRuleSync?: MemberRuleSync;
}

export function addTriggers(stack: Stack, props: TriggersProps): Triggers {
  const { stepFunctions } = props;
  const healthProbe = props.healthProbe
    ? new HealthProbe(stack, 'HealthProbe', {
        replaceMember: props.replaceMember,
        interval: Duration.minutes(props.healthProbeIntervalMinutes),
        grace: Duration.minutes(props.healingGracePeriodMinutes),
        environment: stepFunctions.environment,
        access: stepFunctions.access,
        logRetention: props.logRetention,
        removalPolicy: props.removalPolicy,
        ...(stepFunctions.network && { network: stepFunctions.network }),
      })
    : undefined;
  const replaceTrigger =
    props.automaticReplacement || props.autoScalingGroupNames !== undefined
      ? new ReplaceMemberTrigger(stack, 'ReplaceMemberTrigger', {
          stateMachine: props.replaceMember,
          instanceStateChange: props.automaticReplacement,
          ...(props.autoScalingGroupNames !== undefined && { autoScalingGroupNames: props.autoScalingGroupNames }),
          removalPolicy: props.removalPolicy,
          ...(props.alarmTopicArn !== undefined && { alarmTopicArn: props.alarmTopicArn }),
        })
      : undefined;
  // The EC2 rules list the member instances only (issue 13, item 8).
  const terminated = replaceTrigger?.instanceStateChangeRule;
  const stopped = replaceTrigger?.instanceStoppedRule;
  const memberRuleSync =
    terminated && stopped
      ? new MemberRuleSync(stack, 'MemberRuleSync', {
          rules: [
            { rule: terminated, states: TERMINATED_INSTANCE_STATES },
            { rule: stopped, states: STOPPED_INSTANCE_STATES },
          ],
          environment: stepFunctions.environment,
          access: stepFunctions.access,
          logRetention: props.logRetention,
          removalPolicy: props.removalPolicy,
        })
      : undefined;
  return { ...(healthProbe && { healthProbe }), ...(replaceTrigger && { replaceTrigger }), ...(memberRuleSync && { memberRuleSync }) };
}
