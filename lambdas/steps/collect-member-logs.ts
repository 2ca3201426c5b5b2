// Collect Member Logs: the cluster never became healthy. Gathers what to look at — the health
// problems and the log tail of each member that is not healthy — as the execution's failure cause.
import { z } from 'zod';
import { parseOrThrow } from '../core/parse';
import { buildHostCommand } from '../host-scripts';
import type { StepDeps } from './deps';
import { HealthSchema, HostSchema } from './inputs';
import { describeHost } from './run-on-host';

const CollectInputSchema = z.object({ hosts: z.array(HostSchema).min(1), health: HealthSchema }).loose();

export function makeCollectMemberLogs(deps: Pick<StepDeps, 'runner' | 'log' | 'hostCommandTimeoutSeconds'>) {
  return async function collectMemberLogs(raw: unknown): Promise<{ Error: string; Cause: string }> {
    const { hosts, health } = parseOrThrow(CollectInputSchema, raw, 'Collect Member Logs input');
    const healthyNames = new Set(health.members.filter((m) => m.healthy).map((m) => m.name));
    const suspects = hosts.filter((h) => !healthyNames.has(h.name));
    const targets = suspects.length > 0 ? suspects : hosts;
    const results = await deps.runner.run(targets, {
      title: 'Collect Member Logs',
      text: buildHostCommand('collect-etcd-logs', { LINES: '30' }),
      timeoutSeconds: Math.min(deps.hostCommandTimeoutSeconds, 60),
    });
    const logs = targets.map((host) => {
      const result = results.find((r) => r.host === host.name);
      const text = result ? (result.stdoutTail || result.stderrTail).trim() : '(no answer from the host)';
      return `--- ${describeHost(host)}: etcd log (tail) ---\n${text}`;
    });
    const cause = [
      `the cluster did not become healthy after ${health.attempt} checks:`,
      ...health.problems.map((p) => `  - ${p}`),
      ...logs,
    ].join('\n');
    deps.log.warn('cluster not healthy: giving up', { problems: health.problems });
    return { Error: 'ClusterNotHealthyError', Cause: cause };
  };
}
