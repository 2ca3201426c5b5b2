// A simulated kubeadm control-plane host with a single stacked etcd member, what AdoptCluster takes over (its tests,
// and `etcd-ha local kubeadm-member`, which makes one to try adopting): under
// `root`, kubeadm's etcd PKI (/etc/kubernetes/pki/etcd/{ca,server,peer,healthcheck-client}.{crt,key} and
// apiserver-etcd-client.{crt,key}, issued by our issuer with kubeadm's profiles, RSA-2048), the static pod
// manifest kubeadm v1.31 writes for one stacked member (etc/kubernetes/manifests/etcd.yaml, with the test's
// address and ports), the data dir /var/lib/etcd and the etcd binary at /usr/local/bin/etcd. Local mode has no
// kubelet: start() runs adapters/local/local-kubelet.sh, which runs the manifest's etcd through service-ctl.sh;
// stop() stops it by its recorded PID (safe in a finally, also when it never started).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  APISERVER_ETCD_CLIENT,
  ETCD_CA,
  ETCD_HEALTHCHECK_CLIENT,
  ETCD_PEER,
  ETCD_SERVER,
  type CertProfile,
  type CertSubject,
} from '../core/pki/cert-profiles';
import { issueCertificate, type CertKeyPair, type Signer } from '../core/pki/issue';
import { runningEtcdPid } from './member-process';

const LOCAL_ADAPTERS = join(__dirname, '../adapters/local');
export const SERVICE_CTL = join(LOCAL_ADAPTERS, 'service-ctl.sh');
export const LOCAL_KUBELET = join(LOCAL_ADAPTERS, 'local-kubelet.sh');

/** kubeadm's validity: CA 10 years, leaves 1 year. */
const CA_DAYS = 3650;
const LEAF_DAYS = 365;
const START_TIMEOUT_MS = 30_000;

export interface KubeadmEtcdHostOptions {
  /** The simulated host's root dir (ETCD_HA_ROOT); created when missing. */
  readonly root: string;
  /** The member's name (kubeadm: the node name), e.g. "cp-1". */
  readonly name: string;
  /** The host's own loopback address, e.g. "127.0.1.140". */
  readonly address: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly metricsPort: number;
  /**
   * The host in the peer URL etcd listens on and advertises.
   * @default - address; 'localhost' gives the broken layout AdoptCluster fixes with `member update`
   */
  readonly advertisePeerHost?: string;
  /** Absolute path of the etcd to run: linked at <root>/usr/local/bin/etcd. */
  readonly etcdBinary: string;
}

export interface KubeadmEtcdHost {
  readonly root: string;
  readonly name: string;
  readonly address: string;
  /** https://address:clientPort (the first of --advertise-client-urls). */
  readonly clientUrl: string;
  /** https://<advertisePeerHost>:peerPort (--initial-advertise-peer-urls). */
  readonly peerUrl: string;
  readonly caCertPem: string;
  readonly apiserverClient: CertKeyPair;
  readonly healthcheckClient: CertKeyPair;
  /** Runs the manifest's etcd (local-kubelet.sh) and waits until it answers /health; resolves with its PID. */
  start(): Promise<number>;
  /** Stops the member's etcd by its recorded PID; nothing happens when none runs. */
  stop(): Promise<void>;
  /** The PID of the member's running etcd, or undefined. */
  pid(): number | undefined;
}

/** The etcd static pod manifest kubeadm v1.31 writes for a single stacked member (phases/etcd/local.go). */
export function kubeadmEtcdManifest(flags: {
  readonly name: string;
  readonly address: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly metricsPort: number;
  readonly peerHost: string;
}): string {
  const client = `https://${flags.address}:${flags.clientPort}`;
  const peer = `https://${flags.peerHost}:${flags.peerPort}`;
  return `apiVersion: v1
kind: Pod
metadata:
  annotations:
    kubeadm.kubernetes.io/etcd.advertise-client-urls: ${client}
  creationTimestamp: null
  labels:
    component: etcd
    tier: control-plane
  name: etcd
  namespace: kube-system
spec:
  containers:
  - command:
    - etcd
    - --advertise-client-urls=${client}
    - --cert-file=/etc/kubernetes/pki/etcd/server.crt
    - --client-cert-auth=true
    - --data-dir=/var/lib/etcd
    - --experimental-initial-corrupt-check=true
    - --initial-advertise-peer-urls=${peer}
    - --initial-cluster=${flags.name}=${peer}
    - --key-file=/etc/kubernetes/pki/etcd/server.key
    - --listen-client-urls=https://127.0.0.1:${flags.clientPort},${client}
    - --listen-metrics-urls=http://${flags.address}:${flags.metricsPort}
    - --listen-peer-urls=${peer}
    - --name=${flags.name}
    - --peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt
    - --peer-client-cert-auth=true
    - --peer-key-file=/etc/kubernetes/pki/etcd/peer.key
    - --peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt
    - --snapshot-count=10000
    - --trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt
    image: registry.k8s.io/etcd:3.5.15-0
    imagePullPolicy: IfNotPresent
    livenessProbe:
      failureThreshold: 8
      httpGet:
        host: ${flags.address}
        path: /health?exclude=NOSPACE&serializable=true
        port: ${flags.metricsPort}
        scheme: HTTP
      initialDelaySeconds: 10
      periodSeconds: 10
      timeoutSeconds: 15
    name: etcd
    resources:
      requests:
        cpu: 100m
        memory: 100Mi
    startupProbe:
      failureThreshold: 24
      httpGet:
        host: ${flags.address}
        path: /health?serializable=false
        port: ${flags.metricsPort}
        scheme: HTTP
      initialDelaySeconds: 10
      periodSeconds: 10
      timeoutSeconds: 15
    volumeMounts:
    - mountPath: /var/lib/etcd
      name: etcd-data
    - mountPath: /etc/kubernetes/pki/etcd
      name: etcd-certs
  hostNetwork: true
  priority: 2000001000
  priorityClassName: system-node-critical
  securityContext:
    seccompProfile:
      type: RuntimeDefault
  volumes:
  - hostPath:
      path: /etc/kubernetes/pki/etcd
      type: DirectoryOrCreate
    name: etcd-certs
  - hostPath:
      path: /var/lib/etcd
      type: DirectoryOrCreate
    name: etcd-data
status: {}
`;
}

/** GETs `url` over mTLS and resolves with the body; rejects on a status other than 200 or after 2 s. */
export function httpsGet(url: string, caCertPem: string, client: CertKeyPair): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: caCertPem, cert: client.certPem, key: client.keyPem, timeout: 2_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET ${url}: HTTP ${res.statusCode}: ${body}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within 2 s`)));
    req.on('error', reject);
    req.end();
  });
}

function writeFile(path: string, content: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  writeFileSync(path, content, { mode });
  chmodSync(path, mode);
}

export function makeKubeadmEtcdHost(options: KubeadmEtcdHostOptions): KubeadmEtcdHost {
  const { root, name, address } = options;
  if (!root.startsWith('/')) throw new RangeError(`root must be an absolute path, got "${root}"`);
  if (!options.etcdBinary.startsWith('/')) throw new RangeError(`etcdBinary must be an absolute path, got "${options.etcdBinary}"`);
  const peerHost = options.advertisePeerHost ?? address;
  const now = new Date();
  const leaf = (profile: CertProfile, subject: CertSubject, ca: Signer) =>
    issueCertificate(profile, subject, ca, { validityDays: LEAF_DAYS, keyAlgorithm: 'RSA-2048', now });
  const fixed = (profile: CertProfile): CertSubject => {
    if (profile.subject.kind !== 'fixed') throw new TypeError(`${profile.name} is issued per member`);
    return { commonName: profile.subject.commonName, dnsNames: profile.subject.dnsNames, ipAddresses: [] };
  };
  // kubeadm's member SANs: the node name, localhost, the advertise address and the loopbacks.
  const member: CertSubject = { commonName: name, dnsNames: [name, 'localhost'], ipAddresses: [address, '127.0.0.1', '::1'] };

  const ca = issueCertificate(ETCD_CA, fixed(ETCD_CA), 'self-signed', { validityDays: CA_DAYS, keyAlgorithm: 'RSA-2048', now });
  const pairs: ReadonlyArray<readonly [string, CertKeyPair]> = [
    ['etcd/ca', ca],
    ['etcd/server', leaf(ETCD_SERVER, member, ca)],
    ['etcd/peer', leaf(ETCD_PEER, member, ca)],
    ['etcd/healthcheck-client', leaf(ETCD_HEALTHCHECK_CLIENT, fixed(ETCD_HEALTHCHECK_CLIENT), ca)],
    ['apiserver-etcd-client', leaf(APISERVER_ETCD_CLIENT, fixed(APISERVER_ETCD_CLIENT), ca)],
  ];
  const pki = join(root, 'etc/kubernetes/pki');
  for (const [base, pair] of pairs) {
    writeFile(join(pki, `${base}.crt`), pair.certPem, 0o644);
    writeFile(join(pki, `${base}.key`), pair.keyPem, 0o600);
  }
  const manifest = kubeadmEtcdManifest({ ...options, peerHost });
  writeFile(join(root, 'etc/kubernetes/manifests/etcd.yaml'), manifest, 0o600);
  mkdirSync(join(root, 'var/lib/etcd'), { recursive: true, mode: 0o700 });
  const binary = join(root, 'usr/local/bin/etcd');
  mkdirSync(dirname(binary), { recursive: true });
  if (lstatSync(binary, { throwIfNoEntry: false }) === undefined) symlinkSync(options.etcdBinary, binary);

  const clientUrl = `https://${address}:${options.clientPort}`;
  const healthcheckClient = pairs[3]![1];
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ETCD_HA_ROOT: root, ETCD_HA_SERVICE_CTL: SERVICE_CTL };
  const pid = () => runningEtcdPid(dirname(root), basename(root));
  const run = (command: string, args: string[]) => {
    const result = spawnSync(command, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    if (result.status !== 0) throw new Error(`${basename(command)} ${args.join(' ')} on ${root} failed (${result.status}): ${result.stderr}${result.stdout}`);
  };

  return {
    root,
    name,
    address,
    clientUrl,
    peerUrl: `https://${peerHost}:${options.peerPort}`,
    caCertPem: ca.certPem,
    apiserverClient: pairs[4]![1],
    healthcheckClient,
    async start() {
      run(LOCAL_KUBELET, []);
      const deadline = Date.now() + START_TIMEOUT_MS;
      for (;;) {
        try {
          const health = await httpsGet(`${clientUrl}/health`, ca.certPem, healthcheckClient);
          if (/"health":\s*"true"/.test(health)) break;
        } catch (error) {
          if (Date.now() > deadline) throw new Error(`etcd of ${name} did not answer on ${clientUrl} within ${START_TIMEOUT_MS} ms: ${(error as Error).message}`);
        }
        if (Date.now() > deadline) throw new Error(`etcd of ${name} is not healthy on ${clientUrl} within ${START_TIMEOUT_MS} ms`);
        await sleep(100);
      }
      const started = pid();
      if (started === undefined) throw new Error(`etcd of ${name} answers but service-ctl.sh recorded no running PID under ${root}`);
      return started;
    },
    async stop() {
      if (!existsSync(join(root, 'run/etcd-ha/etcd.pid'))) return;
      run(SERVICE_CTL, ['stop', 'etcd']);
    },
    pid,
  };
}
