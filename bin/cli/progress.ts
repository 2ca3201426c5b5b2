// One line per state (and per host inside the per-host Map) as the workflow runs.
import type { WorkflowEvent } from '../../lambdas/local-runner/run-workflow';
import { firstLine } from './output';

interface HostName {
  readonly name: string;
}

export class ProgressPrinter {
  private hosts: readonly HostName[] = [];
  private readonly entered = new Map<string, number>();

  constructor(private readonly write: (line: string) => void) {}

  onEvent(event: WorkflowEvent): void {
    const key = `${event.state}#${event.index ?? ''}`;
    if (event.kind === 'entered') {
      this.entered.set(key, event.at);
      return;
    }
    if (event.state === 'Resolve Hosts' && event.kind === 'succeeded') {
      this.hosts = ((event.output as { hosts?: HostName[] })?.hosts ?? []) as HostName[];
    }
    const host = event.index !== undefined ? this.hosts[event.index]?.name : undefined;
    const label = host ? `${event.state} [${host}]` : event.state;
    const ms = event.at - (this.entered.get(key) ?? event.at);
    const line = this.describe(event, label, ms);
    if (line) this.write(line);
  }

  private describe(event: WorkflowEvent, label: string, ms: number): string | undefined {
    switch (event.kind) {
      case 'succeeded':
        if (event.state === 'Wait For Members' || event.state === 'Start Health Checks' || event.state.endsWith('?')) return undefined;
        if (event.state === 'Check Health') {
          const health = (event.output as { health?: { healthy: boolean; attempt: number; problems: string[] } }).health;
          if (health && !health.healthy) return `  … ${label}: not healthy yet (check ${health.attempt}: ${health.problems[0] ?? 'waiting'})`;
        }
        return `  ✓ ${label} (${ms} ms)`;
      case 'failed':
        return `  ✗ ${label}: ${firstLine(event.cause ? `${event.error ?? 'failed'}: ${event.cause}` : (event.error ?? 'failed'))}`;
      case 'retried':
        return `  ↻ ${label}: retrying`;
      default:
        return undefined;
    }
  }
}
