import assert from 'node:assert/strict';
import sinon from 'sinon';
import { cachedReadiness, READY_FRESH_FOR_MS } from '../../src/http/readiness';

describe('readiness probes', function () {
  const sandbox = sinon.createSandbox();

  afterEach(function () {
    sandbox.restore();
  });

  it('readyz flood: when probes keep coming, then storage is checked at most once per window, and again once the window is over', async function () {
    // Only the monotonic clock is moved: the window is measured on it.
    const monotonic = sandbox.useFakeTimers({ toFake: ['performance'] });
    const check = sandbox.stub().resolves();
    const ready = cachedReadiness(check);
    for (let i = 0; i < 100; i += 1) await ready();
    await Promise.all(Array.from({ length: 100 }, () => ready()));
    assert.equal(check.callCount, 1);
    monotonic.tick(READY_FRESH_FOR_MS - 1);
    await ready();
    assert.equal(check.callCount, 1, 'still inside the window');
    monotonic.tick(2);
    for (let i = 0; i < 100; i += 1) await ready();
    assert.equal(check.callCount, 2, 'one more check for the next window');
  });

  it('when the wall clock jumps, then the window neither ends early nor lasts longer', async function () {
    const machine = sandbox.useFakeTimers({ toFake: ['Date', 'performance'] });
    const check = sandbox.stub().resolves();
    const ready = cachedReadiness(check);
    await ready();
    machine.setSystemTime(Date.now() + 365 * 24 * 3600_000);
    await ready();
    assert.equal(check.callCount, 1, 'a year forward on the calendar is not the end of the window');
    machine.setSystemTime(0);
    machine.tick(READY_FRESH_FOR_MS + 1);
    await ready();
    assert.equal(check.callCount, 2, 'a step back on the calendar does not keep a stale answer');
  });

  it('when storage is down, then the probe says so every time (an instance comes back as soon as its storage does), with one check at a time', async function () {
    sandbox.useFakeTimers({ toFake: ['performance'] });
    let release: (() => void) | undefined;
    const check = sandbox.stub().callsFake(() => new Promise<void>((_resolve, reject) => (release = () => reject(new Error('down')))));
    const ready = cachedReadiness(check);
    const probes = Array.from({ length: 20 }, () =>
      ready().then(
        () => 'ready',
        () => 'not ready',
      ),
    );
    assert.equal(check.callCount, 1, 'concurrent probes share the check in flight');
    release!();
    assert.deepEqual(new Set(await Promise.all(probes)), new Set(['not ready']));
    check.resolves();
    await ready();
    assert.equal(check.callCount, 2, 'a failure is not remembered');
  });
});
