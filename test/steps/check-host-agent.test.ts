// Check Host Agent, one look at a time: ready only when EC2 says running and SSM says Online; a dead instance
// fails at once, an agent still offline on the last look fails naming what to check; nowhere to look (the
// local runner) is refused. The port is a stand-in here; its EC2/SSM adapter has its own tests.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HostAgentOfflineError, HostNotFoundError, ReplacementHostsUnsupportedError, SpecValidationError } from '../../lambdas/core/errors';
import type { HostAgentStatus, Logger, ReplacementHosts } from '../../lambdas/ports';
import { NOT_FOUND_GRACE_LOOKS, makeCheckHostAgent } from '../../lambdas/steps/replace/check-host-agent';

const quiet: Logger = { info: () => undefined, warn: () => undefined };
const ID = 'i-0cccccccccccccccc';

function hostsAnswering(status: HostAgentStatus): ReplacementHosts {
  return {
    launchCloneOf: async () => assert.fail('Check Host Agent launches nothing'),
    agentStatus: async (id) => {
      assert.equal(id, ID);
      return status;
    },
  };
}

const check = (status: HostAgentStatus, attempt = 0, maxAttempts = 40) =>
  makeCheckHostAgent({ log: quiet, replacementHosts: hostsAnswering(status) })({ instanceId: ID, attempt, maxAttempts });

describe('Check Host Agent', () => {
  const cases: Array<[string, HostAgentStatus, boolean]> = [
    ['running and Online', { state: 'running', agent: 'Online' }, true],
    ['pending, agent not registered yet', { state: 'pending', agent: 'not registered' }, false],
    ['running, agent not registered yet', { state: 'running', agent: 'not registered' }, false],
    ['running, agent lost its connection', { state: 'running', agent: 'ConnectionLost' }, false],
    ['pending but Online (not yet running)', { state: 'pending', agent: 'Online' }, false],
  ];
  for (const [title, status, ready] of cases) {
    it(`${title}: ready ${ready}, and counts the look`, async () => {
      assert.deepEqual(await check(status, 2), { ...status, ready, attempt: 3 });
    });
  }

  it('fails on the last look while the agent is offline, naming the instance, the agent and what to check', async () => {
    await assert.rejects(check({ state: 'running', agent: 'not registered' }, 39, 40), (error: Error) => {
      assert.ok(error instanceof HostAgentOfflineError);
      assert.match(error.message, /replacement instance i-0cccccccccccccccc is running but its SSM agent is not registered after 40 checks/);
      assert.match(error.message, /AmazonSSMManagedInstanceCore/);
      assert.match(error.message, /Membership is unchanged/);
      return true;
    });
    assert.equal((await check({ state: 'running', agent: 'Online' }, 39, 40)).ready, true, 'online on the last look is in time');
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
    assert.deepEqual(await check(notFound, NOT_FOUND_GRACE_LOOKS - 1), { ...notFound, ready: false, attempt: NOT_FOUND_GRACE_LOOKS });
    await assert.rejects(check(notFound, NOT_FOUND_GRACE_LOOKS), (error: Error) => error instanceof HostNotFoundError && /is not known to EC2 after 4 checks/.test(error.message));
  });

  it('refuses where no replacement hosts are launched (the local runner), and bad input naming the field', async () => {
    await assert.rejects(makeCheckHostAgent({ log: quiet })({ instanceId: ID, attempt: 0, maxAttempts: 3 }), ReplacementHostsUnsupportedError);
    await assert.rejects(check({ state: 'running', agent: 'Online' }, -1), (error: Error) => error instanceof SpecValidationError && /attempt/.test(error.message));
  });
});
