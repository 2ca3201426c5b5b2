// Issue Control-Plane Bundles: per control-plane host, a copy of etcd's CA certificate and the apiserver-etcd-client
// pair as a bundle secret of its own, tagged with the host's instance (on AWS the entry adds the instance ARN tag the
// ControlPlaneHostPolicy matches), so that each host can read only its own. The store writes a new version only when
// the content changed (a renewed pair): the output lists those, never a value.
import { SecretMissingError } from '../../core/errors';
import { controlPlaneHostFiles } from '../../core/control-plane/client-bundle';
import { encodeMemberBundle } from '../../core/pki/member-bundle';
import { parseOrThrow } from '../../core/parse';
import { CLUSTER_TAG, CONTROL_PLANE_BUNDLE_ITEM, CONTROL_PLANE_TAG, INSTANCE_ID_TAG } from '../../catalog/contracts';
import type { StepDeps } from '../deps';
import { SECRET_ITEMS } from '../pki-secrets';
import { HostsInputSchema } from './inputs';

export function makeIssueControlPlaneBundles(deps: Pick<StepDeps, 'secrets' | 'log'>) {
  return async function issueControlPlaneBundles(raw: unknown): Promise<{ bundles: Record<string, string>; written: string[] }> {
    const { clusterName, hosts } = parseOrThrow(HostsInputSchema, raw, 'Issue Control-Plane Bundles input');
    const clientName = deps.secrets.nameFor(clusterName, SECRET_ITEMS.apiserverEtcdClient);
    const text = await deps.secrets.get(clientName);
    if (text === undefined) throw new SecretMissingError(`secret ${clientName} is missing: run ProvisionCluster first`);
    const { certPem, keyPem, caCertPem } = JSON.parse(text) as { certPem: string; keyPem: string; caCertPem: string };
    const value = encodeMemberBundle(controlPlaneHostFiles(caCertPem, { certPem, keyPem }));
    const refs = await Promise.all(
      hosts.map((host) =>
        deps.secrets.put(deps.secrets.nameFor(clusterName, CONTROL_PLANE_BUNDLE_ITEM(host.name)), value, {
          description: `etcd client files of control-plane host ${host.name} of ${clusterName}: CA certificate, apiserver-etcd-client pair`,
          tags: { [CLUSTER_TAG]: clusterName, [CONTROL_PLANE_TAG]: clusterName, ...(host.instanceId && { [INSTANCE_ID_TAG]: host.instanceId }) },
        }),
      ),
    );
    const bundles = Object.fromEntries(hosts.map((host, i) => [host.name, refs[i]!.name]));
    const written = refs.filter((ref) => ref.changed).map((ref) => ref.name);
    deps.log.info('control-plane bundles', { cluster: clusterName, bundles: Object.values(bundles), written });
    return { bundles, written };
  };
}
