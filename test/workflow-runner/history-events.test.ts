// A Step Functions history → the runner's events: hosts named inside the per-host Map, retries with their attempt,
// a Lambda error reduced to its errorType and errorMessage, caught errors, aborts; fed poll by poll.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HistoryEvents } from '../../lambdas/workflow-runner/history-events';
import { lambdaFailure, type StateEvent } from '../../lambdas/workflow-runner/port';
import { event, loadHistory } from '../cli/history-fixtures';

const show = (e: StateEvent) => `${e.kind} ${e.state}${e.host ? ` [${e.host}]` : e.index !== undefined ? ` [#${e.index}]` : ''}${e.error ? `: ${e.error}` : ''}${e.attempt ? ` (attempt ${e.attempt})` : ''}`;
const eventsOf = (history: Parameters<HistoryEvents['events']>[0]) => new HistoryEvents().events(history).map(show);
const entered = (name: string, input: unknown) => ({ stateEnteredEventDetails: { name, input: JSON.stringify(input), inputDetails: { truncated: false } } });

describe('HistoryEvents on recorded ProvisionCluster histories', () => {
  const { events } = loadHistory('provision-succeeded');

  it('each state entered and succeeded, once per visit, with its output', () => {
    const shown = eventsOf(events);
    for (const line of ['entered Validate Spec', 'succeeded Validate Spec', 'succeeded Configure Hosts', 'succeeded Record Cluster']) assert.ok(shown.includes(line), line);
    assert.equal(shown.filter((l) => l === 'entered Check Health').length, 2, 'one event per visit of a state in a loop');
  });

  it('names the host of every state inside the Map', () => {
    const shown = eventsOf(events);
    for (const host of ['infra0', 'infra1', 'infra2']) {
      for (const state of ['Uses Kubelet?', 'Push Certificates', 'Write Etcd Config', 'Start Etcd']) {
        assert.ok(shown.includes(`entered ${state} [${host}]`) && shown.includes(`succeeded ${state} [${host}]`), `${state} on ${host}`);
      }
    }
  });

  it('the same events whether they come at once, poll by poll (with repeats) or newest first', () => {
    const polled: string[] = [];
    const history = new HistoryEvents();
    for (let from = 0; from < events.length; from += 13) polled.push(...history.events(events.slice(Math.max(0, from - 1), from + 13)).map(show));
    assert.deepEqual(polled, eventsOf(events));
    assert.deepEqual(history.events(events), [], 'nothing new');
    assert.equal(history.lastEventId, events.length);
    assert.deepEqual(eventsOf([...events].reverse()), eventsOf(events));
  });

  it('names the host from the iteration’s own input when the Map’s input carries no host list', () => {
    const withoutHostList = events.map((e) =>
      e.type === 'MapStateEntered' ? { ...e, stateEnteredEventDetails: { ...e.stateEnteredEventDetails!, name: 'Configure Hosts', input: '{"items":[1,2,3]}' } } : e,
    );
    assert.ok(eventsOf(withoutHostList).includes('entered Uses Kubelet? [infra1]'));
  });

  it('the failing host step, the Map failing with its error, the Catch and the Fail state', () => {
    const shown = eventsOf(loadHistory('provision-failed').events);
    assert.deepEqual(shown.slice(-5), [
      'failed Start Etcd [infra1]: HostScriptFailedError',
      'failed Configure Hosts: HostScriptFailedError',
      'caught Configure Hosts: HostScriptFailedError',
      'entered Provision Failed',
      'failed Provision Failed: HostScriptFailedError',
    ]);
  });
});

describe('HistoryEvents on single events', () => {
  it('lambda:invoke tasks (TaskScheduled/TaskFailed): a service error, the retry and its attempt, a timeout', () => {
    const shown = eventsOf([
      event(1, 0, 'TaskStateEntered', 0, entered('Check Health', {})),
      event(2, 1, 'TaskScheduled', 0, { taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', region: 'us-east-1', parameters: '{}' } }),
      event(3, 2, 'TaskStarted', 0),
      event(4, 3, 'TaskFailed', 1, { taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error: 'Lambda.ServiceException', cause: 'Rate exceeded' } }),
      event(5, 4, 'TaskScheduled', 3, { taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', region: 'us-east-1', parameters: '{}' } }),
      event(6, 5, 'TaskStarted', 3),
      event(7, 6, 'TaskTimedOut', 63, { taskTimedOutEventDetails: { resourceType: 'lambda', resource: 'invoke', error: 'States.Timeout' } }),
    ]);
    assert.deepEqual(shown, ['entered Check Health', 'failed Check Health: Lambda.ServiceException', 'retried Check Health (attempt 2)', 'failed Check Health: States.Timeout']);
  });

  it('a state and a Map aborted when the execution is stopped', () => {
    const shown = eventsOf([
      event(1, 0, 'MapStateEntered', 0, entered('Configure Hosts', { hosts: [{ name: 'infra0' }] })),
      event(2, 1, 'MapStateStarted', 0, { mapStateStartedEventDetails: { length: 1 } }),
      event(3, 2, 'MapIterationStarted', 0, { mapIterationStartedEventDetails: { name: 'Configure Hosts', index: 0 } }),
      event(4, 3, 'WaitStateEntered', 0, entered('Wait For Agent', { host: { name: 'infra0' } })),
      event(5, 4, 'WaitStateAborted', 9),
      event(6, 3, 'MapIterationAborted', 9, { mapIterationAbortedEventDetails: { name: 'Configure Hosts', index: 0 } }),
      event(7, 6, 'MapStateAborted', 9),
      event(8, 7, 'ExecutionAborted', 9, { executionAbortedEventDetails: {} }),
    ]);
    assert.deepEqual(shown, ['entered Configure Hosts', 'entered Wait For Agent [infra0]', 'failed Wait For Agent [infra0]: Aborted', 'failed Configure Hosts: Aborted']);
  });
});

describe('lambdaFailure', () => {
  const trace = ['    at handler (/var/task/index.js:10:5)'];
  const cases: Array<[string, [string | undefined, string | undefined], { error?: string; cause?: string }]> = [
    ['Node Lambda error JSON: type and message, no trace', ['X', JSON.stringify({ errorType: 'HostScriptFailedError', errorMessage: 'Start Etcd failed', trace })], { error: 'HostScriptFailedError', cause: 'Start Etcd failed' }],
    ['Python Lambda error JSON', ['Exception', JSON.stringify({ errorMessage: 'boom', errorType: 'Exception', stackTrace: ['  File "h.py"'] })], { error: 'Exception', cause: 'boom' }],
    ['plain-text cause', ['States.Runtime', 'An error occurred'], { error: 'States.Runtime', cause: 'An error occurred' }],
    ['JSON cause that is not a Lambda error stays as it is', ['E', '{"a":1}'], { error: 'E', cause: '{"a":1}' }],
    ['no cause', ['States.Timeout', undefined], { error: 'States.Timeout' }],
  ];
  for (const [name, [error, cause], expected] of cases) it(name, () => assert.deepEqual(lambdaFailure(error, cause), expected));
});
