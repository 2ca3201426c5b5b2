// Push Revocation List: the CRL onto every member's host (install-crl.sh), all at once. It goes out before any
// member is given --client-crl-file/--peer-crl-file (etcd refuses every connection while the file is missing), and
// again after every membership change (etcd reads it on each connection: no restart). A host that must load it
// (`mustReach`: a joining member, or every member while provisioning) fails the step when it cannot get it; another
// one (a member that is down, its instance stopped) is reported and gets the list at the next change.
import { z } from 'zod';
import { buildHostCommand } from '../host-scripts';
import { parseOrThrow } from '../core/parse';
import { ClusterSpecSchema } from '../core/spec';
import { HostScriptFailedError } from '../core/errors';
import type { Host } from '../ports';
import type { StepDeps } from './deps';
import { HostSchema } from './inputs';
import { describeHost, runOnHost } from './run-on-host';

const PushCrlInputSchema = z.object({
  spec: ClusterSpecSchema,
  hosts: z.array(HostSchema).min(1),
  /** The CRL (Sign Revocation List's output). */
  crl: z.string().startsWith('-----BEGIN X509 CRL-----', { error: 'must be a PEM CRL (-----BEGIN X509 CRL-----)' }),
  /** Hosts that must get it (by member name). @default - every host */
  mustReach: z.array(z.string().min(1)).optional(),
});

export interface PushCrlResult {
  readonly installed: string[];
  /** Hosts that could not get it, with why: only hosts outside `mustReach`. */
  readonly missed: string[];
}

export function makePushRevocationList(deps: Pick<StepDeps, 'runner' | 'log' | 'hostCommandTimeoutSeconds'>) {
  return async function pushRevocationList(raw: unknown): Promise<PushCrlResult> {
    const { spec, hosts, crl, mustReach } = parseOrThrow(PushCrlInputSchema, raw, 'Push Revocation List input');
    const must = new Set(mustReach ?? hosts.map((h) => h.name));
    const unknown = [...must].filter((name) => !hosts.some((h) => h.name === name));
    if (unknown.length > 0) throw new HostScriptFailedError(`Push Revocation List: mustReach names ${unknown.join(', ')}, not among the hosts`);
    const command = buildHostCommand('install-crl', { CRL_PEM_B64: Buffer.from(crl, 'utf8').toString('base64') });
    // One run per host: a host SSM cannot reach must not hide the others' results.
    const outcomes = await Promise.allSettled(hosts.map((host) => runOnHost(deps, 'Push Revocation List', host, command)));
    const failures = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [{ host: hosts[i]!, error: o.reason as Error }] : []));
    const fatal = failures.find((f) => must.has(f.host.name));
    if (fatal) throw fatal.error;
    const missed = failures.map((f: { host: Host; error: Error }) => `${describeHost(f.host)}: ${f.error.message.split('\n')[0]}`);
    if (missed.length > 0) deps.log.warn('revocation list not delivered to some members', { cluster: spec.clusterName, missed });
    return { installed: hosts.filter((h) => !failures.some((f) => f.host === h)).map((h) => h.name), missed };
  };
}
