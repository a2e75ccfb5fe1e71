import assert from 'node:assert/strict';
import sinon from 'sinon';
import { deadlineIn, fitsBefore, msUntil, systemClock } from '../../src/domain/clock';
import { ManualClock } from '../helpers/clock';

describe('the clock', function () {
  const sandbox = sinon.createSandbox();

  afterEach(function () {
    sandbox.restore();
  });

  it('when the wall clock jumps a year, then a budget for I/O neither ends nor stretches (it is measured on the monotonic clock)', function () {
    const deadline = deadlineIn(60_000);
    const left = msUntil(deadline);
    const machine = sandbox.useFakeTimers({ now: Date.now() + 365 * 24 * 3600_000, toFake: ['Date'] });
    assert.ok(msUntil(deadline) > 0 && msUntil(deadline) <= left, `${msUntil(deadline)} ms left after the jump`);
    assert.equal(fitsBefore(deadline, 1000), true);
    assert.equal(fitsBefore(deadline, 120_000), false);
    machine.restore();
  });

  it('when the time left is asked for, then it is whole milliseconds, as timers need', function () {
    assert.ok(Number.isInteger(msUntil(deadlineIn(1234.567))));
    assert.ok(msUntil(deadlineIn(-5)) <= 0);
  });

  it('when production asks for now, then it gets the machine’s time', function () {
    const machine = sandbox.useFakeTimers({ now: Date.parse('2030-05-06T07:08:09Z'), toFake: ['Date'] });
    assert.equal(systemClock.now().toISOString(), '2030-05-06T07:08:09.000Z');
    machine.restore();
  });

  it('when a test clock is moved, then it moves by exactly that much and otherwise stands still', function () {
    const clock = new ManualClock('2026-11-22T10:00:00Z');
    assert.equal(clock.now().toISOString(), '2026-11-22T10:00:00.000Z');
    clock.advance(90_000);
    assert.equal(clock.now().toISOString(), '2026-11-22T10:01:30.000Z');
    clock.set('2027-01-01T00:00:00Z');
    assert.equal(clock.now().toISOString(), '2027-01-01T00:00:00.000Z');
  });
});
