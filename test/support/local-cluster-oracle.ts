// What the e2e tests check a local cluster against, independently of the product: etcdctl with the
// cluster's healthcheck client certificate, a serializable member list, the registry record.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Etcd3 } from 'etcd3';
import { noop } from 'cockatiel';
import type { ClusterRecord } from '../../lambdas/ports';
import { isRunning, waitUntilGone } from './processes';
import type { LocalWorkflowSandbox } from './local-workflow';
import { within } from './etcd-client';

export interface ClientSecret {
  readonly caCertPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

export interface ListedMember {
  /** Hex, as etcdctl prints it. */
  readonly id: string;
  readonly name: string;
  readonly peer: string;
  readonly learner: boolean;
}

export async function readRecord(s: LocalWorkflowSandbox, cluster: string): Promise<ClusterRecord> {
  const record = await s.deps().registry.get(cluster);
  assert.ok(record, `cluster ${cluster} is recorded`);
  return record;
}

export async function clientSecret(s: LocalWorkflowSandbox, cluster: string, secret: 'healthcheck-client' | 'apiserver-etcd-client'): Promise<ClientSecret> {
  return JSON.parse((await s.deps().secrets.get(`etcd-ha/${cluster}/${secret}`))!) as ClientSecret;
}

/** etcdctl against `endpoint`, with the cluster's healthcheck client written to files by etcd-ha's own store. */
export function etcdctl(s: LocalWorkflowSandbox, cluster: string, endpoint: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const dir = `${s.home.secretsDir}/etcd-ha/${cluster}`;
  const script = [
    'set -e',
    `tmp=$(mktemp -d)`,
    `trap 'rm -rf "$tmp"' EXIT`,
    `node -e 'const s=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));const fs=require("fs");fs.writeFileSync(process.argv[2]+"/ca",s.caCertPem);fs.writeFileSync(process.argv[2]+"/crt",s.certPem);fs.writeFileSync(process.argv[2]+"/key",s.keyPem,{mode:0o600})' "${dir}/healthcheck-client" "$tmp"`,
    `ETCDCTL_API=3 etcdctl --endpoints ${endpoint} --cacert "$tmp/ca" --cert "$tmp/crt" --key "$tmp/key" --command-timeout=3s ${args.map((a) => `'${a}'`).join(' ')}`,
  ].join('\n');
  const run = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/**
 * `etcdctl member list`. It is linearizable: etcd 3.5 answers it only with quorum (3.4 answers from the
 * member asked). Without quorum, use serializableMemberList.
 */
export function memberList(s: LocalWorkflowSandbox, cluster: string, endpoint: string): ListedMember[] {
  const run = etcdctl(s, cluster, endpoint, ['member', 'list']);
  assert.equal(run.status, 0, run.stderr);
  return run.stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [id, , name, peer, , learner] = line.split(', ');
      return { id: id!, name: name!, peer: peer!, learner: learner === 'true' };
    });
}

/** The member list as the member at `endpoint` knows it (linearizable: false): answers without quorum on 3.4 and 3.5. */
export async function serializableMemberList(s: LocalWorkflowSandbox, cluster: string, endpoint: string): Promise<ListedMember[]> {
  const secret = await clientSecret(s, cluster, 'healthcheck-client');
  const client = new Etcd3({
    hosts: [endpoint],
    credentials: { rootCertificate: Buffer.from(secret.caCertPem), certChain: Buffer.from(secret.certPem), privateKey: Buffer.from(secret.keyPem) },
    faultHandling: { global: noop, host: () => noop },
  });
  try {
    const list = await within(5000, `member list from ${endpoint}`, client.cluster.memberList({ linearizable: false }));
    return list.members
      .map((m) => ({ id: BigInt(m.ID).toString(16), name: m.name, peer: m.peerURLs.join(','), learner: m.isLearner }))
      .sort((a, b) => a.peer.localeCompare(b.peer));
  } finally {
    client.close();
  }
}

/** The KV revision the member at `endpoint` has. */
export function revisionAt(s: LocalWorkflowSandbox, cluster: string, endpoint: string): number {
  const run = etcdctl(s, cluster, endpoint, ['endpoint', 'status', '-w', 'json']);
  assert.equal(run.status, 0, run.stderr);
  const [status] = JSON.parse(run.stdout) as Array<{ Status: { header: { revision: number } } }>;
  return Number(status!.Status.header.revision);
}

/** SIGKILL, as when a host dies: its data dir stays. Waits until the process is really gone. */
export async function killMember(s: LocalWorkflowSandbox, name: string): Promise<void> {
  const pid = s.pidOf(name);
  assert.ok(pid !== undefined && isRunning(pid), `${name} runs`);
  process.kill(pid, 'SIGKILL');
  await waitUntilGone(pid);
}
