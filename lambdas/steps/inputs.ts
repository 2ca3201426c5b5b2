// Schemas of what the workflow states hand to each step. The steps parse their input even though
// the workflow built it: an execution restarted by hand with edited input must fail clearly.
import { z } from 'zod';
import { ClusterSpecSchema } from '../core/spec';

export const HostPlacementSchema = z.strictObject({
  subnetId: z.string().optional(),
  availabilityZone: z.string().optional(),
  securityGroupIds: z.array(z.string()).readonly().optional(),
  instanceProfileArn: z.string().optional(),
});

export const HostSchema = z.strictObject({
  name: z.string().min(1),
  address: z.ipv4(),
  instanceId: z.string().optional(),
  root: z.string().optional(),
  placement: HostPlacementSchema.optional(),
});

/** Names (never values) of the cluster's secrets. */
export const PkiRefsSchema = z.strictObject({
  ca: z.string(),
  healthcheckClient: z.string(),
  apiserverEtcdClient: z.string(),
  members: z.record(z.string(), z.string()),
  issued: z.array(z.string()).optional(),
  /** First 16 hex digits of the SHA-256 of the CA certificate (public): names the CA, e.g. in the cluster token. */
  caId: z.string().regex(/^[0-9a-f]{16}$/).optional(),
});

export const ClusterStateSchema = z.enum(['new', 'existing']);

export const SpecInputSchema = z.object({ spec: ClusterSpecSchema });
export const SpecAndHostsSchema = z.object({ spec: ClusterSpecSchema, hosts: z.array(HostSchema).min(1) });

export const HostStepInputSchema = z.object({
  spec: ClusterSpecSchema,
  hosts: z.array(HostSchema).min(1),
  host: HostSchema,
  pki: PkiRefsSchema,
  clusterState: ClusterStateSchema,
  /** The cluster's --initial-cluster-token; null or absent: no flag (etcd's default "etcd-cluster", as recorded clusters without one keep). */
  clusterToken: z.string().min(1).nullable().optional(),
  /**
   * The member on this host is a running member of the cluster and its data dir is its own: Write Etcd Config skips
   * the join-safety check and never moves anything aside (refused together with wiping).
   */
  runningMember: z.boolean().default(false),
});

export const HealthSchema = z.object({
  healthy: z.boolean(),
  attempt: z.number().int(),
  problems: z.array(z.string()).default([]),
  members: z
    .array(z.object({ name: z.string(), id: z.string(), endpoint: z.string(), healthy: z.boolean(), leader: z.boolean(), learner: z.boolean() }).loose())
    .default([]),
});

export type HostInput = z.output<typeof HostSchema>;
export type PkiRefs = z.output<typeof PkiRefsSchema>;
export type HostStepInput = z.output<typeof HostStepInputSchema>;
export type Health = z.output<typeof HealthSchema>;
