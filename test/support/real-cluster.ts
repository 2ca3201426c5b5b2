// A real etcd cluster for integration tests: certificates from our PKI, settings from our systemd env
// file renderer, one real etcd process per member on its own loopback address and host root. Every
// process is stopped by PID (stop()), and a cluster that fails to come up stops its own processes.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseClusterSpec, type ClusterSpec, type ClusterSpecInput } from '../../lambdas/core/spec';
import { ensureClusterPki, memberHostFiles, type ClusterPki } from '../../lambdas/core/pki/bundle';
import { hostLayout } from '../../lambdas/core/layout';
import { signRevocationList } from '../../lambdas/core/pki/crl';
import { CRL_FILE, clientUrl, type ClusterState, type PeerAddress } from '../../lambdas/core/etcd-flags';
import { renderEtcdEnvFile } from '../../lambdas/core/render/systemd';
import { parseEnvFile } from './env-file';
import { ProcessGroup, type StartedProcess } from './processes';
import { mtlsClient, within } from './etcd-client';
import { etcdUnderTest } from './etcd-under-test';

export interface RealClusterOptions {
  readonly members: readonly PeerAddress[];
  /** Holds hosts/<member>/ (each member's root), <member>.log; the caller removes it. */
  readonly work: string;
  /** Spec fields besides members. @default { clusterName: 'real', runtime: 'systemd' } */
  readonly spec?: Omit<ClusterSpecInput, 'members'>;
  /** How long every member gets to answer status with a leader. @default 20000 */
  readonly readyTimeoutMs?: number;
}

export interface RealCluster {
  readonly spec: ClusterSpec;
  readonly pki: ClusterPki;
  /** Client URLs, in member order. */
  readonly endpoints: readonly string[];
  /** The etcd process of each member, by member name. */
  readonly processes: Readonly<Record<string, StartedProcess>>;
  /** The directory that stands for a member's "/". */
  hostRoot(member: string): string;
  /** Kills one member's etcd by PID and waits until it is gone. */
  kill(member: string, signal?: NodeJS.Signals): Promise<void>;
  /** Stops every process this cluster started (SIGTERM, then SIGKILL), by PID. */
  stop(): Promise<void>;
}

export async function startRealCluster(options: RealClusterOptions): Promise<RealCluster> {
  etcdUnderTest();
  const { members, work } = options;
  const spec = parseClusterSpec({ clusterName: 'real', runtime: 'systemd', ...options.spec, members });
  const pki = ensureClusterPki(undefined, spec, new Date()).pki;
  // Every member loads the cluster's CRL (etcd refuses every connection while the file is missing): an empty one.
  const crlPem = await signRevocationList({ caCertPem: pki.ca.certPem, caKeyPem: pki.ca.keyPem, revoked: [], number: 1, now: new Date() });
  const group = new ProcessGroup();
  const processes: Record<string, StartedProcess> = {};
  const hostRoot = (member: string) => join(work, 'hosts', member);
  const endpoints = members.map((m) => clientUrl(m.address, spec));
  try {
    for (const member of members) {
      const env = prepareMemberHost(spec, pki, member, members, hostRoot(member.name), 'new', crlPem);
      processes[member.name] = group.start('etcd', [], { env, logFile: join(work, `${member.name}.log`) });
    }
    await waitUntilEveryMemberAnswers(endpoints, pki, options.readyTimeoutMs ?? 20_000);
  } catch (error) {
    await group.stopAll();
    throw error;
  }
  return {
    spec,
    pki,
    endpoints,
    processes,
    hostRoot,
    async kill(member, signal = 'SIGKILL') {
      const started = processes[member];
      if (!started) throw new Error(`no process for member ${member}`);
      await group.kill(started.pid, signal);
    },
    stop: () => group.stopAll(),
  };
}

async function waitUntilEveryMemberAnswers(endpoints: readonly string[], pki: ClusterPki, timeoutMs: number): Promise<void> {
  const clients = endpoints.map((e) => mtlsClient(e, pki.ca.certPem, pki.healthcheckClient));
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answers = await Promise.allSettled(clients.map((c, i) => within(2000, endpoints[i]!, c.maintenance.status())));
      if (answers.every((a) => a.status === 'fulfilled' && a.value.leader !== '0')) return;
      if (Date.now() > deadline) {
        const why = answers.map((a, i) => `${endpoints[i]}: ${a.status === 'fulfilled' ? `leader ${a.value.leader}` : String(a.reason)}`);
        throw new Error(`cluster not healthy after ${timeoutMs} ms: ${why.join('; ')}`);
      }
      await sleep(200);
    }
  } finally {
    for (const c of clients) c.close();
  }
}

/**
 * Lays out one simulated host as a member would have it (its PKI files with their modes, the env file
 * our renderer writes) and returns the environment etcd starts with: only the rendered ETCD_* settings,
 * so nothing from the caller's environment leaks into etcd. `members` is the --initial-cluster: every
 * member for a new cluster; for a join (`clusterState` "existing"), the current voters and the member itself.
 */
export function prepareMemberHost(
  spec: ClusterSpec,
  pki: ClusterPki,
  member: PeerAddress,
  members: readonly PeerAddress[],
  root: string,
  clusterState: ClusterState = 'new',
  crlPem?: string,
): NodeJS.ProcessEnv {
  const layout = hostLayout(spec.etcd.dataDir, root);
  for (const file of memberHostFiles(pki.ca.certPem, pki.members[member.name]!)) {
    const path = join(layout.pkiDir, file.path);
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    writeFileSync(path, file.content, { mode: file.mode });
    chmodSync(path, file.mode);
  }
  if (crlPem !== undefined) writeFileSync(join(layout.pkiDir, 'etcd', CRL_FILE), crlPem, { mode: 0o644 });
  const envFile = renderEtcdEnvFile({ spec, member, clusterState, initialCluster: members, root });
  mkdirSync(dirname(layout.etcdEnvFile), { recursive: true });
  writeFileSync(layout.etcdEnvFile, envFile, { mode: 0o600 });
  return { PATH: process.env.PATH, ...parseEnvFile(envFile) };
}
