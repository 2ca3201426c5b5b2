// What ReplaceMember's states hand to its steps.
import { z } from 'zod';
import { ClusterSpecSchema, MemberNameSchema } from '../../core/spec';
import { HostPlacementSchema, HostSchema, PkiRefsSchema } from '../inputs';

const INSTANCE_ID = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;

/**
 * The terminate lifecycle action that holds the failed instance (EventBridge "EC2 Instance-terminate
 * Lifecycle Action": LifecycleHookName, AutoScalingGroupName, LifecycleActionToken, EC2InstanceId). The
 * workflow completes it (CONTINUE) at its end, whatever the outcome.
 */
export const LifecycleActionSchema = z.strictObject({
  lifecycleHookName: z.string().min(1).max(255),
  autoScalingGroupName: z.string().min(1).max(255),
  lifecycleActionToken: z.string().min(1).max(36),
  instanceId: z.string().regex(INSTANCE_ID, 'must be an EC2 instance ID such as i-0123456789abcdef0'),
});

/** The execution input: by hand (cluster + member), or from EventBridge (the instance only). */
export const ReplaceRequestSchema = z
  .strictObject({
    clusterName: z.string().min(1).optional(),
    failedMember: z.string().min(1).optional(),
    failedInstanceId: z.string().regex(INSTANCE_ID, 'must be an EC2 instance ID such as i-0123456789abcdef0').optional(),
    replacement: z
      .strictObject({
        /** The joining member's name: a spec member name (node name, certificate CN), checked before anything changes. */
        name: MemberNameSchema.optional(),
        address: z.ipv4({ error: 'must be an IPv4 address' }).optional(),
        instanceId: z.string().regex(INSTANCE_ID, 'must be an EC2 instance ID').optional(),
      })
      .default({}),
    /** Replace a member that still answers (e.g. to move it off a host). */
    force: z.boolean().default(false),
    /** The joining host's data dir may be moved aside when it is not empty (never deleted). */
    wipeDataDir: z.boolean().default(false),
    /** Set by the EventBridge rule: what happened to the instance. */
    trigger: z.string().optional(),
    instanceState: z.string().optional(),
    /** Set by the lifecycle rule: the Auto Scaling action to complete at the end. */
    lifecycle: LifecycleActionSchema.optional(),
  })
  .refine((r) => r.failedInstanceId !== undefined || (r.clusterName !== undefined && r.failedMember !== undefined), {
    message: 'give clusterName and failedMember, or failedInstanceId',
  });

export type ReplaceRequest = z.output<typeof ReplaceRequestSchema>;

export const FailedMemberSchema = z.strictObject({
  name: z.string(),
  id: z.string(),
  address: z.string(),
  instanceId: z.string().optional(),
  placement: HostPlacementSchema.optional(),
  /** Already removed from etcd (by an earlier execution that removed every dead voter); only its replacement is missing. */
  removed: z.boolean().default(false),
});

export const ReplacementSchema = z.strictObject({
  name: z.string(),
  address: z.string().optional(),
  instanceId: z.string().optional(),
});

/** The cluster as Read Cluster found it under the lock: the recorded members, the failed one, the secrets' names. */
export const ReplaceStateSchema = z.object({
  spec: ClusterSpecSchema,
  hosts: z.array(HostSchema).min(1),
  failed: FailedMemberSchema,
  pki: PkiRefsSchema,
  force: z.boolean().default(false),
  /** Recorded members that did not answer when Read Cluster asked. */
  down: z.array(z.string()).default([]),
  /** Recorded member IDs (hex) by name: a dead member is removed by the ID the record has for it. */
  memberIds: z.record(z.string(), z.string()).default({}),
});

/** The lock this execution holds: its steps renew it, and only its holder writes the record. */
export const LockRefSchema = z.object({ clusterName: z.string().min(1), owner: z.string().min(1) });
export type LockRef = z.output<typeof LockRefSchema>;

export const JoiningSchema = z.object({
  spec: ClusterSpecSchema,
  /** The membership after the change: the remaining members and the joining host. */
  hosts: z.array(HostSchema).min(1),
  host: HostSchema,
  pki: PkiRefsSchema,
});

export type FailedMember = z.output<typeof FailedMemberSchema>;
