// What the workflows take and give that a runner's caller (the command line) reads: the SetMaintenance request as
// the workflow checks it, and the ProvisionCluster / ReplaceMember / SetMaintenance / CheckClusterHealth results.
// The command line reads them here, never from lambdas/steps/ itself (test/cli/import-rules.test.ts).
export { MaintenanceRequestSchema, type MaintenanceRequest, type MaintenanceOutcome } from '../steps/maintenance';
export type { ClusterSummary } from '../steps/record-cluster';
export type { ClusterHealthReport, HealthCheckRequest, MemberHealthReport, ValidatedHealthCheck } from '../steps/health-check';
