// A unit and an env file for a single plain-HTTP etcd member, shared by the systemd write/start tests, and their
// settings digest the way etcdSettingsDigest takes it: the bootstrap-only flags left out.
import { createHash } from 'node:crypto';
import { join } from 'node:path';

/** The unit starts the spec's default binaryPath; a simulated host gets it from shipEtcd (helpers.ts). */
export const UNIT = `[Unit]
Description=etcd
[Service]
Type=notify
EnvironmentFile=/etc/etcd/etcd.conf
ExecStart=/usr/local/bin/etcd
Restart=always
[Install]
WantedBy=multi-user.target
`;

export interface Bootstrap {
  /** ETCD_INITIAL_CLUSTER; default: the member alone. */
  readonly initialCluster?: string;
  /** default "new" */
  readonly state?: 'new' | 'existing';
  /** ETCD_INITIAL_CLUSTER_TOKEN; default: none. */
  readonly token?: string;
}

export function envFile(root: string, address: string, extra = '', bootstrap: Bootstrap = {}): string {
  return [
    'ETCD_NAME=m1',
    `ETCD_DATA_DIR=${join(root, 'var/lib/etcd')}`,
    `ETCD_LISTEN_CLIENT_URLS=http://${address}:2379`,
    `ETCD_ADVERTISE_CLIENT_URLS=http://${address}:2379`,
    `ETCD_LISTEN_PEER_URLS=http://${address}:2380`,
    `ETCD_INITIAL_ADVERTISE_PEER_URLS=http://${address}:2380`,
    `ETCD_INITIAL_CLUSTER=${bootstrap.initialCluster ?? `m1=http://${address}:2380`}`,
    `ETCD_INITIAL_CLUSTER_STATE=${bootstrap.state ?? 'new'}`,
    ...(bootstrap.token === undefined ? [] : [`ETCD_INITIAL_CLUSTER_TOKEN=${bootstrap.token}`]),
    `ETCD_LISTEN_METRICS_URLS=http://${address}:2381`,
    extra,
  ].join('\n');
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** SETTINGS_SHA256 for an env file and a unit: like etcdSettingsDigest, blind to the bootstrap-only flags. */
export function settingsDigest(env: string, unit = UNIT): string {
  const settings = env
    .split('\n')
    .filter((line) => !/^ETCD_INITIAL_CLUSTER(_STATE|_TOKEN)?=/.test(line))
    .join('\n');
  return sha256(`${sha256(settings)}  /etc/etcd/etcd.conf\n${sha256(unit)}  /etc/systemd/system/etcd.service\n`);
}
