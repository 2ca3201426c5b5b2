// Choose Replacement Host decides where the new member runs: the host the request named, or (AWS, none named)
// a clone of the failed member's instance, or (local) what the directory finds. Ports are stand-ins here that
// record what they were asked; the EC2 adapters have their own tests against moto_server.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SpecValidationError } from '../../lambdas/core/errors';
import type { CloneRequest, HostDirectory, Logger, ReplacementHosts } from '../../lambdas/ports';
import type { Member } from '../../lambdas/core/spec';
import { makeChooseReplacementHost } from '../../lambdas/steps/replace/choose-replacement-host';

const quiet: Logger = { info: () => undefined, warn: () => undefined };
const SPEC = {
  clusterName: 'demo',
  runtime: 'systemd',
  members: [0, 1, 2].map((i) => ({ name: `infra${i}`, address: `10.0.0.${10 + i}`, instanceId: `i-0aaaaaaaaaaaaaaa${i}` })),
};
const HOSTS = SPEC.members.map((m) => ({ ...m }));
const PLACEMENT = { subnetId: 'subnet-0aaaaaaaaaaaaaaa1', securityGroupIds: ['sg-0aaaaaaaaaaaaaaa1'], instanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/etcd' };
const CLONE_PLACEMENT = { subnetId: 'subnet-0aaaaaaaaaaaaaaa1', securityGroupIds: ['sg-0aaaaaaaaaaaaaaa1'], instanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/etcd' };
const FAILED = { name: 'infra1', id: '11', address: '10.0.0.11', instanceId: 'i-0aaaaaaaaaaaaaaa1', placement: PLACEMENT };

/** A directory that gives each member its instance's address: 10.0.9.x for the clone i-0ccc… */
function directory(asked: Member[][]): HostDirectory {
  return {
    resolve: async (_cluster, members) => {
      asked.push([...members]);
      return members.map((m) => ({ name: m.name, address: m.address ?? '10.0.9.9', ...(m.instanceId && { instanceId: m.instanceId }) }));
    },
  };
}

function launcher(requests: CloneRequest[], launched = true): ReplacementHosts {
  return {
    launchCloneOf: async (request) => {
      requests.push(request);
      return { instanceId: 'i-0cccccccccccccccc', address: '10.0.9.9', launched, placement: CLONE_PLACEMENT };
    },
    agentStatus: async () => assert.fail('Choose Replacement Host does not wait'),
  };
}

const input = (replacement: Record<string, unknown>, failed: Record<string, unknown> = FAILED) => ({
  spec: SPEC,
  hosts: HOSTS,
  failed,
  replacement: { name: 'infra3', ...replacement },
  execution: 'exec-1',
});

describe('Choose Replacement Host', () => {
  it('without a named host on AWS, launches a clone of the failed instance (with its recorded placement) and joins it with its instance ID', async () => {
    const requests: CloneRequest[] = [];
    const asked: Member[][] = [];
    const choose = makeChooseReplacementHost({ directory: directory(asked), log: quiet, replacementHosts: launcher(requests) });
    const chosen = await choose(input({}));
    assert.deepEqual(requests, [
      {
        clusterName: 'demo',
        sourceInstanceId: 'i-0aaaaaaaaaaaaaaa1',
        memberName: 'infra3',
        failedMemberName: 'infra1',
        recorded: PLACEMENT,
        idempotencyKey: 'demo/i-0aaaaaaaaaaaaaaa1/infra3/exec-1',
      },
    ]);
    assert.deepEqual(chosen.host, { name: 'infra3', address: '10.0.9.9', instanceId: 'i-0cccccccccccccccc', placement: CLONE_PLACEMENT }, 'as the launch answered');
    assert.deepEqual(chosen.launched, { instanceId: 'i-0cccccccccccccccc', sourceInstanceId: 'i-0aaaaaaaaaaaaaaa1', newlyLaunched: true });
    assert.deepEqual(chosen.hosts.map((h) => h.name), ['infra0', 'infra2', 'infra3'], 'the failed member is out, the clone in');
    // EC2 may not describe a just-launched instance yet: the directory is asked about the remaining members only.
    assert.deepEqual(asked, [[0, 2].map((i) => ({ name: `infra${i}`, address: `10.0.0.${10 + i}`, instanceId: `i-0aaaaaaaaaaaaaaa${i}` }))]);
  });

  it('reports a clone an earlier attempt launched as not newly launched: the workflow still waits on it', async () => {
    const chosen = await makeChooseReplacementHost({ directory: directory([]), log: quiet, replacementHosts: launcher([], false) })(input({}));
    assert.equal(chosen.launched?.newlyLaunched, false);
  });

  it('launches nothing when the request names the instance or the address', async () => {
    for (const named of [{ instanceId: 'i-0dddddddddddddddd' }, { address: '10.0.0.20' }]) {
      const requests: CloneRequest[] = [];
      const chosen = await makeChooseReplacementHost({ directory: directory([]), log: quiet, replacementHosts: launcher(requests) })(input(named));
      assert.deepEqual(requests, []);
      assert.equal(chosen.launched, undefined);
      assert.deepEqual(chosen.host, { name: 'infra3', address: named.address ?? '10.0.9.9', ...(named.instanceId && { instanceId: named.instanceId }) });
    }
  });

  it('locally (no launcher) leaves the host to the directory, as before', async () => {
    const asked: Member[][] = [];
    const chosen = await makeChooseReplacementHost({ directory: directory(asked), log: quiet })(input({}));
    assert.equal(chosen.launched, undefined);
    assert.deepEqual(asked[0]!.at(-1), { name: 'infra3' });
  });

  it('refuses to clone a failed member that has no instance, naming replacement.instanceId, before launching anything', async () => {
    const requests: CloneRequest[] = [];
    const { instanceId: _none, ...withoutInstance } = FAILED;
    await assert.rejects(
      makeChooseReplacementHost({ directory: directory([]), log: quiet, replacementHosts: launcher(requests) })(input({}, withoutInstance)),
      (error: Error) => error instanceof SpecValidationError && /replacement\.instanceId: required: the failed member "infra1" has no EC2 instance to clone/.test(error.message),
    );
    assert.deepEqual(requests, []);
  });
});
