// The pure helpers of the SSM host runner: status mapping, tails, chunks, comment and size. No I/O.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  SSM_MAX_PARAMETERS_BYTES,
  chunk,
  commandComment,
  invocationOutcome,
  outputTail,
  parametersBytes,
  runShellScriptParameters,
  tailBytes,
  type InvocationOutcome,
  type InvocationState,
} from '../../../lambdas/adapters/aws/ssm-invocation';

describe('invocationOutcome', () => {
  const cases: Array<[InvocationState, InvocationOutcome]> = [
    [{ Status: 'Pending', StatusDetails: 'Pending', ResponseCode: -1 }, { kind: 'pending', delivered: false }],
    [{ Status: 'Delayed', StatusDetails: 'Delayed', ResponseCode: -1 }, { kind: 'pending', delivered: false }],
    [{ Status: 'InProgress', StatusDetails: 'InProgress', ResponseCode: -1 }, { kind: 'pending', delivered: true }],
    [{ Status: 'Cancelling', StatusDetails: 'Cancelling' }, { kind: 'pending', delivered: false }],
    [{}, { kind: 'pending', delivered: false }],
    [{ Status: 'SomethingNew' }, { kind: 'pending', delivered: true }],
    [{ Status: 'Success', StatusDetails: 'Success', ResponseCode: 0 }, { kind: 'exited', exitCode: 0 }],
    [{ Status: 'Failed', StatusDetails: 'Failed', ResponseCode: 3 }, { kind: 'exited', exitCode: 3 }],
    [{ Status: 'Failed', StatusDetails: 'Failed', ResponseCode: 127 }, { kind: 'exited', exitCode: 127 }],
    [{ Status: 'Failed', StatusDetails: 'Failed' }, { kind: 'exited', exitCode: 1 }],
    [{ Status: 'Failed', StatusDetails: 'Failed', ResponseCode: 0 }, { kind: 'exited', exitCode: 1 }],
    [{ Status: 'Failed', StatusDetails: 'Failed', ResponseCode: -1 }, { kind: 'unreachable', reason: 'Failed (Failed, response code -1: never started)' }],
    [{ Status: 'TimedOut', StatusDetails: 'ExecutionTimedOut', ResponseCode: -1 }, { kind: 'timed-out', reason: 'ExecutionTimedOut' }],
    [{ Status: 'TimedOut' }, { kind: 'timed-out', reason: 'TimedOut' }],
    [{ Status: 'TimedOut', StatusDetails: 'DeliveryTimedOut' }, { kind: 'unreachable', reason: 'DeliveryTimedOut' }],
    [{ Status: 'TimedOut', StatusDetails: 'Delivery Timed Out' }, { kind: 'unreachable', reason: 'DeliveryTimedOut' }],
    [{ Status: 'Failed', StatusDetails: 'Undeliverable', ResponseCode: -1 }, { kind: 'unreachable', reason: 'Undeliverable' }],
    [{ Status: 'Failed', StatusDetails: 'Terminated' }, { kind: 'unreachable', reason: 'Terminated' }],
    [{ Status: 'Cancelled', StatusDetails: 'Cancelled' }, { kind: 'unreachable', reason: 'Cancelled (Cancelled)' }],
  ];
  for (const [state, outcome] of cases) {
    it(`${state.Status ?? '(none)'} / ${state.StatusDetails ?? '(none)'} / ${state.ResponseCode ?? '(none)'} → ${outcome.kind}`, () => {
      assert.deepEqual(invocationOutcome(state), outcome);
    });
  }
});

describe('tailBytes and outputTail', () => {
  it('leaves text up to the limit alone', () => {
    assert.equal(tailBytes('abc', 3), 'abc');
    assert.equal(tailBytes('', 3), '');
  });

  it('keeps the last bytes and marks the cut', () => {
    assert.equal(tailBytes('abcdef', 3), '…def');
    const long = 'x'.repeat(10_000) + 'the end';
    const tail = tailBytes(long);
    assert.equal(Buffer.byteLength(tail.slice(1)), 4096);
    assert.ok(tail.endsWith('the end'));
  });

  it('never starts in the middle of a multi-byte character', () => {
    // "é" is 2 bytes: a 5-byte window starts on the second byte of one "é" and must skip it.
    assert.equal(tailBytes('éééé', 5), '…éé');
    assert.equal(tailBytes('a€€', 4), '…€'); // "€" is 3 bytes
  });

  it('says when SSM kept only the head of the output, and where the rest is', () => {
    assert.equal(outputTail('short', 8_000), 'short');
    assert.equal(outputTail(undefined, 8_000), '');
    const full = 'e'.repeat(8_000);
    assert.equal(outputTail(full, 8_000, 's3://b/k'), `[SSM returned only the first 8000 characters; full output: s3://b/k]\n…${'e'.repeat(4096)}`);
    assert.match(outputTail(full, 8_000), /^\[SSM returned only the first 8000 characters; full output only in S3\/CloudWatch Logs when configured\]\n…e+$/);
  });
});

describe('chunk', () => {
  it('splits into chunks of at most 50 by default', () => {
    const ids = Array.from({ length: 120 }, (_, i) => i);
    assert.deepEqual(chunk(ids).map((c) => c.length), [50, 50, 20]);
    assert.deepEqual(chunk(ids).flat(), ids);
    assert.deepEqual(chunk(Array.from({ length: 50 }, (_, i) => i)).map((c) => c.length), [50]);
    assert.deepEqual(chunk([]), []);
    assert.deepEqual(chunk([1, 2, 3], 2), [[1, 2], [3]]);
  });

  it('refuses a size that is not a positive integer', () => {
    assert.throws(() => chunk([1], 0), /positive integer, got 0/);
  });
});

describe('commandComment', () => {
  it('keeps a title of up to 100 characters', () => {
    assert.equal(commandComment('Start Etcd'), 'Start Etcd');
    assert.equal(commandComment('a'.repeat(100)), 'a'.repeat(100));
  });

  it('cuts a longer title to 100 characters, never inside a surrogate pair', () => {
    assert.equal(commandComment('a'.repeat(150)), `${'a'.repeat(99)}…`);
    const emoji = `${'a'.repeat(98)}😀tail`; // the pair sits at units 98-99
    const cut = commandComment(emoji);
    assert.equal(cut, `${'a'.repeat(98)}…`);
    assert.ok(cut.length <= 100);
  });
});

describe('runShellScriptParameters and parametersBytes', () => {
  it('builds AWS-RunShellScript parameters', () => {
    assert.deepEqual(runShellScriptParameters('echo hi', 600), { commands: ['echo hi'], executionTimeout: ['600'] });
  });

  it('measures bytes as sent (UTF-8 JSON), never fewer than the text bytes', () => {
    const text = 'é\n"'.repeat(10);
    const bytes = parametersBytes(runShellScriptParameters(text, 600));
    assert.ok(bytes > Buffer.byteLength(text, 'utf8'));
    assert.equal(bytes, Buffer.byteLength(JSON.stringify({ commands: [text], executionTimeout: ['600'] }), 'utf8'));
    assert.equal(SSM_MAX_PARAMETERS_BYTES, 65_536);
  });
});
