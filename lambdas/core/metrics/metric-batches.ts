// PutMetricData's limits as a pure function: points checked (all of them before any is sent, so that a bad one
// writes nothing) and cut into requests CloudWatch accepts. Limits from the API reference (PutMetricData):
// at most 1000 metrics and 1 MB per request, at most 30 dimensions per metric, values within ±2^360, no NaN/Infinity.
import { z } from 'zod';
import { parseOrThrow } from '../parse';

export const PUT_METRIC_DATA_LIMITS = {
  pointsPerRequest: 1000,
  /** 1 MB less room for the request's own envelope (action, version, namespace, signature). */
  bytesPerRequest: 1_000_000 - 16_384,
  dimensionsPerPoint: 30,
} as const;

const MAX_VALUE = 2 ** 360;
const NAME = z.string().min(1, 'expected a non-empty name').max(255, 'expected at most 255 characters');

const MetricPointSchema = z.object({
  name: NAME,
  value: z.unknown().refine((v) => typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= MAX_VALUE, 'expected a finite number within ±2^360'),
  unit: z.enum(['Seconds', 'Count', 'None']),
  dimensions: z
    .record(NAME, z.string().min(1, 'expected a non-empty value').max(1024, 'expected at most 1024 characters'))
    .refine((d) => Object.keys(d).length <= PUT_METRIC_DATA_LIMITS.dimensionsPerPoint, `expected at most ${PUT_METRIC_DATA_LIMITS.dimensionsPerPoint} dimensions`)
    .optional(),
});

/** What one point costs in a request, roughly: its query-protocol fields, generously counted. */
function sizeOf(point: { readonly name: string; readonly dimensions?: Readonly<Record<string, string>> }): number {
  const dimensions = Object.entries(point.dimensions ?? {}).reduce((n, [k, v]) => n + k.length + v.length + 96, 0);
  return point.name.length + dimensions + 160;
}

/**
 * The points in request-sized batches, in their order.
 * @throws SpecValidationError naming `points[i].field` and what was expected, before any batch is made
 */
export function metricBatches<P extends { readonly name: string; readonly value: number; readonly unit: string; readonly dimensions?: Readonly<Record<string, string>> }>(
  points: readonly P[],
  limits: { readonly pointsPerRequest: number; readonly bytesPerRequest: number } = PUT_METRIC_DATA_LIMITS,
): P[][] {
  parseOrThrow(z.object({ points: z.array(MetricPointSchema) }), { points }, 'metric points');
  const batches: P[][] = [];
  let current: P[] = [];
  let bytes = 0;
  for (const point of points) {
    const size = sizeOf(point);
    if (current.length > 0 && (current.length >= limits.pointsPerRequest || bytes + size > limits.bytesPerRequest)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(point);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
