// The BackupCluster state machine: statemachines/backup-cluster.ts as a Workflow (own log group, tracing, alarm on
// failed executions), and the schedule that starts it with `{}` (every recorded cluster, fanned out by its Map).
// `etcd-ha backup --cluster NAME` and the console start it with `{"clusterName"}`.
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { BACKUP_STEPS, backupClusterDefinition, type BackupStep } from '../statemachines/backup-cluster';
import { DEFAULT_BACKUP_SCHEDULE, WORKFLOW_TAG_VALUES } from '../lambdas/catalog/contracts';
import { Workflow, workflowCommonProps, type WorkflowCommonProps } from './workflow';

/** Every 15 minutes, as etcd-manager backs up (lambdas/catalog/contracts.ts: the local scheduler's default too). */
export { DEFAULT_BACKUP_SCHEDULE };

export interface BackupClusterWorkflowProps extends WorkflowCommonProps {
  readonly functions: Readonly<Record<BackupStep, lambda.IFunction>>;
  /**
   * An EventBridge schedule expression (`rate(…)` or `cron(…)`) that starts a backup of every recorded cluster, or
   * 'off' for on-demand backups only.
   * @default DEFAULT_BACKUP_SCHEDULE
   */
  readonly schedule?: string;
}

export class BackupClusterWorkflow extends Workflow {
  /** The scheduled rule (none with schedule 'off'). */
  readonly scheduleRule?: events.Rule;

  constructor(scope: Construct, id: string, props: BackupClusterWorkflowProps) {
    super(scope, id, {
      ...workflowCommonProps(props),
      workflowTag: WORKFLOW_TAG_VALUES.backupCluster,
      comment: "etcd-ha BackupCluster: verified etcd snapshots into the snapshot bucket's backup prefix, under each cluster's backup lock (never its cluster lock), pruned by the retention tiers",
      alarmDescription:
        'A BackupCluster execution failed: its Backup Failed state names each cluster whose backup failed and why (no member answered, a corrupt snapshot refused by its SHA-256, S3 or KMS refused).',
      functions: BACKUP_STEPS.map((step) => props.functions[step]),
      definition: (states) => backupClusterDefinition(states, { functions: props.functions }),
    });
    const schedule = props.schedule ?? DEFAULT_BACKUP_SCHEDULE;
    if (schedule !== 'off') {
      if (!/^(rate|cron)\(.+\)$/.test(schedule)) throw new Error(`schedule must be an EventBridge schedule expression ("rate(15 minutes)", "cron(…)") or "off", got "${schedule}"`);
      this.scheduleRule = new events.Rule(this, 'Schedule', {
        description: 'etcd-ha: starts BackupCluster for every recorded cluster',
        schedule: events.Schedule.expression(schedule),
        targets: [new targets.SfnStateMachine(this.stateMachine, { input: events.RuleTargetInput.fromObject({ trigger: 'schedule' }) })],
      });
    }
  }
}
