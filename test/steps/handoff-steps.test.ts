// The handoff steps over the local adapters (DirSnapshotHandoff on a real backup file): Verify Snapshot passes a
// backup that matches its manifest and refuses a flipped byte naming the backup; Stage Snapshot hands out the file
// with its size and trailer; inputs are checked by field. FileMetrics writes one JSON line per point.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHandoffSteps } from '../../lambdas/steps/backup/handoff-steps';
import { DirSnapshotHandoff } from '../../lambdas/adapters/local/dir-snapshot-handoff';
import { FileMetrics } from '../../lambdas/adapters/local/file-metrics';
import type { BackupMetadata } from '../../lambdas/core/backup/metadata';
import { SnapshotCorruptError, SpecValidationError } from '../../lambdas/core/errors';

const quiet = { info() {}, warn() {}, error() {} } as never;

describe('handoff steps over the local adapters', () => {
  const dir = mkdtempSync(join(tmpdir(), 'handoff-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const steps = createHandoffSteps({ handoff: new DirSnapshotHandoff(), log: quiet });

  const backupFile = (name: string, mutate?: (b: Buffer) => void): BackupMetadata => {
    const backend = randomBytes(5000);
    const data = Buffer.concat([backend, createHash('sha256').update(backend).digest()]);
    const path = join(dir, `${name}.db`);
    const written = Buffer.from(data);
    mutate?.(written);
    writeFileSync(path, written);
    return {
      clusterName: 'demo', name, takenAt: '2026-12-05T10:00:00.000Z', location: path, revision: 7, clusterId: 'abc', members: [],
      etcdVersion: '3.5.16', from: 'https://127.0.0.11:2379', bytes: data.length, sha256: data.subarray(data.length - 32).toString('hex'), execution: 'x',
    };
  };

  it('Verify Snapshot passes a matching backup and refuses a flipped byte naming the backup', async () => {
    const good = backupFile('good');
    assert.deepEqual(await steps.verifySnapshot({ backup: good }), { verified: true, bytes: good.bytes, sha256: good.sha256 });
    const bad = backupFile('bad', (b) => {
      b[10]! ^= 0x80;
    });
    await assert.rejects(steps.verifySnapshot({ backup: bad }), (e: Error) => e instanceof SnapshotCorruptError && /is corrupt/.test(e.message));
    await assert.rejects(steps.verifySnapshot({ backup: { ...good, bytes: good.bytes + 5 } }), (e: Error) => e instanceof SnapshotCorruptError && /backup demo\/good has 5032 bytes, its manifest says 5037/.test(e.message));
  });

  it('Stage Snapshot hands out the backup file itself locally; bad input is refused by field', async () => {
    const good = backupFile('staged');
    assert.deepEqual(await steps.stageSnapshot({ backup: good, instanceId: 'local-infra0', purpose: 'run-1' }), { uri: good.location, bytes: good.bytes, sha256: good.sha256 });
    await assert.rejects(steps.stageSnapshot({ backup: good, instanceId: 'local-infra0', purpose: '../x' }), (e: Error) => e instanceof SpecValidationError && /purpose:/.test(e.message));
    await assert.rejects(steps.verifySnapshot({ backup: { ...good, sha256: 'nothex' } }), (e: Error) => e instanceof SpecValidationError && /backup\.sha256/.test(e.message));
    assert.deepEqual(await steps.unstageSnapshots({ clusterName: 'demo', purpose: 'run-1' }), {});
  });

  it('FileMetrics appends one JSON line per point with the namespace and time', async () => {
    const path = join(dir, 'metrics.jsonl');
    const metrics = new FileMetrics({ path, namespace: 'etcd-ha', clock: () => new Date('2026-12-05T12:00:00Z') });
    await metrics.publish([{ name: 'RestoreDrillSucceeded', value: 1, unit: 'Count', dimensions: { Cluster: 'demo' } }, { name: 'RestoreDrillSucceeded', value: 1, unit: 'Count' }]);
    await metrics.publish([]);
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines, [
      { namespace: 'etcd-ha', at: '2026-12-05T12:00:00.000Z', name: 'RestoreDrillSucceeded', value: 1, unit: 'Count', dimensions: { Cluster: 'demo' } },
      { namespace: 'etcd-ha', at: '2026-12-05T12:00:00.000Z', name: 'RestoreDrillSucceeded', value: 1, unit: 'Count' },
    ]);
  });
});
