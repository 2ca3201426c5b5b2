// A unit and an env file for a single plain-HTTP etcd member, shared by the systemd write/start tests.
import { join } from 'node:path';

export const UNIT = `[Unit]
Description=etcd
[Service]
Type=notify
EnvironmentFile=/etc/etcd/etcd.conf
ExecStart=/usr/bin/etcd
Restart=always
[Install]
WantedBy=multi-user.target
`;

export function envFile(root: string, address: string, extra = ''): string {
  return [
    'ETCD_NAME=m1',
    `ETCD_DATA_DIR=${join(root, 'var/lib/etcd')}`,
    `ETCD_LISTEN_CLIENT_URLS=http://${address}:2379`,
    `ETCD_ADVERTISE_CLIENT_URLS=http://${address}:2379`,
    `ETCD_LISTEN_PEER_URLS=http://${address}:2380`,
    `ETCD_INITIAL_ADVERTISE_PEER_URLS=http://${address}:2380`,
    `ETCD_INITIAL_CLUSTER=m1=http://${address}:2380`,
    'ETCD_INITIAL_CLUSTER_STATE=new',
    `ETCD_LISTEN_METRICS_URLS=http://${address}:2381`,
    extra,
  ].join('\n');
}
