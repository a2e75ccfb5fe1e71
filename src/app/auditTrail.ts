/**
 * The audit rules on top of the AuditLog port. Before an action: the record must land or the
 * action does not happen (no unaudited revoke). After an action: the record is retried, and
 * if the log still refuses it is kept in memory and retried until it lands — never dropped
 * silently (the process log says so meanwhile). Repeated refusals of one person are coalesced
 * (src/app/refusalWindows.ts): the first of a window in full, the rest as one summary record.
 */
import type { Clock } from '../domain/clock';
import type { AuditEntry, AuditLog } from './ports/auditLog';
import { RefusalWindows } from './refusalWindows';

/** How long one window of coalesced refusals lasts. */
export const REFUSAL_WINDOW_IN_MS = 60_000;

export interface AuditTrailOptions {
  readonly log: AuditLog;
  /** Told when a record could not be written yet (for the process log; no values that could be secrets). */
  readonly onDeferred?: (entry: AuditEntry, error: unknown) => void;
  readonly retryDelaysInMs?: readonly number[];
  readonly clock: Clock;
  /** How long one window of coalesced refusals lasts (default a minute). */
  readonly refusalWindowInMs?: number;
}

export class AuditTrail {
  private readonly deferred: AuditEntry[] = [];
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly refusals: RefusalWindows;
  private readonly refusalSweep: NodeJS.Timeout;

  constructor(private readonly options: AuditTrailOptions) {
    const windowInMs = options.refusalWindowInMs ?? REFUSAL_WINDOW_IN_MS;
    this.refusals = new RefusalWindows({ windowInMs });
    // Summaries of windows that ended while nobody was refused any more.
    this.refusalSweep = setInterval(() => void this.writeDueSummaries(), Math.min(windowInMs, REFUSAL_WINDOW_IN_MS));
    this.refusalSweep.unref();
  }

  /** Writes a record that must exist before the action; throws if it cannot (the caller refuses). */
  async before(entry: Omit<AuditEntry, 'at'>): Promise<void> {
    await this.options.log.append(this.stamp(entry));
  }

  /** Writes a record of something that already happened; retried until it lands. A repeated refusal may be counted into a summary instead. */
  async after(entry: Omit<AuditEntry, 'at'>): Promise<void> {
    const { write, due } = this.refusals.take(entry, this.options.clock.now().getTime());
    for (const summary of due) await this.append(summary);
    if (write) await this.append(entry);
  }

  private async writeDueSummaries(): Promise<void> {
    for (const summary of this.refusals.due(this.options.clock.now().getTime())) await this.append(summary);
  }

  private async append(entry: Omit<AuditEntry, 'at'>): Promise<void> {
    const stamped = this.stamp(entry);
    const delays = [0, ...(this.options.retryDelaysInMs ?? [50, 250])];
    let lastError: unknown;
    for (const delay of delays) {
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      try {
        await this.options.log.append(stamped);
        return;
      } catch (error) {
        lastError = error;
      }
    }
    this.defer(stamped, lastError);
  }

  /** Records waiting to be written. */
  get pending(): number {
    return this.deferred.length;
  }

  /** Tries to write every waiting record now. */
  async flush(): Promise<void> {
    this.flushing ??= (async () => {
      while (this.deferred.length > 0) {
        const next = this.deferred[0]!;
        try {
          await this.options.log.append(next);
          this.deferred.shift();
        } catch {
          break;
        }
      }
    })().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Writes the summaries of refusal windows still open, stops the timers and flushes (at shutdown). */
  async close(): Promise<void> {
    clearInterval(this.refusalSweep);
    for (const summary of this.refusals.drain()) await this.append(summary);
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private defer(entry: AuditEntry, error: unknown): void {
    this.deferred.push(entry);
    this.options.onDeferred?.(entry, error);
    this.timer ??= setInterval(() => {
      void this.flush().then(() => {
        if (this.deferred.length === 0 && this.timer) {
          clearInterval(this.timer);
          this.timer = undefined;
        }
      });
    }, 1000);
    this.timer.unref();
  }

  private stamp(entry: Omit<AuditEntry, 'at'>): AuditEntry {
    return { ...entry, at: this.options.clock.now().toISOString() };
  }
}
