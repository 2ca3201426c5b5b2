// What ScaleCluster's states hand to its steps.
import { z } from 'zod';
import { MAX_SCALE_MEMBERS } from '../../core/scale-plan';
import { ClusterSpecSchema } from '../../core/spec';
import { HostSchema, PkiRefsSchema } from '../inputs';
import { LockRefSchema } from '../replace/inputs';

const INSTANCE_ID = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;

/** The execution input: the cluster, the size wanted, and on AWS the instances new members go onto. */
export const ScaleRequestSchema = z.strictObject({
  clusterName: z.string().min(1),
  /** The number of voters wanted: odd, 1 to MAX_SCALE_MEMBERS (1 only with allowSingleMember). */
  members: z.number().int().min(1).max(MAX_SCALE_MEMBERS),
  allowSingleMember: z.boolean().default(false),
  /** EC2 instances (tagged for the cluster) new members are started on, in order; unused when shrinking. @default - none (locally: the next free loopback address) */
  instances: z.array(z.string().regex(INSTANCE_ID, 'must be an EC2 instance ID such as i-0123456789abcdef0')).max(MAX_SCALE_MEMBERS).default([]),
});
export type ScaleRequest = z.output<typeof ScaleRequestSchema>;

/** Plan Next Change's input: the cluster and the request, under the lock. */
export const PlanInputSchema = z.object({ clusterName: z.string().min(1), request: ScaleRequestSchema, lock: LockRefSchema });

/** Remove Member's input: the members now, the one leaving, and the change planned. */
export const RemoveInputSchema = z.object({
  spec: ClusterSpecSchema,
  hosts: z.array(HostSchema).min(2),
  host: HostSchema,
  pki: PkiRefsSchema,
  /** Plan Next Change's decision: `moveLeaderTo` names the member leadership goes to should the leaving one lead. */
  change: z.object({ action: z.literal('shrink'), member: z.string().min(1), moveLeaderTo: z.string().min(1).optional() }),
  lock: LockRefSchema,
});
