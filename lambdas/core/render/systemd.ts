// The systemd runtime: etcd's settings as an EnvironmentFile of ETCD_* variables (etcd reads
// every flag from ETCD_<FLAG>) and a unit that loads it. The local runtime starts etcd from the
// same env file, so what runs on loopback is what would run on a host.
import type { ClusterSpec } from '../spec';
import { etcdFlags, type EtcdFlagsRequest } from '../etcd-flags';
import { hostLayout } from '../layout';

export function envVarName(flag: string): string {
  return `ETCD_${flag.toUpperCase().replace(/-/g, '_')}`;
}

/** Spec validation keeps quotes, "$" and line breaks out; spaces still need double quotes. */
function envValue(value: string): string {
  return /^[A-Za-z0-9_.,:/=@+%-]*$/.test(value) ? value : `"${value}"`;
}

export function renderEtcdEnvFile(request: EtcdFlagsRequest): string {
  const lines = Object.entries(etcdFlags(request)).map(([flag, value]) => `${envVarName(flag)}=${envValue(value)}`);
  return `# Written by etcd-ha for member ${request.member.name} (initial-cluster-state=${request.clusterState}).\n${lines.join('\n')}\n`;
}

export function renderEtcdUnit(spec: ClusterSpec): string {
  const layout = hostLayout(spec.etcd.dataDir);
  return [
    '[Unit]',
    `Description=etcd member of cluster ${spec.clusterName} (managed by etcd-ha)`,
    'Documentation=https://etcd.io/docs/',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=notify',
    `EnvironmentFile=${layout.etcdEnvFile}`,
    `ExecStart=${spec.etcd.binaryPath}`,
    'Restart=on-failure',
    'RestartSec=5s',
    'LimitNOFILE=65536',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
