// The one progress printer: a line per state (and per host inside the per-host Map) as a workflow runs, from the
// workflow runner's event stream, the same for a local run and a Step Functions execution.
import type { RunEvent } from '../../lambdas/workflow-runner/port';
import { firstLine } from './output';

/** States whose success says nothing: the choices (questions) and the health loop's bookkeeping. */
function quiet(state: string): boolean {
  return state.endsWith('?') || state === 'Wait For Members' || state === 'Start Health Checks';
}

export class ProgressPrinter {
  private readonly entered = new Map<string, number>();

  constructor(private readonly write: (line: string) => void) {}

  onEvent(event: RunEvent): void {
    if (event.kind === 'ended') return;
    const key = `${event.state}#${event.index ?? ''}`;
    if (event.kind === 'entered') {
      this.entered.set(key, event.at);
      return;
    }
    const label = event.host !== undefined ? `${event.state} [${event.host}]` : event.index !== undefined ? `${event.state} [#${event.index}]` : event.state;
    switch (event.kind) {
      case 'succeeded': {
        if (quiet(event.state)) return;
        if (event.state === 'Check Health') {
          const health = (event.output as { health?: { healthy: boolean; attempt: number; problems: string[] } } | undefined)?.health;
          if (health && !health.healthy) {
            this.write(`  … ${label}: not healthy yet (check ${health.attempt}: ${health.problems[0] ?? 'waiting'})`);
            return;
          }
        }
        const since = this.entered.get(key);
        this.write(`  ✓ ${label}${since === undefined ? '' : ` (${formatDuration(event.at - since)})`}`);
        return;
      }
      case 'failed':
        this.write(`  ✗ ${label}: ${firstLine(event.cause ? `${event.error ?? 'failed'}: ${event.cause}` : (event.error ?? 'failed'))}`);
        return;
      case 'retried':
        this.write(`  ↻ ${label}: retrying${event.attempt !== undefined ? ` (attempt ${event.attempt})` : ''}`);
        return;
      case 'caught':
        this.write(`  ⤷ ${label}: caught ${event.error ?? 'the error'}`);
        return;
    }
  }
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
}
