// The stable names on Route 53 (moto_server): Record Cluster, as the lock holder, publishes a record per member and
// the clients' multi-value name in a private hosted zone; across a replacement and a scale the control plane's
// endpoint (`etcd.<cluster>.<zone>`) stays the same name while its addresses follow the voters; the names of members
// that left are deleted; a re-run sends no change; another cluster's names are never touched; DeleteCluster's
// removal deletes them all. Real SDK client against moto, real file lock and registry for the record.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { Route53MemberNames, NAME_TTL_SECONDS } from '../../../lambdas/adapters/aws/route53-member-names';
import { FileClusterLock } from '../../../lambdas/adapters/local/file-cluster-lock';
import { FileClusterRegistry } from '../../../lambdas/adapters/local/file-cluster-registry';
import { parseClusterSpec } from '../../../lambdas/core/spec';
import type { ClusterSummary } from '../../../lambdas/core/workflow-io';
import type { Logger } from '../../../lambdas/ports';
import { makeRecordCluster } from '../../../lambdas/steps/record-cluster';
import { removeClusterNames } from '../../../lambdas/steps/publish-names';
import { FakeLiveness } from '../../support/cluster-lock-cases';
import { startMoto, type Moto } from '../../support/moto';

const quiet: Logger = { info: () => undefined, warn: () => undefined };
const spec = parseClusterSpec(JSON.parse(readFileSync(join(__dirname, '../../../samples/guide-3-members.json'), 'utf8')));
type Voter = { name: string; address: string };
const input = (members: Voter[], extra: Record<string, unknown> = {}) => ({
  spec: { ...spec, members: members.map((m) => ({ name: m.name, address: m.address })) },
  hosts: members,
  lockOwner: 'exec-a',
  pki: { ca: 'etcd-ha/demo/ca', healthcheckClient: 'etcd-ha/demo/healthcheck-client', apiserverEtcdClient: 'etcd-ha/demo/apiserver-etcd-client', members: {} },
  health: { healthy: true, attempt: 1, members: members.map((h, i) => ({ name: h.name, id: String(100 + i), endpoint: `https://${h.address}:2379`, healthy: true, leader: i === 0, learner: false })) },
  ...extra,
});

describe('Stable names in a Route 53 private hosted zone (moto_server)', () => {
  let moto: Moto | undefined;
  let route53: Route53Client;
  let zoneId = '';
  let changeCalls = 0;
  const dir = mkdtempSync(join(tmpdir(), 'etcd-ha-r53-'));
  const lock = new FileClusterLock({ dir: join(dir, 'locks'), liveness: new FakeLiveness() });
  const registry = new FileClusterRegistry({ dir: join(dir, 'registry'), lock });
  let names: Route53MemberNames;
  const record = () => makeRecordCluster({ registry, clock: { now: () => new Date('2026-12-01T00:00:00Z') }, log: quiet, names });

  /** name → sorted addresses of every A record set in the zone; and the TTLs seen. */
  async function zone(): Promise<{ sets: Record<string, string[]>; ttls: Set<number> }> {
    const out = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
    const a = (out.ResourceRecordSets ?? []).filter((s) => s.Type === 'A');
    return {
      sets: Object.fromEntries(a.map((s) => [s.Name!.replace(/\.$/, ''), (s.ResourceRecords ?? []).map((r) => r.Value!).sort()])),
      ttls: new Set(a.map((s) => s.TTL!)),
    };
  }

  before(async () => {
    moto = await startMoto();
    route53 = new Route53Client(moto.clientConfig);
    route53.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'ChangeResourceRecordSetsCommand') changeCalls += 1;
        return next(args);
      },
      { step: 'initialize', name: 'countChanges' },
    );
    const created = await route53.send(
      new CreateHostedZoneCommand({
        Name: 'etcd-ha.internal',
        CallerReference: 'etcd-ha-test',
        HostedZoneConfig: { PrivateZone: true, Comment: 'etcd-ha test' },
        VPC: { VPCRegion: 'us-east-1', VPCId: 'vpc-12345678' },
      }),
    );
    zoneId = created.HostedZone!.Id!.replace('/hostedzone/', '');
    names = new Route53MemberNames({ client: route53, hostedZoneId: zoneId, zoneName: 'etcd-ha.internal.' });
    // Another cluster's name, and one outside any cluster: never touched.
    await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [
            { Action: 'UPSERT', ResourceRecordSet: { Name: 'etcd.other.etcd-ha.internal', Type: 'A', TTL: 300, ResourceRecords: [{ Value: '10.9.0.1' }] } },
            { Action: 'UPSERT', ResourceRecordSet: { Name: 'bastion.etcd-ha.internal', Type: 'A', TTL: 300, ResourceRecords: [{ Value: '10.9.0.2' }] } },
          ],
        },
      }),
    );
    assert.deepEqual(await lock.acquire('demo', { owner: 'exec-a', ref: 'ref-a' }, 600), { acquired: true });
  });
  after(async () => {
    await moto?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const three: Voter[] = [
    { name: 'infra0', address: '10.0.0.6' },
    { name: 'infra1', address: '10.0.0.7' },
    { name: 'infra2', address: '10.0.0.8' },
  ];
  const others = { 'etcd.other.etcd-ha.internal': ['10.9.0.1'], 'bastion.etcd-ha.internal': ['10.9.0.2'] };

  it('provisioning: one A record per member and the clients\' name with every voter, in one change; a re-run sends none', async () => {
    changeCalls = 0;
    const summary = (await record()(input(three))) as ClusterSummary;
    assert.equal(summary.names?.clientUrl, 'https://etcd.demo.etcd-ha.internal:2379');
    assert.equal(summary.names?.published, true);
    assert.equal(changeCalls, 1, 'one change batch');
    const { sets, ttls } = await zone();
    assert.deepEqual(sets, {
      ...others,
      'etcd.demo.etcd-ha.internal': ['10.0.0.6', '10.0.0.7', '10.0.0.8'],
      'infra0.demo.etcd-ha.internal': ['10.0.0.6'],
      'infra1.demo.etcd-ha.internal': ['10.0.0.7'],
      'infra2.demo.etcd-ha.internal': ['10.0.0.8'],
    });
    assert.ok(ttls.has(NAME_TTL_SECONDS));
    changeCalls = 0;
    assert.equal(((await record()(input(three))) as ClusterSummary).names?.upserted, 0);
    assert.equal(changeCalls, 0, 'nothing to change, nothing sent');
  });

  it('a replacement (infra1 → infra3 on a new address): the endpoint name stays, its addresses follow; infra1\'s name is deleted', async () => {
    const after = [three[0]!, { name: 'infra3', address: '10.0.1.20' }, three[2]!];
    const summary = (await record()(input(after, { replaced: 'infra1' }))) as ClusterSummary;
    assert.equal(summary.names?.clientUrl, 'https://etcd.demo.etcd-ha.internal:2379', 'the control plane\'s endpoint is unchanged');
    assert.deepEqual({ upserted: summary.names?.upserted, deleted: summary.names?.deleted }, { upserted: 2, deleted: 1 });
    assert.deepEqual((await zone()).sets, {
      ...others,
      'etcd.demo.etcd-ha.internal': ['10.0.0.6', '10.0.0.8', '10.0.1.20'],
      'infra0.demo.etcd-ha.internal': ['10.0.0.6'],
      'infra2.demo.etcd-ha.internal': ['10.0.0.8'],
      'infra3.demo.etcd-ha.internal': ['10.0.1.20'],
    });
  });

  it('a scale to 5 and back to 3: the same endpoint name holds 5, then 3 addresses', async () => {
    const five = [three[0]!, { name: 'infra3', address: '10.0.1.20' }, three[2]!, { name: 'infra4', address: '10.0.2.4' }, { name: 'infra5', address: '10.0.2.5' }];
    await record()(input(five));
    assert.deepEqual((await zone()).sets['etcd.demo.etcd-ha.internal'], ['10.0.0.6', '10.0.0.8', '10.0.1.20', '10.0.2.4', '10.0.2.5']);
    const back = [three[0]!, { name: 'infra3', address: '10.0.1.20' }, { name: 'infra4', address: '10.0.2.4' }];
    const summary = (await record()(input(back))) as ClusterSummary;
    assert.equal(summary.names?.deleted, 2);
    assert.deepEqual((await zone()).sets, {
      ...others,
      'etcd.demo.etcd-ha.internal': ['10.0.0.6', '10.0.1.20', '10.0.2.4'],
      'infra0.demo.etcd-ha.internal': ['10.0.0.6'],
      'infra3.demo.etcd-ha.internal': ['10.0.1.20'],
      'infra4.demo.etcd-ha.internal': ['10.0.2.4'],
    });
  });

  it('a spec in another zone: recorded, no name published, the answer says why', async () => {
    changeCalls = 0;
    const summary = (await record()({ ...input(three), spec: { ...input(three).spec, dnsZone: 'corp.example' } })) as ClusterSummary;
    assert.equal(summary.names?.published, false);
    assert.match(summary.names?.note ?? '', /spec\.dnsZone "corp\.example" is not this deployment's hosted zone "etcd-ha\.internal"/);
    assert.equal(changeCalls, 0);
  });

  it('DeleteCluster\'s removal: every name of the cluster deleted, the others kept; a repeat deletes nothing', async () => {
    assert.deepEqual(await removeClusterNames({ names, log: quiet }, spec), { deleted: 4 });
    assert.deepEqual((await zone()).sets, others);
    assert.deepEqual(await removeClusterNames({ names, log: quiet }, spec), { deleted: 0 });
  });
});
