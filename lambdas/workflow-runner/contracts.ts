// What the workflows take and give that a runner's caller (the command line) reads: the SetMaintenance request as
// the workflow checks it, and the ProvisionCluster / ReplaceMember / SetMaintenance / CheckClusterHealth results.
// They live in lambdas/core/workflow-io.ts, beside neither the steps nor the CLI (test/cli/import-rules.test.ts).
export { MaintenanceRequestSchema, type MaintenanceRequest, type MaintenanceOutcome } from '../core/workflow-io';
export type { ClusterSummary } from '../core/workflow-io';
export type { ClusterHealthReport, HealthCheckRequest, MemberHealthReport, ValidatedHealthCheck } from '../core/workflow-io';
export { DeleteRequestSchema, type DeleteRequest, type DeletionDryRun, type DeletionOutcome, type DeletionPlan } from '../core/workflow-io';
export { BackupRequestSchema, type BackupRequest, type BackupOutcome, type BackupClusterOutput } from '../core/backup/workflow-io';
export type { BackupMetadata } from '../core/backup/metadata';
export { DrillRequestSchema, type DrillRequest, type DrillOutcome, type DrillRestoreOutput } from '../core/drill/workflow-io';
