// Publish Membership Event, the last step of every workflow that changes membership (ProvisionCluster, ReplaceMember,
// ScaleCluster, AdoptCluster, RestoreCluster), on the way to success and on the way to failure: one event with the
// members the workflow read under the lock at its start (the definition says where in its state: `membersBeforeAt`),
// the members the record holds now, the client endpoints and, after a failure, the error. The state's Catch moves
// on whatever happens here: a publish never turns a success into a failure, nor hides the original failure.
import { z } from 'zod';
import { parseOrThrow } from '../core/parse';
import { clusterOfState, memberRef, membershipEvent, MemberRefSchema, MEMBERSHIP_WORKFLOWS, valueAt, type MemberRef } from '../core/membership-event';
import type { ClusterRecord, ClusterRegistry, MembershipEvents } from '../ports';
import type { StepDeps } from './deps';

const PublishInputSchema = z.object({
  workflow: z.enum(MEMBERSHIP_WORKFLOWS),
  outcome: z.enum(['changed', 'failed']),
  execution: z.object({ name: z.string().min(1), id: z.string().min(1) }),
  /** Where the state keeps the members read under the lock, e.g. `$.membersBefore` (absent: the run failed before). */
  membersBeforeAt: z.string().regex(/^\$(\.[A-Za-z0-9_]+)+$/),
  /** The whole state: the cluster's name, the members before and (failures) `failure: { Error, Cause }`. */
  state: z.record(z.string(), z.unknown()),
});

const FailureSchema = z.object({ Error: z.string().optional(), Cause: z.string().optional() });
const ClientPortSchema = z.object({ etcd: z.object({ clientPort: z.number().int() }) });

export interface PublishMembershipEventOutput {
  readonly published: boolean;
  readonly eventId?: string;
  readonly detailType?: string;
  /** Why nothing was published (the run failed before its cluster was known). */
  readonly reason?: string;
}

export function makePublishMembershipEvent(deps: Pick<StepDeps, 'clock' | 'log'> & { readonly registry: Pick<ClusterRegistry, 'get'>; readonly membershipEvents: MembershipEvents }) {
  return async function publishMembershipEvent(raw: unknown): Promise<PublishMembershipEventOutput> {
    const input = parseOrThrow(PublishInputSchema, raw, 'Publish Membership Event input');
    const cluster = clusterOfState(input.state);
    if (cluster === undefined) {
      deps.log.warn('no membership event: the run failed before its cluster was known', { workflow: input.workflow, execution: input.execution.name });
      return { published: false, reason: 'the run failed before its cluster was known' };
    }
    const record = await deps.registry.get(cluster);
    const failure = FailureSchema.safeParse(input.state.failure);
    const event = membershipEvent({
      outcome: input.outcome,
      cluster,
      workflow: input.workflow,
      execution: input.execution,
      oldMembers: membersBefore(valueAt(input.state, input.membersBeforeAt)),
      newMembers: (record?.members ?? []).map(memberRef),
      clientEndpoints: clientEndpoints(record),
      ...(input.outcome === 'failed' && { failure: { name: (failure.success && failure.data.Error) || 'Unknown', cause: (failure.success && failure.data.Cause) || '' } }),
      at: deps.clock.now(),
    });
    await deps.membershipEvents.publish(event);
    deps.log.info('membership event published', { cluster, detailType: event.detailType, eventId: event.detail.eventId, added: event.detail.added, removed: event.detail.removed });
    return { published: true, eventId: event.detail.eventId, detailType: event.detailType };
  };
}

/** What the read under the lock kept; nothing (it never ran, or a run before this field) is an empty list. */
function membersBefore(value: unknown): MemberRef[] {
  const parsed = z.array(MemberRefSchema.loose()).safeParse(value);
  return parsed.success ? parsed.data.map(memberRef) : [];
}

function clientEndpoints(record: ClusterRecord | undefined): string[] {
  if (!record) return [];
  const spec = ClientPortSchema.safeParse(record.spec);
  const port = spec.success ? spec.data.etcd.clientPort : 2379;
  return record.members.map((m) => `https://${m.address}:${port}`);
}
