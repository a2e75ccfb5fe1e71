/**
 * /readyz is unauthenticated and its check writes to storage (a write that reads back is the
 * only proof the store takes writes). So a success is remembered for a few seconds, and
 * concurrent calls share the check in flight: a flood of probes costs at most one write per
 * window. A failure is not remembered — the next probe checks again, so an instance comes
 * back into rotation as soon as its storage does — but still one check at a time.
 *
 * The window is measured on the monotonic clock: it is a span of this process's time, never
 * compared with a stored instant, and a step of the wall clock must neither stretch it (a
 * stale "ready" for hours) nor cut it to nothing.
 */
import { deadlineIn, msUntil, type Deadline } from '../domain/clock';

/** How long a successful readiness check is trusted. */
export const READY_FRESH_FOR_MS = 5_000;

export function cachedReadiness(check: () => Promise<void>, freshForMs = READY_FRESH_FOR_MS): () => Promise<void> {
  let freshUntil: Deadline | undefined;
  let inFlight: Promise<void> | undefined;
  return () => {
    if (freshUntil !== undefined && msUntil(freshUntil) > 0) return Promise.resolve();
    inFlight ??= check()
      .then(() => {
        freshUntil = deadlineIn(freshForMs);
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}
