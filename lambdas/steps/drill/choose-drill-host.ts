// Choose Drill Host: asks every recorded member and picks one host that answers, a follower when there is one
// (core/drill/drill-host.ts). Its host, as the record keeps it, is where the drill runs.
import { z } from 'zod';
import { EtcdUnavailableError, SpecValidationError } from '../../core/errors';
import { clientUrl } from '../../core/etcd-flags';
import { chooseDrillHost } from '../../core/drill/drill-host';
import { parseOrThrow } from '../../core/parse';
import type { Host } from '../../ports';
import type { StepDeps } from '../deps';
import { pkiRefs } from '../pki-secrets';
import { recordedSpec } from '../recorded-spec';
import { withAdmin } from '../replace/membership';

const InputSchema = z.object({ clusterName: z.string().min(1) });

export interface DrillHostChoice {
  readonly host: Host;
  /** What Stage Snapshot stages for: the host's instance (AWS), or its name (locally, where the stage is the file itself). */
  readonly stageFor: string;
}

export function makeChooseDrillHost(deps: Pick<StepDeps, 'registry' | 'secrets' | 'etcd' | 'directory' | 'log'>) {
  return async function chooseDrillHostStep(raw: unknown): Promise<DrillHostChoice> {
    const { clusterName } = parseOrThrow(InputSchema, raw, 'Choose Drill Host input');
    const record = await deps.registry.get(clusterName);
    if (!record) throw new SpecValidationError('Choose Drill Host input', [`clusterName: no cluster "${clusterName}" is recorded`]);
    const spec = recordedSpec(record);
    const hosts = deps.directory.recorded(clusterName, record.members);
    const candidates = hosts.map((host) => ({ host, name: host.name, endpoint: clientUrl(host.address, spec) }));
    const pki = pkiRefs(deps.secrets, clusterName, record.members.map((m) => m.name));
    // No alarm list: it goes through raft, and a drill writes nothing to the live cluster, not even a WAL entry.
    const view = await withAdmin(deps, pki, (admin) => admin.inspect(candidates.map((c) => c.endpoint), { alarms: false }));
    const chosen = chooseDrillHost(candidates, view);
    if (!chosen) throw new EtcdUnavailableError(`no member of cluster ${clusterName} answered: no host to drill on`);
    deps.log.info('drill host chosen', { cluster: clusterName, host: chosen.name });
    return { host: chosen.host, stageFor: chosen.host.instanceId ?? chosen.host.name };
  };
}
