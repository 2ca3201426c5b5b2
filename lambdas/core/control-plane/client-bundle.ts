// What a control-plane host receives (the kubeadm HA guide's three files for external etcd): etcd's CA certificate
// and the apiserver-etcd-client pair, laid out as under /etc/kubernetes/pki. Same bundle format as a member's
// (member-bundle.ts), so that the host fetches and installs it with the same scripts. Never the CA key.
import forge from 'node-forge';
import { CaKeyInBundleError } from '../errors';
import type { HostFile } from '../pki/bundle';
import type { CertKeyPair } from '../pki/issue';

export function controlPlaneHostFiles(caCertPem: string, client: CertKeyPair): HostFile[] {
  if (caCertPem.includes('PRIVATE KEY')) throw new CaKeyInBundleError('the CA certificate PEM passed for a control-plane bundle holds a private key');
  const caModulus = (forge.pki.certificateFromPem(caCertPem).publicKey as forge.pki.rsa.PublicKey).n;
  // Guards against a caller handing over the CA pair in place of the client pair.
  if (client.certPem.includes('PRIVATE KEY') || forge.pki.privateKeyFromPem(client.keyPem).n.equals(caModulus)) {
    throw new CaKeyInBundleError('the apiserver-etcd-client pair for a control-plane bundle is the etcd CA');
  }
  return [
    { path: 'etcd/ca.crt', mode: 0o644, content: caCertPem },
    { path: 'apiserver-etcd-client.crt', mode: 0o644, content: client.certPem },
    { path: 'apiserver-etcd-client.key', mode: 0o600, content: client.keyPem },
  ];
}
