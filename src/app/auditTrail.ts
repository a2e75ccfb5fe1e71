/**
 * The audit rules on top of the AuditLog port. Before an action: the record must land or the
 * action does not happen (no unaudited revoke). After an action: the record is retried, and what
 * the log still does not take is never dropped silently:
 *
 * - "Not now" (StorageUnavailableError: the store is down) — the record waits in memory, in
 *   order, and a timer retries every second. At most `maxPending` wait in memory; beyond that,
 *   and for whatever still waits at shutdown, the record is set aside durably as *unwritten* and
 *   written later — by this process once the log takes records again, or by the next to start.
 * - "Never" (anything else: a secret-like value, a malformed entry, a record the store rejects;
 *   see isPermanentAuditFailure) — the record is set aside durably as *refused*, for an operator,
 *   and the records behind it keep flowing: one poisoned record cannot hold up the rest.
 *
 * Every set-aside is logged; if even that store fails, the whole record goes to the process log.
 * `degradation()` says what is not right, for /readyz. Repeated refusals of one person are
 * coalesced (src/app/refusalWindows.ts): the first of a window in full, the rest as one summary.
 */
import type { Clock } from '../domain/clock';
import { isPermanentAuditFailure, type AuditEntry, type AuditLog } from './ports/auditLog';
import type { AuditSetAside } from './ports/auditSetAside';
import { RefusalWindows } from './refusalWindows';

/** How long one window of coalesced refusals lasts. */
export const REFUSAL_WINDOW_IN_MS = 60_000;

/** What happened to a record that left the trail's hands without reaching the log. */
export interface SetAsideEvent {
  readonly entry: AuditEntry;
  /** refused: the log will never take it; queue_full / shutdown: not written yet, kept for later. */
  readonly reason: 'refused' | 'queue_full' | 'shutdown';
  /** Why the log did not take it (refused only). */
  readonly error?: unknown;
  /** Where it was kept, when it was. */
  readonly where?: string;
  /** Why it could not be kept: then this event (the process log) is the only place it is. */
  readonly failure?: unknown;
}

export interface AuditTrailOptions {
  readonly log: AuditLog;
  readonly clock: Clock;
  /** Durable keeping for records the log refuses or cannot take in time; without it they only reach onSetAside. */
  readonly setAside?: AuditSetAside;
  /** How many records may wait in memory for the log (default 1000); more are set aside as unwritten. */
  readonly maxPending?: number;
  /** How long close() tries to write what waits before setting it aside (default 5 s). */
  readonly closeBudgetInMs?: number;
  /** Told when a record could not be written yet (for the process log; no values that could be secrets). */
  readonly onDeferred?: (entry: AuditEntry, error: unknown) => void;
  /** Told whenever a record is set aside, or could not even be (then it must be logged whole). */
  readonly onSetAside?: (event: SetAsideEvent) => void;
  /** Told of every record the trail takes, before repeated refusals are coalesced (metrics count them). */
  readonly onRecorded?: (entry: Omit<AuditEntry, 'at'>) => void;
  readonly retryDelaysInMs?: readonly number[];
  /** How long one window of coalesced refusals lasts (default a minute). */
  readonly refusalWindowInMs?: number;
}

interface Waiting {
  readonly entry: AuditEntry;
  /** Set when the record came from the set-aside store (unwritten): release or forget it there. */
  readonly claim?: string;
}

export const DEFAULT_MAX_PENDING = 1000;
/** How many unwritten records one pass takes back from the set-aside store. */
const CLAIM_BATCH = 100;
const RETRY_INTERVAL_IN_MS = 1000;

export class AuditTrail {
  private readonly waiting: Waiting[] = [];
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** What the set-aside store holds (every process's), as last counted. */
  private keptUnwritten = 0;
  private keptRefused = 0;
  /** Records that could not even be set aside since start (they are in the process log only). */
  private lost = 0;
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
    this.options.onRecorded?.(entry);
  }

  /**
   * Writes a record of something that already happened; retried, set aside if need be, never
   * dropped. A repeated refusal may be counted into a summary instead.
   */
  async after(entry: Omit<AuditEntry, 'at'>): Promise<void> {
    this.options.onRecorded?.(entry);
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
        if (isPermanentAuditFailure(error)) return this.setAsideRefused({ entry: stamped }, error);
        lastError = error;
      }
    }
    await this.defer(stamped, lastError);
  }

  /** Records waiting in memory to be written. */
  get pending(): number {
    return this.waiting.length;
  }

  /**
   * Picks up what earlier runs (or other processes) set aside: counts it for degradation() and,
   * when unwritten records wait, starts writing them. Call once at start.
   */
  async resume(): Promise<void> {
    await this.recount();
    if (this.keptUnwritten > 0) {
      this.startTimer();
      await this.flush();
    }
  }

  /** Tries to write every waiting record now (and unwritten ones set aside earlier). */
  async flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /**
   * At shutdown: stops the timer, writes what waits for up to closeBudgetInMs, and sets aside as
   * unwritten whatever the log did not take (the next start writes it). A record whose write was
   * still in flight at the deadline is set aside too: it may then land twice, never zero times.
   * The summaries of refusal windows still open are written first.
   */
  async close(): Promise<void> {
    clearInterval(this.refusalSweep);
    for (const summary of this.refusals.drain()) await this.append(summary);
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    let budget: NodeJS.Timeout | undefined;
    await Promise.race([
      this.flush(),
      new Promise<void>((resolve) => (budget = setTimeout(resolve, this.options.closeBudgetInMs ?? 5000))),
    ]);
    clearTimeout(budget);
    this.closed = true;
    for (const item of this.waiting.splice(0)) {
      if (item.claim && this.options.setAside) await this.releaseClaim(item);
      else await this.spill(item.entry, 'shutdown');
    }
  }

  /** What is not right with the trail now, one short line each (for /readyz); empty when all is well. */
  degradation(): string[] {
    const plural = (n: number): string => `${n} record${n === 1 ? '' : 's'}`;
    const lines: string[] = [];
    const waiting = this.waiting.length + this.keptUnwritten;
    if (waiting > 0) lines.push(`audit: ${plural(waiting)} waiting to be written`);
    if (this.keptRefused > 0) lines.push(`audit: ${plural(this.keptRefused)} refused by the audit log, set aside for an operator`);
    if (this.lost > 0) lines.push(`audit: ${plural(this.lost)} could not be set aside and are only in the process log`);
    return lines;
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.waiting.length === 0 && !(await this.takeUnwritten())) break;
      const next = this.waiting[0];
      if (!next) break;
      try {
        await this.options.log.append(next.entry);
      } catch (error) {
        if (!isPermanentAuditFailure(error)) {
          // The log is down: hand unwritten records back at once, so that no claim is held for long.
          await this.releaseClaims();
          break;
        }
        this.remove(next);
        await this.setAsideRefused(next, error);
        continue;
      }
      this.remove(next);
      if (next.claim) await this.forget(next.claim);
    }
    await this.recount();
  }

  /** Queues unwritten records from the set-aside store; false when there were none (or it is not in use). */
  private async takeUnwritten(): Promise<boolean> {
    const setAside = this.options.setAside;
    if (!setAside || this.closed || this.keptUnwritten === 0) return false;
    let claimed;
    try {
      claimed = await setAside.claim(Math.max(1, Math.min(CLAIM_BATCH, this.maxPending)));
    } catch {
      return false; // the next pass tries again
    }
    if (claimed.length === 0) this.keptUnwritten = 0;
    this.waiting.push(...claimed);
    return claimed.length > 0;
  }

  private get maxPending(): number {
    return this.options.maxPending ?? DEFAULT_MAX_PENDING;
  }

  private async defer(entry: AuditEntry, error: unknown): Promise<void> {
    this.options.onDeferred?.(entry, error);
    const inMemory = this.waiting.filter((item) => !item.claim).length;
    if (this.closed || inMemory >= this.maxPending) return this.spill(entry, this.closed ? 'shutdown' : 'queue_full');
    this.waiting.push({ entry });
    this.startTimer();
  }

  private startTimer(): void {
    if (this.closed) return;
    this.timer ??= setInterval(() => {
      void this.flush().then(() => {
        if (this.waiting.length === 0 && this.keptUnwritten === 0 && this.timer) {
          clearInterval(this.timer);
          this.timer = undefined;
        }
      });
    }, RETRY_INTERVAL_IN_MS);
    this.timer.unref();
  }

  private remove(item: Waiting): void {
    const index = this.waiting.indexOf(item);
    if (index >= 0) this.waiting.splice(index, 1);
  }

  /** Sets aside a record the log will never take, and moves on. */
  private async setAsideRefused(item: Waiting, error: unknown): Promise<void> {
    const setAside = this.options.setAside;
    if (!setAside) {
      this.lost += 1;
      this.options.onSetAside?.({ entry: item.entry, reason: 'refused', error, failure: new Error('No set-aside store is configured.') });
      return;
    }
    try {
      const where = await setAside.refused(item.entry, error);
      this.keptRefused += 1;
      if (item.claim) await this.forget(item.claim);
      this.options.onSetAside?.({ entry: item.entry, reason: 'refused', error, where });
    } catch (failure) {
      this.lost += 1;
      this.options.onSetAside?.({ entry: item.entry, reason: 'refused', error, failure });
    }
  }

  /** Keeps a record the log could not take in time, to be written later. */
  private async spill(entry: AuditEntry, reason: 'queue_full' | 'shutdown'): Promise<void> {
    const setAside = this.options.setAside;
    if (!setAside) {
      this.lost += 1;
      this.options.onSetAside?.({ entry, reason, failure: new Error('No set-aside store is configured.') });
      return;
    }
    try {
      const where = await setAside.unwritten(entry);
      this.keptUnwritten += 1;
      this.startTimer();
      this.options.onSetAside?.({ entry, reason, where });
    } catch (failure) {
      this.lost += 1;
      this.options.onSetAside?.({ entry, reason, failure });
    }
  }

  private async releaseClaims(): Promise<void> {
    for (const item of this.waiting.filter((waiting) => waiting.claim)) {
      this.remove(item);
      await this.releaseClaim(item);
    }
  }

  /** Puts a claimed record back for later; if even that fails, it is still on disk under its claim name. */
  private async releaseClaim(item: Waiting): Promise<void> {
    if (!item.claim || !this.options.setAside) return;
    try {
      await this.options.setAside.release(item.claim);
    } catch {
      // The file keeps its claim name; the next claim (this or another process) takes it over.
    }
    this.keptUnwritten += 1;
  }

  private async forget(claim: string): Promise<void> {
    try {
      await this.options.setAside?.landed(claim);
    } catch {
      // It landed; a file left behind only means it may be written again (at least once, never lost).
    }
  }

  private async recount(): Promise<void> {
    try {
      const counts = await this.options.setAside?.counts();
      if (!counts) return;
      this.keptRefused = counts.refused;
      // Our own claims are on disk too, but they are counted as waiting in memory.
      this.keptUnwritten = Math.max(0, counts.unwritten - this.waiting.filter((item) => item.claim).length);
    } catch {
      // keep the last counts
    }
  }

  private stamp(entry: Omit<AuditEntry, 'at'>): AuditEntry {
    return { ...entry, at: this.options.clock.now().toISOString() };
  }
}
