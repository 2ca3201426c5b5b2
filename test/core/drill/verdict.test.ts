import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DRILL_RULES, judgeDrill } from '../../../lambdas/core/drill/verdict';

const [revisionRule, keysRule] = DRILL_RULES as [NonNullable<(typeof DRILL_RULES)[0]>, NonNullable<(typeof DRILL_RULES)[1]>];

describe('drill verdict: revision rule', () => {
  const cases: Array<[string, number, number, boolean]> = [
    ['the same revision', 7, 7, true],
    ['writes between the status and the stream', 7, 9, true],
    ['an untouched cluster: header 1, snapshot 0, restored etcd serves 1', 1, 1, true],
    ['older than the manifest', 7, 6, false],
  ];
  for (const [title, backupRevision, restoredRevision, ok] of cases) {
    it(`${title}: ${ok ? 'holds' : 'fails'}`, () => {
      const check = revisionRule({ revision: backupRevision }, { keys: 0, revision: restoredRevision });
      assert.equal(check.ok, ok, check.detail);
      if (!ok) assert.match(check.detail, /older than the backup's 7/);
    });
  }
});

describe('drill verdict: keys rule', () => {
  it('the keys at the backup revision equal the manifest count', () => {
    assert.equal(keysRule({ revision: 7, keyCount: 3 }, { keys: 4, revision: 9, keysAtBackupRevision: 3 }).ok, true);
  });
  it('a different count at the backup revision fails, naming both', () => {
    const check = keysRule({ revision: 7, keyCount: 3 }, { keys: 2, revision: 7, keysAtBackupRevision: 2 });
    assert.equal(check.ok, false);
    assert.match(check.detail, /2 keys at revision 7, the manifest says 3/);
  });
  it('compacted in the snapshot, head at the backup revision: the head count is compared', () => {
    assert.equal(keysRule({ revision: 7, keyCount: 3 }, { keys: 3, revision: 7, keysAtBackupRevision: 'compacted' }).ok, true);
    assert.equal(keysRule({ revision: 7, keyCount: 3 }, { keys: 1, revision: 7, keysAtBackupRevision: 'compacted' }).ok, false);
  });
  it('compacted and the head moved on: noted, not failed', () => {
    const check = keysRule({ revision: 7, keyCount: 3 }, { keys: 9, revision: 12, keysAtBackupRevision: 'compacted' });
    assert.equal(check.ok, true);
    assert.match(check.detail, /compacted in the snapshot/);
  });
  it('an old manifest without a key count: noted, not compared', () => {
    const check = keysRule({ revision: 7 }, { keys: 5, revision: 7 });
    assert.equal(check.ok, true);
    assert.match(check.detail, /records no key count/);
  });
});

describe('drill verdict', () => {
  it('passes when every rule holds and summarizes what was checked', () => {
    const verdict = judgeDrill({ revision: 7, keyCount: 3 }, { keys: 3, revision: 7, keysAtBackupRevision: 3 });
    assert.equal(verdict.passed, true);
    assert.match(verdict.summary, /restored revision 7 >= the backup's 7; 3 keys at revision 7/);
  });
  it('fails with only the failed checks in its summary', () => {
    const verdict = judgeDrill({ revision: 7, keyCount: 3 }, { keys: 3, revision: 5, keysAtBackupRevision: 3 });
    assert.equal(verdict.passed, false);
    assert.equal(verdict.summary, "restored revision 5 is older than the backup's 7");
  });
});
