// Push Client Certificates: each control-plane host fetches its own bundle with its own credentials and installs
// etcd/ca.crt, apiserver-etcd-client.crt and .key (0600) under /etc/kubernetes/pki (fetch-member-pki + install-pki:
// the command carries the secret's name only). Same content: nothing changes on the host.
import { buildHostCommand } from '../../host-scripts';
import { parseOrThrow } from '../../core/parse';
import type { StepDeps } from '../deps';
import { runOnHost } from '../run-on-host';
import { PushInputSchema } from './inputs';

export function makePushClientCertificates(deps: Pick<StepDeps, 'runner' | 'log' | 'hostCommandTimeoutSeconds' | 'secretRegion'>) {
  return async function pushClientCertificates(raw: unknown): Promise<{ hosts: { host: string; changed: boolean }[] }> {
    const { hosts, bundles } = parseOrThrow(PushInputSchema, raw, 'Push Client Certificates input');
    const results = await Promise.all(
      hosts.map(async (host) => {
        const text = buildHostCommand(['fetch-member-pki', 'install-pki'], { MEMBER_SECRET_ID: bundles[host.name] ?? '', ...(deps.secretRegion && { SECRET_REGION: deps.secretRegion }) });
        const result = await runOnHost(deps, 'Push Client Certificates', host, text);
        return { host: host.name, changed: !result.stdoutTail.includes('PKI already up to date') };
      }),
    );
    return { hosts: results };
  };
}
