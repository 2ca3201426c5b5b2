// The PKI a kubeadm host put into its upload slot (upload-adopted-pki.sh: the member bundle format, CA key
// included), checked before it becomes the cluster's: the CA is a usable RSA CA whose key matches, every pair's key
// matches its certificate and the CA signed it, and the server and peer certificates name the host's address (new
// members dial it). A pair that fits but differs from etcd-ha's profile (other SANs, a key size) is kept and noted:
// Generate PKI reissues it the next time a workflow runs, and the host keeps its file until then.
import forge from 'node-forge';
import { AdoptRefusedError } from '../errors';
import type { ClusterPki } from '../pki/bundle';
import { APISERVER_ETCD_CLIENT, ETCD_HEALTHCHECK_CLIENT, ETCD_PEER, ETCD_SERVER, resolveSubject, type CertProfile } from '../pki/cert-profiles';
import type { CertKeyPair } from '../pki/issue';
import { decodeMemberBundle } from '../pki/member-bundle';
import { describeCertificate, ensureCa, planLeaf } from '../pki/reconcile';
import type { ClusterSpec } from '../spec';

export interface AdoptedPki {
  readonly pki: ClusterPki;
  /** Pairs kept although they differ from etcd-ha's profile, with why (reissued by the next Generate PKI). */
  readonly notes: readonly string[];
}

function pairOf(files: ReadonlyMap<string, string>, base: string): CertKeyPair {
  const certPem = files.get(`${base}.crt`);
  const keyPem = files.get(`${base}.key`);
  if (certPem === undefined || keyPem === undefined) {
    throw new AdoptRefusedError(`the upload lacks /etc/kubernetes/pki/${base}.${certPem === undefined ? 'crt' : 'key'}`);
  }
  return { certPem, keyPem };
}

function checkPair(label: string, pair: CertKeyPair, ca: forge.pki.Certificate): void {
  let cert: forge.pki.Certificate;
  let key: forge.pki.rsa.PrivateKey;
  try {
    cert = forge.pki.certificateFromPem(pair.certPem);
    key = forge.pki.privateKeyFromPem(pair.keyPem);
  } catch (error) {
    throw new AdoptRefusedError(`${label}: unreadable as an RSA pair (${(error as Error).message})`);
  }
  const pub = cert.publicKey as forge.pki.rsa.PublicKey;
  if (!pub.n?.equals(key.n)) throw new AdoptRefusedError(`${label}: the key does not match the certificate`);
  let signed = false;
  try {
    signed = ca.verify(cert);
  } catch {
    signed = false;
  }
  if (!signed) throw new AdoptRefusedError(`${label}: not signed by the host's etcd CA`);
}

/**
 * The cluster's PKI from the upload's text, for the single member `spec` lists.
 * @throws AdoptRefusedError naming the file and what is wrong; CaUnusableError / CaKeyMismatchError for the CA.
 */
export function adoptedPki(text: string, spec: ClusterSpec, now: Date): AdoptedPki {
  const files = new Map(decodeMemberBundle(text, { allowCaKey: true }).map((f) => [f.path, f.content]));
  const member = spec.members[0];
  if (spec.members.length !== 1 || member?.address === undefined) throw new TypeError('adoptedPki takes the spec of the single adopted member, with its address');
  const caPair = pairOf(files, 'etcd/ca');
  try {
    forge.pki.privateKeyFromPem(caPair.keyPem);
  } catch (error) {
    throw new AdoptRefusedError(`/etc/kubernetes/pki/etcd/ca.key: etcd-ha signs with RSA keys only (${(error as Error).message})`);
  }
  const ca = ensureCa(caPair, spec, now).pair;
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const pairs: [CertProfile, string, CertKeyPair][] = [
    [ETCD_SERVER, 'etcd/server', pairOf(files, 'etcd/server')],
    [ETCD_PEER, 'etcd/peer', pairOf(files, 'etcd/peer')],
    [ETCD_HEALTHCHECK_CLIENT, 'etcd/healthcheck-client', pairOf(files, 'etcd/healthcheck-client')],
    [APISERVER_ETCD_CLIENT, 'apiserver-etcd-client', pairOf(files, 'apiserver-etcd-client')],
  ];
  const notes: string[] = [];
  for (const [profile, base, pair] of pairs) {
    const label = `/etc/kubernetes/pki/${base}.crt`;
    checkPair(label, pair, caCert);
    if (profile.scope === 'member' && !describeCertificate(pair.certPem).ipAddresses.includes(member.address)) {
      throw new AdoptRefusedError(`${label}: does not name the host's address ${member.address}, which the new members dial`);
    }
    const plan = planLeaf(pair, profile, resolveSubject(profile, spec, profile.scope === 'member' ? member : undefined), ca, spec, now);
    if (plan.action === 'reissued') notes.push(`${label}: kept, reissued by the next Generate PKI (${plan.reason})`);
  }
  const [server, peer, healthcheckClient, apiserverEtcdClient] = pairs.map(([, , pair]) => pair) as [CertKeyPair, CertKeyPair, CertKeyPair, CertKeyPair];
  return { pki: { ca, healthcheckClient, apiserverEtcdClient, members: { [member.name]: { server, peer } } }, notes };
}
