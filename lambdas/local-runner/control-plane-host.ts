// A simulated kubeadm control-plane host for local mode (`etcd-ha local control-plane-host`) and the tests: a
// kube-apiserver static pod manifest under <hostsDir>/<name>, its stand-in API server (local-kube-apiserver.mjs) run
// by kubelet's stand-in (local-apiserver-kubelet.sh), as kubelet runs the pod at boot. ConnectControlPlane then
// pushes its etcd client files and points it at the cluster.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { localScriptsPaths } from '../adapters/local/local-host-runner';

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

/**
 * Writes the manifest (unless one is there: an existing host is left as it is) and runs kubelet's stand-in once.
 * @returns whether a manifest was written
 */
export function makeControlPlaneHost(root: string, address: string, etcdServers = 'https://127.0.0.1:2379'): boolean {
  const manifest = join(root, APISERVER_MANIFEST);
  const written = !existsSync(manifest);
  if (written) {
    mkdirSync(join(root, 'etc', 'kubernetes', 'manifests'), { recursive: true });
    writeFileSync(manifest, kubeApiServerManifest(address, etcdServers), { mode: 0o600 });
  }
  const run = spawnSync(localScriptsPaths().localApiServerKubelet, [], { env: { PATH: process.env.PATH, ETCD_HA_ROOT: root }, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`local-apiserver-kubelet.sh failed on ${root}: ${run.stderr.trim()}`);
  return written;
}
