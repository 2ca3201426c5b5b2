// How SsmHostRunner polls GetCommandInvocation until a final status. moto_server answers every invocation
// with a canned "Success", so it cannot produce InvocationDoesNotExist, InProgress, Failed, TimedOut or
// Undeliverable: here, and only here, a small hand-made fake of SSMClient.send plays SSM. The request
// shape against a real SSM API (moto) is proven in test/integration/aws/ssm-host-runner.moto.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  GetCommandInvocationCommand,
  InvalidInstanceId,
  InvocationDoesNotExist,
  SendCommandCommand,
  type GetCommandInvocationCommandOutput,
  type SendCommandCommandInput,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { SsmHostRunner } from '../../../lambdas/adapters/aws/ssm-host-runner';
import { HostCommandTimeoutError, HostUnreachableError } from '../../../lambdas/core/errors';
import type { Host, HostCommand } from '../../../lambdas/ports';

/** One GetCommandInvocation answer; Status is a plain string so that cases read like SSM's documentation. */
type Answer = (Omit<Partial<GetCommandInvocationCommandOutput>, 'Status'> & { Status?: string }) | 'does-not-exist';

/** Plays SSM: `answer(instanceId, n)` gives the n-th (1-based) GetCommandInvocation answer for an instance. */
class FakeSsm {
  readonly sendCommands: SendCommandCommandInput[] = [];
  readonly polls = new Map<string, number>();
  /** The CommandId each instance was polled with. */
  readonly polledCommand = new Map<string, string>();
  sendError: Error | undefined;

  constructor(private readonly answer: (instanceId: string, n: number) => Answer) {}

  async send(command: unknown): Promise<unknown> {
    if (command instanceof SendCommandCommand) {
      if (this.sendError) throw this.sendError;
      this.sendCommands.push(command.input);
      return { Command: { CommandId: `command-${this.sendCommands.length}` } };
    }
    if (command instanceof GetCommandInvocationCommand) {
      const instanceId = command.input.InstanceId!;
      const n = (this.polls.get(instanceId) ?? 0) + 1;
      this.polls.set(instanceId, n);
      this.polledCommand.set(instanceId, command.input.CommandId!);
      const answer = this.answer(instanceId, n);
      if (answer === 'does-not-exist') throw new InvocationDoesNotExist({ message: 'InvocationDoesNotExist', $metadata: {} });
      return { CommandId: command.input.CommandId, InstanceId: instanceId, ...answer };
    }
    throw new Error(`the fake does not play ${(command as object).constructor.name}`);
  }

  asClient(): SSMClient {
    return this as unknown as SSMClient;
  }
}

const success = (stdout = ''): Answer => ({ Status: 'Success', StatusDetails: 'Success', ResponseCode: 0, StandardOutputContent: stdout, StandardErrorContent: '' });
const inProgress: Answer = { Status: 'InProgress', StatusDetails: 'InProgress', ResponseCode: -1, StandardOutputContent: '', StandardErrorContent: '' };

const hosts = (count: number): Host[] =>
  Array.from({ length: count }, (_, i) => ({ name: `infra${i}`, address: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`, instanceId: `i-${String(i).padStart(17, '0')}` }));

const command: HostCommand = { title: 'Start Etcd', text: 'systemctl start etcd', timeoutSeconds: 300 };

/** A runner on a fake clock: every sleep moves time forward at once. */
function runnerOn(fake: FakeSsm, props: { deliveryTimeoutSeconds?: number } = {}) {
  const clock = { ms: 1_000_000, sleeps: 0 };
  const runner = new SsmHostRunner({
    ssm: fake.asClient(),
    pollIntervalMs: 2_000,
    ...props,
    now: () => clock.ms,
    sleep: async (ms) => {
      clock.ms += ms;
      clock.sleeps++;
    },
  });
  return { runner, clock, elapsedSeconds: () => (clock.ms - 1_000_000) / 1000 };
}

describe('SsmHostRunner polling', () => {
  it('treats InvocationDoesNotExist right after SendCommand as "not yet" and keeps polling until Success', async () => {
    const fake = new FakeSsm((_, n) => (n <= 2 ? 'does-not-exist' : success('etcd started\n')));
    const { runner } = runnerOn(fake);
    const results = await runner.run(hosts(1), command);
    assert.deepEqual(results, [{ host: 'infra0', exitCode: 0, stdoutTail: 'etcd started\n', stderrTail: '' }]);
    assert.equal(fake.polls.get('i-00000000000000000'), 3);
  });

  it('returns the exit code of a Failed script (InProgress, then Failed with ResponseCode 3) with its stderr tail', async () => {
    const fake = new FakeSsm((_, n) =>
      n === 1
        ? inProgress
        : { Status: 'Failed', StatusDetails: 'Failed', ResponseCode: 3, StandardOutputContent: 'writing /etc/etcd/etcd.conf\n', StandardErrorContent: 'etcd.service: failed to start\n' },
    );
    const { runner } = runnerOn(fake);
    const results = await runner.run(hosts(1), command);
    assert.deepEqual(results, [{ host: 'infra0', exitCode: 3, stdoutTail: 'writing /etc/etcd/etcd.conf\n', stderrTail: 'etcd.service: failed to start\n' }]);
  });

  it('does not throw on a non-zero exit: every host gets its own result, in the order of the hosts', async () => {
    const fake = new FakeSsm((instanceId) =>
      instanceId.endsWith('1') ? { Status: 'Failed', StatusDetails: 'Failed', ResponseCode: 2, StandardErrorContent: 'no such file' } : success(),
    );
    const { runner } = runnerOn(fake);
    const results = await runner.run(hosts(3), command);
    assert.deepEqual(results.map((r) => [r.host, r.exitCode]), [['infra0', 0], ['infra1', 2], ['infra2', 0]]);
    assert.equal(results[1]?.stderrTail, 'no such file');
  });

  it('throws HostCommandTimeoutError when the script outlives executionTimeout (TimedOut)', async () => {
    for (const timedOut of [
      { Status: 'TimedOut', StatusDetails: 'ExecutionTimedOut', ResponseCode: -1 },
      { Status: 'TimedOut', ResponseCode: -1 },
    ]) {
      const fake = new FakeSsm((_, n) => (n === 1 ? inProgress : timedOut));
      await assert.rejects(runnerOn(fake).runner.run(hosts(1), command), (error: Error) => {
        assert.ok(error instanceof HostCommandTimeoutError, error.message);
        assert.equal(error.name, 'HostCommandTimeoutError');
        assert.match(error.message, /Start Etcd: 1 of 1 host did not finish within executionTimeout 300 s/);
        assert.match(error.message, /infra0 \(i-00000000000000000, command command-1\)/);
        return true;
      });
    }
  });

  it('throws HostUnreachableError naming the instance when SSM cannot deliver (Undeliverable, DeliveryTimedOut, Terminated, Cancelled)', async () => {
    for (const answer of [
      { Status: 'Failed', StatusDetails: 'Undeliverable', ResponseCode: -1 },
      { Status: 'TimedOut', StatusDetails: 'DeliveryTimedOut', ResponseCode: -1 },
      { Status: 'Failed', StatusDetails: 'Terminated', ResponseCode: -1 },
      { Status: 'Cancelled', StatusDetails: 'Cancelled', ResponseCode: -1 },
    ]) {
      const fake = new FakeSsm((instanceId) => (instanceId.endsWith('2') ? answer : success()));
      await assert.rejects(runnerOn(fake).runner.run(hosts(3), command), (error: Error) => {
        assert.ok(error instanceof HostUnreachableError, `${answer.StatusDetails}: ${error.message}`);
        assert.match(error.message, /1 of 3 hosts unreachable through SSM/);
        assert.match(error.message, new RegExp(`infra2 \\(i-00000000000000002, command command-1\\): .*${answer.StatusDetails}`));
        assert.doesNotMatch(error.message, /infra0|infra1/);
        return true;
      });
    }
  });

  it('waits for every host to finish before throwing, so that no invocation is left running', async () => {
    // infra0 is undeliverable at once; infra1 runs for five more polls.
    const fake = new FakeSsm((instanceId, n) =>
      instanceId.endsWith('0') ? { Status: 'Failed', StatusDetails: 'Undeliverable', ResponseCode: -1 } : n < 6 ? inProgress : success(),
    );
    await assert.rejects(runnerOn(fake).runner.run(hosts(2), command), HostUnreachableError);
    assert.equal(fake.polls.get('i-00000000000000000'), 1);
    assert.equal(fake.polls.get('i-00000000000000001'), 6);
  });

  it('gives up at the overall deadline (delivery + execution timeout + margin) on a never-ending InProgress', async () => {
    const fake = new FakeSsm(() => inProgress);
    const { runner, elapsedSeconds } = runnerOn(fake, { deliveryTimeoutSeconds: 60 });
    await assert.rejects(runner.run(hosts(1), command), (error: Error) => {
      assert.ok(error instanceof HostCommandTimeoutError, error.message);
      assert.match(error.message, /no final status after 390 s \(last: InProgress\/InProgress\)/);
      return true;
    });
    assert.equal(elapsedSeconds(), 60 + 300 + 30);
  });

  it('reports a host whose invocation never leaves Pending/Delayed by the deadline as unreachable', async () => {
    const fake = new FakeSsm(() => ({ Status: 'Delayed', StatusDetails: 'Delayed', ResponseCode: -1 }));
    await assert.rejects(runnerOn(fake).runner.run(hosts(1), command), (error: Error) => {
      assert.ok(error instanceof HostUnreachableError, error.message);
      assert.match(error.message, /last: Delayed\/Delayed/);
      return true;
    });
  });

  it('bounds InvocationDoesNotExist by the delivery timeout, not by the whole deadline', async () => {
    const fake = new FakeSsm(() => 'does-not-exist');
    const { runner, elapsedSeconds } = runnerOn(fake, { deliveryTimeoutSeconds: 60 });
    await assert.rejects(runner.run(hosts(1), command), (error: Error) => {
      assert.ok(error instanceof HostUnreachableError, error.message);
      assert.match(error.message, /no invocation visible 60 s after SendCommand \(InvocationDoesNotExist\)/);
      return true;
    });
    assert.equal(elapsedSeconds(), 60);
  });

  it('sends 120 hosts as three SendCommand calls (50 + 50 + 20) and polls each instance of its own command', async () => {
    const fake = new FakeSsm(() => success());
    const many = hosts(120);
    const results = await runnerOn(fake).runner.run(many, command);
    assert.deepEqual(fake.sendCommands.map((c) => c.InstanceIds?.length), [50, 50, 20]);
    assert.deepEqual(fake.sendCommands.flatMap((c) => c.InstanceIds), many.map((h) => h.instanceId));
    assert.deepEqual(results.map((r) => r.host), many.map((h) => h.name));
    assert.deepEqual(
      many.map((h) => fake.polledCommand.get(h.instanceId!)),
      many.map((_, i) => `command-${Math.floor(i / 50) + 1}`),
    );
  });

  it('turns SendCommand InvalidInstanceId (agent not registered) into HostUnreachableError', async () => {
    const fake = new FakeSsm(() => success());
    fake.sendError = new InvalidInstanceId({ message: 'Instances [[i-00000000000000000]] not in a valid state for account 123456789012', $metadata: {} });
    await assert.rejects(runnerOn(fake).runner.run(hosts(1), command), (error: Error) => {
      assert.ok(error instanceof HostUnreachableError, error.message);
      assert.match(error.message, /SSM cannot reach infra0 \(i-00000000000000000\): Instances/);
      assert.equal((error as Error & { cause?: unknown }).cause, fake.sendError);
      return true;
    });
  });

  it('lets any other GetCommandInvocation error through unchanged', async () => {
    const denied = Object.assign(new Error('not authorized to perform ssm:GetCommandInvocation'), { name: 'AccessDeniedException' });
    const fake = new FakeSsm(() => {
      throw denied;
    });
    await assert.rejects(runnerOn(fake).runner.run(hosts(1), command), (error) => error === denied);
  });

  it('keeps about the last 4 KB of output and says when SSM cut the output at 24,000 characters', async () => {
    const stdout = Array.from({ length: 2_500 }, (_, i) => `line ${String(i).padStart(4, '0')}`).join('\n').slice(0, 24_000);
    const fake = new FakeSsm(() => ({ ...(success(stdout) as object), StandardOutputUrl: 'https://s3.amazonaws.com/out/stdout' }));
    const [result] = await runnerOn(fake).runner.run(hosts(1), command);
    const [notice, ...rest] = result!.stdoutTail.split('\n');
    assert.equal(notice, '[SSM returned only the first 24000 characters; full output: https://s3.amazonaws.com/out/stdout]');
    const tail = rest.join('\n');
    assert.ok(tail.startsWith('…'));
    assert.ok(stdout.endsWith(tail.slice(1)));
    assert.equal(Buffer.byteLength(tail.slice(1)), 4096);
  });

  it('refuses, before sending anything, a timeout outside executionTimeout\'s range and two hosts on one instance', async () => {
    const fake = new FakeSsm(() => success());
    const { runner } = runnerOn(fake);
    await assert.rejects(runner.run(hosts(1), { ...command, timeoutSeconds: 0 }), {
      name: 'HostCommandRejectedError',
      message: /timeoutSeconds must be an integer from 1 to 172800 \(AWS-RunShellScript executionTimeout\), got 0/,
    });
    await assert.rejects(runner.run(hosts(1), { ...command, timeoutSeconds: 2.5 }), { name: 'HostCommandRejectedError' });
    const [first] = hosts(1);
    await assert.rejects(runner.run([first!, { ...first!, name: 'infra9' }], command), {
      name: 'HostCommandRejectedError',
      message: /hosts "infra0" and "infra9" share instance i-00000000000000000/,
    });
    assert.equal(fake.sendCommands.length, 0);
  });

  it('validates its props, naming the prop, the limit and the value', () => {
    const ssm = new FakeSsm(() => success()).asClient();
    assert.throws(() => new SsmHostRunner({ ssm, deliveryTimeoutSeconds: 10 }), /deliveryTimeoutSeconds must be an integer from 30 to 2592000 \(SendCommand TimeoutSeconds\), got 10/);
    assert.throws(() => new SsmHostRunner({ ssm, pollIntervalMs: -1 }), /pollIntervalMs must be a number >= 0, got -1/);
    assert.throws(() => new SsmHostRunner({ ssm, outputS3: { bucket: '', prefix: 'x/' } }), /outputS3.bucket must not be empty/);
    assert.throws(() => new SsmHostRunner({ ssm, cloudWatchLogGroup: '' }), /cloudWatchLogGroup must not be empty/);
  });

  it('does nothing for no hosts', async () => {
    const fake = new FakeSsm(() => success());
    assert.deepEqual(await runnerOn(fake).runner.run([], command), []);
    assert.equal(fake.sendCommands.length, 0);
  });
});
