// The local interpreter's event log → the runner's event stream (workflow-runner/port.ts), the same stream the
// Step Functions adapter makes of a history: a state ended by its Catch is `caught` (the interpreter also reports
// it exited: that exit is dropped), a retry says its attempt, and a state inside a per-host Map names its host.
import type { StateEvent } from '../workflow-runner/port';
import { hostNames } from '../workflow-runner/history-events';
import type { WorkflowEvent } from './run-workflow';

export class LocalRunEvents {
  /** The host names of the per-host Map's items: the hosts the last state outside an iteration was given. */
  private hosts: readonly string[] = [];
  private readonly hostByIndex = new Map<number, string>();
  private readonly attempts = new Map<string, number>();
  private readonly lastError = new Map<string, string>();
  private readonly caught = new Set<string>();

  event(raw: WorkflowEvent): StateEvent | undefined {
    const key = `${raw.state}#${raw.index ?? ''}`;
    if (raw.kind === 'entered') {
      if (raw.index === undefined) {
        this.hosts = hostNames(raw.input) ?? this.hosts;
      } else {
        const named = (raw.input as { host?: { name?: unknown } } | undefined)?.host?.name;
        const host = typeof named === 'string' ? named : this.hosts[raw.index];
        if (host !== undefined) this.hostByIndex.set(raw.index, host);
      }
      this.attempts.set(key, 1);
      this.caught.delete(key);
    }
    const host = raw.index !== undefined ? this.hostByIndex.get(raw.index) : undefined;
    const base = { state: raw.state, at: raw.at, ...(raw.index !== undefined && { index: raw.index }), ...(host !== undefined && { host }) };
    switch (raw.kind) {
      case 'entered':
        return { kind: 'entered', ...base, ...(raw.input !== undefined && { input: raw.input }) };
      case 'succeeded':
        if (this.caught.delete(key)) return undefined;
        return { kind: 'succeeded', ...base, ...(raw.output !== undefined && { output: raw.output }) };
      case 'failed':
        this.lastError.set(key, raw.error ?? 'Error');
        return { kind: 'failed', ...base, error: raw.error ?? 'Error', ...(raw.cause !== undefined && raw.cause !== '' && { cause: raw.cause }) };
      case 'retried': {
        const attempt = (this.attempts.get(key) ?? 1) + 1;
        this.attempts.set(key, attempt);
        return { kind: 'retried', ...base, attempt };
      }
      case 'caught':
        this.caught.add(key);
        return { kind: 'caught', ...base, error: this.lastError.get(key) ?? 'Error' };
    }
  }
}
