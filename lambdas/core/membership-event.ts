// The EventBridge event every completed or failed membership change publishes (Publish Membership Event, the last
// step of ProvisionCluster, ReplaceMember, ScaleCluster, AdoptCluster and RestoreCluster): its shape as a zod schema,
// and the pure rules that fill it. Users route it with a rule on `source: etcd-ha`; no key material ever goes in it
// (a failure's cause is trimmed and any PEM block cut out).
import { z } from 'zod';

export const MEMBERSHIP_EVENT_SOURCE = 'etcd-ha';
export const MEMBERSHIP_DETAIL_TYPES = { changed: 'Membership Changed', failed: 'Membership Change Failed' } as const;
export const MEMBERSHIP_WORKFLOWS = ['ProvisionCluster', 'ReplaceMember', 'ScaleCluster', 'AdoptCluster', 'RestoreCluster'] as const;
/** The longest failure cause an event carries (a health failure's cause holds member log tails). */
export const MAX_EVENT_CAUSE_CHARS = 2048;

export type MembershipWorkflow = (typeof MEMBERSHIP_WORKFLOWS)[number];
export type MembershipOutcome = keyof typeof MEMBERSHIP_DETAIL_TYPES;

export const MemberRefSchema = z
  .object({
    name: z.string(),
    /** etcd's member ID in hex, as etcdctl prints it ("" when not known: a member added but never started). */
    id: z.string(),
    address: z.string(),
  })
  .strict();
export type MemberRef = z.infer<typeof MemberRefSchema>;

export const MembershipEventDetailSchema = z
  .object({
    /** The detail's version: a field is only ever added. */
    version: z.literal(1),
    /** `<execution name>:<outcome>`: the same for a retried publish, so consumers can drop a duplicate. */
    eventId: z.string().min(1),
    outcome: z.enum(['changed', 'failed']),
    cluster: z.string().min(1),
    workflow: z.enum(MEMBERSHIP_WORKFLOWS),
    execution: z.object({ name: z.string().min(1), id: z.string().min(1) }).strict(),
    /** The members as the workflow read them under the lock, before it changed anything ([] for a new cluster). */
    oldMembers: z.array(MemberRefSchema),
    /** The members the record holds once the workflow ended (after a failure: what it had recorded by then). */
    newMembers: z.array(MemberRefSchema),
    /** Names of members in newMembers and not in oldMembers (same name, another ID: a new member too). */
    added: z.array(z.string()),
    removed: z.array(z.string()),
    /** `https://<address>:<client port>` of each new member: what a client (kube-apiserver's --etcd-servers) needs. */
    clientEndpoints: z.array(z.string()),
    /** Failures only: the error's name and its cause, trimmed, PEM blocks cut out. */
    error: z.object({ name: z.string(), cause: z.string().max(MAX_EVENT_CAUSE_CHARS) }).strict().optional(),
    at: z.iso.datetime(),
  })
  .strict()
  .refine((d) => (d.outcome === 'failed') === (d.error !== undefined), { message: 'a failure carries its error, a change none', path: ['error'] });
export type MembershipEventDetail = z.infer<typeof MembershipEventDetailSchema>;

/** One EventBridge entry, before the bus is chosen. */
export interface MembershipEvent {
  readonly source: typeof MEMBERSHIP_EVENT_SOURCE;
  readonly detailType: (typeof MEMBERSHIP_DETAIL_TYPES)[MembershipOutcome];
  readonly detail: MembershipEventDetail;
}

export interface MembershipEventInput {
  readonly outcome: MembershipOutcome;
  readonly cluster: string;
  readonly workflow: MembershipWorkflow;
  readonly execution: { readonly name: string; readonly id: string };
  readonly oldMembers: readonly MemberRef[];
  readonly newMembers: readonly MemberRef[];
  readonly clientEndpoints: readonly string[];
  readonly failure?: { readonly name: string; readonly cause: string };
  readonly at: Date;
}

export function membershipEvent(input: MembershipEventInput): MembershipEvent {
  const same = (a: MemberRef, b: MemberRef) => a.name === b.name && (a.id === '' || b.id === '' || a.id === b.id);
  const detail = MembershipEventDetailSchema.parse({
    version: 1,
    eventId: `${input.execution.name}:${input.outcome}`,
    outcome: input.outcome,
    cluster: input.cluster,
    workflow: input.workflow,
    execution: { name: input.execution.name, id: input.execution.id },
    oldMembers: input.oldMembers.map(memberRef),
    newMembers: input.newMembers.map(memberRef),
    added: input.newMembers.filter((n) => !input.oldMembers.some((o) => same(o, n))).map((m) => m.name),
    removed: input.oldMembers.filter((o) => !input.newMembers.some((n) => same(o, n))).map((m) => m.name),
    clientEndpoints: [...input.clientEndpoints],
    ...(input.outcome === 'failed' && { error: { name: trimmedCause(input.failure?.name ?? 'Unknown', 200), cause: trimmedCause(input.failure?.cause ?? '') } }),
    at: input.at.toISOString(),
  });
  return { source: MEMBERSHIP_EVENT_SOURCE, detailType: MEMBERSHIP_DETAIL_TYPES[input.outcome], detail };
}

/** Only the three fields an event names (a record's member carries more: instance, placement). */
export function memberRef(member: { readonly name: string; readonly id: string; readonly address: string }): MemberRef {
  return { name: member.name, id: member.id, address: member.address };
}

const PEM_BLOCK = /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(?:-----END [A-Z0-9 ]+-----|$)/g;

/**
 * A cause fit for an event: every PEM block (or a cut-off one's rest) replaced by a marker, then at most `max`
 * characters. Causes never should hold key material; this makes sure an event never carries one that slipped in.
 */
export function trimmedCause(cause: string, max = MAX_EVENT_CAUSE_CHARS): string {
  const clean = cause.replace(PEM_BLOCK, '[PEM block removed]');
  return clean.length <= max ? clean : `${clean.slice(0, max - 1)}…`;
}

/** A value of the workflow's state at a JSONPath of plain keys (`$.plan.membersBefore`); undefined where absent. */
export function valueAt(state: unknown, path: string): unknown {
  if (!/^\$(\.[A-Za-z0-9_]+)*$/.test(path)) throw new Error(`"${path}" is not a JSONPath of plain keys ($.a.b)`);
  return path
    .split('.')
    .slice(1)
    .reduce<unknown>((at, key) => (at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined), state);
}

/** The cluster a state belongs to: `clusterName`, else the spec's (ProvisionCluster carries only the spec). */
export function clusterOfState(state: unknown): string | undefined {
  const name = valueAt(state, '$.clusterName') ?? valueAt(state, '$.spec.clusterName');
  return typeof name === 'string' && name !== '' ? name : undefined;
}
