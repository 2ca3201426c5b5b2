// MetricsPublisher on this machine: one JSON line per point in `<home>/metrics.jsonl`, each with its time, so that
// `local schedule`, drills and tests can read back what CloudWatch would have received.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MetricPoint, MetricsPublisher } from '../../ports';

export interface MetricLine extends MetricPoint {
  readonly namespace: string;
  readonly at: string;
}

export class FileMetrics implements MetricsPublisher {
  constructor(private readonly props: { readonly path: string; readonly namespace: string; readonly clock?: () => Date }) {}

  async publish(points: readonly MetricPoint[]): Promise<void> {
    if (points.length === 0) return;
    const at = (this.props.clock ?? (() => new Date()))().toISOString();
    const lines = points.map((p) => JSON.stringify({ namespace: this.props.namespace, at, ...p } satisfies MetricLine));
    mkdirSync(dirname(this.props.path), { recursive: true });
    appendFileSync(this.props.path, `${lines.join('\n')}\n`, { mode: 0o600 });
  }
}
