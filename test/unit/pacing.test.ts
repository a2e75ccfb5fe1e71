import assert from 'node:assert/strict';
import { Pacer, type RateQuota } from '../../src/domain/pacing';

/** Graph's identity write quota per app and tenant: 3,000 requests per 150 s (20 a second once the bucket is empty). */
const GRAPH_WRITES: RateQuota = { requests: 3000, windowInMs: 150_000 };
/** Where the manual monotonic clock starts (any point will do: only differences matter). */
const T0 = 5_000;

/** Sends `users` in batches of 20 as fast as the pacer allows; the send time of each batch. */
function paceAll(pacer: Pacer, users: number, start = T0): number[] {
  const sends: number[] = [];
  let now = start;
  for (let left = users; left > 0; left -= 20) {
    const { sendAt } = pacer.reserve(Math.min(20, left), now);
    sends.push(sendAt);
    now = sendAt;
  }
  return sends;
}

describe('pacing sends to a documented rate limit', function () {
  it('when the bucket is full, then all but 1 % of the quota goes at once, and each next batch when 20 tokens have come back', function () {
    const pacer = new Pacer(GRAPH_WRITES, T0);
    assert.equal(pacer.capacity, 2970, '1 % is kept in hand for requests still on their way');
    const sends = paceAll(pacer, 3040);
    assert.equal(sends.length, 152);
    assert.ok(
      sends.slice(0, 148).every((at) => at === T0),
      '148 batches of 20 (2,960) go at once',
    );
    assert.deepEqual(sends.slice(148), [T0 + 500, T0 + 1500, T0 + 2500, T0 + 3500], 'then 20 requests at 20 a second');
    assert.equal(pacer.requestsPerSecond, 20);
  });

  it('when 10,000 users are paced, then the last batch goes when the limit allows and not before: (10,000 − the bucket) ÷ 20 a second', function () {
    const pacer = new Pacer(GRAPH_WRITES, T0);
    const sends = paceAll(pacer, 10_000);
    assert.equal(sends.length, 500);
    assert.equal(Math.round(sends.at(-1)! - T0), 351_500);
    for (let i = 1; i < sends.length; i += 1) assert.ok(sends[i]! >= sends[i - 1]!, 'in order');
    // Within any 150 s window no more than a bucket and a window's refill: the limit itself.
    for (let i = 0; i < sends.length; i += 1) {
      const inWindow = sends.filter((at) => at >= sends[i]! && at < sends[i]! + 150_000).length * 20;
      assert.ok(inWindow <= 6000, `${inWindow} requests in the 150 s from batch ${i}`);
    }
  });

  it('when the estimate is asked for, then it is the time the remaining requests need at the current rate', function () {
    const pacer = new Pacer(GRAPH_WRITES, T0);
    assert.equal(pacer.msToSend(2000, T0), 0, 'they fit in the bucket');
    assert.equal(pacer.msToSend(4000, T0), 51_500, '1,030 beyond the bucket at 20 a second');
    pacer.reserve(2970, T0);
    assert.equal(pacer.tokensAt(T0), 0);
    assert.equal(pacer.msToSend(200, T0), 10_000);
    assert.equal(pacer.tokensAt(T0 + 10_000), 200);
    assert.equal(pacer.msToSend(0, T0), 0);
  });

  it('when Graph answers 429 with a Retry-After, then nothing goes before it, earlier reservations are void, and the bucket counts as empty then', function () {
    const pacer = new Pacer(GRAPH_WRITES, T0);
    const early = pacer.reserve(20, T0);
    assert.equal(early.sendAt, T0);
    // Another client of the same app had used the quota: the first batch comes back throttled.
    pacer.throttled({ sentAt: T0, retryAfterInMs: 2000 }, T0 + 100);
    assert.equal(pacer.isCurrent(early), false, 'a reservation made before the correction is void');
    const next = pacer.reserve(20, T0 + 100);
    assert.equal(pacer.isCurrent(next), true);
    assert.equal(next.sendAt, T0 + 100 + 2000 + 1000, 'after the Retry-After, then 20 tokens at 20 a second');
    assert.equal(pacer.requestsPerSecond, 20, 'a first correction drains the bucket but keeps the documented rate');
  });

  it('when requests in flight at the first 429 come back throttled too, then it is the same correction and the rate stays', function () {
    const pacer = new Pacer(GRAPH_WRITES, T0);
    for (let i = 0; i < 4; i += 1) pacer.reserve(20, T0);
    pacer.throttled({ sentAt: T0, retryAfterInMs: 1000 }, T0 + 50);
    pacer.throttled({ sentAt: T0, retryAfterInMs: 1500 }, T0 + 60);
    pacer.throttled({ sentAt: T0, retryAfterInMs: 500 }, T0 + 70);
    assert.equal(pacer.requestsPerSecond, 20);
    assert.equal(
      pacer.reserve(20, T0 + 70).sendAt,
      T0 + 60 + 1500 + 1000,
      'the longest Retry-After holds, then one batch’s worth of refill',
    );
  });

  it('when a request paced by the corrected model is throttled again, then the rate drops by a quarter each time, down to a floor', function () {
    const pacer = new Pacer(GRAPH_WRITES, T0);
    let now = T0;
    pacer.throttled({ sentAt: now, retryAfterInMs: 1000 }, now);
    const rates: number[] = [];
    for (let i = 0; i < 12; i += 1) {
      const { sendAt } = pacer.reserve(20, now);
      pacer.throttled({ sentAt: sendAt, retryAfterInMs: 1000 }, sendAt + 10);
      now = sendAt + 10;
      rates.push(pacer.requestsPerSecond);
    }
    assert.deepEqual(
      rates.slice(0, 3).map((r) => Number(r.toFixed(4))),
      [15, 11.25, 8.4375],
    );
    assert.equal(rates.at(-1), 20 / 16, 'never below a sixteenth of the documented rate');
    for (let i = 1; i < rates.length; i += 1) assert.ok(rates[i]! <= rates[i - 1]!);
  });

  it('when a whole window passes without a 429, then the rate climbs back by a sixteenth of the documented one at a time, never above it', function () {
    const pacer = new Pacer(GRAPH_WRITES, T0);
    pacer.throttled({ sentAt: T0, retryAfterInMs: 0 }, T0);
    const { sendAt } = pacer.reserve(20, T0);
    pacer.throttled({ sentAt: sendAt, retryAfterInMs: 0 }, sendAt);
    const { sendAt: again } = pacer.reserve(20, sendAt);
    pacer.throttled({ sentAt: again, retryAfterInMs: 0 }, again);
    assert.equal(pacer.requestsPerSecond, 11.25);
    let now = again;
    const seen: number[] = [];
    for (let reservations = 1; reservations <= 10; reservations += 1) {
      const { sendAt: at } = pacer.reserve(20, now);
      seen.push(Number(pacer.requestsPerSecond.toFixed(4)));
      now = at + 150_001;
    }
    assert.deepEqual(seen, [11.25, 12.5, 13.75, 15, 16.25, 17.5, 18.75, 20, 20, 20], 'one step per window without a 429');
  });

  it('when an answer comes back for a send from a full bucket, then the refill Graph could not hold while it travelled is taken off', function () {
    const pacer = new Pacer(GRAPH_WRITES, T0);
    const first = pacer.reserve(20, T0);
    assert.equal(first.tokensBefore, 2970);
    assert.equal(pacer.tokensAt(T0 + 100), 2952, 'the model refills from the moment it sent');
    pacer.answered(first, T0 + 100);
    assert.equal(pacer.tokensAt(T0 + 100), 2950, 'but a full bucket at Graph lost the 2 tokens of those 100 ms');
    // Sent while the bucket drains: nothing is lost, nothing changes.
    pacer.reserve(2900, T0 + 100);
    const draining = pacer.reserve(20, T0 + 100);
    const before = pacer.tokensAt(T0 + 2000);
    pacer.answered(draining, T0 + 2000);
    assert.equal(pacer.tokensAt(T0 + 2000), before);
    // An answer to a reservation a correction voided changes nothing either.
    const voided = pacer.reserve(20, T0 + 2000);
    pacer.throttled({ sentAt: T0 + 2000, retryAfterInMs: 1000 }, T0 + 2100);
    const corrected = pacer.tokensAt(T0 + 5000);
    pacer.answered(voided, T0 + 5000);
    assert.equal(pacer.tokensAt(T0 + 5000), corrected);
  });

  it('when sends are paused (a 5xx), then nothing goes before the pause ends but the bucket keeps its tokens', function () {
    const pacer = new Pacer(GRAPH_WRITES, T0);
    const before = pacer.reserve(20, T0);
    pacer.pause(T0 + 1000);
    assert.equal(pacer.isCurrent(before), false);
    assert.equal(pacer.reserve(20, T0).sendAt, T0 + 1000);
    assert.equal(pacer.reserve(20, T0).sendAt, T0 + 1000, 'the bucket still holds 2,930 tokens');
    const current = pacer.reserve(20, T0);
    pacer.pause(T0 + 500);
    assert.equal(pacer.isCurrent(current), true, 'a shorter pause changes nothing');
  });

  it('when a reservation is larger than the bucket, or the quota is nonsense, then it is clamped or refused', function () {
    const tiny = new Pacer({ requests: 10, windowInMs: 1000 }, T0);
    assert.equal(tiny.reserve(20, T0).sendAt, T0, 'at most a bucket at a time');
    assert.equal(tiny.capacity, 9);
    assert.equal(tiny.reserve(10, T0).sendAt, T0 + 900);
    assert.throws(() => new Pacer({ requests: 0, windowInMs: 1000 }, T0), RangeError);
    assert.throws(() => new Pacer({ requests: 10, windowInMs: 0 }, T0), RangeError);
    assert.throws(() => new Pacer({ requests: Number.NaN, windowInMs: 10 }, T0), RangeError);
  });
});
