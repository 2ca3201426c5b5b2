// Snapshot Before Change: a backend snapshot from a healthy member, kept before membership changes.
import { parseOrThrow } from '../../core/parse';
import type { SnapshotStore } from '../../ports';
import type { StepDeps } from '../deps';
import { ReplaceStateSchema } from './inputs';
import { endpointsOf, withAdmin } from './membership';

export function makeSnapshotBeforeChange(deps: Pick<StepDeps, 'secrets' | 'etcd' | 'log' | 'clock'> & { readonly snapshots: SnapshotStore }) {
  return async function snapshotBeforeChange(raw: unknown): Promise<{ location: string; bytes: number; from: string }> {
    const { spec, hosts, failed, pki } = parseOrThrow(ReplaceStateSchema, raw, 'Snapshot Before Change input');
    const stamp = deps.clock.now().toISOString().replace(/[:.]/g, '-');
    let saved = { location: '', bytes: 0 };
    const { endpoint } = await withAdmin(deps, pki, (admin) =>
      admin.snapshot(endpointsOf(hosts, spec, failed.name), async (chunks) => {
        saved = await deps.snapshots.save(spec.clusterName, `before-replace-${failed.name}-${stamp}`, chunks);
      }),
    );
    deps.log.info('snapshot saved', { cluster: spec.clusterName, ...saved, from: endpoint });
    return { ...saved, from: endpoint };
  };
}
