// Simulated kubeadm control-plane hosts for ConnectControlPlane's tests: a kube-apiserver static pod manifest under
// each host root, its stand-in API server (local-kube-apiserver.mjs) run by the kubelet stand-in
// (local-apiserver-kubelet.sh), and the stop/start/healthy events those write. Every stand-in is stopped by its PID
// after the suite, also when a test fails.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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

/**
 * The PIDs of the stand-in API servers of a host root: every running local-kube-apiserver.mjs whose ETCD_HA_ROOT is
 * that root (not only the PID file's: a stand-in a failed restart left behind is found too).
 */
function standInPids(root: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0 || !isRunning(pid)) continue;
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('local-kube-apiserver.mjs')) continue;
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`ETCD_HA_ROOT=${root}`)) pids.push(pid);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

/** Call inside a describe() before the sandboxes: roots whose stand-in API servers are stopped (by PID) after the suite. */
export function apiServerStandInsOfSuite(): (root: string) => string {
  const roots: string[] = [];
  after(async () => {
    const pids = roots.flatMap(standInPids);
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    for (const pid of pids) await waitUntilGone(pid);
  });
  return (root) => {
    roots.push(root);
    return root;
  };
}
