// Where things live on a member's host. Every path hangs off `root` so that the local runtime
// can give each simulated host its own directory; on a real host root is "/".
import { posix } from 'node:path';

export interface HostLayout {
  readonly root: string;
  /** kubeadm's certificatesDir. */
  readonly pkiDir: string;
  readonly dataDir: string;
  readonly kubeadmConfigFile: string;
  readonly manifestsDir: string;
  readonly kubeletDropInDir: string;
  readonly etcdEnvFile: string;
  readonly etcdUnitFile: string;
  /** Local runtime only: where the supervisor keeps etcd's PID and log. */
  readonly runDir: string;
  readonly logDir: string;
}

export function hostLayout(dataDir: string, root = '/'): HostLayout {
  const at = (path: string) => posix.join(root, path);
  return {
    root,
    pkiDir: at('/etc/kubernetes/pki'),
    dataDir: at(dataDir),
    kubeadmConfigFile: at('/etc/etcd-ha/kubeadmcfg.yaml'),
    manifestsDir: at('/etc/kubernetes/manifests'),
    kubeletDropInDir: at('/etc/systemd/system/kubelet.service.d'),
    etcdEnvFile: at('/etc/etcd/etcd.conf'),
    etcdUnitFile: at('/etc/systemd/system/etcd.service'),
    runDir: at('/run/etcd-ha'),
    logDir: at('/var/log/etcd-ha'),
  };
}
