// Check Health: one round of the Wait Until Healthy loop. Asks every member over mTLS (healthcheck
// client) and returns the verdict; "not healthy yet" is a result, not an error, so the loop decides.
import { z } from 'zod';
import { parseOrThrow } from '../core/parse';
import { clientUrl } from '../core/etcd-flags';
import { judgeClusterHealth } from '../core/health';
import type { StepDeps } from './deps';
import { ClusterSpecSchema } from '../core/spec';
import { HostSchema, PkiRefsSchema, type Health } from './inputs';
import { readHealthcheckClient } from './pki-secrets';

const CheckHealthInputSchema = z.object({
  spec: ClusterSpecSchema,
  hosts: z.array(HostSchema).min(1),
  pki: PkiRefsSchema,
  attempt: z.number().int().min(0).default(0),
  /** After a replacement: members still down are reported, not failing (see HealthOptions.tolerateDown). */
  tolerateDown: z.boolean().default(false),
  mustAnswer: z.array(z.string()).default([]),
});

export function makeCheckHealth(deps: Pick<StepDeps, 'secrets' | 'etcd' | 'log' | 'maxAppliedIndexLag'>) {
  return async function checkHealth(raw: unknown): Promise<Health & { leader?: string; down?: string[] }> {
    const { spec, hosts, pki, attempt, tolerateDown, mustAnswer } = parseOrThrow(CheckHealthInputSchema, raw, 'Check Health input');
    const client = await readHealthcheckClient(deps.secrets, pki);
    const admin = deps.etcd.connect(client);
    try {
      const view = await admin.inspect(hosts.map((h) => clientUrl(h.address, spec)));
      const verdict = judgeClusterHealth(
        view,
        { members: hosts, clientPort: spec.etcd.clientPort, peerPort: spec.etcd.peerPort },
        { maxAppliedIndexLag: deps.maxAppliedIndexLag, tolerateDown, mustAnswer },
      );
      deps.log.info(verdict.healthy ? 'cluster healthy' : 'cluster not healthy yet', { cluster: spec.clusterName, attempt: attempt + 1, problems: verdict.problems });
      return {
        healthy: verdict.healthy,
        attempt: attempt + 1,
        problems: [...verdict.problems],
        ...(verdict.down.length > 0 && { down: [...verdict.down] }),
        members: verdict.members.map((m) => ({ name: m.name, id: m.id ?? '', endpoint: m.endpoint, healthy: m.healthy, leader: m.leader, learner: m.learner })),
        ...(verdict.leaderName && { leader: verdict.leaderName }),
      };
    } finally {
      await admin.close();
    }
  };
}
