// Generate PKI: kubeadm's etcd certificates into the secret store. A first provisioning records the cluster as
// bootstrapping first (bootstrapping-record.ts): a CA is made or reused only for a recorded cluster. Re-runs reuse
// the CA and reissue a leaf only when needed; the output names secrets, never their values.
import { parseOrThrow } from '../core/parse';
import { ensureClusterPkiConcurrently } from '../core/pki/bundle';
import { caIdOf } from '../core/pki/ca-id';
import type { StepDeps } from './deps';
import { SpecAndHostsSchema, type PkiRefs } from './inputs';
import { loadClusterPki, pkiRefs, saveClusterPki } from './pki-secrets';
import { recordClusterBeforeCa } from './bootstrapping-record';
import { LockRefSchema } from './replace/inputs';
import { noteIssuedCertificates, withoutRevokedMembers } from './revocation-ledger';

export function makeGeneratePki(deps: Pick<StepDeps, 'secrets' | 'registry' | 'clock' | 'log'>) {
  return async function generatePki(input: unknown): Promise<PkiRefs> {
    const { spec, hosts } = parseOrThrow(SpecAndHostsSchema, input, 'Generate PKI input');
    const refs = pkiRefs(deps.secrets, spec.clusterName, hosts.map((h) => h.name));
    // Certificates carry the resolved addresses: the spec may have named only instances.
    const addressed = { ...spec, members: hosts.map((h) => ({ name: h.name, address: h.address, instanceId: h.instanceId })) };
    const lockOwner = LockRefSchema.safeParse((input as { lock?: unknown } | null)?.lock).data?.owner;
    await recordClusterBeforeCa(deps, { spec, hosts, refs, lockOwner });
    // A revoked pair is never handed out again; every pair handed out is noted for its revocation (revocation-ledger.ts).
    const existing = await withoutRevokedMembers(deps.secrets, spec.clusterName, await loadClusterPki(deps.secrets, refs));
    const { pki, actions } = await ensureClusterPkiConcurrently(existing, addressed, deps.clock.now());
    await noteIssuedCertificates(deps.secrets, spec.clusterName, pki);
    const written = await saveClusterPki(deps.secrets, refs, pki, hosts, spec.clusterName);
    const issued = actions.filter((a) => a.action !== 'reused').map((a) => `${a.cert}${a.member ? `/${a.member}` : ''}: ${a.action}${a.reason ? ` (${a.reason})` : ''}`);
    deps.log.info('pki ensured', { cluster: spec.clusterName, issued, secretsWritten: written.length });
    return { ...refs, issued, caId: caIdOf(pki.ca.certPem) };
  };
}
