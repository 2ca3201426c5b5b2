// Update API Server, the roll's next host (hosts[index]; the workflow loops while some remain): kube-apiserver's --etcd-servers and etcd client
// file flags, the restart when they changed, and its health endpoint before the workflow moves to the next host
// (connect-kube-apiserver.sh). Unchanged: nothing written, nothing restarted.
import { SpecValidationError } from '../../core/errors';
import { CONTROL_PLANE_ETCD_FILES } from '../../core/control-plane/external-etcd-config';
import { buildHostCommand } from '../../host-scripts';
import { parseOrThrow } from '../../core/parse';
import type { Host } from '../../ports';
import type { StepDeps } from '../deps';
import { runOnHost } from '../run-on-host';
import { UpdateInputSchema } from './inputs';

export interface ApiServerHealthOptions {
  /** The API server's health endpoint on a host. @default - the script's https://127.0.0.1:6443/livez */
  readonly apiServerLivezUrl?: (host: Host) => string;
  /** How long a host may take to restart and answer 200. @default - the host command timeout minus 15 s */
  readonly apiServerWaitSeconds?: number;
}

export function makeUpdateApiServer(deps: Pick<StepDeps, 'runner' | 'log' | 'hostCommandTimeoutSeconds'> & ApiServerHealthOptions) {
  return async function updateApiServer(raw: unknown): Promise<{ index: number; remaining: number; done: { host: string; changed: boolean }[] }> {
    const { hosts, index, done, endpoints } = parseOrThrow(UpdateInputSchema, raw, 'Update API Server input');
    const host = hosts[index];
    if (host === undefined) throw new SpecValidationError('Update API Server input', [`index: ${index} is past the last of ${hosts.length} hosts`]);
    const text = buildHostCommand('connect-kube-apiserver', {
      ETCD_SERVERS: endpoints.join(','),
      ETCD_CAFILE: CONTROL_PLANE_ETCD_FILES.caFile,
      ETCD_CERTFILE: CONTROL_PLANE_ETCD_FILES.certFile,
      ETCD_KEYFILE: CONTROL_PLANE_ETCD_FILES.keyFile,
      WAIT_SECONDS: String(deps.apiServerWaitSeconds ?? Math.max(5, deps.hostCommandTimeoutSeconds - 15)),
      ...(deps.apiServerLivezUrl && { LIVEZ_URL: deps.apiServerLivezUrl(host) }),
    });
    const result = await runOnHost(deps, 'Update API Server', host, text);
    const changed = result.stdoutTail.includes('etcd-ha: manifest changed');
    deps.log.info(changed ? 'kube-apiserver pointed at etcd and restarted' : 'kube-apiserver already pointed at etcd', { host: host.name, endpoints });
    return { index: index + 1, remaining: hosts.length - index - 1, done: [...done, { host: host.name, changed }] };
  };
}
