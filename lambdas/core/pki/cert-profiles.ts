// kubeadm's five etcd certificates (cmd/kubeadm/app/phases/certs/certlist.go), declared as data.
// One function (issue.ts) issues any of them; resolveSubject fills in a member's name and addresses.
import { MemberAddressMissingError } from '../errors';
import type { ClusterSpec, Member } from '../spec';
import { memberCertNames } from '../names';

export type CertName = 'etcd-ca' | 'etcd-server' | 'etcd-peer' | 'etcd-healthcheck-client' | 'apiserver-etcd-client';
export type KeyUsage = 'keyCertSign' | 'digitalSignature' | 'keyEncipherment';
export type ExtKeyUsage = 'serverAuth' | 'clientAuth';

/**
 * How a profile's CN and SANs are found: fixed by kubeadm, or from the member plus its stable names (names.ts) plus
 * extra SANs of the spec.
 */
export type SubjectRule =
  | { readonly kind: 'fixed'; readonly commonName: string; readonly dnsNames: readonly string[] }
  | { readonly kind: 'member'; readonly extraSANs: 'serverCertSANs' | 'peerCertSANs' };

export interface CertProfile {
  readonly name: CertName;
  /** Path under kubeadm's certificatesDir (/etc/kubernetes/pki) without extension: adds .crt and .key. */
  readonly baseName: string;
  /** 'member': one per etcd member, named after it; 'cluster': one for the whole cluster. */
  readonly scope: 'cluster' | 'member';
  readonly isCA: boolean;
  /** Always marked critical, like Go's x509 does. */
  readonly keyUsages: readonly KeyUsage[];
  readonly extKeyUsages: readonly ExtKeyUsage[];
  readonly subject: SubjectRule;
  /** Which spec.certificates field gives the validity in days. */
  readonly validity: 'caValidityDays' | 'validityDays';
}

/** CN and SANs of one certificate, resolved for a member (or fixed). */
export interface CertSubject {
  readonly commonName: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

const LEAF_KEY_USAGES: readonly KeyUsage[] = ['digitalSignature', 'keyEncipherment'];

export const ETCD_CA: CertProfile = {
  name: 'etcd-ca',
  baseName: 'etcd/ca',
  scope: 'cluster',
  isCA: true,
  keyUsages: ['keyCertSign', 'digitalSignature', 'keyEncipherment'],
  extKeyUsages: [],
  subject: { kind: 'fixed', commonName: 'etcd-ca', dnsNames: ['etcd-ca'] },
  validity: 'caValidityDays',
};

export const ETCD_SERVER: CertProfile = {
  name: 'etcd-server',
  baseName: 'etcd/server',
  scope: 'member',
  isCA: false,
  keyUsages: LEAF_KEY_USAGES,
  extKeyUsages: ['serverAuth', 'clientAuth'],
  subject: { kind: 'member', extraSANs: 'serverCertSANs' },
  validity: 'validityDays',
};

export const ETCD_PEER: CertProfile = {
  name: 'etcd-peer',
  baseName: 'etcd/peer',
  scope: 'member',
  isCA: false,
  keyUsages: LEAF_KEY_USAGES,
  extKeyUsages: ['serverAuth', 'clientAuth'],
  subject: { kind: 'member', extraSANs: 'peerCertSANs' },
  validity: 'validityDays',
};

// kubeadm >= 1.29 dropped O=system:masters from both client certs, so they carry a CN only.
export const ETCD_HEALTHCHECK_CLIENT: CertProfile = {
  name: 'etcd-healthcheck-client',
  baseName: 'etcd/healthcheck-client',
  scope: 'cluster',
  isCA: false,
  keyUsages: LEAF_KEY_USAGES,
  extKeyUsages: ['clientAuth'],
  subject: { kind: 'fixed', commonName: 'kube-etcd-healthcheck-client', dnsNames: [] },
  validity: 'validityDays',
};

export const APISERVER_ETCD_CLIENT: CertProfile = {
  name: 'apiserver-etcd-client',
  baseName: 'apiserver-etcd-client',
  scope: 'cluster',
  isCA: false,
  keyUsages: LEAF_KEY_USAGES,
  extKeyUsages: ['clientAuth'],
  subject: { kind: 'fixed', commonName: 'kube-apiserver-etcd-client', dnsNames: [] },
  validity: 'validityDays',
};

export const CERT_PROFILES: readonly CertProfile[] = [
  ETCD_CA,
  ETCD_SERVER,
  ETCD_PEER,
  ETCD_HEALTHCHECK_CLIENT,
  APISERVER_ETCD_CLIENT,
];

/**
 * CN and SANs of `profile`; member profiles need `member` with an address.
 * @throws MemberAddressMissingError when a member profile gets a member without address.
 */
export function resolveSubject(profile: CertProfile, spec: ClusterSpec, member?: Member): CertSubject {
  const rule = profile.subject;
  if (rule.kind === 'fixed') {
    return { commonName: rule.commonName, dnsNames: [...rule.dnsNames], ipAddresses: [] };
  }
  if (member === undefined) throw new TypeError(`certificate ${profile.name} is issued per member: pass the member`);
  if (member.address === undefined) throw new MemberAddressMissingError(member.name);
  const extra = spec.certificates[rule.extraSANs];
  return {
    commonName: member.name,
    // The stable names (the member's own and the clients') survive a replacement: a client configured with them
    // verifies every member that ever holds them.
    dnsNames: unique([member.name, 'localhost', ...memberCertNames(spec, member.name), ...extra.filter((san) => !isIpAddress(san))]),
    ipAddresses: unique([member.address, '127.0.0.1', '::1', ...extra.filter(isIpAddress)].map(canonicalIp)),
  };
}

/** The spec has already validated each SAN as an IP or a DNS-1123 name, and DNS names never hold ":". */
export function isIpAddress(value: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(value) || value.includes(':');
}

/** One spelling per address ("0:0::1" and "::1" are the same SAN); the WHATWG URL parser compresses IPv6. */
export function canonicalIp(ip: string): string {
  if (!ip.includes(':')) return ip;
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

// Spec names are DNS-1123 (lower case) and IPs are canonical here, so equal strings mean equal SANs.
function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
