// MetricsPublisher on AWS: PutMetricData into etcd-ha's namespace (METRICS.namespace, the only one the steps' IAM
// policy allows), in batches within the API's limits (lambdas/core/metrics/metric-batches.ts). Every point is
// checked before the first request, so a bad one publishes nothing.
import { PutMetricDataCommand, type CloudWatchClient, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { METRICS } from '../../catalog/contracts';
import { metricBatches, PUT_METRIC_DATA_LIMITS } from '../../core/metrics/metric-batches';
import type { Clock, MetricPoint, MetricsPublisher } from '../../ports';

export interface CloudWatchMetricsProps {
  readonly client: CloudWatchClient;
  /** @default METRICS.namespace (the IAM policy allows no other) */
  readonly namespace?: string;
  /** The points' timestamp. @default - the system clock */
  readonly clock?: Clock;
  /** Points per request (tests use fewer). @default PUT_METRIC_DATA_LIMITS.pointsPerRequest (1000) */
  readonly pointsPerRequest?: number;
}

export class CloudWatchMetricsPublisher implements MetricsPublisher {
  constructor(private readonly props: CloudWatchMetricsProps) {}

  async publish(points: readonly MetricPoint[]): Promise<void> {
    const batches = metricBatches(points, { ...PUT_METRIC_DATA_LIMITS, pointsPerRequest: this.props.pointsPerRequest ?? PUT_METRIC_DATA_LIMITS.pointsPerRequest });
    const timestamp = this.props.clock?.now() ?? new Date();
    for (const batch of batches) {
      await this.props.client.send(
        new PutMetricDataCommand({ Namespace: this.props.namespace ?? METRICS.namespace, MetricData: batch.map((p) => datum(p, timestamp)) }),
      );
    }
  }
}

function datum(point: MetricPoint, timestamp: Date): MetricDatum {
  const dimensions = Object.entries(point.dimensions ?? {}).map(([Name, Value]) => ({ Name, Value }));
  return { MetricName: point.name, Value: point.value, Unit: point.unit, Timestamp: timestamp, ...(dimensions.length > 0 && { Dimensions: dimensions }) };
}
