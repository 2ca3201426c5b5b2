// GetExecutionHistory events of ProvisionCluster runs, as the SDK hands them over (timestamps as Dates).
// The files hold the events in the API's JSON shape; see fixtures/README.md for where the shapes come from.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryEvent } from '@aws-sdk/client-sfn';

export interface RecordedHistory {
  readonly executionArn: string;
  readonly events: HistoryEvent[];
}

export function loadHistory(name: 'provision-succeeded' | 'provision-failed'): RecordedHistory {
  const raw = JSON.parse(readFileSync(join(__dirname, 'fixtures', `${name}.history.json`), 'utf8')) as {
    executionArn: string;
    events: Array<HistoryEvent & { timestamp: string }>;
  };
  return { executionArn: raw.executionArn, events: raw.events.map((e) => ({ ...e, timestamp: new Date(e.timestamp) })) };
}

/** A history event with the fields every event has; `at` counts seconds from a fixed start. */
export function event(id: number, previousEventId: number, type: string, at: number, details: Record<string, unknown> = {}): HistoryEvent {
  return { id, previousEventId, type: type as HistoryEvent['type'], timestamp: new Date(Date.UTC(2025, 2, 14, 10, 0, 0) + at * 1000), ...details };
}
