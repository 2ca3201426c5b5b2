// Receive Member PKI with a real file secret store and upload slots, and a stand-in host that does what
// upload-adopted-pki.sh does (puts its files into the slot through the grant, prints the SHA-256 of what it put). The
// real script runs in test/host-scripts/adopt-scripts.etcd.test.ts and the whole workflow in test/e2e/adopt-cluster.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdoptRefusedError, HostScriptFailedError } from '../../lambdas/core/errors';
import { APISERVER_ETCD_CLIENT, ETCD_CA, ETCD_HEALTHCHECK_CLIENT, ETCD_PEER, ETCD_SERVER, resolveSubject, type CertProfile } from '../../lambdas/core/pki/cert-profiles';
import { issueCertificate, type CertKeyPair } from '../../lambdas/core/pki/issue';
import { parseRecordedClusterSpec } from '../../lambdas/core/spec';
import { FileSecretStore } from '../../lambdas/adapters/local/file-secret-store';
import { FileUploadSlots, UPLOAD_GRANT_SUFFIX } from '../../lambdas/adapters/local/file-upload-slots';
import type { ClusterRecord, ClusterRegistry, HostRunner, Logger, RegistryPutOptions } from '../../lambdas/ports';
import { makeReceiveMemberPki } from '../../lambdas/steps/adopt/receive-member-pki';
import { errorOf } from '../support/rejection';

const quiet: Logger = { info: () => undefined, warn: () => undefined };
const work = mkdtempSync(join(tmpdir(), 'etcd-ha-receive-'));
after(() => rmSync(work, { recursive: true, force: true }));

const spec = parseRecordedClusterSpec({ clusterName: 'prod', runtime: 'systemd', allowSingleMember: true, members: [{ name: 'cp-1', address: '10.0.0.6' }] });
const lock = { clusterName: 'prod', owner: 'exec-1' };
let files: Record<string, string>;

function memoryRegistry() {
  let record: ClusterRecord | undefined;
  const puts: Array<RegistryPutOptions | undefined> = [];
  const registry: ClusterRegistry = { get: async () => record, findByInstanceId: async () => undefined, list: async () => (record ? [record] : []), put: async (r, o) => void ((record = r), puts.push(o)) };
  return { registry, puts };
}

function uploadText(f: Record<string, string>): string {
  const body = Object.entries(f).map(([path, content]) => `=== ${path} ${path.endsWith('.key') ? '0600' : '0644'}\n${content}`);
  return ['# etcd-ha adoption upload, format 1: files of /etc/kubernetes/pki, each after a "=== <path> <mode>" line\n', ...body, '=== END\n'].join('');
}

/** The host: puts `text` into the slot only through its grant (as write-secret.sh / the host policy), prints the SHA-256 it is told to. */
function host(dir: string, options: { text?: string; tellSha?: (real: string) => string; exitCode?: number } = {}): HostRunner {
  return {
    run: async ([h], command) => {
      const id = /UPLOAD_SECRET_ID='([^']+)'/.exec(command.text)?.[1];
      assert.ok(id, 'the command names the slot');
      assert.doesNotMatch(command.text, /PRIVATE KEY/);
      if (options.exitCode) return [{ host: h!.name, exitCode: options.exitCode, stdoutTail: '', stderrTail: 'cannot read /etc/kubernetes/pki/etcd/ca.key' }];
      assert.ok(existsSync(join(dir, `${id}${UPLOAD_GRANT_SUFFIX}`)), 'the grant exists while the host uploads');
      const text = options.text ?? uploadText(files);
      writeFileSync(join(dir, id), text, { mode: 0o600 });
      const sha = createHash('sha256').update(text, 'utf8').digest('hex');
      return [{ host: h!.name, exitCode: 0, stdoutTail: `uploaded 10 files\nETCD_HA_UPLOAD_SHA256=${options.tellSha ? options.tellSha(sha) : sha}\n`, stderrTail: '' }];
    },
  };
}

function setUp(name: string, runner: (dir: string) => HostRunner) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const secrets = new FileSecretStore({ dir });
  const { registry, puts } = memoryRegistry();
  const root = join(work, `${name}-root`);
  mkdirSync(root, { recursive: true });
  const step = makeReceiveMemberPki({ secrets, registry, runner: runner(dir), clock: { now: () => new Date('2026-12-05T00:00:00Z') }, log: quiet, hostCommandTimeoutSeconds: 30, uploadSlots: new FileUploadSlots(secrets) });
  const input = { spec, host: { name: 'cp-1', address: '10.0.0.6', root }, lock };
  const slotGone = () => !existsSync(join(dir, 'etcd-ha', 'prod', 'adopt')) || readdirSync(join(dir, 'etcd-ha', 'prod', 'adopt')).length === 0;
  return { dir, secrets, registry, puts, step, input, slotGone };
}

before(() => {
  const options = { validityDays: 365, keyAlgorithm: 'RSA-2048' as const, now: new Date('2026-12-05T00:00:00Z') };
  const ca = issueCertificate(ETCD_CA, resolveSubject(ETCD_CA, spec), 'self-signed', { ...options, validityDays: 3650 });
  const leaf = (p: CertProfile): CertKeyPair => issueCertificate(p, resolveSubject(p, spec, p.scope === 'member' ? spec.members[0] : undefined), ca, options);
  files = {};
  for (const [base, pair] of [['etcd/ca', ca], ['etcd/server', leaf(ETCD_SERVER)], ['etcd/peer', leaf(ETCD_PEER)], ['etcd/healthcheck-client', leaf(ETCD_HEALTHCHECK_CLIENT)], ['apiserver-etcd-client', leaf(APISERVER_ETCD_CLIENT)]] as const) {
    files[`${base}.crt`] = pair.certPem;
    files[`${base}.key`] = pair.keyPem;
  }
});

describe('Receive Member PKI', () => {
  it("stores the host's files as the cluster's secrets (CA kept), records the cluster first as the lock holder, closes the slot; no key in its output", async () => {
    const t = setUp('good', (dir) => host(dir));
    const out = await t.step(t.input);
    assert.equal(JSON.parse((await t.secrets.get('etcd-ha/prod/ca'))!).keyPem, files['etcd/ca.key']);
    assert.equal(JSON.parse((await t.secrets.get('etcd-ha/prod/apiserver-etcd-client'))!).certPem, files['apiserver-etcd-client.crt']);
    assert.match((await t.secrets.get('etcd-ha/prod/member/cp-1'))!, /=== etcd\/server\.key 0600/);
    assert.equal((await t.registry.get('prod'))?.status, 'bootstrapping');
    assert.deepEqual(t.puts, [{ lockOwner: 'exec-1' }]);
    assert.ok(t.slotGone(), 'the slot and its grant are deleted');
    assert.doesNotMatch(JSON.stringify(out), /PRIVATE KEY/);
    assert.deepEqual(out.notes, []);
  });

  it('an upload whose SHA-256 is not what the host said is refused: nothing stored, the slot closed', async () => {
    const t = setUp('tampered', (dir) => host(dir, { tellSha: () => '0'.repeat(64) }));
    const error = await errorOf(t.step(t.input));
    assert.ok(error instanceof AdoptRefusedError);
    assert.match(error.message, /the upload's SHA-256 is [0-9a-f]{64}, the host said 0{64}; refusing it/);
    assert.equal(await t.secrets.get('etcd-ha/prod/ca'), undefined);
    assert.ok(t.slotGone());
  });

  it('a pair whose key is not its certificate\'s is refused naming the file: nothing stored, the slot closed', async () => {
    const t = setUp('mismatch', (dir) => host(dir, { text: uploadText({ ...files, 'etcd/peer.key': files['etcd/server.key']! }) }));
    const error = await errorOf(t.step(t.input));
    assert.match(String(error), /etcd\/peer\.crt: the key does not match the certificate/);
    assert.equal(await t.secrets.get('etcd-ha/prod/ca'), undefined);
    assert.ok(t.slotGone());
  });

  it("a failed upload fails the step with the host's error; the slot closed", async () => {
    const t = setUp('failed', (dir) => host(dir, { exitCode: 1 }));
    const error = await errorOf(t.step(t.input));
    assert.ok(error instanceof HostScriptFailedError);
    assert.match(error.message, /Upload Member PKI failed on cp-1 .*exit code 1[\s\S]*cannot read/);
    assert.ok(t.slotGone());
  });
});
