// `etcd-ha local kubeadm-member --member NAME --address ADDR`: makes what AdoptCluster takes over, on a simulated host of
// the local home (<home>/hosts/<member>): a single etcd member as kubeadm lays it out (its own CA and certificates under
// /etc/kubernetes/pki, the static pod manifest, data in /var/lib/etcd), run by kubelet's local stand-in, advertising a
// localhost peer URL as hand-made single members often do; with a few keys written through the API server's own client
// certificate. It prints paths, never key material. `local down` stops it with the rest.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { Etcd3 } from 'etcd3';
import { makeKubeadmEtcdHost } from '../../lambdas/local-runner/kubeadm-etcd-host';
import { localEtcdBinary } from '../../lambdas/local-runner/etcd-binaries';
import { localRunner } from './local-cluster';
import { EXIT, UsageError, type Output } from './output';

export interface LocalKubeadmMemberOptions {
  readonly member: string;
  readonly address: string;
  /** @default 22379, 22380, 22381: away from a system etcd on 127.0.0.1:2379 (kubeadm's member listens there too) */
  readonly clientPort?: number;
  readonly peerPort?: number;
  readonly metricsPort?: number;
}

const DEMO_KEYS = 3;

export async function localKubeadmMember(options: LocalKubeadmMemberOptions, output: Output): Promise<number> {
  const { home } = localRunner();
  const root = join(home.hostsDir, options.member);
  if (existsSync(join(root, 'etc/kubernetes/manifests/etcd.yaml'))) throw new UsageError(`${root} already holds a kubeadm etcd member; adopt it, or \`etcd-ha local down\` first`);
  const etcdBinary = localEtcdBinary() ?? execFileSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' }).trim();
  if (!etcdBinary) throw new UsageError('no etcd binary found: run `npm install` (it fetches etcd 3.5) or install etcd-server');
  const ports = { clientPort: options.clientPort ?? 22379, peerPort: options.peerPort ?? 22380, metricsPort: options.metricsPort ?? 22381 };
  const host = makeKubeadmEtcdHost({ root, name: options.member, address: options.address, ...ports, advertisePeerHost: 'localhost', etcdBinary });
  const pid = await host.start();
  const client = new Etcd3({
    hosts: [host.clientUrl],
    credentials: { rootCertificate: Buffer.from(host.caCertPem), certChain: Buffer.from(host.apiserverClient.certPem), privateKey: Buffer.from(host.apiserverClient.keyPem) },
  });
  try {
    for (let i = 1; i <= DEMO_KEYS; i++) await client.put(`/registry/demo/key${i}`).value(`value ${i}`);
  } finally {
    client.close();
  }
  output.out(`etcd-ha: a kubeadm-style single etcd member "${options.member}" runs on ${options.address} (PID ${pid}), as kubelet would run it from its static pod:`);
  output.out(`  manifest  ${join(root, 'etc/kubernetes/manifests/etcd.yaml')}`);
  output.out(`  PKI       ${join(root, 'etc/kubernetes/pki')} (its own etcd CA; the API server's client: apiserver-etcd-client.crt)`);
  output.out(`  data      ${join(root, 'var/lib/etcd')} (${DEMO_KEYS} keys under /registry/demo/, written with the API server's client certificate)`);
  output.out(`  clients   ${host.clientUrl}; peers ${host.peerUrl} (a localhost peer URL: adopting it moves it, with one restart)`);
  output.out(`\nSee what adopting it would do:  npx etcd-ha local adopt --member ${options.member} --address ${options.address}`);
  return EXIT.done;
}
