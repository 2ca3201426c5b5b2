// How `etcd-ha drill` / `etcd-ha local drill` print DrillRestore's answer: the cluster, the backup, keys, revision and
// ok; a failed drill prints why and exits 1 (its execution's cause lists the drills); -o json is one document.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { printDrillOutcome } from '../../bin/cli/drill-report';
import { drillRequest } from '../../bin/cli/drill';
import { EXIT, UsageError } from '../../bin/cli/output';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { output: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe('drill report', () => {
  it('a passed drill: cluster, backup, keys, revision, host, ok; exit 0', () => {
    const c = capture();
    const code = printDrillOutcome({ status: 'SUCCEEDED', output: { drills: [{ clusterName: 'prod', outcome: 'passed', backup: 'b1', host: 'infra1', keys: 5, revision: 12 }] } }, 'text', c.output);
    assert.equal(code, EXIT.done);
    assert.deepEqual(c.out, ['prod: backup b1: 5 keys, revision 12 (on infra1): ok']);
  });
  it('a failed drill: why, on stderr; exit 1', () => {
    const c = capture();
    const cause = JSON.stringify([{ clusterName: 'prod', outcome: 'failed', backup: 'b1', error: 'HostScriptFailedError', cause: 'Restore On Drill Host failed on infra1\nthe snapshot does not open' }]);
    const code = printDrillOutcome({ status: 'FAILED', error: 'RestoreDrillFailedError', cause }, 'text', c.output);
    assert.equal(code, EXIT.failed);
    assert.deepEqual(c.err, ['prod: backup b1: failed: HostScriptFailedError', '  Restore On Drill Host failed on infra1', '  the snapshot does not open']);
  });
  it('-o json: one document on stdout, the lines on stderr', () => {
    const c = capture();
    printDrillOutcome({ status: 'SUCCEEDED', output: { drills: [] , reason: 'no cluster is recorded' } }, 'json', c.output);
    assert.equal(c.out.length, 1);
    assert.equal(JSON.parse(c.out[0]!).workflow, 'DrillRestore');
    assert.deepEqual(c.err, ['nothing drilled: no cluster is recorded']);
  });
  it('a cluster name the workflow would refuse is refused naming --cluster', () => {
    assert.throws(() => drillRequest('Prod_1'), (e: Error) => e instanceof UsageError && /^--cluster: expected a DNS-1123 label/.test(e.message));
  });
});
