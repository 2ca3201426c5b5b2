// Check Host Agent, one look at a time: ready only when EC2 says running, SSM says Online and the host's boot
// is over (boot-status.sh: no cloud-init, or done); a dead instance or failed user data fails at once, a host
// still not ready on the last look fails naming what to check; nowhere to look (the local runner) is refused.
// The ports are stand-ins here: the EC2/SSM adapter and boot-status.sh have their own tests.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HostAgentOfflineError, HostNotFoundError, HostScriptFailedError, HostUnreachableError, ReplacementHostsUnsupportedError, SpecValidationError } from '../../lambdas/core/errors';
import type { HostAgentStatus, HostCommand, HostRunner, Logger, ReplacementHosts } from '../../lambdas/ports';
import { NOT_FOUND_GRACE_LOOKS, makeCheckHostAgent } from '../../lambdas/steps/replace/check-host-agent';

const quiet: Logger = { info: () => undefined, warn: () => undefined };
const HOST = { name: 'infra3', address: '10.0.9.9', instanceId: 'i-0cccccccccccccccc' };

function hostsAnswering(status: HostAgentStatus): ReplacementHosts {
  return {
    launchCloneOf: async () => assert.fail('Check Host Agent launches nothing'),
    agentStatus: async (id) => {
      assert.equal(id, HOST.instanceId);
      return status;
    },
  };
}

/** A host runner whose host prints `boot: <boot>` (or fails as `failure` says); records the commands. */
function runnerSaying(boot: string | Error, commands: HostCommand[] = []): HostRunner {
  return {
    run: async (hosts, command) => {
      commands.push(command);
      assert.deepEqual(hosts, [HOST]);
      if (boot instanceof Error) throw boot;
      return [{ host: HOST.name, exitCode: 0, stdoutTail: `boot: ${boot}\n`, stderrTail: '' }];
    },
  };
}

const check = (status: HostAgentStatus, options: { attempt?: number; maxAttempts?: number; boot?: string | Error; commands?: HostCommand[] } = {}) =>
  makeCheckHostAgent({ log: quiet, runner: runnerSaying(options.boot ?? 'done', options.commands), replacementHosts: hostsAnswering(status) })({
    host: HOST,
    attempt: options.attempt ?? 0,
    maxAttempts: options.maxAttempts ?? 40,
  });

const ONLINE: HostAgentStatus = { state: 'running', agent: 'Online' };

describe('Check Host Agent', () => {
  const cases: Array<[string, HostAgentStatus, boolean]> = [
    ['pending, agent not registered yet', { state: 'pending', agent: 'not registered' }, false],
    ['running, agent not registered yet', { state: 'running', agent: 'not registered' }, false],
    ['running, agent lost its connection', { state: 'running', agent: 'ConnectionLost' }, false],
    ['pending but Online (not yet running)', { state: 'pending', agent: 'Online' }, false],
  ];
  for (const [title, status, ready] of cases) {
    it(`${title}: not ready, the host is not asked, and the look is counted`, async () => {
      const commands: HostCommand[] = [];
      assert.deepEqual(await check(status, { attempt: 2, commands }), { ...status, ready, attempt: 3 });
      assert.deepEqual(commands, []);
    });
  }

  const boots: Array<[string, boolean]> = [
    ['done', true],
    ['none', true],
    ['disabled', true],
    ['running', false],
    ['not started', false],
    ['unknown', false],
  ];
  for (const [boot, ready] of boots) {
    it(`running and Online, boot ${boot}: ready ${ready}`, async () => {
      const commands: HostCommand[] = [];
      assert.deepEqual(await check(ONLINE, { boot, commands }), { ...ONLINE, boot, ready, attempt: 1 });
      assert.equal(commands.length, 1);
      assert.equal(commands[0]!.title, 'Check Host Agent');
      assert.match(commands[0]!.text, /boot: none/, 'the command is boot-status.sh');
    });
  }

  it('an agent that does not take the command yet (unreachable) is not ready; other runner errors go through', async () => {
    assert.deepEqual(await check(ONLINE, { boot: new HostUnreachableError('InvalidInstanceId') }), { ...ONLINE, ready: false, attempt: 1 });
    const denied = Object.assign(new Error('not authorized to perform: ssm:SendCommand'), { name: 'AccessDeniedException' });
    await assert.rejects(check(ONLINE, { boot: denied }), (error: Error) => error === denied);
  });

  it('fails at once when the user data failed (cloud-init error), saying where to look', async () => {
    await assert.rejects(check(ONLINE, { boot: 'error' }), (error: Error) => {
      assert.ok(error instanceof HostScriptFailedError);
      assert.match(error.message, /replacement instance i-0cccccccccccccccc booted with errors \(cloud-init status: error\)/);
      assert.match(error.message, /\/var\/log\/cloud-init-output\.log/);
      assert.match(error.message, /Membership is unchanged/);
      return true;
    });
  });

  it('fails on the last look while not ready, naming the instance and what to check', async () => {
    await assert.rejects(check({ state: 'running', agent: 'not registered' }, { attempt: 39, maxAttempts: 40 }), (error: Error) => {
      assert.ok(error instanceof HostAgentOfflineError);
      assert.match(error.message, /replacement instance i-0cccccccccccccccc is running but its SSM agent is not registered\. .*AmazonSSMManagedInstanceCore.* after 40 checks/);
      assert.match(error.message, /Membership is unchanged/);
      return true;
    });
    await assert.rejects(
      check(ONLINE, { attempt: 39, maxAttempts: 40, boot: 'running' }),
      (error: Error) => error instanceof HostAgentOfflineError && /its SSM agent is online but its boot is not over \(cloud-init: running\) after 40 checks/.test(error.message),
    );
    assert.equal((await check(ONLINE, { attempt: 39, maxAttempts: 40 })).ready, true, 'ready on the last look is in time');
  });

  for (const state of ['stopping', 'stopped', 'shutting-down', 'terminated']) {
    it(`fails at once on a ${state} instance, with EC2's reason`, async () => {
      await assert.rejects(
        check({ state, agent: 'not registered', stateReason: 'Server.InsufficientInstanceCapacity: Insufficient capacity.' }),
        (error: Error) => error instanceof HostNotFoundError && error.message.includes(`is ${state} (Server.InsufficientInstanceCapacity`),
      );
    });
  }

  it('waits a few looks for an instance EC2 does not describe yet (eventual consistency after a launch), then fails', async () => {
    const notFound = { state: 'not found', agent: 'not registered' };
    assert.deepEqual(await check(notFound, { attempt: NOT_FOUND_GRACE_LOOKS - 1 }), { ...notFound, ready: false, attempt: NOT_FOUND_GRACE_LOOKS });
    await assert.rejects(check(notFound, { attempt: NOT_FOUND_GRACE_LOOKS }), (error: Error) => error instanceof HostNotFoundError && /is not known to EC2 after 4 checks/.test(error.message));
  });

  it('refuses where no replacement hosts are launched (the local runner), and bad input naming the field', async () => {
    await assert.rejects(makeCheckHostAgent({ log: quiet, runner: runnerSaying('done') })({ host: HOST, attempt: 0, maxAttempts: 3 }), ReplacementHostsUnsupportedError);
    await assert.rejects(check(ONLINE, { attempt: -1 }), (error: Error) => error instanceof SpecValidationError && /attempt/.test(error.message));
    await assert.rejects(
      makeCheckHostAgent({ log: quiet, runner: runnerSaying('done'), replacementHosts: hostsAnswering(ONLINE) })({ host: { name: 'infra3', address: '10.0.9.9' }, attempt: 0, maxAttempts: 3 }),
      (error: Error) => error instanceof SpecValidationError && /host\.instanceId/.test(error.message),
    );
  });
});
