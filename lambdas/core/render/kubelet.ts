// The kubelet drop-in of the guide: kubelet runs only as etcd's service manager, with a
// KubeletConfiguration (no API server: webhook auth off, AlwaysAllow) and a unit override.
import { posix } from 'node:path';
import { stringify } from 'yaml';
import type { ClusterSpec } from '../spec';
import { hostLayout } from '../layout';

export const KUBELET_CONFIG_NAME = 'kubelet.conf';
export const KUBELET_DROPIN_NAME = '20-etcd-service-manager.conf';

export interface KubeletDropIn {
  /** Full paths on the host, keyed to their content. */
  readonly configPath: string;
  readonly config: string;
  readonly dropInPath: string;
  readonly dropIn: string;
}

export function kubeletConfiguration(spec: ClusterSpec): Record<string, unknown> {
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    authentication: { anonymous: { enabled: false }, webhook: { enabled: false } },
    authorization: { mode: 'AlwaysAllow' },
    cgroupDriver: spec.kubelet.cgroupDriver,
    address: '127.0.0.1',
    containerRuntimeEndpoint: spec.kubelet.containerRuntimeEndpoint,
    staticPodPath: hostLayout(spec.etcd.dataDir).manifestsDir,
  };
}

export function renderKubeletDropIn(spec: ClusterSpec): KubeletDropIn {
  const dir = hostLayout(spec.etcd.dataDir).kubeletDropInDir;
  const configPath = posix.join(dir, KUBELET_CONFIG_NAME);
  const dropIn = [
    '[Service]',
    'ExecStart=',
    `ExecStart=/usr/bin/kubelet --config=${configPath}`,
    'Restart=always',
    '',
  ].join('\n');
  return {
    configPath,
    config: `# Written by etcd-ha: kubelet as the service manager of etcd's static pod.\n${stringify(kubeletConfiguration(spec))}`,
    dropInPath: posix.join(dir, KUBELET_DROPIN_NAME),
    dropIn,
  };
}
