// The step handlers on their own, over the local adapters (no interpreter, no etcd needed).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateSpec } from '../../lambdas/steps/validate-spec';
import { makeResolveHosts } from '../../lambdas/steps/resolve-hosts';
import { makeGeneratePki } from '../../lambdas/steps/generate-pki';
import { makeCheckHealth } from '../../lambdas/steps/check-health';
import { FileSecretStore } from '../../lambdas/adapters/local/file-secret-store';
import { LoopbackHostDirectory } from '../../lambdas/adapters/local/loopback-host-directory';
import { FileClusterLock } from '../../lambdas/adapters/local/file-cluster-lock';
import { FileClusterRegistry } from '../../lambdas/adapters/local/file-cluster-registry';
import { FakeLiveness } from '../support/cluster-lock-cases';
import { Etcd3AdminFactory } from '../../lambdas/adapters/etcd/etcd3-admin';
import { SecretMissingError, SpecValidationError } from '../../lambdas/core/errors';
import { describeCertificate } from '../../lambdas/core/pki/reconcile';
import { decodeMemberBundle } from '../../lambdas/core/pki/member-bundle';
import type { Host, Logger } from '../../lambdas/ports';

const quiet: Logger = { info: () => undefined, warn: () => undefined };
const work = mkdtempSync(join(tmpdir(), 'etcd-ha-steps-'));
after(() => rmSync(work, { recursive: true, force: true }));

const spec = { clusterName: 'steps', runtime: 'systemd', members: [{ name: 'infra0' }, { name: 'infra1' }, { name: 'infra2' }] };

describe('Validate Spec', () => {
  it('returns the spec with defaults filled', async () => {
    const { spec: parsed } = await validateSpec({ spec });
    assert.equal(parsed.etcd.clientPort, 2379);
    assert.equal(parsed.kubeadmApiVersion, 'v1beta4');
  });
  it('fails with SpecValidationError naming each field', async () => {
    await assert.rejects(validateSpec({ spec: { ...spec, clusterName: 'UPPER', members: [] } }), (error: unknown) => {
      assert.ok(error instanceof SpecValidationError);
      assert.equal(error.name, 'SpecValidationError');
      assert.match(error.message, /clusterName: must be a DNS-1123 label/);
      assert.match(error.message, /members: must list at least one member/);
      return true;
    });
  });
});

describe('Resolve Hosts (loopback directory)', () => {
  const resolve = makeResolveHosts({ directory: new LoopbackHostDirectory({ hostsDir: join(work, 'hosts'), firstAddress: '127.0.0.121' }), log: quiet });
  it('gives each member a loopback address and its own root, the same on a re-run', async () => {
    const { spec: parsed } = await validateSpec({ spec });
    const first = await resolve({ spec: parsed });
    assert.deepEqual(first.map((h) => h.address), ['127.0.0.121', '127.0.0.122', '127.0.0.123']);
    assert.deepEqual(await resolve({ spec: parsed }), first);
    for (const host of first) assert.ok(statSync(host.root!).isDirectory());
  });
});

describe('Generate PKI (file secret store)', () => {
  const secretsDir = join(work, 'secrets');
  let now = new Date('2026-11-21T12:00:00Z');
  const lock = new FileClusterLock({ dir: join(work, 'locks'), liveness: new FakeLiveness() });
  const registry = new FileClusterRegistry({ dir: join(work, 'registry'), lock });
  // As in the workflow: under the cluster's lock, which the input carries.
  const held = { clusterName: 'steps', owner: 'exec-pki' };
  before(async () => assert.deepEqual(await lock.acquire('steps', { owner: held.owner, ref: 'ref-pki' }, 3600), { acquired: true }));
  const generatePki = makeGeneratePki({ secrets: new FileSecretStore({ dir: secretsDir }), registry, clock: { now: () => now }, log: quiet });
  const generate = (input: { spec: unknown; hosts: Host[] }) => generatePki({ ...input, lock: held });
  const store = new FileSecretStore({ dir: secretsDir });
  let hosts: Host[];
  const serverSerial = async (member: string) => {
    const bundle = decodeMemberBundle((await store.get(`etcd-ha/steps/member/${member}`))!);
    return describeCertificate(bundle.find((f) => f.path === 'etcd/server.crt')!.content).serialHex;
  };

  it('writes the CA, two client secrets and one bundle per member, and returns only their names', async () => {
    const { spec: parsed } = await validateSpec({ spec });
    hosts = parsed.members.map((m, i) => ({ name: m.name, address: `127.0.0.${131 + i}` }));
    const refs = await generate({ spec: parsed, hosts });
    assert.deepEqual(refs.members, {
      infra0: 'etcd-ha/steps/member/infra0',
      infra1: 'etcd-ha/steps/member/infra1',
      infra2: 'etcd-ha/steps/member/infra2',
    });
    assert.equal(refs.ca, 'etcd-ha/steps/ca');
    assert.doesNotMatch(JSON.stringify(refs), /PRIVATE KEY|BEGIN/);
    assert.equal(refs.issued?.length, 9, '1 CA + 2 clients + 3 × (server, peer)');
    const bundle = decodeMemberBundle((await store.get(refs.members.infra0!))!);
    assert.deepEqual(bundle.map((f) => f.path).sort(), ['etcd/ca.crt', 'etcd/peer.crt', 'etcd/peer.key', 'etcd/server.crt', 'etcd/server.key']);
  });

  it('re-run: reuses everything, writes nothing', async () => {
    const { spec: parsed } = await validateSpec({ spec });
    const before = await serverSerial('infra1');
    const listing = readdirSync(secretsDir, { recursive: true }).map(String).sort();
    const mtimes = listing.map((f) => statSync(join(secretsDir, f)).mtimeMs);
    const refs = await generate({ spec: parsed, hosts });
    assert.deepEqual(refs.issued, []);
    assert.equal(await serverSerial('infra1'), before);
    assert.deepEqual(listing.map((f) => statSync(join(secretsDir, f)).mtimeMs), mtimes);
  });

  it('a member whose address changed gets new certificates; the others keep theirs', async () => {
    const { spec: parsed } = await validateSpec({ spec });
    const before = { infra0: await serverSerial('infra0'), infra2: await serverSerial('infra2') };
    const moved = hosts.map((h) => (h.name === 'infra2' ? { ...h, address: '127.0.0.139' } : h));
    const refs = await generate({ spec: parsed, hosts: moved });
    assert.deepEqual(refs.issued?.map((line) => line.split(':')[0]).sort(), ['etcd-peer/infra2', 'etcd-server/infra2']);
    assert.equal(await serverSerial('infra0'), before.infra0);
    assert.notEqual(await serverSerial('infra2'), before.infra2);
  });

  it('leaves renewal to the clock: 340 days later every leaf is reissued, the CA is kept', async () => {
    const { spec: parsed } = await validateSpec({ spec });
    now = new Date('2027-10-27T12:00:00Z');
    const refs = await generate({ spec: parsed, hosts });
    assert.ok(refs.issued?.every((line) => !line.startsWith('etcd-ca')), refs.issued?.join('\n'));
    assert.equal(refs.issued?.length, 8);
  });
});

describe('Check Health', () => {
  it('fails clearly when the cluster has no PKI yet', async () => {
    const check = makeCheckHealth({ secrets: new FileSecretStore({ dir: join(work, 'empty') }), etcd: new Etcd3AdminFactory(), log: quiet, maxAppliedIndexLag: 50 });
    const { spec: parsed } = await validateSpec({ spec });
    const pki = { ca: 'etcd-ha/x/ca', healthcheckClient: 'etcd-ha/x/healthcheck-client', apiserverEtcdClient: 'etcd-ha/x/apiserver-etcd-client', members: {} };
    await assert.rejects(check({ spec: parsed, hosts: [{ name: 'infra0', address: '127.0.0.141' }], pki }), SecretMissingError);
  });
});
