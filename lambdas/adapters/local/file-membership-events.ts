// MembershipEvents on this machine: one JSON line per event in `<home>/events.jsonl`, as EventBridge would deliver it
// to a rule's target (source, detail-type, detail). An event whose eventId is already there is not written again:
// a retried step publishes once.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MembershipEvent } from '../../core/membership-event';
import type { MembershipEvents } from '../../ports';

export interface EventLine {
  readonly source: string;
  readonly 'detail-type': string;
  readonly detail: MembershipEvent['detail'];
}

export class FileMembershipEvents implements MembershipEvents {
  constructor(private readonly props: { readonly path: string }) {}

  async publish(event: MembershipEvent): Promise<void> {
    if (this.read().some((line) => line.detail.eventId === event.detail.eventId)) return;
    mkdirSync(dirname(this.props.path), { recursive: true });
    const line: EventLine = { source: event.source, 'detail-type': event.detailType, detail: event.detail };
    appendFileSync(this.props.path, `${JSON.stringify(line)}\n`, { mode: 0o600 });
  }

  /** Every event written so far, oldest first. */
  read(): EventLine[] {
    if (!existsSync(this.props.path)) return [];
    return readFileSync(this.props.path, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as EventLine);
  }
}
