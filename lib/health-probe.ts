// The scheduled health probe: an EventBridge rule (every `interval`) invokes one Lambda function that asks every
// recorded cluster's members over mTLS and starts ReplaceMember for a member silent for the grace period
// (lambdas/steps/probe/health-probe.ts). Reserved concurrency 1: never two probes at once (a slow round delays the
// next, it does not overlap it); its conditional write on its own registry item is the second guard. It takes no
// cluster lock. Its role: read the records, its own `probe#` items, the healthcheck client secrets, DescribeInstances,
// and states:StartExecution on ReplaceMember only.
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/catalog/contracts';
import { acknowledge } from './nag';
import { HEALTH_PROBE_ACCESS, grantStepAccess, type StepAccessResources } from './step-access';
import { StepFunction, type EtcdNetwork } from './step-function';

export interface HealthProbeProps {
  /** The ReplaceMember state machine the probe starts. */
  readonly replaceMember: sfn.IStateMachine;
  /** How often the probe runs (1 to 1440 minutes). */
  readonly interval: Duration;
  /** How long a member may stay silent before it is replaced (0 to 86400 seconds). */
  readonly grace: Duration;
  /** The environment every step function gets (table, secret prefix, …). */
  readonly environment: Readonly<Record<string, string>>;
  readonly access: StepAccessResources;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** @default - outside any VPC */
  readonly network?: EtcdNetwork;
}

export class HealthProbe extends Construct {
  readonly function: StepFunction;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: HealthProbeProps) {
    super(scope, id);
    const minutes = props.interval.toMinutes();
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) throw new Error(`interval must be a whole number of minutes from 1 to 1440, got ${minutes}`);
    const graceSeconds = props.grace.toSeconds();
    if (graceSeconds < 0 || graceSeconds > 86_400) throw new Error(`grace must be 0 to 86400 seconds, got ${graceSeconds}`);
    this.function = new StepFunction(this, 'Function', {
      step: 'healthProbe',
      description: "etcd-ha Health Probe: asks every recorded member over mTLS; starts ReplaceMember for one silent for the grace period",
      // Each member gets one status call (a few seconds at most); a minute leaves room for many clusters.
      timeout: Duration.seconds(Math.min(60 * minutes, 300)),
      environment: { ...props.environment, [ENV.replaceStateMachineArn]: props.replaceMember.stateMachineArn, [ENV.probeGraceSeconds]: String(graceSeconds) },
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      reservedConcurrentExecutions: 1,
      ...(props.network && { network: props.network }),
    });
    grantStepAccess(this.function.role, HEALTH_PROBE_ACCESS, props.access);
    if (props.network) {
      acknowledge(
        this.function.role,
        'AwsSolutions-IAM4',
        'The AWS policy Lambda documents for functions in a VPC: it manages the function\'s network interfaces, whose ec2:Describe*/Create*/Delete* actions it needs on "*".',
        ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole'],
      );
    }
    props.replaceMember.grantStartExecution(this.function.role);
    // A round that Lambda throttles (the previous one still runs) is dropped, not queued for hours: the next comes anyway.
    this.function.function.configureAsyncInvoke({ maxEventAge: Duration.seconds(Math.max(60, 60 * minutes)), retryAttempts: 0 });
    this.schedule = new events.Rule(this, 'Schedule', {
      description: `etcd-ha: the health probe, every ${minutes} minute(s)`,
      schedule: events.Schedule.rate(props.interval),
      // A missed round is made up by the next one: no retries that would overlap it.
      targets: [new targets.LambdaFunction(this.function.function, { retryAttempts: 0 })],
    });
  }
}
