// The bootstrapping record, step by step (no etcd: stand-ins and a real file secret store). Generate PKI records a
// first provisioning as bootstrapping, as the lock holder, before its CA exists; it refuses a CA secret no record
// accounts for (by name) and hosts a bootstrapping record does not name. Read Cluster bootstraps a bootstrapping
// cluster again only with its recorded members (names and instances). The health probe and ReplaceMember find
// nothing to heal in a bootstrapping cluster. On real etcd: test/e2e/provision-binding.etcd.test.ts.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProvisionRefusedError, SpecValidationError, UnrecordedCaError } from '../../lambdas/core/errors';
import { parseClusterSpec } from '../../lambdas/core/spec';
import { FileSecretStore } from '../../lambdas/adapters/local/file-secret-store';
import type { ClusterRecord, ClusterRegistry, Logger, RegistryPutOptions } from '../../lambdas/ports';
import { makeGeneratePki } from '../../lambdas/steps/generate-pki';
import { makePlanProvision } from '../../lambdas/steps/plan-provision';
import { makeHealthProbe } from '../../lambdas/steps/probe/health-probe';
import { makeValidateRequest } from '../../lambdas/steps/replace/validate-request';
import { makeReadCluster } from '../../lambdas/steps/replace/read-cluster';
import { errorOf } from '../support/rejection';

const quiet: Logger = { info: () => undefined, warn: () => undefined };
const work = mkdtempSync(join(tmpdir(), 'etcd-ha-bootstrapping-'));
after(() => rmSync(work, { recursive: true, force: true }));

const spec = (members: Array<{ name: string; instanceId?: string }>) =>
  parseClusterSpec({ clusterName: 'prod', runtime: 'systemd', allowSingleMember: members.length === 1, members });
const hostOf = (name: string, instanceId?: string) => ({ name, address: '10.0.0.10', ...(instanceId && { instanceId }) });
const lock = { clusterName: 'prod', owner: 'exec-1' };

/** A registry in memory that keeps every put with its options; `onPut` runs before the write. */
function memoryRegistry(initial?: ClusterRecord, onPut?: () => Promise<void>) {
  let record = initial;
  const puts: Array<{ record: ClusterRecord; options: RegistryPutOptions | undefined }> = [];
  const registry: ClusterRegistry = {
    get: async () => record,
    findByInstanceId: async (id) => (record?.members.some((m) => m.instanceId === id) ? record : undefined),
    list: async () => (record ? [record] : []),
    put: async (r, options) => {
      await onPut?.();
      puts.push({ record: r, options });
      record = r;
    },
  };
  return { registry, puts };
}

const bootstrapping = (members: Array<{ name: string; instanceId?: string }>): ClusterRecord => ({
  clusterName: 'prod',
  status: 'bootstrapping',
  runtime: 'systemd',
  members: members.map((m) => ({ ...hostOf(m.name, m.instanceId), id: '' })),
  secrets: {},
  updatedAt: '2026-12-01T00:00:00.000Z',
  spec: { clusterName: 'prod', runtime: 'systemd', allowSingleMember: true, members: members.map((m) => hostOf(m.name, m.instanceId)) },
});

describe('Generate PKI and the bootstrapping record', () => {
  const now = () => new Date('2026-12-01T00:00:00.000Z');

  it('a first provisioning: the record (bootstrapping, its members, as the lock holder) is written before the CA exists', async () => {
    const secrets = new FileSecretStore({ dir: join(work, 'first') });
    let caAtRecord: string | undefined = 'not asked';
    const { registry, puts } = memoryRegistry(undefined, async () => {
      caAtRecord = await secrets.get('etcd-ha/prod/ca');
    });
    await makeGeneratePki({ secrets, registry, clock: { now }, log: quiet })({ spec: spec([{ name: 'prod0', instanceId: 'i-0aaaaaaaaaaaaaaa0' }]), hosts: [hostOf('prod0', 'i-0aaaaaaaaaaaaaaa0')], lock });
    assert.equal(puts.length, 1);
    assert.equal(caAtRecord, undefined, 'no CA yet when the record was written');
    assert.deepEqual(puts[0]!.options, { lockOwner: 'exec-1' });
    assert.equal(puts[0]!.record.status, 'bootstrapping');
    assert.deepEqual(puts[0]!.record.members, [{ name: 'prod0', address: '10.0.0.10', instanceId: 'i-0aaaaaaaaaaaaaaa0', id: '' }]);
    assert.ok(await secrets.get('etcd-ha/prod/ca'), 'then the CA');

    // The re-run of a failed first run: the record says bootstrapping, the CA is reused, nothing more is recorded.
    const rerun = await makeGeneratePki({ secrets, registry, clock: { now }, log: quiet })({ spec: spec([{ name: 'prod0', instanceId: 'i-0aaaaaaaaaaaaaaa0' }]), hosts: [hostOf('prod0', 'i-0aaaaaaaaaaaaaaa0')], lock });
    assert.deepEqual(rerun.issued, []);
    assert.equal(puts.length, 1);
  });

  it('a CA secret without any record: UnrecordedCaError naming the secret; nothing recorded, the secret unchanged', async () => {
    const secrets = new FileSecretStore({ dir: join(work, 'orphan') });
    await secrets.put('etcd-ha/prod/ca', '{"certPem":"planted","keyPem":"planted"}', { description: 'planted' });
    const { registry, puts } = memoryRegistry();
    const error = await errorOf(makeGeneratePki({ secrets, registry, clock: { now }, log: quiet })({ spec: spec([{ name: 'prod0' }]), hosts: [hostOf('prod0')], lock }));
    assert.ok(error instanceof UnrecordedCaError, String(error));
    assert.equal(error.name, 'UnrecordedCaError');
    assert.match(error.message, /the secret etcd-ha\/prod\/ca holds a CA, but no record says cluster prod exists/);
    assert.equal(puts.length, 0);
    assert.equal(await secrets.get('etcd-ha/prod/ca'), '{"certPem":"planted","keyPem":"planted"}');
  });

  it('a bootstrapping record naming other hosts (or other instances): ProvisionRefusedError, nothing signed', async () => {
    const secrets = new FileSecretStore({ dir: join(work, 'other') });
    const { registry } = memoryRegistry(bootstrapping([{ name: 'prod0', instanceId: 'i-0aaaaaaaaaaaaaaa0' }]));
    const generate = makeGeneratePki({ secrets, registry, clock: { now }, log: quiet });
    for (const host of [hostOf('evil0', 'i-0bbbbbbbbbbbbbbb0'), hostOf('prod0', 'i-0bbbbbbbbbbbbbbb0')]) {
      const error = await errorOf(generate({ spec: spec([{ name: host.name, instanceId: host.instanceId }]), hosts: [host], lock }));
      assert.ok(error instanceof ProvisionRefusedError, String(error));
      assert.match(error.message, /cluster prod is bootstrapping with members prod0 \(i-0aaaaaaaaaaaaaaa0\); its CA signs for no other host/);
    }
    assert.equal(await secrets.get('etcd-ha/prod/ca'), undefined);
  });

  it('without the lock in its input, a first provisioning records nothing and makes no CA', async () => {
    const secrets = new FileSecretStore({ dir: join(work, 'unlocked') });
    const { registry, puts } = memoryRegistry();
    const error = await errorOf(makeGeneratePki({ secrets, registry, clock: { now }, log: quiet })({ spec: spec([{ name: 'prod0' }]), hosts: [hostOf('prod0')] }));
    assert.ok(error instanceof SpecValidationError, String(error));
    assert.match(error.message, /lock\.owner: required/);
    assert.equal(puts.length, 0);
    assert.equal(await secrets.get('etcd-ha/prod/ca'), undefined);
  });
});

describe('Read Cluster (ProvisionCluster) with a bootstrapping record', () => {
  const noEtcd = { connect: () => assert.fail('a bootstrapping cluster is not asked') };
  const noDirectory = { resolve: async () => assert.fail('not here'), recorded: () => assert.fail('not here') };
  const read = (record: ClusterRecord) =>
    makePlanProvision({ registry: memoryRegistry(record).registry, secrets: new FileSecretStore({ dir: join(work, 'read') }), etcd: noEtcd, directory: noDirectory, log: quiet });
  const recorded = bootstrapping([{ name: 'prod0', instanceId: 'i-0aaaaaaaaaaaaaaa0' }]);

  it('bootstraps again with the recorded members', async () => {
    const state = await read(recorded)({ state: { spec: spec([{ name: 'prod0', instanceId: 'i-0aaaaaaaaaaaaaaa0' }]), lock } });
    assert.equal(state.mode, 'bootstrap');
  });

  it('refuses other members, another instance for a recorded member, or none, naming each difference', async () => {
    const cases: Array<[Array<{ name: string; instanceId?: string }>, RegExp]> = [
      [[{ name: 'evil0', instanceId: 'i-0bbbbbbbbbbbbbbb0' }], /the spec lists evil0, which is no member; prod0 is a member, the spec does not list it/],
      [[{ name: 'prod0', instanceId: 'i-0bbbbbbbbbbbbbbb0' }], /prod0: the spec says instance i-0bbbbbbbbbbbbbbb0, the record i-0aaaaaaaaaaaaaaa0/],
      [[{ name: 'prod0' }], /prod0: the spec says instance none, the record i-0aaaaaaaaaaaaaaa0/],
    ];
    for (const [members, why] of cases) {
      const error = await errorOf(read(recorded)({ state: { spec: spec(members), lock } }));
      assert.ok(error instanceof ProvisionRefusedError, String(error));
      assert.match(error.message, /cluster prod's first provisioning did not complete and recorded other members/);
      assert.match(error.message, why);
    }
  });
});

describe('a bootstrapping cluster is nothing to heal', () => {
  const record = bootstrapping([{ name: 'prod0', instanceId: 'i-0aaaaaaaaaaaaaaa0' }]);

  it('the health probe skips it: no etcd, no EC2, nothing started', async () => {
    const never = () => assert.fail('not for a bootstrapping cluster');
    const probe = makeHealthProbe({
      registry: memoryRegistry(record).registry,
      secrets: { nameFor: never, get: never, put: never },
      etcd: { connect: never },
      directory: { resolve: never, recorded: never },
      clock: { now: () => new Date() },
      log: quiet,
      probeStates: { get: never, put: never },
      machines: { stateOf: never, retire: never },
      starter: { start: never },
      graceSeconds: 600,
    });
    const { clusters } = await probe();
    assert.deepEqual(clusters, [{ clusterName: 'prod', down: {}, started: [], held: [], skipped: 'still bootstrapping (its first provisioning has not completed)' }]);
  });

  it('ReplaceMember: Validate Request (by cluster or by instance) and Read Cluster under the lock end it quietly, saying why', async () => {
    const { registry } = memoryRegistry(record);
    const validate = makeValidateRequest({ registry, log: quiet });
    for (const request of [{ clusterName: 'prod', failedMember: 'prod0' }, { failedInstanceId: 'i-0aaaaaaaaaaaaaaa0' }]) {
      const validated = await validate({ request });
      assert.equal(validated.isMember, false, JSON.stringify(request));
      assert.match(validated.reason ?? '', /cluster prod is still bootstrapping .*nothing to heal/);
    }
    const read = await makeReadCluster({ registry, secrets: new FileSecretStore({ dir: join(work, 'replace') }), etcd: { connect: () => assert.fail('not asked') }, log: quiet })({
      state: { clusterName: 'prod', request: { clusterName: 'prod', failedMember: 'prod0' }, lock },
    });
    assert.equal(read.stillNeeded, false);
    assert.match(String(read.reason), /still bootstrapping/);
  });
});
