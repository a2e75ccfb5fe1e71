/**
 * A clock tests move by hand. One instance is shared by everything a test builds (use cases,
 * stores, limiter), as the composition root shares the system clock in production. It starts
 * on a fixed date, never today's, so no test depends on the calendar.
 */
import type { Clock } from '../../src/domain/clock';

export class ManualClock implements Clock {
  private at: number;

  constructor(start: Date | string = '2026-11-22T10:00:00Z') {
    this.at = new Date(start).getTime();
    if (!Number.isFinite(this.at)) throw new RangeError(`not a date: ${String(start)}`);
  }

  now(): Date {
    return new Date(this.at);
  }

  /** Moves the clock to `at`. */
  set(at: Date | string): void {
    this.at = new Date(at).getTime();
  }

  /** Moves the clock on by `ms` (back, if negative). */
  advance(ms: number): void {
    this.at += ms;
  }
}
