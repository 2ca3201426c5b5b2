// AdoptCluster's decision, from what the host reported (facts.ts): what was found, whether it can be taken over as
// it is, what a confirmed run would do (the one restart included), and the cluster spec the record will hold.
// Pure: the dry run prints it, the confirmed run follows it.
import { SpecValidationError } from '../errors';
import { hexId } from '../health-rules';
import { KUBEADM_DEFAULT_METRICS_PORT } from '../etcd-flags';
import { parseRecordedClusterSpec, type ClusterSpec } from '../spec';
import type { AdoptFacts } from './facts';

/** Learners (how ScaleCluster grows it afterwards) came with etcd 3.4. */
const MIN_VERSION: readonly [number, number] = [3, 4];
const DAY_MS = 86_400_000;
/** Without these the member cannot be reached (healthcheck client) or joined (server, peer) with its own CA. */
const REQUIRED_CERTIFICATES = ['etcd/ca.crt', 'etcd/server.crt', 'etcd/peer.crt', 'etcd/healthcheck-client.crt'];
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export interface AdoptionTarget {
  readonly clusterName: string;
  /** The control-plane host: its kubeadm node name (etcd's member name), address and instance. */
  readonly member: { readonly name: string; readonly address: string; readonly instanceId?: string };
  /** How members run once adopted: new ones are started this way; the adopted one keeps its static pod. */
  readonly runtime: ClusterSpec['runtime'];
}

export interface AdoptionFound {
  readonly etcdVersion: string;
  readonly memberName: string;
  /** etcd's member ID in hex, as etcdctl prints it. */
  readonly memberId: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  readonly dataDir: string;
  readonly dataDirBytes: number;
  readonly dbSizeBytes?: number;
  readonly image: string;
  readonly certificates: readonly { readonly file: string; readonly notAfter?: string; readonly daysLeft?: number }[];
  readonly caKey: string;
}

export interface AdoptionPlan {
  readonly found: AdoptionFound;
  /** Why it cannot be adopted as it is; empty when it can. */
  readonly refusals: readonly string[];
  /** What a confirmed run does, in order, in words. */
  readonly actions: readonly string[];
  /** The advertised peer URL is a loopback one: `member update` to the host's address, and one restart. */
  readonly peerUrlFix?: { readonly memberId: string; readonly from: string; readonly to: string };
  /** The spec the record will hold (set when there is no refusal). */
  readonly spec?: ClusterSpec;
  /** etcd's member ID (decimal, as the API gives it). */
  readonly memberIdDecimal: string;
}

function urlParts(url: string): { scheme: string; host: string; port: number } | undefined {
  try {
    const parsed = new URL(url);
    return { scheme: parsed.protocol.replace(/:$/, ''), host: parsed.hostname, port: Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80)) };
  } catch {
    return undefined;
  }
}

function versionAtLeast(version: string, [major, minor]: readonly [number, number]): boolean {
  const [a = 0, b = 0] = version.split('.').map((part) => Number.parseInt(part, 10));
  return a > major || (a === major && b >= minor);
}

function splitList(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** registry.k8s.io/etcd:3.5.16-0 → { repository: registry.k8s.io, tag: 3.5.16-0 } (kubeadm's imageRepository drops "/etcd"). */
export function kubeadmImage(image: string): { repository?: string; tag?: string } {
  const at = image.lastIndexOf(':');
  if (at <= image.lastIndexOf('/')) return {};
  const name = image.slice(0, at);
  const tag = image.slice(at + 1);
  return { ...(name.endsWith('/etcd') && { repository: name.slice(0, -'/etcd'.length) }), tag };
}

export function planAdoption(target: AdoptionTarget, facts: AdoptFacts, now: Date): AdoptionPlan {
  const refusals: string[] = [];
  const { flags } = facts.manifest;
  const members = facts.memberList.members;
  const self = members.find((m) => m.ID === facts.status.header.member_id) ?? members[0];
  const certificates = facts.certificates
    .filter((c) => c.present)
    .map((c) => {
      const notAfter = c.notAfter ? new Date(c.notAfter) : undefined;
      const daysLeft = notAfter && !Number.isNaN(notAfter.getTime()) ? Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS) : undefined;
      return { file: c.file, ...(c.notAfter && { notAfter: c.notAfter }), ...(daysLeft !== undefined && { daysLeft }) };
    });
  const found: AdoptionFound = {
    etcdVersion: facts.version.etcdserver,
    memberName: self?.name ?? '',
    memberId: self ? hexId(self.ID) : '',
    peerUrls: self?.peerURLs ?? [],
    clientUrls: self?.clientURLs ?? [],
    dataDir: flags['data-dir'] ?? '/var/lib/etcd',
    dataDirBytes: facts.dataDirBytes,
    ...(facts.status.dbSize !== undefined && { dbSizeBytes: Number(facts.status.dbSize) }),
    image: facts.manifest.image,
    certificates,
    caKey: facts.caKey.present ? `${facts.caKey.type ?? 'unknown'}${facts.caKey.bits ? `-${facts.caKey.bits}` : ''}` : 'missing',
  };

  if (members.length !== 1) {
    refusals.push(`etcd lists ${members.length} members (${members.map((m) => m.name || hexId(m.ID)).join(', ')}); AdoptCluster takes over a single-member etcd`);
  }
  if (self && self.name !== target.member.name) {
    refusals.push(`member.name: etcd's member is named "${self.name}", not "${target.member.name}" (kubeadm names it after the node); pass "${self.name}"`);
  }
  if (!versionAtLeast(facts.version.etcdserver, MIN_VERSION)) {
    refusals.push(`etcd ${facts.version.etcdserver} has no learners (3.4 added them), which growing it needs: upgrade the static pod's image first`);
  }
  for (const file of REQUIRED_CERTIFICATES) {
    const cert = certificates.find((c) => c.file === file);
    if (!cert) refusals.push(`/etc/kubernetes/pki/${file} is missing`);
    else if (cert.daysLeft !== undefined && cert.daysLeft < 0) refusals.push(`/etc/kubernetes/pki/${file} expired on ${cert.notAfter}: renew it first (kubeadm certs renew)`);
  }
  if (!facts.caKey.present) {
    refusals.push('/etc/kubernetes/pki/etcd/ca.key is missing: the CA pair must be kept for the existing client certificates to stay valid');
  } else if (facts.caKey.type !== 'RSA') {
    refusals.push(`the etcd CA key is ${found.caKey}: etcd-ha signs with RSA keys only (node-forge), so it could not issue the new members' certificates`);
  }

  // Peer URL: the host's address, or a loopback one to move to it (the one restart).
  let peerUrlFix: AdoptionPlan['peerUrlFix'];
  let peerPort: number | undefined;
  const peer = self?.peerURLs.length === 1 ? urlParts(self.peerURLs[0]!) : undefined;
  if (self && !peer) {
    refusals.push(`the member advertises ${self.peerURLs.length === 0 ? 'no peer URL' : `${self.peerURLs.length} peer URLs (${self.peerURLs.join(', ')})`}; adopt expects one`);
  } else if (self && peer) {
    peerPort = peer.port;
    if (peer.scheme !== 'https') refusals.push(`the member's peer URL ${self.peerURLs[0]} is not https: peers must use TLS`);
    else if (peer.host !== target.member.address) {
      if (LOOPBACK_HOSTS.has(peer.host)) {
        peerUrlFix = { memberId: self.ID, from: self.peerURLs[0]!, to: `https://${target.member.address}:${peer.port}` };
      } else {
        refusals.push(`the member advertises the peer URL ${self.peerURLs[0]}, neither the host's address ${target.member.address} nor localhost`);
      }
    }
  }

  // Clients: the steps reach the member at https://<address>:<port>; etcd must listen there.
  const listening = splitList(flags['listen-client-urls']).map(urlParts).filter((u) => u !== undefined);
  const onAddress = listening.find((u) => u.scheme === 'https' && (u.host === target.member.address || u.host === '0.0.0.0'));
  if (!onAddress) refusals.push(`etcd does not listen for clients on https://${target.member.address} (--listen-client-urls=${flags['listen-client-urls'] ?? ''})`);
  const metricsPort = splitList(flags['listen-metrics-urls']).map(urlParts).find((u) => u !== undefined)?.port ?? KUBEADM_DEFAULT_METRICS_PORT;

  let spec: ClusterSpec | undefined;
  if (refusals.length === 0 && onAddress && peerPort !== undefined) {
    const image = target.runtime === 'kubeadm' ? kubeadmImage(facts.manifest.image) : {};
    try {
      spec = parseRecordedClusterSpec({
        clusterName: target.clusterName,
        members: [{ name: target.member.name, address: target.member.address, ...(target.member.instanceId && { instanceId: target.member.instanceId }) }],
        allowSingleMember: true,
        runtime: target.runtime,
        etcd: {
          clientPort: onAddress.port,
          peerPort,
          metricsPort,
          dataDir: found.dataDir,
          ...(image.tag && { imageTag: image.tag }),
          ...(image.repository && { imageRepository: image.repository }),
        },
      });
    } catch (error) {
      if (!(error instanceof SpecValidationError)) throw error;
      refusals.push(...error.problems);
    }
  }

  const actions = [
    'the host puts its own PKI (the etcd CA pair, its server and peer pairs, the healthcheck and apiserver-etcd-client pairs) into a one-time upload slot that only it may write, closed when the step ends; the CA is kept, so every existing client certificate stays valid',
    'a snapshot of the member is kept (Snapshot Before Change) before anything on etcd or the host changes',
    ...(peerUrlFix
      ? [`etcd member update ${hexId(peerUrlFix.memberId)} --peer-urls=${peerUrlFix.to} (was ${peerUrlFix.from}), then ONE restart of etcd: its static pod manifest's peer URL flags change and kubelet restarts it (the API server waits for etcd for those seconds)`]
      : ['no restart: the member already advertises its address']),
    `record cluster ${target.clusterName} with 1 member (${target.member.name}); from then on it is renewed and healed like any member`,
    `then grow it with ScaleCluster: etcd-ha scale --cluster ${target.clusterName} --members 3 (locally: etcd-ha local scale --members 3)`,
  ];
  return { found, refusals, actions, ...(peerUrlFix && { peerUrlFix }), ...(spec && { spec }), memberIdDecimal: self?.ID ?? '' };
}
