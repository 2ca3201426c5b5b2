// CloudWatchMetricsPublisher against moto_server: the points land in etcd-ha's namespace with their unit and
// dimensions (GetMetricStatistics reads the values back, ListMetrics the metrics); more points than one request
// takes go in several PutMetricData calls (counted at the SDK), all of them stored; a bad point sends nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand, type Metric } from '@aws-sdk/client-cloudwatch';
import { CloudWatchMetricsPublisher } from '../../../lambdas/adapters/aws/cloudwatch-metrics';
import { METRICS } from '../../../lambdas/catalog/contracts';
import type { MetricPoint } from '../../../lambdas/ports';
import { startMoto, type Moto } from '../../support/moto';

describe('CloudWatchMetricsPublisher against moto_server', () => {
  let moto: Moto | undefined;
  let client: CloudWatchClient;
  const requests: number[] = [];
  const NOW = new Date();

  before(async () => {
    moto = await startMoto();
    client = new CloudWatchClient(moto.clientConfig);
    // Count the PutMetricData requests and their sizes as they leave the SDK.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutMetricDataCommand') requests.push((args.input as { MetricData: unknown[] }).MetricData.length);
        return next(args);
      },
      { step: 'initialize', name: 'countPutMetricData' },
    );
  });
  after(async () => {
    client?.destroy();
    await moto?.stop();
  });

  async function listAll(namespace: string): Promise<Metric[]> {
    const metrics: Metric[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListMetricsCommand({ Namespace: namespace, ...(token && { NextToken: token }) }));
      metrics.push(...(page.Metrics ?? []));
      token = page.NextToken;
    } while (token);
    return metrics;
  }

  async function maximum(dimensions: Array<{ Name: string; Value: string }>): Promise<number | undefined> {
    const answer = await client.send(
      new GetMetricStatisticsCommand({
        Namespace: METRICS.namespace,
        MetricName: METRICS.lastGoodBackupAge,
        Dimensions: dimensions,
        StartTime: new Date(NOW.getTime() - 600_000),
        EndTime: new Date(NOW.getTime() + 600_000),
        Period: 60,
        Statistics: ['Maximum'],
      }),
    );
    const points = answer.Datapoints ?? [];
    return points.length === 0 ? undefined : Math.max(...points.map((p) => p.Maximum!));
  }

  it('stores per-cluster and fleet points in etcd-ha\'s namespace, read back with GetMetricStatistics and ListMetrics', async () => {
    const publisher = new CloudWatchMetricsPublisher({ client, clock: { now: () => NOW } });
    await publisher.publish([
      { name: METRICS.lastGoodBackupAge, value: 60, unit: 'Seconds', dimensions: { Cluster: 'alpha' } },
      { name: METRICS.lastGoodBackupAge, value: 1800, unit: 'Seconds', dimensions: { Cluster: 'beta' } },
      { name: METRICS.lastGoodBackupAge, value: 1800, unit: 'Seconds' },
    ]);
    assert.equal(await maximum([{ Name: 'Cluster', Value: 'alpha' }]), 60);
    assert.equal(await maximum([{ Name: 'Cluster', Value: 'beta' }]), 1800);
    assert.equal(await maximum([]), 1800);
    const listed = await listAll(METRICS.namespace);
    const seen = listed.map((m) => (m.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`).join(',') || 'fleet').sort();
    assert.deepEqual(seen, ['Cluster=alpha', 'Cluster=beta', 'fleet']);
    assert.ok(listed.every((m) => m.MetricName === METRICS.lastGoodBackupAge));
    assert.deepEqual(requests, [3]);
  });

  it('sends more points than one request takes in several requests, every one stored', async () => {
    requests.length = 0;
    const publisher = new CloudWatchMetricsPublisher({ client, namespace: 'etcd-ha-batches', clock: { now: () => NOW }, pointsPerRequest: 20 });
    const points: MetricPoint[] = Array.from({ length: 45 }, (_, i) => ({ name: 'Batched', value: i, unit: 'Count', dimensions: { Cluster: `c${i}` } }));
    await publisher.publish(points);
    assert.deepEqual(requests, [20, 20, 5]);
    assert.equal((await listAll('etcd-ha-batches')).length, 45);
  });

  it('refuses a point that is not a finite number, naming it, and sends nothing', async () => {
    requests.length = 0;
    const publisher = new CloudWatchMetricsPublisher({ client, namespace: 'etcd-ha-refused' });
    await assert.rejects(
      publisher.publish([{ name: 'Fine', value: 1, unit: 'Count' }, { name: 'Broken', value: Number.NaN, unit: 'Count' }]),
      /points\[1\]\.value: expected a finite number/,
    );
    assert.deepEqual(requests, []);
    assert.deepEqual(await listAll('etcd-ha-refused'), []);
  });
});
