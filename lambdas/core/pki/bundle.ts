// The cluster's PKI as data: what the PKI secret keeps (ClusterPki) and what one member's host
// receives (memberHostFiles). The CA key stays in the former and never reaches the latter.
import forge from 'node-forge';
import { CaKeyInBundleError } from '../errors';
import type { ClusterSpec } from '../spec';
import {
  APISERVER_ETCD_CLIENT,
  ETCD_CA,
  ETCD_HEALTHCHECK_CLIENT,
  ETCD_PEER,
  ETCD_SERVER,
  resolveSubject,
  type CertName,
  type CertProfile,
  type CertSubject,
} from './cert-profiles';
import type { CertKeyPair } from './issue';
import { ensureCa, ensureLeaf, type LeafResult } from './reconcile';

export interface MemberPki {
  readonly server: CertKeyPair;
  readonly peer: CertKeyPair;
}

export interface ClusterPki {
  readonly ca: CertKeyPair;
  readonly healthcheckClient: CertKeyPair;
  readonly apiserverEtcdClient: CertKeyPair;
  /** Keyed by member name. */
  readonly members: Readonly<Record<string, MemberPki>>;
}

/** A file for a member's host, relative to kubeadm's certificatesDir (/etc/kubernetes/pki). */
export interface HostFile {
  readonly path: string;
  readonly mode: number;
  readonly content: string;
}

export interface PkiAction {
  readonly cert: CertName;
  /** Set for per-member certificates. */
  readonly member?: string;
  readonly action: LeafResult['action'];
  readonly reason?: string;
}

export interface EnsureClusterPkiResult {
  readonly pki: ClusterPki;
  readonly actions: readonly PkiAction[];
  /** Members that had certificates stored but are no longer in the spec; their certificates are dropped. */
  readonly droppedMembers: readonly string[];
}

const CERT_MODE = 0o644;
const KEY_MODE = 0o600;

/**
 * The etcd CA certificate plus the member's own server and peer pairs, as kubeadm lays them out.
 * @throws CaKeyInBundleError when any of it is (or carries) the CA's private key.
 */
export function memberHostFiles(caCertPem: string, memberPair: MemberPki): HostFile[] {
  if (caCertPem.includes('PRIVATE KEY')) throw new CaKeyInBundleError('the CA certificate PEM passed for a host bundle holds a private key');
  const caModulus = (forge.pki.certificateFromPem(caCertPem).publicKey as forge.pki.rsa.PublicKey).n;
  const files: HostFile[] = [{ path: `${ETCD_CA.baseName}.crt`, mode: CERT_MODE, content: caCertPem }];
  for (const [profile, pair] of [
    [ETCD_SERVER, memberPair.server],
    [ETCD_PEER, memberPair.peer],
  ] as const) {
    // Guards against a caller handing over the CA pair (or its key) in place of a member pair.
    if (forge.pki.privateKeyFromPem(pair.keyPem).n.equals(caModulus) || pair.certPem.includes('PRIVATE KEY')) {
      throw new CaKeyInBundleError(`the ${profile.name} pair for a host bundle is the etcd CA's key`);
    }
    files.push({ path: `${profile.baseName}.crt`, mode: CERT_MODE, content: pair.certPem });
    files.push({ path: `${profile.baseName}.key`, mode: KEY_MODE, content: pair.keyPem });
  }
  return files;
}

/**
 * Brings the stored PKI in line with the spec: reuses what still fits, issues what is missing,
 * reissues stale leaves, and drops members that left the spec.
 * @throws MemberAddressMissingError (before issuing anything) when a member has no address.
 * @throws CaKeyMismatchError, CaUnusableError from ensureCa.
 */
export function ensureClusterPki(existing: Partial<ClusterPki> | undefined, spec: ClusterSpec, now: Date): EnsureClusterPkiResult {
  // Resolve every member's names first so a missing address fails before any key is generated.
  const memberSubjects = spec.members.map((member) => ({
    member: member.name,
    server: resolveSubject(ETCD_SERVER, spec, member),
    peer: resolveSubject(ETCD_PEER, spec, member),
  }));
  const storedMembers = existing?.members ?? {};
  const actions: PkiAction[] = [];

  const ca = ensureCa(existing?.ca, spec, now);
  actions.push({ cert: ETCD_CA.name, action: ca.action });
  const leaf = (profile: CertProfile, stored: CertKeyPair | undefined, subject: CertSubject, member?: string) => {
    const result = ensureLeaf(stored, profile, subject, ca.pair, spec, now);
    actions.push({
      cert: profile.name,
      ...(member !== undefined && { member }),
      action: result.action,
      ...(result.reason !== undefined && { reason: result.reason }),
    });
    return result.pair;
  };

  const healthcheckClient = leaf(ETCD_HEALTHCHECK_CLIENT, existing?.healthcheckClient, resolveSubject(ETCD_HEALTHCHECK_CLIENT, spec));
  const apiserverEtcdClient = leaf(APISERVER_ETCD_CLIENT, existing?.apiserverEtcdClient, resolveSubject(APISERVER_ETCD_CLIENT, spec));
  const members: Record<string, MemberPki> = {};
  for (const { member, server, peer } of memberSubjects) {
    // hasOwn: a member named "constructor" must not find Object.prototype's.
    const stored = Object.hasOwn(storedMembers, member) ? storedMembers[member] : undefined;
    members[member] = {
      server: leaf(ETCD_SERVER, stored?.server, server, member),
      peer: leaf(ETCD_PEER, stored?.peer, peer, member),
    };
  }
  const droppedMembers = Object.keys(storedMembers).filter((name) => !Object.hasOwn(members, name));
  return { pki: { ca: ca.pair, healthcheckClient, apiserverEtcdClient, members }, actions, droppedMembers };
}
