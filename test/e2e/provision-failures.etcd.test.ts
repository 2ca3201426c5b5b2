// How ProvisionCluster fails: it names the step and the host, carries what to look at, gives up
// after the configured health checks, and retries only the errors it names as transient.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { readFileSync } from 'node:fs';
import { HostScriptFailedError, HostUnreachableError } from '../../lambdas/core/errors';
import type { HostRunner } from '../../lambdas/ports';
import { sandboxesOfSuite, threeMembers  } from '../support/local-workflow';
import { isRunning } from '../support/processes';
import { etcdUnderTest } from '../support/etcd-under-test';

/** A runner that lets a test break one step on one host, and records every command sent. */
function faultyRunner(inner: HostRunner, fault: { title: string; host: string; error: Error; times: number }, sent: string[]): HostRunner {
  let left = fault.times;
  return {
    async run(hosts, command) {
      sent.push(command.text);
      if (left > 0 && command.title === fault.title && hosts.some((h) => h.name === fault.host)) {
        left -= 1;
        throw fault.error;
      }
      return inner.run(hosts, command);
    },
  };
}

const ETCD = etcdUnderTest();

describe(`ProvisionCluster failure paths (local interpreter, real etcd) on ${ETCD.label}`, () => {
  const sandbox = sandboxesOfSuite();
  let blocker: Server | undefined;
  after(async () => {
    await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
  });

  it('a failing host script fails the execution naming the step, the host and etcd’s own complaint', async () => {
    const s = sandbox('127.0.0.101');
    // infra1's client port is taken, so its etcd cannot start: a real failure on one host.
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(2379, '127.0.0.102', resolve));
    const { result, calls } = await s.provision(threeMembers('fails-on-one'));
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'HostScriptFailedError');
    assert.match(result.cause ?? '', /Start Etcd failed on infra1 \(127\.0\.0\.102\): exit code \d+/);
    assert.match(result.cause ?? '', /address already in use/, 'the tail of etcd’s log says why');
    assert.equal(calls.recordCluster, undefined, 'nothing recorded');
    assert.ok(result.events.some((e) => e.state === 'Provision Failed' && e.kind === 'entered'));
  });

  it('a cluster that never gets healthy fails after the configured checks, with the logs of the member to look at', async () => {
    const s = sandbox('127.0.0.104');
    const { result, calls } = await s.provision(threeMembers('never-healthy'), {
      healthCheckAttempts: 3,
      onEvent: (event) => {
        // Right after every member started, infra2 dies: the cluster keeps quorum but is never whole.
        if (event.state === 'Start Health Checks' && event.kind === 'entered') {
          const pid = s.pidOf('infra2');
          if (pid !== undefined && isRunning(pid)) process.kill(pid, 'SIGKILL');
        }
      },
    });
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'ClusterNotHealthyError');
    assert.equal(calls.checkHealth, 3, 'exactly the configured number of checks');
    assert.match(result.cause ?? '', /did not become healthy after 3 checks/);
    assert.match(result.cause ?? '', /infra2 \(https:\/\/127\.0\.0\.106:2379\) did not answer/);
    assert.match(result.cause ?? '', /--- infra2 \(127\.0\.0\.106\): etcd log \(tail\) ---\n.+/);
    assert.doesNotMatch(result.cause ?? '', /--- infra0/, 'healthy members are not blamed');
  });

  it('retries a named transient error (HostUnreachableError) and converges; no key material anywhere', async () => {
    const s = sandbox('127.0.0.107');
    const sent: string[] = [];
    const deps = s.deps((runner) =>
      faultyRunner(runner, { title: 'Push Certificates', host: 'infra1', error: new HostUnreachableError('infra1: SSM agent not connected'), times: 1 }, sent),
    );
    const { result, calls } = await s.provision(threeMembers('retried'), { deps });
    assert.equal(result.status, 'SUCCEEDED', result.cause);
    assert.equal(calls.pushCertificates, 4, '3 hosts + 1 retry');
    assert.ok(result.events.some((e) => e.kind === 'retried' && e.state === 'Push Certificates'));
    const payloads = JSON.stringify(result.events.map((e) => [e.input, e.output, e.cause]));
    assert.doesNotMatch(payloads, /PRIVATE KEY/, 'no key in any state input or output');
    assert.doesNotMatch(sent.join('\n'), /PRIVATE KEY/, 'no key in any command sent to a host');
    assert.doesNotMatch(readFileSync(s.home.stepLog, 'utf8'), /PRIVATE KEY/, 'no key in the step log');
  });

  it('does not retry an error it does not name (HostScriptFailedError): one attempt, then Provision Failed', async () => {
    const s = sandbox('127.0.0.110');
    const deps = s.deps((runner) =>
      faultyRunner(runner, { title: 'Push Certificates', host: 'infra2', error: new HostScriptFailedError('Push Certificates failed on infra2: exit code 1'), times: 1 }, []),
    );
    const { result, calls } = await s.provision(threeMembers('not-retried'), { deps });
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'HostScriptFailedError');
    assert.equal(result.events.filter((e) => e.kind === 'retried').length, 0);
    assert.ok((calls.pushCertificates ?? 0) <= 3, 'no host was pushed twice');
  });
});
