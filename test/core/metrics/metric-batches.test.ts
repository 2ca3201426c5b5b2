// PutMetricData's limits (lambdas/core/metrics/metric-batches.ts): every point checked before any batch (a bad one
// is named with its field), batches of at most 1000 points and under 1 MB, in order.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { metricBatches, PUT_METRIC_DATA_LIMITS } from '../../../lambdas/core/metrics/metric-batches';

const point = (i: number, dimensions?: Record<string, string>) => ({ name: 'LastGoodBackupAgeSeconds', value: i, unit: 'Seconds' as const, ...(dimensions && { dimensions }) });

describe('PutMetricData batches', () => {
  it('cuts 2500 points into 1000, 1000, 500, in order; none for no points', () => {
    const points = Array.from({ length: 2500 }, (_, i) => point(i));
    const batches = metricBatches(points);
    assert.deepEqual(batches.map((b) => b.length), [1000, 1000, 500]);
    assert.deepEqual(batches.flat(), points);
    assert.deepEqual(metricBatches([]), []);
  });

  it('starts a new batch before 1 MB: 1000 points with 30 long dimensions each do not fit in one', () => {
    const dims = Object.fromEntries(Array.from({ length: 30 }, (_, d) => [`Dimension${d}`, 'v'.repeat(200)]));
    const batches = metricBatches(Array.from({ length: 1000 }, (_, i) => point(i, dims)));
    assert.ok(batches.length > 1);
    for (const batch of batches) assert.ok(JSON.stringify(batch).length < PUT_METRIC_DATA_LIMITS.bytesPerRequest, 'each batch well under 1 MB');
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['NaN', { ...point(0), value: Number.NaN }, /points\[1\]\.value: expected a finite number/],
    ['Infinity', { ...point(0), value: Infinity }, /points\[1\]\.value: expected a finite number/],
    ['an empty name', { ...point(0), name: '' }, /points\[1\]\.name: expected a non-empty name/],
    ['an unknown unit', { ...point(0), unit: 'Hours' }, /points\[1\]\.unit/],
    ['31 dimensions', point(0, Object.fromEntries(Array.from({ length: 31 }, (_, d) => [`D${d}`, 'x']))), /points\[1\]\.dimensions: expected at most 30 dimensions/],
    ['an empty dimension value', point(0, { Cluster: '' }), /points\[1\]\.dimensions\.Cluster: expected a non-empty value/],
  ];
  for (const [name, given, message] of bad) {
    it(`refuses ${name}, naming the field, before any batch`, () => {
      assert.throws(() => metricBatches([point(1), given as ReturnType<typeof point>]), (e: Error) => e.name === 'SpecValidationError' && message.test(e.message));
    });
  }
});
