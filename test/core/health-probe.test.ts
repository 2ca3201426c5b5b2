import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideProbe, probeExecutionName, withReplacementStarted, type ProbeObservation, type ProbeState } from '../../lambdas/core/health-probe';
import { applyMaintenance } from '../../lambdas/core/maintenance';

const T0 = '2025-03-01T10:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000);
const GRACE = 600;
const up = (name: string): ProbeObservation => ({ name, answering: true, instanceState: 'running' });
const silent = (name: string, instanceState = 'running'): ProbeObservation => ({ name, answering: false, instanceState });
const downSince = (name: string, since = T0, extra: Partial<ProbeState['down'][string]> = {}): ProbeState => ({ down: { [name]: { since, instanceState: 'running', ...extra } } });
const paused = applyMaintenance(undefined, { action: 'pause', by: 'alice', at: T0, reason: 'kernel upgrades' });

describe('decideProbe', () => {
  const cases: Array<{ name: string; previous?: ProbeState; seen: ProbeObservation[]; now: Date; maintenance?: typeof paused; replace: string[]; held?: string[]; down: string[] }> = [
    { name: 'everyone answers: nothing to remember', seen: [up('a'), up('b'), up('c')], now: at(0), replace: [], down: [] },
    { name: 'first silence: remembered from now, not replaced', seen: [up('a'), up('b'), silent('c')], now: at(0), replace: [], down: ['c'] },
    { name: 'silent for less than the grace period: not replaced', previous: downSince('c'), seen: [up('a'), up('b'), silent('c')], now: at(GRACE - 1), replace: [], down: ['c'] },
    { name: 'silent for the grace period: replaced', previous: downSince('c'), seen: [up('a'), up('b'), silent('c')], now: at(GRACE), replace: ['c'], down: ['c'] },
    { name: 'answers again: forgotten', previous: downSince('c'), seen: [up('a'), up('b'), up('c')], now: at(GRACE * 2), replace: [], down: [] },
    { name: 'a member no longer recorded is forgotten', previous: downSince('gone'), seen: [up('a')], now: at(GRACE * 2), replace: [], down: [] },
    { name: 'its instance stopped and stayed so: replaced too', previous: downSince('c'), seen: [up('a'), up('b'), silent('c', 'stopped')], now: at(GRACE), replace: ['c'], down: ['c'] },
    { name: 'its instance is starting: held', previous: downSince('c'), seen: [up('a'), up('b'), silent('c', 'pending')], now: at(GRACE), replace: [], held: ['c'], down: ['c'] },
    { name: 'paused: held, still remembered', previous: downSince('c'), seen: [up('a'), up('b'), silent('c')], now: at(GRACE), maintenance: paused, replace: [], held: ['c'], down: ['c'] },
    { name: 'already started for this outage: held', previous: downSince('c', T0, { replacement: 'x' }), seen: [up('a'), up('b'), silent('c')], now: at(GRACE * 3), replace: [], held: ['c'], down: ['c'] },
    { name: 'two down for the grace period: both handed over', previous: { down: { b: { since: T0 }, c: { since: T0 } } }, seen: [up('a'), silent('b'), silent('c')], now: at(GRACE), replace: ['b', 'c'], down: ['b', 'c'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const decision = decideProbe({ previous: c.previous, observations: c.seen, now: c.now, graceSeconds: GRACE, ...(c.maintenance && { maintenance: c.maintenance }) });
      assert.deepEqual(decision.replace.map((r) => r.member), c.replace);
      assert.deepEqual(decision.held.map((h) => h.member), c.held ?? []);
      assert.deepEqual(Object.keys(decision.state.down).sort(), c.down);
    });
  }

  it('keeps the first silence, and says why a paused member is held', () => {
    const decision = decideProbe({ previous: downSince('c'), observations: [silent('c')], now: at(GRACE), graceSeconds: GRACE, maintenance: paused });
    assert.equal(decision.state.down.c!.since, T0);
    assert.equal(decision.held[0]!.reason, `healing paused by alice since ${T0}: kernel upgrades`);
  });

  it('names the silence and the grace period in its reason', () => {
    const [r] = decideProbe({ previous: downSince('c'), observations: [silent('c')], now: at(GRACE), graceSeconds: GRACE }).replace;
    assert.equal(r!.since, T0);
    assert.match(r!.reason, /c has not answered since 2025-03-01T10:00:00.000Z \(instance running\), 600 s >= the 600 s grace period/);
  });

  it('refuses a negative grace period', () => {
    assert.throws(() => decideProbe({ previous: undefined, observations: [], now: at(0), graceSeconds: -1 }), /graceSeconds must be 0 or more, got -1/);
  });

  it('remembers a started replacement', () => {
    const state = withReplacementStarted(downSince('c'), 'c', 'probe-x');
    assert.equal(state.down.c!.replacement, 'probe-x');
    assert.deepEqual(withReplacementStarted(state, 'other', 'y'), state);
  });
});

describe('probeExecutionName', () => {
  it('is the same for one outage and fits Step Functions', () => {
    const name = probeExecutionName('demo', 'infra1', T0);
    assert.equal(name, 'probe-demo-infra1-20250301T100000Z');
    assert.equal(probeExecutionName('demo', 'infra1', T0), name);
    const long = probeExecutionName('c'.repeat(63), 'm.'.repeat(100), T0);
    assert.ok(long.length <= 80, long);
    assert.match(long, /^[A-Za-z0-9_-]+$/);
  });
});
