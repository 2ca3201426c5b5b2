// The AWS commands in the `etcd-ha` dispatcher: usage mistakes exit 2 with a message, never a stack trace.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../bin/cli/main';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('etcd-ha provision / watch usage', () => {
  it('help lists both commands and where the state machine ARN comes from', async () => {
    const { code, out } = await run(['help']);
    assert.equal(code, 0);
    assert.match(out, /provision \[options\]/);
    assert.match(out, /watch \[options\] <EXECUTION_ARN>/);
    const provisionHelp = await run(['provision', '--help']);
    assert.equal(provisionHelp.code, 0);
    assert.match(provisionHelp.out, /--spec <file>/);
    assert.match(provisionHelp.out, /ProvisionClusterStateMachineArn/);
    assert.match(provisionHelp.out, /etcd-ha:workflow=ProvisionCluster/);
  });

  const mistakes: Array<[string[], RegExp]> = [
    [['provision'], /provision needs --spec FILE/],
    [['provision', '--spec'], /argument missing|--spec/],
    [['provision', '--spec', 'x.json', '--watch'], /unknown option '--watch'/],
    [['watch'], /missing required argument 'EXECUTION_ARN'/],
    [['watch', 'a', 'b'], /too many arguments for 'watch'/],
    [['watch', 'demo-20250314T101502Z'], /EXECUTION_ARN must be a Step Functions execution ARN/],
  ];
  for (const [argv, message] of mistakes) {
    it(`etcd-ha ${argv.join(' ')} → exit 2`, async () => {
      const { code, err } = await run(argv);
      assert.equal(code, 2, err);
      assert.match(err, message);
      assert.doesNotMatch(err, /\n\s+at /, 'no stack trace');
    });
  }
});
