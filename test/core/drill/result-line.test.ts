import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDrillResult } from '../../../lambdas/core/drill/result-line';

describe('drill result line', () => {
  it('reads the last result line among the script output', () => {
    const out = 'restored with etcdutl 3.5.16\ndrill-result keys=1 revision=2\ntemporary etcd stopped\ndrill-result keys=3 revision=7 keys-at-backup-revision=3 etcd=3.5.16\n';
    assert.deepEqual(parseDrillResult(out), { keys: 3, revision: 7, keysAtBackupRevision: 3, etcdVersion: '3.5.16' });
  });
  it('a compacted backup revision, no tool', () => {
    assert.deepEqual(parseDrillResult('drill-result keys=0 revision=1 keys-at-backup-revision=compacted'), { keys: 0, revision: 1, keysAtBackupRevision: 'compacted' });
  });
  it('nothing usable: undefined', () => {
    for (const out of ['', 'error: cannot restore', 'drill-result keys=x revision=1', 'drill-result keys=1']) assert.equal(parseDrillResult(out), undefined, out);
  });
});
