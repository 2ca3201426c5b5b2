// Restore On Drill Host: one host command, fetch-snapshot + restore-drill.sh. The host fetches the staged snapshot
// (checked against its size and trailer), restores it into a temporary dir, serves it with a temporary etcd on
// loopback ports, counts its keys, and removes it all; its last line says what it held (core/drill/result-line.ts).
import { z } from 'zod';
import { HostScriptFailedError, SpecValidationError } from '../../core/errors';
import { BackupMetadataSchema } from '../../core/backup/metadata';
import { parseDrillResult } from '../../core/drill/result-line';
import type { RestoredFigures } from '../../core/drill/workflow-io';
import { parseOrThrow } from '../../core/parse';
import { buildHostCommand } from '../../host-scripts';
import type { Host } from '../../ports';
import type { StepDeps } from '../deps';
import { HostSchema } from '../inputs';
import { recordedSpec } from '../recorded-spec';
import { runOnHost } from '../run-on-host';

const InputSchema = z.object({
  clusterName: z.string().min(1),
  backup: BackupMetadataSchema,
  host: HostSchema,
  staged: z.object({ uri: z.string().min(1), bytes: z.number().int().positive(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
});

export function makeRestoreOnDrillHost(
  deps: Pick<StepDeps, 'registry' | 'runner' | 'log' | 'hostCommandTimeoutSeconds'> & { readonly drillAddressOf?: (host: Host) => string },
) {
  return async function restoreOnDrillHost(raw: unknown): Promise<RestoredFigures & { host: string }> {
    const { clusterName, backup, host, staged } = parseOrThrow(InputSchema, raw, 'Restore On Drill Host input');
    const record = await deps.registry.get(clusterName);
    if (!record) throw new SpecValidationError('Restore On Drill Host input', [`clusterName: no cluster "${clusterName}" is recorded`]);
    const spec = recordedSpec(record);
    const text = buildHostCommand(['fetch-snapshot', 'restore-drill'], {
      SNAPSHOT_URI: staged.uri,
      SNAPSHOT_BYTES: String(staged.bytes),
      SNAPSHOT_SHA256: staged.sha256,
      RUNTIME: spec.runtime,
      DRILL_ADDRESS: deps.drillAddressOf?.(host) ?? '127.0.0.1',
      // The keys at the backup's revision are what the manifest counted.
      ...(backup.keyCount !== undefined && { BACKUP_REVISION: String(backup.revision) }),
    });
    const result = await runOnHost(deps, 'Restore On Drill Host', host, text);
    const figures = parseDrillResult(result.stdoutTail);
    if (!figures) throw new HostScriptFailedError(`Restore On Drill Host: ${host.name} printed no drill-result line; stdout (tail):\n${result.stdoutTail.trim()}`);
    deps.log.info('drill restored', { cluster: clusterName, backup: backup.name, host: host.name, ...figures });
    return { ...figures, host: host.name };
  };
}
