// What AdoptCluster's states hand to its steps.
import { z } from 'zod';
import { ClusterNameSchema, ClusterSpecSchema, MemberNameSchema } from '../../core/spec';
import { HostSchema } from '../inputs';
import { LockRefSchema } from '../replace/inputs';

const INSTANCE_ID = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;

/** The execution input: the control-plane host whose single stacked etcd member is taken over. */
export const AdoptRequestSchema = z
  .strictObject({
    /** The name the cluster gets in etcd-ha (its record, secrets and lock). */
    clusterName: ClusterNameSchema,
    member: z.strictObject({
      /** The kubeadm node name, which kubeadm gives the etcd member. */
      name: MemberNameSchema,
      /** The control-plane instance (AWS); its private IP is the address. */
      instanceId: z.string().regex(INSTANCE_ID, 'must be an EC2 instance ID such as i-0123456789abcdef0').optional(),
      /** The host's address (locally: its loopback address). */
      address: z.ipv4({ error: 'must be an IPv4 address such as 10.0.0.6' }).optional(),
    }),
    /** How members run once adopted: new ones start this way, the adopted one keeps its static pod. */
    runtime: z.enum(['kubeadm', 'systemd']).default('kubeadm'),
    /** The cluster's name again, to act; without it the run is a dry run that changes nothing. */
    confirm: z.string().optional(),
  })
  .superRefine((request, ctx) => {
    if (request.confirm !== undefined && request.confirm !== request.clusterName) {
      ctx.addIssue({ code: 'custom', path: ['confirm'], message: `must be the cluster's name ("${request.clusterName}") to adopt it; leave it out for a dry run` });
    }
    if (request.member.instanceId === undefined && request.member.address === undefined) {
      ctx.addIssue({ code: 'custom', path: ['member'], message: 'needs instanceId (AWS) or address (local mode)' });
    }
  });
export type AdoptRequest = z.output<typeof AdoptRequestSchema>;

export const InspectInputSchema = z.object({ clusterName: z.string().min(1), request: AdoptRequestSchema, lock: LockRefSchema });

export const ReceiveInputSchema = z.object({ spec: ClusterSpecSchema, host: HostSchema, lock: LockRefSchema });

export const PeerUrlFixSchema = z.object({ memberId: z.string().regex(/^[0-9]+$/), from: z.string().min(1), to: z.string().min(1) });
