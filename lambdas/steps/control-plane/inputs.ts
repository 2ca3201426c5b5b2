// What ConnectControlPlane's states hand to its steps.
import { z } from 'zod';
import { ClusterNameSchema } from '../../core/spec';
import { HostSchema } from '../inputs';
import { LockRefSchema } from '../replace/inputs';

const INSTANCE_ID = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;

/** The execution input. */
export const ConnectRequestSchema = z.strictObject({
  clusterName: ClusterNameSchema,
  /** AWS: these control-plane instances (each tagged etcd-ha:control-plane=<cluster>); none: every one tagged so. */
  instanceIds: z.array(z.string().regex(INSTANCE_ID, 'must be an EC2 instance ID such as i-0123456789abcdef0')).optional(),
  /** Local: simulated control-plane hosts. */
  hosts: z.array(z.strictObject({ name: z.string().min(1), address: z.ipv4({ error: 'must be an IPv4 address such as 127.0.2.60' }) })).optional(),
  /** How --etcd-servers names etcd: the cluster's name (default) or its members' addresses (local mode, for now). */
  endpoints: z.enum(['name', 'addresses']).default('name'),
  /** The private hosted zone of the names. @default etcd-ha.internal */
  zone: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\.?$/, 'must be a DNS zone such as etcd-ha.internal').optional(),
});
export type ConnectRequest = z.output<typeof ConnectRequestSchema>;

export const ResolveInputSchema = z.object({ clusterName: ClusterNameSchema, request: ConnectRequestSchema, lock: LockRefSchema });

export const HostsInputSchema = z.object({ clusterName: ClusterNameSchema, hosts: z.array(HostSchema).min(1), lock: LockRefSchema });

export const PushInputSchema = HostsInputSchema.extend({ bundles: z.record(z.string(), z.string().min(1)) });

/** The roll so far: the hosts, the one to change now, what the ones before it did. */
export const UpdateInputSchema = z.object({
  hosts: z.array(HostSchema).min(1),
  index: z.number().int().min(0),
  done: z.array(z.object({ host: z.string(), changed: z.boolean() })),
  endpoints: z.array(z.string().regex(/^https:\/\/[A-Za-z0-9.-]+:[0-9]{1,5}$/)).min(1),
  lock: LockRefSchema,
});
