/**
 * Time, as an input. Two kinds, never mixed:
 *
 * - Wall time ({@link Clock}): instants that are stored, compared with stored instants or shown
 *   (expiry, leases, audit stamps, rate-limit windows, staleness). One Clock is made by the
 *   composition root and passed down; tests pass a controllable one. Nothing else reads the
 *   machine's calendar to decide.
 * - Budgets ({@link Deadline}): how long to wait for I/O. They are measured on the monotonic
 *   clock (performance.now()), which no calendar change, NTP step or faked date moves, so a
 *   budget is never cut short or stretched by a jump of the wall clock.
 */

/** Where "now" comes from. */
export interface Clock {
  /** The current instant. */
  now(): Date;
}

/** The machine's clock: production's only source of wall time. */
export const systemClock: Clock = Object.freeze({ now: () => new Date() });

/** A point on the monotonic clock (milliseconds of performance.now()) by which I/O must be done. */
export type Deadline = number;

/** Now, on the monotonic clock (for pacing and measuring; never stored). */
export function monotonicNow(): Deadline {
  return performance.now();
}

/** The deadline `ms` from now. */
export function deadlineIn(ms: number): Deadline {
  return performance.now() + ms;
}

/** Whole milliseconds left until `deadline`, rounded up (zero or negative once it passed); timers take integers. */
export function msUntil(deadline: Deadline): number {
  return Math.ceil(deadline - performance.now());
}

/** Whether waiting `ms` from now would still end before `deadline`. */
export function fitsBefore(deadline: Deadline, ms: number): boolean {
  return performance.now() + ms < deadline;
}
