// Choose Replacement Host decides where the new member runs: the host the request named, or (AWS, none named)
// a clone of the failed member's instance, or (local) what the directory finds. The remaining members are taken
// as recorded: only the joining host is resolved. Ports are stand-ins here that record what they were asked
// (the directory plays EC2's: a stopped or terminated instance is HostNotFoundError); the EC2 adapters have their
// own tests against moto_server, the loopback directory is the real one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LoopbackHostDirectory } from '../../lambdas/adapters/local/loopback-host-directory';
import { HostNotFoundError, HostNotInClusterError, SpecValidationError, CloneLaunchFailedError, CloneRefusedError } from '../../lambdas/core/errors';
import type { CloneRequest, Host, HostDirectory, Logger, RecordedHost, ReplacementHosts } from '../../lambdas/ports';
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

/**
 * A directory that gives each member its instance's address (10.0.9.9 for one without an address) and, as EC2's
 * does, refuses a member whose instance is stopped or terminated (`dead`); recorded members are taken as they are.
 */
function directory(asked: Member[][], dead: ReadonlySet<string> = new Set(), recordedAsked: RecordedHost[][] = []): HostDirectory {
  return {
    resolve: async (_cluster, members) => {
      asked.push([...members]);
      const gone = members.filter((m) => m.instanceId !== undefined && dead.has(m.instanceId));
      if (gone.length > 0) throw new HostNotFoundError(`no running EC2 instance for: ${gone.map((m) => m.name).join(', ')}`);
      return members.map((m) => ({ name: m.name, address: m.address ?? '10.0.9.9', ...(m.instanceId && { instanceId: m.instanceId }) }));
    },
    recorded: (_cluster, members) => {
      recordedAsked.push([...members]);
      return members.map((m) => ({ ...m }));
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
        members: [{ name: 'infra0' }, { name: 'infra2' }, { name: 'infra1', placement: PLACEMENT }],
        down: [],
        avoidAvailabilityZones: [],
        idempotencyKey: 'demo/i-0aaaaaaaaaaaaaaa1/infra3/exec-1',
      },
    ]);
    assert.deepEqual(chosen.host, { name: 'infra3', address: '10.0.9.9', instanceId: 'i-0cccccccccccccccc', placement: CLONE_PLACEMENT }, 'as the launch answered');
    assert.deepEqual(chosen.launched, { instanceId: 'i-0cccccccccccccccc', sourceInstanceId: 'i-0aaaaaaaaaaaaaaa1', newlyLaunched: true });
    assert.deepEqual(chosen.hosts.map((h) => h.name), ['infra0', 'infra2', 'infra3'], 'the failed member is out, the clone in');
    // EC2 may not describe a just-launched instance yet, and the remaining members are as recorded: EC2 is not asked.
    assert.deepEqual(asked, []);
  });

  it('reports the AZs tried: those avoided so far and the clone\'s own, for Choose Another Zone', async () => {
    const inZoneB: ReplacementHosts = {
      ...launcher([]),
      launchCloneOf: async () => ({ instanceId: 'i-0cccccccccccccccc', address: '10.0.9.9', launched: true, availabilityZone: 'us-east-1b' }),
    };
    const chosen = await makeChooseReplacementHost({ directory: directory([]), log: quiet, replacementHosts: inZoneB })({
      ...input({}),
      avoidAvailabilityZones: ['us-east-1a'],
    });
    assert.deepEqual(chosen.triedZones, ['us-east-1a', 'us-east-1b']);
  });

  it('a launch EC2 refuses for its AZ (no capacity) is tried again avoiding that AZ; the AZs tried are reported', async () => {
    const requests: CloneRequest[] = [];
    const flaky: ReplacementHosts = {
      ...launcher([]),
      launchCloneOf: async (request) => {
        requests.push(request);
        if (!(request.avoidAvailabilityZones ?? []).includes('us-east-1a')) {
          throw new CloneLaunchFailedError('EC2 refused to launch a clone in us-east-1a: InsufficientInstanceCapacity', 'us-east-1a');
        }
        return { instanceId: 'i-0cccccccccccccccc', address: '10.0.9.9', launched: true, availabilityZone: 'us-east-1b' };
      },
    };
    const chosen = await makeChooseReplacementHost({ directory: directory([]), log: quiet, replacementHosts: flaky })(input({}));
    assert.deepEqual(requests.map((r) => r.avoidAvailabilityZones), [[], ['us-east-1a']]);
    assert.notEqual(requests[0]!.idempotencyKey, requests[1]!.idempotencyKey, 'a new launch, not a retry of the refused one');
    assert.deepEqual(chosen.triedZones, ['us-east-1a', 'us-east-1b']);
  });

  it('a launch refused again in an AZ already avoided, or for another reason, fails the step', async () => {
    const refusing = (error: Error): ReplacementHosts => ({ ...launcher([]), launchCloneOf: async () => Promise.reject(error) });
    const choose = (hosts: ReplacementHosts) => makeChooseReplacementHost({ directory: directory([]), log: quiet, replacementHosts: hosts });
    await assert.rejects(choose(refusing(new CloneLaunchFailedError('no capacity', 'us-east-1a')))({ ...input({}), avoidAvailabilityZones: ['us-east-1a'] }), CloneLaunchFailedError);
    await assert.rejects(choose(refusing(Object.assign(new Error('denied'), { name: 'UnauthorizedOperation' })))(input({})), /denied/);
  });

  it('Choose Another Zone: getting the clone that never came online back means no other AZ could be chosen', async () => {
    const choose = makeChooseReplacementHost({ directory: directory([]), log: quiet, replacementHosts: launcher([]) });
    await assert.rejects(choose({ ...input({}), previousInstanceId: 'i-0cccccccccccccccc' }), (e: Error) => {
      assert.equal(e.name, 'ClonePlacementRefusedError');
      assert.match(e.message, /the clone i-0cccccccccccccccc never came online and no other availability zone can be chosen for infra3/);
      return true;
    });
    const other = await choose({ ...input({}), previousInstanceId: 'i-0bbbbbbbbbbbbbbbb' });
    assert.equal(other.host.instanceId, 'i-0cccccccccccccccc', 'a clone other than the one before is taken');
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

  it('locally (no launcher) leaves the host to the directory, asking about the joining host only', async () => {
    const asked: Member[][] = [];
    const chosen = await makeChooseReplacementHost({ directory: directory(asked), log: quiet })(input({}));
    assert.equal(chosen.launched, undefined);
    assert.deepEqual(asked, [[{ name: 'infra3' }]]);
  });

  it('on AWS with cloning off (no memberInstanceRoleArns): a request that names no host is refused, saying why and what to name; nothing resolved', async () => {
    const asked: Member[][] = [];
    const off = 'automatic cloning is off (the stack was deployed with launchReplacementInstances false, or without memberInstanceRoleArns)';
    await assert.rejects(
      makeChooseReplacementHost({ directory: directory(asked), log: quiet, cloningOff: off })(input({})),
      (error: Error) =>
        error instanceof CloneRefusedError &&
        error.message.includes(`no replacement instance is named for member "infra1" of cluster "demo", and ${off}`) &&
        error.message.includes('etcd-ha replace --cluster demo --member infra1 --instance ID'),
    );
    assert.deepEqual(asked, []);
    // A named instance is still joined.
    const chosen = await makeChooseReplacementHost({ directory: directory([]), log: quiet, cloningOff: off })(input({ instanceId: 'i-0dddddddddddddddd' }));
    assert.equal(chosen.host.instanceId, 'i-0dddddddddddddddd');
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

  describe('two members down besides the failed one (an AZ outage): the remaining members come from the record', () => {
    /** 5 members over 3 AZs, as recorded: infra0, infra1 in a; infra2, infra3 in b; infra4 in c. */
    const zoneOf = ['a', 'a', 'b', 'b', 'c'];
    const RECORDED: Host[] = zoneOf.map((zone, i) => ({
      name: `infra${i}`,
      address: `10.0.${i}.10`,
      instanceId: `i-0bbbbbbbbbbbbbbb${i}`,
      placement: { subnetId: `subnet-${zone}`, availabilityZone: `us-east-1${zone}`, securityGroupIds: ['sg-1'], instanceProfileArn: PLACEMENT.instanceProfileArn },
    }));
    const SPEC5 = { clusterName: 'demo', runtime: 'systemd', members: RECORDED.map((h) => ({ name: h.name, address: h.address, instanceId: h.instanceId })) };
    const FAILED5 = { name: 'infra1', id: '11', address: RECORDED[1]!.address, instanceId: RECORDED[1]!.instanceId, placement: RECORDED[1]!.placement };
    /** infra1 (the failed one) and its AZ-mate infra0 terminated, infra2 stopped: EC2's directory refuses all three. */
    const DEAD = new Set(['i-0bbbbbbbbbbbbbbb0', 'i-0bbbbbbbbbbbbbbb1', 'i-0bbbbbbbbbbbbbbb2']);
    const input5 = (replacement: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
      spec: SPEC5,
      hosts: RECORDED,
      failed: FAILED5,
      replacement: { name: 'infra5', ...replacement },
      execution: 'exec-1',
      ...extra,
    });
    const remaining = RECORDED.filter((h) => h.name !== 'infra1');

    it('a named instance: only the joining host is resolved; the others keep their recorded address, instance and placement, the joining host last', async () => {
      const asked: Member[][] = [];
      const recordedAsked: RecordedHost[][] = [];
      const chosen = await makeChooseReplacementHost({ directory: directory(asked, DEAD, recordedAsked), log: quiet })(input5({ instanceId: 'i-0dddddddddddddddd' }));
      assert.deepEqual(asked, [[{ name: 'infra5', instanceId: 'i-0dddddddddddddddd' }]], 'EC2 is asked about the joining host only');
      assert.deepEqual(recordedAsked, [remaining], 'the remaining members, as recorded, to the directory');
      assert.deepEqual(chosen.hosts, [...remaining, { name: 'infra5', address: '10.0.9.9', instanceId: 'i-0dddddddddddddddd' }]);
      assert.deepEqual(chosen.host, chosen.hosts.at(-1));
    });

    it('a clone: launched with every recorded placement, who is down and the AZs to avoid; EC2 is not asked about anyone', async () => {
      const asked: Member[][] = [];
      const requests: CloneRequest[] = [];
      const choose = makeChooseReplacementHost({ directory: directory(asked, DEAD), log: quiet, replacementHosts: launcher(requests) });
      const chosen = await choose(input5({}, { down: ['infra0', 'infra1', 'infra2'], avoidAvailabilityZones: ['us-east-1c', 'us-east-1a', 'us-east-1c'] }));
      assert.deepEqual(asked, []);
      assert.deepEqual(chosen.hosts.map((h) => h.name), ['infra0', 'infra2', 'infra3', 'infra4', 'infra5'], 'remaining first, in record order, the clone last');
      assert.deepEqual(chosen.hosts.slice(0, -1), remaining);
      const [request] = requests;
      assert.deepEqual(request!.members, [...remaining, RECORDED[1]!].map((h) => ({ name: h.name, placement: h.placement })));
      assert.deepEqual(request!.down, ['infra0', 'infra2'], 'the failed member is down by definition');
      assert.deepEqual(request!.avoidAvailabilityZones, ['us-east-1a', 'us-east-1c']);
      // Avoiding an AZ makes a new launch (a new ClientToken), not a retry of the one that went there.
      assert.equal(request!.idempotencyKey, 'demo/i-0bbbbbbbbbbbbbbb1/infra5/exec-1/avoid:us-east-1a,us-east-1c');
    });

    it('hosts that no longer list the failed member (already removed from the record) give the same membership', async () => {
      const requests: CloneRequest[] = [];
      const chosen = await makeChooseReplacementHost({ directory: directory([], DEAD), log: quiet, replacementHosts: launcher(requests) })({ ...input5({}), hosts: remaining });
      assert.deepEqual(chosen.hosts.map((h) => h.name), ['infra0', 'infra2', 'infra3', 'infra4', 'infra5']);
      assert.deepEqual(requests[0]!.members!.at(-1), { name: 'infra1', placement: FAILED5.placement });
    });
  });

  it('refuses before launching when the directory refuses a recorded member', async () => {
    const requests: CloneRequest[] = [];
    const refusing: HostDirectory = {
      resolve: async () => assert.fail('not asked'),
      recorded: () => {
        throw new SpecValidationError('recorded members', ['members[0].name: "Bad" cannot name a host directory']);
      },
    };
    await assert.rejects(makeChooseReplacementHost({ directory: refusing, log: quiet, replacementHosts: launcher(requests) })(input({})), SpecValidationError);
    assert.deepEqual(requests, []);
  });

  describe('locally, with the loopback directory', () => {
    const work = mkdtempSync(join(tmpdir(), 'etcd-ha-choose-'));
    after(() => rmSync(work, { recursive: true, force: true }));

    it("gives the joining host the next free address, never a recorded member's (the failed one's included); the others keep their roots", async () => {
      const hostsDir = join(work, 'hosts');
      const loopback = new LoopbackHostDirectory({ hostsDir, firstAddress: '127.0.0.11' });
      const recorded = [0, 1, 2].map((i) => ({ name: `infra${i}`, address: `127.0.0.${11 + i}` }));
      const spec = { clusterName: 'demo', runtime: 'systemd', members: recorded };
      for (const failed of ['infra1', 'infra2']) {
        const address = recorded.find((h) => h.name === failed)!.address;
        const chosen = await makeChooseReplacementHost({ directory: loopback, log: quiet })({
          spec,
          hosts: recorded,
          failed: { name: failed, id: '1', address },
          replacement: { name: 'infra3' },
        });
        assert.deepEqual(
          chosen.hosts,
          [
            ...recorded.filter((h) => h.name !== failed).map((h) => ({ ...h, root: join(hostsDir, h.name) })),
            { name: 'infra3', address: '127.0.0.14', root: join(hostsDir, 'infra3') },
          ],
          `${failed} failed`,
        );
      }
    });

    it("refuses a replacement named like another cluster's host (it would take that host over), naming it, its tag and the cluster", async () => {
      const hostsDir = join(work, 'hosts-of-two');
      const loopback = new LoopbackHostDirectory({ hostsDir, firstAddress: '127.0.0.11' });
      await loopback.resolve('dev', [{ name: 'dev0', address: '127.0.0.31' }]);
      const recorded = [0, 1, 2].map((i) => ({ name: `infra${i}`, address: `127.0.0.${11 + i}` }));
      const error = await makeChooseReplacementHost({ directory: loopback, log: quiet })({
        spec: { clusterName: 'prod', runtime: 'systemd', members: recorded },
        hosts: recorded,
        failed: { name: 'infra1', id: '1', address: '127.0.0.12' },
        replacement: { name: 'dev0' },
      }).then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof HostNotInClusterError, String(error));
      assert.match(error.message, /member "dev0": host .*dev0 is tagged etcd-ha:cluster="dev", not "prod"/);
    });
  });
});
