// MembershipEvents on AWS: one PutEvents entry on the default bus or the one the stack was given. PutEvents answers
// 200 even when it drops an entry: FailedEntryCount and the entry's ErrorCode tell, and a dropped event is an error.
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { MembershipEvent } from '../../core/membership-event';
import type { MembershipEvents } from '../../ports';

/** EventBridge kept none of the entries (throttled, too large, bus missing or denied): the publish failed. */
export class MembershipEventRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MembershipEventRejectedError';
  }
}

export interface EventBridgeMembershipEventsProps {
  readonly client: EventBridgeClient;
  /** The bus's name or ARN. @default 'default' */
  readonly eventBusName?: string;
}

export class EventBridgeMembershipEvents implements MembershipEvents {
  constructor(private readonly props: EventBridgeMembershipEventsProps) {}

  async publish(event: MembershipEvent): Promise<void> {
    const answer = await this.props.client.send(
      new PutEventsCommand({
        Entries: [{ Source: event.source, DetailType: event.detailType, Detail: JSON.stringify(event.detail), EventBusName: this.props.eventBusName ?? 'default' }],
      }),
    );
    if ((answer.FailedEntryCount ?? 0) > 0) {
      const entry = answer.Entries?.[0];
      throw new MembershipEventRejectedError(`EventBridge rejected the ${event.detailType} event of ${event.detail.cluster}: ${entry?.ErrorCode ?? '?'} ${entry?.ErrorMessage ?? ''}`.trim());
    }
  }
}
