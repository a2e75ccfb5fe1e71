/**
 * The audit rules on top of the AuditLog port. Before an action: the record must land or the
 * action does not happen (no unaudited revoke). After an action: the record is retried, and
 * if the log still refuses it is kept in memory and retried until it lands — never dropped
 * silently (the process log says so meanwhile).
 */
import type { Clock } from '../domain/clock';
import type { AuditEntry, AuditLog } from './ports/auditLog';

export interface AuditTrailOptions {
  readonly log: AuditLog;
  /** Told when a record could not be written yet (for the process log; no values that could be secrets). */
  readonly onDeferred?: (entry: AuditEntry, error: unknown) => void;
  readonly retryDelaysInMs?: readonly number[];
  readonly clock: Clock;
}

export class AuditTrail {
  private readonly deferred: AuditEntry[] = [];
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: AuditTrailOptions) {}

  /** Writes a record that must exist before the action; throws if it cannot (the caller refuses). */
  async before(entry: Omit<AuditEntry, 'at'>): Promise<void> {
    await this.options.log.append(this.stamp(entry));
  }

  /** Writes a record of something that already happened; retried until it lands. */
  async after(entry: Omit<AuditEntry, 'at'>): Promise<void> {
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

  /** Stops the retry timer (at shutdown, after a last flush). */
  async close(): Promise<void> {
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
