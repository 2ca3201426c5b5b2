// Simulated kubeadm control-plane hosts for ConnectControlPlane's tests: a kube-apiserver static pod manifest under
// each host root, its stand-in API server (local-kube-apiserver.mjs) run by the kubelet stand-in
// (local-apiserver-kubelet.sh), and the stop/start/healthy events those write. Every stand-in is stopped by its PID
// after the suite, also when a test fails.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { after } from 'node:test';
import { join } from 'node:path';
import { localScriptsPaths } from '../../lambdas/adapters/local/local-host-runner';
import { isRunning, waitUntilGone } from './processes';

export const APISERVER_MANIFEST = join('etc', 'kubernetes', 'manifests', 'kube-apiserver.yaml');

/** A kubeadm-shaped kube-apiserver manifest (the flags that matter here), pointing at `etcdServers`; no --etcd-keyfile. */
export function kubeApiServerManifest(address: string, etcdServers: string): string {
  return [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    '  name: kube-apiserver',
    '  namespace: kube-system',
    'spec:',
    '  containers:',
    '  - command:',
    '    - kube-apiserver',
    `    - --advertise-address=${address}`,
    `    - --bind-address=${address}`,
    '    - --secure-port=6443',
    '    - --etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt',
    '    - --etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt',
    `    - --etcd-servers=${etcdServers}`,
    '    - --service-cluster-ip-range=10.96.0.0/12',
    '    image: registry.k8s.io/kube-apiserver:v1.31.0',
    '    name: kube-apiserver',
    '',
  ].join('\n');
}

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

/** Makes a control-plane host (manifest only) and runs kubelet's stand-in once, as kubelet runs the pod at boot. */
export function seedControlPlaneHost(root: string, address: string, etcdServers: string): void {
  mkdirSync(join(root, 'etc', 'kubernetes', 'manifests'), { recursive: true });
  writeFileSync(join(root, APISERVER_MANIFEST), kubeApiServerManifest(address, etcdServers), { mode: 0o600 });
  const run = spawnSync(localScriptsPaths().localApiServerKubelet, [], { env: { PATH: process.env.PATH, ETCD_HA_ROOT: root }, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`local-apiserver-kubelet.sh failed: ${run.stderr}`);
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
