import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyMaintenance, healingPausedReason, isAutomaticTrigger, MAINTENANCE_HISTORY_LIMIT } from '../../lambdas/core/maintenance';

describe('maintenance flag', () => {
  it('pauses with who, when and why, and resumes keeping the history', () => {
    const paused = applyMaintenance(undefined, { action: 'pause', by: 'alice', at: 't1', reason: 'resizing', execution: 'e1' });
    assert.deepEqual(paused, { paused: true, reason: 'resizing', by: 'alice', since: 't1', history: [{ action: 'pause', by: 'alice', at: 't1', reason: 'resizing', execution: 'e1' }] });
    assert.equal(healingPausedReason(paused), 'healing paused by alice since t1: resizing');
    const resumed = applyMaintenance(paused, { action: 'resume', by: 'bob', at: 't2' });
    assert.equal(resumed.paused, false);
    assert.equal(healingPausedReason(resumed), undefined);
    assert.deepEqual(resumed.history.map((e) => `${e.action} ${e.by}`), ['pause alice', 'resume bob']);
  });

  it('refuses a pause without a reason, naming the field', () => {
    assert.throws(() => applyMaintenance(undefined, { action: 'pause', by: 'a', at: 't', reason: ' ' }), /^RangeError: reason: a pause needs a reason/);
  });

  it('keeps the newest history entries only', () => {
    let state = applyMaintenance(undefined, { action: 'resume', by: 'x', at: '0' });
    for (let i = 1; i <= MAINTENANCE_HISTORY_LIMIT + 5; i++) state = applyMaintenance(state, { action: 'resume', by: 'x', at: String(i) });
    assert.equal(state.history.length, MAINTENANCE_HISTORY_LIMIT);
    assert.equal(state.history.at(-1)!.at, String(MAINTENANCE_HISTORY_LIMIT + 5));
  });

  it('knows which triggers are automatic', () => {
    for (const t of ['ec2-state-change', 'asg-lifecycle', 'health-probe', 'local-heal']) assert.equal(isAutomaticTrigger(t), true, t);
    for (const t of ['manual', undefined, 'other']) assert.equal(isAutomaticTrigger(t), false, String(t));
  });
});
