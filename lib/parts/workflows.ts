// The stack's workflows: ProvisionCluster, ReplaceMember, SetMaintenance, CheckClusterHealth, DeleteCluster, BackupCluster, RestoreCluster, ScaleCluster, AdoptCluster and ConnectControlPlane over the step functions (a step
// several workflows run is one function), each with its log group and failure alarm.
import { Duration, type RemovalPolicy, type Stack } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { DELETE_STEPS, HEALTH_CHECK_STEPS, MAINTENANCE_STEPS, PROVISION_STEPS, REPLACE_STEPS, type StepName } from '../../lambdas/catalog/steps';
import { DeleteClusterWorkflow } from '../delete-cluster-workflow';
import { BackupClusterWorkflow } from '../backup-cluster-workflow';
import { BACKUP_STEPS, RESTORE_STEPS } from '../../lambdas/catalog/steps';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DRILL_STEPS } from '../../lambdas/catalog/steps';
import { DrillRestoreWorkflow } from '../drill-restore-workflow';
import { RestoreClusterWorkflow } from '../restore-cluster-workflow';
import { ScaleClusterWorkflow } from '../scale-cluster-workflow';
import { AdoptClusterWorkflow } from '../adopt-cluster-workflow';
import { ADOPT_STEPS, SCALE_STEPS } from '../../lambdas/catalog/steps';
import { ConnectControlPlaneWorkflow } from '../connect-control-plane-workflow';
import { CONNECT_STEPS } from '../../lambdas/catalog/steps';
import { CheckClusterHealthWorkflow } from '../check-cluster-health-workflow';
import { ProvisionClusterWorkflow } from '../provision-cluster-workflow';
import { ReplaceMemberWorkflow } from '../replace-member-workflow';
import { SetMaintenanceWorkflow } from '../set-maintenance-workflow';
import type { StepFunction } from '../step-function';

export interface WorkflowsProps {
  readonly steps: Readonly<Record<StepName, StepFunction>>;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly alarmThreshold?: number;
  readonly alarmPeriodMinutes?: number;
  readonly alarmTopicArn?: string;
  readonly healthCheckIntervalSeconds?: number;
  readonly healthCheckAttempts?: number;
  readonly promotionBudgetMinutes?: number;
  readonly healingGracePeriodMinutes: number;
  /** BackupCluster's schedule expression, or 'off'. @default - BackupClusterWorkflow's (every 15 minutes) */
  readonly backupSchedule?: string;
  /** DrillRestore's schedule expression, or 'off'. @default - DrillRestoreWorkflow's (daily) */
  readonly restoreDrillSchedule?: string;
}

export interface Workflows {
  readonly provisionCluster: ProvisionClusterWorkflow;
  readonly replaceMember: ReplaceMemberWorkflow;
  readonly setMaintenance: SetMaintenanceWorkflow;
  readonly checkClusterHealth: CheckClusterHealthWorkflow;
  readonly deleteCluster: DeleteClusterWorkflow;
  readonly backupCluster: BackupClusterWorkflow;
  readonly drillRestore: DrillRestoreWorkflow;
  readonly restoreCluster: RestoreClusterWorkflow;
  readonly scaleCluster: ScaleClusterWorkflow;
  readonly adoptCluster: AdoptClusterWorkflow;
  readonly connectControlPlane: ConnectControlPlaneWorkflow;
}

export function addWorkflows(stack: Stack, props: WorkflowsProps): Workflows {
  const common = {
    logRetention: props.logRetention,
    removalPolicy: props.removalPolicy,
    alarmThreshold: props.alarmThreshold ?? 1,
    alarmPeriod: Duration.minutes(props.alarmPeriodMinutes ?? 5),
    ...(props.alarmTopicArn !== undefined && { alarmTopicArn: props.alarmTopicArn }),
  };
  const healthChecks = {
    ...(props.healthCheckIntervalSeconds !== undefined && { healthCheckIntervalSeconds: props.healthCheckIntervalSeconds }),
    ...(props.healthCheckAttempts !== undefined && { healthCheckAttempts: props.healthCheckAttempts }),
  };
  const functionsOf = <Step extends StepName>(list: readonly Step[]) =>
    Object.fromEntries(list.map((step) => [step, props.steps[step].function])) as Record<Step, StepFunction['function']>;
  // The same definitions the local runner renders (statemachines/*).
  const provisionCluster = new ProvisionClusterWorkflow(stack, 'ProvisionCluster', { functions: functionsOf(PROVISION_STEPS), ...healthChecks, ...common });
  const replaceMember = new ReplaceMemberWorkflow(stack, 'ReplaceMember', {
    functions: functionsOf(REPLACE_STEPS),
    ...healthChecks,
    ...(props.promotionBudgetMinutes !== undefined && { promotionBudgetMinutes: props.promotionBudgetMinutes }),
    stopGracePeriodSeconds: props.healingGracePeriodMinutes * 60,
    ...common,
  });
  const setMaintenance = new SetMaintenanceWorkflow(stack, 'SetMaintenance', { functions: functionsOf(MAINTENANCE_STEPS), ...common });
  const checkClusterHealth = new CheckClusterHealthWorkflow(stack, 'CheckClusterHealth', { functions: functionsOf(HEALTH_CHECK_STEPS), ...common });
  const deleteCluster = new DeleteClusterWorkflow(stack, 'DeleteCluster', { functions: functionsOf(DELETE_STEPS), ...common });
  const backupCluster = new BackupClusterWorkflow(stack, 'BackupCluster', {
    functions: functionsOf(BACKUP_STEPS),
    ...(props.backupSchedule !== undefined && { schedule: props.backupSchedule }),
    ...common,
  });
  // ---- DrillRestore ----
  // Its metric alarms notify the stack's alarm topic (lib/parts/alarms.ts: alarmTopicArn's, or the one it created).
  const drillRestore = new DrillRestoreWorkflow(stack, 'DrillRestore', {
    functions: functionsOf(DRILL_STEPS),
    ...(props.restoreDrillSchedule !== undefined && { schedule: props.restoreDrillSchedule }),
    ...(props.alarmTopicArn !== undefined && { alarmTopic: sns.Topic.fromTopicArn(stack, 'DrillAlarmTopic', props.alarmTopicArn) }),
    ...common,
  });
  const restoreCluster = new RestoreClusterWorkflow(stack, 'RestoreCluster', { functions: functionsOf(RESTORE_STEPS), ...healthChecks, ...common });
  const scaleCluster = new ScaleClusterWorkflow(stack, 'ScaleCluster', {
    functions: functionsOf(SCALE_STEPS),
    ...healthChecks,
    ...(props.promotionBudgetMinutes !== undefined && { promotionBudgetMinutes: props.promotionBudgetMinutes }),
    ...common,
  });
  const adoptCluster = new AdoptClusterWorkflow(stack, 'AdoptCluster', { functions: functionsOf(ADOPT_STEPS), ...healthChecks, ...common });
  const connectControlPlane = new ConnectControlPlaneWorkflow(stack, 'ConnectControlPlane', { functions: functionsOf(CONNECT_STEPS), ...common });
  return { provisionCluster, replaceMember, setMaintenance, checkClusterHealth, deleteCluster, backupCluster, drillRestore, restoreCluster, scaleCluster, adoptCluster, connectControlPlane };
}
