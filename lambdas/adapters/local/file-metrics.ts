// STAND-IN for the "Snapshot handoff" commit on main (dropped when it lands): metric points as JSON lines.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MetricPoint, MetricsPublisher } from '../../ports';

export class FileMetricsPublisher implements MetricsPublisher {
  constructor(private readonly path: string) {}
  async publish(points: readonly MetricPoint[]): Promise<void> {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const time = new Date().toISOString();
    appendFileSync(this.path, points.map((p) => `${JSON.stringify({ time, ...p })}\n`).join(''), { mode: 0o600 });
  }
}
