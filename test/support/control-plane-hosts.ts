// Simulated kubeadm control-plane hosts for ConnectControlPlane's tests: a kube-apiserver static pod manifest under
// each host root, its stand-in API server (local-kube-apiserver.mjs) run by the kubelet stand-in
// (local-apiserver-kubelet.sh), and the stop/start/healthy events those write. Every stand-in is stopped by its PID
// after the suite, also when a test fails.
import { existsSync, readFileSync } from 'node:fs';
import { after } from 'node:test';
import { join } from 'node:path';
import { APISERVER_MANIFEST, makeControlPlaneHost } from '../../lambdas/local-runner/control-plane-host';
import { isRunning, waitUntilGone } from './processes';

export { APISERVER_MANIFEST };

export interface ApiServerEvent {
  readonly at: number;
  readonly kind: 'stop' | 'start' | 'healthy';
  readonly pid: number;
}

export function apiServerEvents(root: string): ApiServerEvent[] {
  const file = join(root, 'var', 'log', 'etcd-ha', 'kube-apiserver.events');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [at, kind, pid] = line.split(' ');
      return { at: Number(at), kind: kind as ApiServerEvent['kind'], pid: Number(pid) };
    });
}

/** Makes a control-plane host pointing at `etcdServers`, its stand-in API server started as kubelet would. */
export function seedControlPlaneHost(root: string, address: string, etcdServers: string): void {
  makeControlPlaneHost(root, address, etcdServers);
}

function standInPid(root: string): number | undefined {
  const file = join(root, 'run', 'etcd-ha', 'kube-apiserver.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !isRunning(pid)) return undefined;
  // Only the stand-in: a PID handed out again belongs to someone else.
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  return cmdline.includes('local-kube-apiserver.mjs') ? pid : undefined;
}

/** Call inside a describe(): roots whose stand-in API servers are stopped (by PID) after the suite. */
export function apiServerStandInsOfSuite(): (root: string) => string {
  const roots: string[] = [];
  after(async () => {
    for (const root of roots) {
      const pid = standInPid(root);
      if (pid === undefined) continue;
      process.kill(pid, 'SIGKILL');
      await waitUntilGone(pid);
    }
  });
  return (root) => {
    roots.push(root);
    return root;
  };
}
