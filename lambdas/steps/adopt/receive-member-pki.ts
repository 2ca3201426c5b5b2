// Receive Member PKI: the adopted host's own PKI becomes the cluster's without passing through a command, an output,
// a payload or a log. The cluster is recorded first (bootstrapping, as Generate PKI does before a CA exists), then a
// one-time upload slot is opened that only this host may write (PkiUploadSlots), the host puts its files into it
// itself (upload-adopted-pki.sh, which prints only the SHA-256 of what it put), the step reads and checks them
// (core/adopt/adopted-pki.ts) and stores them as the cluster's secrets, and the slot is closed when the step ends,
// also on failure. The CA is kept: every client certificate it signed stays valid.
import { createHash } from 'node:crypto';
import { AdoptRefusedError } from '../../core/errors';
import { parseOrThrow } from '../../core/parse';
import { adoptedPki } from '../../core/adopt/adopted-pki';
import { caIdOf } from '../../core/pki/ca-id';
import { ADOPT_UPLOAD_ITEM } from '../../catalog/contracts';
import { buildHostCommand } from '../../host-scripts';
import type { PkiUploadSlots } from '../../ports';
import type { StepDeps } from '../deps';
import type { PkiRefs } from '../inputs';
import { pkiRefs, saveClusterPki } from '../pki-secrets';
import { recordClusterBeforeCa } from '../bootstrapping-record';
import { noteIssuedCertificates } from '../revocation-ledger';
import { runOnHost } from '../run-on-host';
import { ReceiveInputSchema } from './inputs';

const SHA_LINE = /^ETCD_HA_UPLOAD_SHA256=([0-9a-f]{64})$/m;

export interface ReceivedPki {
  readonly refs: PkiRefs;
  readonly caId: string;
  /** Pairs kept although they differ from etcd-ha's profile (reissued by the next Generate PKI). */
  readonly notes: readonly string[];
}

export function makeReceiveMemberPki(deps: Pick<StepDeps, 'secrets' | 'registry' | 'runner' | 'clock' | 'log' | 'hostCommandTimeoutSeconds' | 'secretRegion'> & { readonly uploadSlots: PkiUploadSlots }) {
  return async function receiveMemberPki(raw: unknown): Promise<ReceivedPki> {
    const { spec, host, lock } = parseOrThrow(ReceiveInputSchema, raw, 'Receive Member PKI input');
    const refs = pkiRefs(deps.secrets, spec.clusterName, [host.name]);
    await recordClusterBeforeCa(deps, { spec, hosts: [host], refs, lockOwner: lock.owner });
    const slot = await deps.uploadSlots.open(spec.clusterName, host.name, host);
    try {
      const result = await runOnHost(
        deps,
        'Upload Member PKI',
        host,
        buildHostCommand('upload-adopted-pki', { UPLOAD_SECRET_ID: slot.secretId, ...(deps.secretRegion && { SECRET_REGION: deps.secretRegion }) }),
      );
      const told = SHA_LINE.exec(result.stdoutTail)?.[1];
      const text = await deps.uploadSlots.read(slot.secretId);
      if (text === undefined) throw new AdoptRefusedError(`Upload Member PKI: ${host.name} put nothing into ${deps.secrets.nameFor(spec.clusterName, ADOPT_UPLOAD_ITEM(host.name))}`);
      // What the host says it put must be what arrived: nobody else wrote the slot in between.
      const got = createHash('sha256').update(text, 'utf8').digest('hex');
      if (told !== got) throw new AdoptRefusedError(`Upload Member PKI: the upload's SHA-256 is ${got}, the host said ${told ?? 'nothing'}; refusing it`);
      const { pki, notes } = adoptedPki(text, spec, deps.clock.now());
      await noteIssuedCertificates(deps.secrets, spec.clusterName, pki);
      const written = await saveClusterPki(deps.secrets, refs, pki, [host], spec.clusterName);
      const caId = caIdOf(pki.ca.certPem);
      deps.log.info('member pki received', { cluster: spec.clusterName, member: host.name, caId, secretsWritten: written.length, notes });
      return { refs, caId, notes };
    } finally {
      await deps.uploadSlots.close(slot.secretId);
    }
  };
}
