// Which recorded members answer over etcd right now (mTLS with the cluster's healthcheck client): one status
// call per member, as Read Cluster asks. Shared by Look Again and the health probe.
import { clientUrl } from '../core/etcd-flags';
import type { ClusterRecord } from '../ports';
import type { StepDeps } from './deps';
import { pkiRefs } from './pki-secrets';
import { recordedSpec } from './recorded-spec';
import { withAdmin } from './replace/membership';

export async function memberAnswers(deps: Pick<StepDeps, 'secrets' | 'etcd'>, record: ClusterRecord): Promise<Map<string, boolean>> {
  const spec = recordedSpec(record);
  const pki = pkiRefs(deps.secrets, record.clusterName, record.members.map((m) => m.name));
  const urls = record.members.map((m) => clientUrl(m.address, spec));
  const view = await withAdmin(deps, pki, (admin) => admin.inspect(urls));
  const answered = new Set(view.statuses.filter((s) => s.ok).map((s) => s.endpoint));
  return new Map(record.members.map((m, i) => [m.name, answered.has(urls[i]!)]));
}
