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
import { generateKeyPem, type CertKeyPair } from './issue';
import { ensureCa, issuePlannedLeaf, planLeaf, type CaResult, type LeafPlan, type LeafResult } from './reconcile';

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
 * reissues stale leaves, and drops members that left the spec. Generates the keys it needs one after
 * another; ensureClusterPkiConcurrently does the same with the keys generated in parallel.
 * @throws MemberAddressMissingError (before issuing anything) when a member has no address.
 * @throws CaKeyMismatchError, CaUnusableError from ensureCa.
 */
export function ensureClusterPki(existing: Partial<ClusterPki> | undefined, spec: ClusterSpec, now: Date): EnsureClusterPkiResult {
  return issuePlan(planClusterPki(existing, spec, now), spec, now, () => undefined);
}

/**
 * ensureClusterPki, with every key it needs generated at once on the thread pool instead of one after
 * another on the main thread: the same decisions, actions and certificates, in less wall time (RSA key
 * generation is nearly all of it: 3 + 2 × members keys for a new cluster).
 * @throws as ensureClusterPki, also before generating any key.
 */
export async function ensureClusterPkiConcurrently(
  existing: Partial<ClusterPki> | undefined,
  spec: ClusterSpec,
  now: Date,
): Promise<EnsureClusterPkiResult> {
  const keys = (count: number) => Promise.all(Array.from({ length: count }, () => generateKeyPem(spec.certificates.keyAlgorithm)));
  resolveMemberSubjects(spec);
  // Without a CA every certificate is new (no stored leaf is signed by a CA not made yet): all keys at once.
  const pool = existing?.ca === undefined ? await keys(1 + 2 + 2 * spec.members.length) : [];
  const plan = planClusterPki(existing, spec, now, pool.pop());
  const needed = plan.leaves.filter((leaf) => leaf.plan.action !== 'reused').length;
  if (needed > pool.length) pool.push(...(await keys(needed - pool.length)));
  return issuePlan(plan, spec, now, () => pool.pop());
}

/** One leaf certificate: what to issue it for, and what to do about it. */
interface PlannedLeaf {
  readonly profile: CertProfile;
  readonly subject: CertSubject;
  readonly member?: string;
  readonly plan: LeafPlan;
}

interface PkiPlan {
  readonly ca: CaResult;
  /** The two clients, then server and peer per member, in spec order. */
  readonly leaves: readonly PlannedLeaf[];
  readonly droppedMembers: readonly string[];
}

// Every member's names first, so that a missing address fails before any key is generated.
function resolveMemberSubjects(spec: ClusterSpec) {
  return spec.members.map((member) => ({
    member: member.name,
    server: resolveSubject(ETCD_SERVER, spec, member),
    peer: resolveSubject(ETCD_PEER, spec, member),
  }));
}

/** The CA (reused, or issued with `caKeyPem`) and what each leaf needs; issues no leaf. */
function planClusterPki(existing: Partial<ClusterPki> | undefined, spec: ClusterSpec, now: Date, caKeyPem?: string): PkiPlan {
  const memberSubjects = resolveMemberSubjects(spec);
  const storedMembers = existing?.members ?? {};
  const ca = ensureCa(existing?.ca, spec, now, caKeyPem);
  const leaf = (profile: CertProfile, stored: CertKeyPair | undefined, subject: CertSubject, member?: string): PlannedLeaf => ({
    profile,
    subject,
    ...(member !== undefined && { member }),
    plan: planLeaf(stored, profile, subject, ca.pair, spec, now),
  });
  const leaves = [
    leaf(ETCD_HEALTHCHECK_CLIENT, existing?.healthcheckClient, resolveSubject(ETCD_HEALTHCHECK_CLIENT, spec)),
    leaf(APISERVER_ETCD_CLIENT, existing?.apiserverEtcdClient, resolveSubject(APISERVER_ETCD_CLIENT, spec)),
  ];
  for (const { member, server, peer } of memberSubjects) {
    // hasOwn: a member named "constructor" must not find Object.prototype's.
    const stored = Object.hasOwn(storedMembers, member) ? storedMembers[member] : undefined;
    leaves.push(leaf(ETCD_SERVER, stored?.server, server, member), leaf(ETCD_PEER, stored?.peer, peer, member));
  }
  const wanted = new Set(memberSubjects.map((m) => m.member));
  const droppedMembers = Object.keys(storedMembers).filter((name) => !wanted.has(name));
  return { ca, leaves, droppedMembers };
}

/** Issues the plan's new leaves, each with `nextKey()` (undefined: issueCertificate generates one). */
function issuePlan(plan: PkiPlan, spec: ClusterSpec, now: Date, nextKey: () => string | undefined): EnsureClusterPkiResult {
  const actions: PkiAction[] = [{ cert: ETCD_CA.name, action: plan.ca.action }];
  const issued = new Map<PlannedLeaf, CertKeyPair>();
  for (const leaf of plan.leaves) {
    const keyPem = leaf.plan.action === 'reused' ? undefined : nextKey();
    const result = issuePlannedLeaf(leaf.plan, leaf.profile, leaf.subject, plan.ca.pair, spec, now, keyPem);
    actions.push({
      cert: leaf.profile.name,
      ...(leaf.member !== undefined && { member: leaf.member }),
      action: result.action,
      ...(result.reason !== undefined && { reason: result.reason }),
    });
    issued.set(leaf, result.pair);
  }
  const pairOf = (profile: CertProfile, member?: string) => issued.get(plan.leaves.find((l) => l.profile === profile && l.member === member)!)!;
  const members: Record<string, MemberPki> = {};
  for (const { member } of plan.leaves) {
    if (member !== undefined) members[member] = { server: pairOf(ETCD_SERVER, member), peer: pairOf(ETCD_PEER, member) };
  }
  const healthcheckClient = pairOf(ETCD_HEALTHCHECK_CLIENT);
  const apiserverEtcdClient = pairOf(APISERVER_ETCD_CLIENT);
  return { pki: { ca: plan.ca.pair, healthcheckClient, apiserverEtcdClient, members }, actions, droppedMembers: plan.droppedMembers };
}
