/**
 * Pacing requests to a documented rate limit: a token bucket as large as the limit,
 * refilled continuously at limit ÷ window, the shape Microsoft Graph gives its own identity
 * throttling ("a token bucket algorithm": https://learn.microsoft.com/graph/throttling-limits).
 * For Graph's identity writes that is 3,000 requests per 150 s per app and tenant: a full bucket
 * lets nearly 3,000 revokes go at once, then 20 a second. docs/bulk-pacing.md has the rule in full.
 *
 * A request counts when it is sent here and when it arrives at Graph: while Graph's bucket is
 * full, the refill during that transit is lost. So the model keeps 1 % of the bucket in hand, and
 * when an answer comes back for a request sent from a (nearly) full bucket, it takes off what may
 * have been lost, counting the whole round trip as transit (`answered`).
 *
 * The bucket is kept as a schedule (the generic cell rate algorithm): `fullAt` is when it would be
 * full again if nothing more were taken, so its level at `t` is capacity − (fullAt − t) × rate.
 * Taking n tokens is a reservation: the caller learns when it may send, and waits.
 *
 * Corrections, by every 429 (the service knows its own bucket; this is only a model of it):
 * - Graph's Retry-After says when it takes requests again: nothing is sent before then, the
 *   model counts the bucket as empty at that moment, and reservations made before the correction
 *   are void (`isCurrent`), so their holders reserve again against the corrected schedule.
 * - A 429 for a request sent after the previous correction took effect means the model is still
 *   too generous (another client of the same app, another instance, a lower limit): the rate drops
 *   by a quarter (to at most a sixteenth of the documented one). After a whole window with no
 *   throttling it climbs back by a sixteenth of the documented rate, and so on each window, up to
 *   the documented rate, never beyond: slowly, so a limit lower than documented is probed once in
 *   a few windows rather than hit in every one.
 *
 * Pure: no clock is read here; every call takes `now`, a point on the monotonic clock
 * (src/domain/clock.ts), so tests drive it with plain numbers.
 */
import type { Deadline } from './clock';

/** A documented rate limit: `requests` per `windowInMs`. */
export interface RateQuota {
  readonly requests: number;
  readonly windowInMs: number;
}

/** When a reserved send may go out, and the model it was reserved against. */
export interface Reservation {
  readonly sendAt: Deadline;
  readonly epoch: number;
  /** Tokens the model had at sendAt before this reservation took its own. */
  readonly tokensBefore: number;
}

/** What a throttled answer says: when its request went out, and the Retry-After it came with. */
export interface Throttle {
  readonly sentAt: Deadline;
  readonly retryAfterInMs: number;
}

/** The share of the bucket kept in hand for requests still on their way (see the module comment). */
const HEADROOM = 0.01;
/** The lowest rate corrections go down to, as a share of the documented one. */
const FLOOR = 1 / 16;
const DECREASE = 3 / 4;
/** What a window without throttling gives back, as a share of the documented rate. */
const RECOVERY = 1 / 16;

export class Pacer {
  /** Tokens in a full bucket: the quota's requests, less the headroom (at least one). */
  readonly capacity: number;
  /** Tokens per millisecond, as documented. */
  private readonly documentedRate: number;
  private readonly windowInMs: number;
  /** Tokens per millisecond now (≤ documentedRate). */
  private rate: number;
  /** When the bucket is full again if nothing more is taken (at or before now: full). */
  private fullAt: Deadline;
  /** Nothing goes out before this (the latest Retry-After). */
  private notBefore: Deadline;
  /** Counts corrections: reservations of an older epoch are void. */
  private epoch = 0;
  /** Requests sent at or after this were paced by the corrected model (undefined: never corrected). */
  private correctedFrom: Deadline | undefined;
  /** Since when nothing has been throttled (the rate recovers after a whole window of it). */
  private steadySince: Deadline;

  /** A full bucket for `quota` at `now` (an app that has not written lately has its whole quota). */
  constructor(quota: RateQuota, now: Deadline) {
    if (!(quota.requests >= 1) || !(quota.windowInMs > 0)) throw new RangeError('A quota needs at least one request per positive window.');
    this.capacity = Math.max(1, Math.floor(quota.requests * (1 - HEADROOM)));
    this.windowInMs = quota.windowInMs;
    this.documentedRate = quota.requests / quota.windowInMs;
    this.rate = this.documentedRate;
    this.fullAt = now;
    this.notBefore = now;
    this.steadySince = now;
  }

  /** Reserves `tokens` (requests) and tells when they may go out: at once, or after a wait. */
  reserve(tokens: number, now: Deadline): Reservation {
    const n = this.clamp(tokens);
    let sendAt = Math.max(now, this.notBefore, this.fullAt - (this.capacity - n) / this.rate);
    if (this.rate < this.documentedRate && sendAt - this.steadySince >= this.windowInMs) {
      this.setRate(Math.min(this.documentedRate, this.rate + this.documentedRate * RECOVERY), sendAt);
      this.steadySince = sendAt;
      sendAt = Math.max(now, this.notBefore, this.fullAt - (this.capacity - n) / this.rate);
    }
    const tokensBefore = this.tokensAt(sendAt);
    this.fullAt = Math.max(this.fullAt, sendAt) + n / this.rate;
    return { sendAt, epoch: this.epoch, tokensBefore };
  }

  /**
   * The answer to a reserved send came back at `now`: if the bucket was (nearly) full when it went,
   * the refill Graph's full bucket could not hold while it travelled is taken off the model.
   */
  answered(reservation: Reservation, now: Deadline): void {
    if (reservation.epoch !== this.epoch) return;
    const lost = reservation.tokensBefore + (now - reservation.sendAt) * this.rate - this.capacity;
    if (lost > 0) this.fullAt += lost / this.rate;
  }

  /** Whether a reservation still holds (no correction since it was made). */
  isCurrent(reservation: Reservation): boolean {
    return reservation.epoch === this.epoch;
  }

  /** Corrects the model by a 429 and its Retry-After (see the module comment). */
  throttled(throttle: Throttle, now: Deadline): void {
    const resumeAt = now + Math.max(0, throttle.retryAfterInMs);
    if (this.correctedFrom !== undefined && throttle.sentAt >= this.correctedFrom) {
      this.setRate(Math.max(this.documentedRate * FLOOR, this.rate * DECREASE), now);
    }
    this.notBefore = Math.max(this.notBefore, resumeAt);
    this.correctedFrom = this.notBefore;
    this.fullAt = this.notBefore + this.capacity / this.rate;
    this.steadySince = this.notBefore;
    this.epoch += 1;
  }

  /** Holds every send until `until` without changing the bucket (e.g. after a 5xx). */
  pause(until: Deadline): void {
    if (until <= this.notBefore) return;
    this.notBefore = until;
    this.epoch += 1;
  }

  /** How long sending `tokens` more would take from `now` at the current rate (0: they could all go now). */
  msToSend(tokens: number, now: Deadline): number {
    if (tokens <= 0) return Math.max(0, this.notBefore - now);
    return Math.max(0, this.notBefore - now, this.fullAt + (tokens - this.capacity) / this.rate - now);
  }

  /** Tokens in the bucket at `now`. */
  tokensAt(now: Deadline): number {
    return Math.max(0, this.capacity - Math.max(0, this.fullAt - now) * this.rate);
  }

  /** The current rate, in requests per second. */
  get requestsPerSecond(): number {
    return this.rate * 1000;
  }

  private clamp(tokens: number): number {
    return Math.min(this.capacity, Math.max(0, tokens));
  }

  /** Changes the rate, keeping the bucket's current deficit (in tokens). */
  private setRate(rate: number, now: Deadline): void {
    const deficit = Math.max(0, this.fullAt - now) * this.rate;
    this.rate = rate;
    this.fullAt = now + deficit / rate;
  }
}
