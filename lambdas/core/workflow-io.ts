// What the workflows take and give at their edges: the requests the command line sends (checked by the workflow's
// first step with these schemas) and the results it reads from an execution's output. Shared by the steps that
// produce them and the runners' callers (lambdas/workflow-runner/contracts.ts re-exports them for the CLI), so that
// neither imports the other.
import type { NamesOutcome } from './names';
import { z } from 'zod';
import type { MaintenanceState } from './maintenance';

// SetMaintenance
/** The execution input (the CLI's `pause` / `resume`, or StartExecution by hand). */
export const MaintenanceRequestSchema = z
  .strictObject({
    clusterName: z.string().min(1),
    action: z.enum(['pause', 'resume'], { error: 'must be "pause" or "resume"' }),
    /** Why (required to pause): shown in every execution that ends quietly meanwhile. */
    reason: z.string().trim().min(1).max(500).optional(),
    /** Who asks: an operator's name or user@host (Step Functions does not tell who started an execution). */
    by: z.string().trim().min(1).max(200),
  })
  .refine((r) => r.action !== 'pause' || r.reason !== undefined, { message: 'a pause needs a reason (what is being done, and until when)', path: ['reason'] });

export type MaintenanceRequest = z.output<typeof MaintenanceRequestSchema>;

export interface MaintenanceOutcome {
  readonly clusterName: string;
  readonly paused: boolean;
  /** "healing paused by … since …: …" or "healing resumed by …". */
  readonly message: string;
  readonly maintenance: MaintenanceState;
}

// CheckClusterHealth
/** The execution input (the CLI's `status --cluster NAME`, or StartExecution by hand). */
export const HealthCheckRequestSchema = z.strictObject({ clusterName: z.string().min(1) });
export type HealthCheckRequest = z.output<typeof HealthCheckRequestSchema>;

/** Validate Request's answer: an unknown cluster ends the execution quietly (Nothing To Check), no failure alarm. */
export type ValidatedHealthCheck =
  | { readonly clusterName: string; readonly isRecorded: true }
  | { readonly clusterName: string; readonly isRecorded: false; readonly reason: string };

/** One recorded member as etcd answered for it just now. */
export interface MemberHealthReport {
  readonly name: string;
  /** Hex member ID: etcd's answer, else the record's ("" when neither knows it). */
  readonly id: string;
  readonly endpoint: string;
  readonly instanceId?: string;
  readonly healthy: boolean;
  readonly leader: boolean;
  readonly learner: boolean;
  readonly dbSize?: number;
}

/** Read Cluster Health's answer, the execution's output: the verdict and the record's summary. */
export interface ClusterHealthReport {
  readonly clusterName: string;
  readonly isRecorded: true;
  readonly healthy: boolean;
  /** Short sentences, each naming its member; empty when healthy. */
  readonly problems: readonly string[];
  readonly leader?: string;
  readonly clusterId?: string;
  /** The recorded members (and any member etcd lists that the record lacks), with their answers. */
  readonly members: readonly MemberHealthReport[];
  /** Dead members removed from etcd whose replacements have not joined yet. */
  readonly awaitingReplacement: ReadonlyArray<{ readonly name: string; readonly removedAt: string; readonly removedBy: string }>;
  readonly runtime: string;
  /** When the record was last written. */
  readonly updatedAt: string;
  readonly maintenance: MaintenanceState;
}

// ProvisionCluster and ReplaceMember: Record Cluster's answer, the execution's output.
export interface ClusterSummary {
  readonly clusterName: string;
  readonly members: Array<{ name: string; id: string; endpoint: string; leader: boolean }>;
  readonly secrets: { ca: string; healthcheckClient: string; apiserverEtcdClient: string; members: Record<string, string> };
  /** The cluster's stable names after this change (lambdas/core/names.ts). */
  readonly names?: NamesOutcome;
}

// DeleteCluster
/**
 * The execution input (the CLI's `delete --cluster NAME [--confirm NAME]`, `local down`, or StartExecution by hand).
 * Without `confirm` the execution is a dry run: it says what it would delete and changes nothing.
 */
export const DeleteRequestSchema = z
  .strictObject({
    clusterName: z.string().min(1),
    /** The cluster's name again: only then is anything deleted. */
    confirm: z.string().optional(),
    /** Who asks (kept in the record's maintenance history while the deletion runs). */
    by: z.string().trim().min(1).max(200),
  })
  .refine((r) => r.confirm === undefined || r.confirm === r.clusterName, {
    message: 'must equal clusterName to delete the cluster (leave it out for a dry run that changes nothing)',
    path: ['confirm'],
  });

export type DeleteRequest = z.output<typeof DeleteRequestSchema>;

/** What a deletion removes (the dry run's answer) or removed. Names and addresses only: no secret value. */
export interface DeletionPlan {
  readonly clusterName: string;
  /** false: no record (a first provisioning that failed before it wrote one): only secrets are left to delete. */
  readonly isRecorded: boolean;
  /** Every member's host whose etcd is stopped and whose data dir is moved aside (removed members awaiting replacement too). */
  readonly members: ReadonlyArray<{ readonly name: string; readonly address: string; readonly instanceId?: string }>;
  /** etcd's data dir on each host (moved aside to `<dataDir>.removed-<UTC time>`, never deleted). */
  readonly dataDir?: string;
  readonly runtime?: string;
  /** The secrets deleted without a recovery window. */
  readonly secrets: readonly string[];
  /** The record deleted, e.g. 'cluster record "demo"'; absent when there is none. */
  readonly record?: string;
}

/** A dry run's output: what a confirmed request would delete. */
export interface DeletionDryRun {
  readonly clusterName: string;
  readonly dryRun: true;
  readonly wouldDelete: DeletionPlan;
  readonly message: string;
}

/** A confirmed deletion's output. */
export interface DeletionOutcome {
  readonly clusterName: string;
  readonly dryRun: false;
  readonly deleted: DeletionPlan;
  /** Members whose host could not be reached: their etcd may still run, their data dir was not moved. */
  readonly unreachable: readonly string[];
  readonly message: string;
}
