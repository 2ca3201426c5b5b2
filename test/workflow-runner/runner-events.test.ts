// Both workflow runner adapters against the same event expectations: what `etcd-ha` prints comes from this one
// stream, so a step retried on a host, a host step failing the per-host Map, and a refused spec must read the same
// whether the interpreter ran the workflow here (over stand-in steps) or Step Functions did (recorded-shape histories).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DescribeExecutionOutput, HistoryEvent } from '@aws-sdk/client-sfn';
import type { RunEvent, WorkflowOutcome } from '../../lambdas/workflow-runner/port';
import { StepFunctionsWorkflowRunner, type ExecutionsApi } from '../../lambdas/workflow-runner/step-functions';
import { LocalWorkflowRunner } from '../../lambdas/local-runner/local-workflow-runner';
import { HostScriptFailedError, HostUnreachableError, SpecValidationError } from '../../lambdas/core/errors';
import type { StepHandler } from '../../lambdas/steps/deps';
import { event, loadHistory } from '../cli/history-fixtures';

type Scenario = 'retried on a host' | 'host step fails the Map' | 'spec refused';

/** The expectations both adapters meet: these events, in this order (others may come between). */
const EXPECTED: Record<Scenario, { status: string; error?: string; events: string[] }> = {
  'retried on a host': {
    status: 'SUCCEEDED',
    events: [
      'entered Push Certificates [infra1]',
      'failed Push Certificates [infra1]: HostUnreachableError',
      'retried Push Certificates [infra1] (attempt 2)',
      'succeeded Push Certificates [infra1]',
      'succeeded Configure Hosts',
    ],
  },
  'host step fails the Map': {
    status: 'FAILED',
    error: 'HostScriptFailedError',
    events: [
      'entered Start Etcd [infra1]',
      'failed Start Etcd [infra1]: HostScriptFailedError',
      'failed Configure Hosts: HostScriptFailedError',
      'caught Configure Hosts: HostScriptFailedError',
      'entered Provision Failed',
      'failed Provision Failed: HostScriptFailedError',
    ],
  },
  'spec refused': {
    status: 'FAILED',
    error: 'SpecValidationError',
    events: ['entered Validate Spec', 'failed Validate Spec: SpecValidationError', 'caught Validate Spec: SpecValidationError', 'entered Provision Failed', 'failed Provision Failed: SpecValidationError'],
  },
};

function show(e: RunEvent): string {
  if (e.kind === 'ended') return `ended ${e.status}${e.error ? `: ${e.error}` : ''}`;
  return `${e.kind} ${e.state}${e.host ? ` [${e.host}]` : ''}${e.error ? `: ${e.error}` : ''}${e.attempt ? ` (attempt ${e.attempt})` : ''}`;
}

/** The stream's contract, whatever the scenario. */
function checkStream(events: readonly RunEvent[], outcome: WorkflowOutcome, scenario: Scenario): void {
  const shown = events.map(show);
  const expected = EXPECTED[scenario];
  let at = 0;
  for (const line of expected.events) {
    const found = shown.indexOf(line, at);
    assert.ok(found >= 0, `"${line}" after position ${at} in\n${shown.join('\n')}`);
    at = found + 1;
  }
  assert.equal(outcome.status, expected.status);
  if (expected.error) assert.equal(outcome.error, expected.error);
  const last = events.at(-1)!;
  assert.equal(last.kind, 'ended', 'the end comes last');
  assert.equal(events.filter((e) => e.kind === 'ended').length, 1);
  // Every state event belongs to a visit that was entered; a caught visit never also succeeds.
  const open = new Map<string, 'running' | 'caught'>();
  for (const e of events) {
    if (e.kind === 'ended') continue;
    const key = `${e.state}#${e.index ?? ''}`;
    if (e.kind === 'entered') open.set(key, 'running');
    else assert.ok(open.has(key), `${show(e)} without its state entered`);
    if (e.kind === 'caught') open.set(key, 'caught');
    if (e.kind === 'succeeded') assert.notEqual(open.get(key), 'caught', `${show(e)} after it was caught:\n${shown.join('\n')}`);
    if (e.kind === 'failed') assert.doesNotMatch(e.cause ?? '', /"trace"|\/var\/task/, 'a cause without a stack trace');
  }
}

// ---- the local adapter, over stand-in steps ----

const HOSTS = ['infra0', 'infra1', 'infra2'].map((name, i) => ({ name, address: `10.0.0.${10 + i}` }));
const PKI = { ca: 'ca', healthcheckClient: 'hc', apiserverEtcdClient: 'api', members: {}, caId: '0123456789abcdef' };

function standIns(scenario: Scenario): Record<string, StepHandler> {
  let unreachableOnce = false;
  const steps: Record<string, (input: any) => unknown> = {
    validateSpec: (i) => {
      if (scenario === 'spec refused') throw new SpecValidationError('cluster spec', ['members: 3, 5 or 7 members, got 2']);
      return { spec: { clusterName: 'demo', runtime: 'systemd', ...i.spec } };
    },
    acquireLock: (i) => ({ owner: i.owner }),
    planProvision: ({ state }) => ({ ...state, mode: 'bootstrap' }),
    resolveHosts: () => HOSTS,
    generatePki: () => PKI,
    revokeCertificates: () => ({ crl: '-----BEGIN X509 CRL-----\n-----END X509 CRL-----\n', crlNumber: 1, revoked: [] }),
    pushRevocationList: (i) => ({ installed: i.hosts.map((h: { name: string }) => h.name), missed: [] }),
    pushCertificates: (i) => {
      if (scenario === 'retried on a host' && i.host.name === 'infra1' && !unreachableOnce) {
        unreachableOnce = true;
        throw new HostUnreachableError('Push Certificates could not reach infra1: SSM agent not connected');
      }
      return { host: i.host.name, report: [] };
    },
    writeEtcdConfig: (i) => ({ host: i.host.name, report: [], restartNeeded: true }),
    startEtcd: (i) => {
      if (scenario === 'host step fails the Map' && i.host.name === 'infra1') throw new HostScriptFailedError('Start Etcd failed on infra1 (10.0.0.11): exit code 1');
      return { host: i.host.name, report: [] };
    },
    checkHealth: (i) => ({ healthy: true, attempt: i.attempt + 1, problems: [], members: [] }),
    recordCluster: () => ({ clusterName: 'demo', members: [], secrets: {} }),
    releaseLock: () => ({ released: true }),
  };
  return Object.fromEntries(Object.entries(steps).map(([name, step]) => [name, async (input: unknown) => step(input)]));
}

async function runLocally(scenario: Scenario) {
  const runner = new LocalWorkflowRunner({ env: { ETCD_HA_HOME: mkdtempSync(join(tmpdir(), 'etcd-ha-runner-')) }, deps: {} as never });
  const events: RunEvent[] = [];
  const outcome = await runner.execute({
    workflow: 'provision-cluster',
    input: { clusterName: 'demo', members: HOSTS.map(({ name }) => ({ name })) },
    onEvent: (e) => events.push(e),
    retryMs: 1,
    wrapSteps: (real) => ({ ...real, ...standIns(scenario) }),
  });
  return { events, outcome };
}

// ---- the Step Functions adapter, on recorded-shape histories ----

const lambdaError = (errorType: string, errorMessage: string) =>
  JSON.stringify({ errorType, errorMessage, trace: [`${errorType}: ${errorMessage}`, '    at handler (/var/task/index.js:10:5)'] });
const entered = (name: string, input: unknown) => ({ stateEnteredEventDetails: { name, input: JSON.stringify(input), inputDetails: { truncated: false } } });
const exited = (name: string, output: unknown) => ({ stateExitedEventDetails: { name, output: JSON.stringify(output), outputDetails: { truncated: false } } });

/** A refused spec, as Step Functions records it: Validate Spec's Lambda fails, its Catch goes to Provision Failed. */
function specRefusedHistory(): HistoryEvent[] {
  const cause = lambdaError('SpecValidationError', 'cluster spec:\n  members: 3, 5 or 7 members, got 2');
  return [
    event(1, 0, 'ExecutionStarted', 0, { executionStartedEventDetails: { input: '{}' } }),
    event(2, 1, 'TaskStateEntered', 0, entered('Validate Spec', {})),
    event(3, 2, 'LambdaFunctionScheduled', 0, { lambdaFunctionScheduledEventDetails: { resource: 'arn:aws:lambda:us-east-1:123456789012:function:f', input: '{}' } }),
    event(4, 3, 'LambdaFunctionStarted', 0),
    event(5, 4, 'LambdaFunctionFailed', 1, { lambdaFunctionFailedEventDetails: { error: 'SpecValidationError', cause } }),
    event(6, 5, 'TaskStateExited', 1, exited('Validate Spec', { failure: { Error: 'SpecValidationError', Cause: cause } })),
    event(7, 6, 'FailStateEntered', 1, entered('Provision Failed', {})),
    event(8, 7, 'ExecutionFailed', 1, { executionFailedEventDetails: { error: 'SpecValidationError', cause } }),
  ];
}

/** Step Functions with the whole history already there: one poll. */
function recordedApi(history: readonly HistoryEvent[]): ExecutionsApi {
  return {
    startExecution: async () => ({ executionArn: ARN }),
    describeExecution: async () => ({ executionArn: ARN, status: 'RUNNING' }) as DescribeExecutionOutput,
    historyPage: async () => ({ events: [...history].reverse() }),
    close: () => undefined,
  };
}

const ARN = 'arn:aws:states:us-east-1:123456789012:execution:ProvisionCluster:demo-20250314T101502Z';

async function runOnStepFunctions(scenario: Scenario) {
  const history = scenario === 'spec refused' ? specRefusedHistory() : loadHistory(scenario === 'retried on a host' ? 'provision-succeeded' : 'provision-failed').events;
  const runner = new StepFunctionsWorkflowRunner(recordedApi(history), () => 'arn:aws:states:us-east-1:123456789012:stateMachine:ProvisionCluster', { sleep: async () => assert.fail('no wait') });
  const events: RunEvent[] = [];
  const outcome = await runner.execute({ workflow: 'provision-cluster', input: {}, onEvent: (e) => events.push(e) });
  return { events, outcome };
}

describe('workflow runner adapters: one event stream', () => {
  for (const scenario of Object.keys(EXPECTED) as Scenario[]) {
    it(`local interpreter: ${scenario}`, async () => {
      const { events, outcome } = await runLocally(scenario);
      checkStream(events, outcome, scenario);
    });
    it(`Step Functions history: ${scenario}`, async () => {
      const { events, outcome } = await runOnStepFunctions(scenario);
      checkStream(events, outcome, scenario);
    });
  }

  it('both say why without a Lambda stack trace: the errorMessage is the cause', async () => {
    const { outcome } = await runOnStepFunctions('spec refused');
    assert.equal(outcome.cause, 'cluster spec:\n  members: 3, 5 or 7 members, got 2');
    const local = await runLocally('spec refused');
    assert.match(local.outcome.cause ?? '', /members: 3, 5 or 7 members, got 2/);
  });
});
