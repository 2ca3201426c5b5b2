// Prepare Joining Host / Reset Joining Host: the joining host runs no etcd and has an empty data dir before
// any membership change (Prepare), and again after a failure that took its learner out (Reset), so that a
// re-run starts a fresh member there instead of the removed learner (reset-joining-host.sh).
import { z } from 'zod';
import { buildHostCommand } from '../../host-scripts';
import { parseOrThrow } from '../../core/parse';
import { ClusterSpecSchema } from '../../core/spec';
import type { StepDeps } from '../deps';
import { HostSchema } from '../inputs';
import { runOnHost } from '../run-on-host';

const ResetInputSchema = z.object({
  spec: ClusterSpecSchema,
  host: HostSchema,
  mode: z.enum(['prepare', 'reset']),
  /** Prepare: move a non-empty data dir aside instead of refusing (the request's `wipeDataDir`). */
  wipeDataDir: z.boolean().default(false),
});

export function makeResetJoiningHost(deps: Pick<StepDeps, 'runner' | 'log' | 'hostCommandTimeoutSeconds'>) {
  return async function resetJoiningHost(raw: unknown): Promise<{ host: string; report: string[] }> {
    const { spec, host, mode, wipeDataDir } = parseOrThrow(ResetInputSchema, raw, 'Reset Joining Host input');
    const title = mode === 'prepare' ? 'Prepare Joining Host' : 'Reset Joining Host';
    const command = buildHostCommand('reset-joining-host', {
      MODE: mode,
      RUNTIME: spec.runtime,
      DATA_DIR: spec.etcd.dataDir,
      WIPE_DATA_DIR: String(wipeDataDir),
    });
    const result = await runOnHost(deps, title, host, command);
    return { host: host.name, report: result.stdoutTail.trim().split('\n').slice(-8) };
  };
}
