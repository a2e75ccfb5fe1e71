/**
 * One execution of a bulk run: the revokes in Graph JSON batches of 20, paced to Graph's write
 * quota (src/domain/pacing.ts: a token bucket of 3,000 requests per 150 s per app and tenant,
 * corrected by every 429's Retry-After; docs/bulk-pacing.md), at most `maxInFlight` batches at a
 * time, with one person's delegated directory. This object is the run's only writer while it
 * holds the run's lease (src/domain/bulkRun.ts).
 *
 * Storage: the run's document holds its state, lease and a fold of the items, and is written when
 * the execution opens the run's ledger, renews its lease (every few seconds, folding the items in)
 * and ends; the items' states go to pages of a few hundred users (src/app/bulk/bulkRunPages.ts),
 * so what a batch writes does not grow with the run.
 *
 * Exactly once per user, even across restarts:
 * 1. Before a batch goes out, its items are stored as `sent` (attempts + 1, sentAt = now), and it
 *    goes out only while this execution's lease has at least a batch's time budget left.
 * 2. After it, each item is stored as `revoked`, `failed`, or `pending` again for a retry.
 * 3. An item found `sent` — left by an execution that died (on resume), or whose batch's fate is
 *    unknown (time-out, dropped connection, a 504: see below) — is never sent blindly again: the
 *    user is read back, and a signInSessionsValidFromDateTime at or after sentAt − 1 s (Graph
 *    stamps whole seconds) counts as revoked ("verified") without another revoke. Otherwise it
 *    is sent again while its attempts last.
 *
 * Per item: 2xx → revoked; 403 (a target this person may not touch), 404, 400 → failed at once;
 * 429 → retried: the batch's largest inner Retry-After corrects the pacer, so no batch goes out
 * before it and the ones after are paced from an empty bucket; 5xx → retried after a second;
 * 504 or no answer → verified. Retries are bounded by `maxAttempts` sends per item; then the item fails with the
 * last code. A sign-in problem (expired, MFA, consent, invalid) stops the execution: nothing more
 * is sent, the items go back to `pending`, the run stays `running` with `stopped` set, and a
 * resume with a fresh sign-in continues it.
 *
 * The person running it is revoked last, alone, so their own token keeps working to the end.
 *
 * Audit: one record per user result (`revocation.succeeded` / `revocation.failed`, requestId = the
 * run id, target = the user, actor = whose token ran it), so "who revoked Adele, when" has the
 * same answer for bulk and single revokes; a read-back says so in `detail`.
 */
import type { AuditTrail } from '../auditTrail';
import type { BulkDirectoryGateway, DirectoryFailure, DirectoryFailureCode, ItemOutcome } from '../ports/directory';
import { isStorageUnavailable, type StateStore, type StoredItem } from '../ports/stateStore';
import {
  BULK_BATCH_SIZE,
  finishIfDone,
  holdsExecution,
  markStopped,
  releaseExecution,
  renewLease,
  reportOf,
  sendItem,
  settleItem,
  type BulkItem,
  type BulkProgress,
  type BulkReport,
  type BulkRun,
  type ItemResult,
} from '../../domain/bulkRun';
import type { PersonRef } from '../../domain/people';
import type { RevocationFailureCode } from '../../domain/problems';
import { deadlineIn, monotonicNow, msUntil, type Clock, type Deadline } from '../../domain/clock';
import type { Pacer, RateQuota, Reservation } from '../../domain/pacing';
import { BULK_PAGE_SIZE, PagesLost, RunPages } from './bulkRunPages';

/** How an execution ended. */
export type ExecutionOutcome =
  | { readonly kind: 'completed'; readonly run: BulkRun; readonly report: BulkReport }
  /** Stopped by cancel: batches already out were accounted for; the rest never sent (report.notAttempted). */
  | { readonly kind: 'cancelled'; readonly run: BulkRun; readonly report: BulkReport }
  /** The person's sign-in stopped working: the run waits (state running, `stopped` set) for resume with a fresh one. */
  | { readonly kind: 'stopped'; readonly run: BulkRun; readonly report: BulkReport; readonly failure: DirectoryFailure }
  /**
   * This instance let go of the run: `closed` (shutdown; lease released, resume at once elsewhere),
   * `taken_over` (another executor holds it), `gone` (deleted), `storage_unavailable` (the store
   * failed: whatever was `sent` is verified by the next resume, after the lease runs out).
   */
  | { readonly kind: 'interrupted'; readonly runId: string; readonly reason: 'closed' | 'taken_over' | 'gone' | 'storage_unavailable' };

/**
 * Told after every stored batch result, in order; a failing observer never stops the run.
 * `timeLeftInMs`: how long the users not yet sent need at the pace Graph allows (undefined when
 * nothing is left to send or the run is stopping).
 */
export interface BulkObserver {
  onProgress?(progress: BulkProgress, run: BulkRun, timeLeftInMs: number | undefined): void | Promise<void>;
}

export interface ExecutionSettings {
  readonly maxInFlight: number;
  readonly maxAttempts: number;
  readonly leaseInMs: number;
  /** The longest Retry-After honoured as such (longer ones are waited for this long, then the item is tried again). */
  readonly maxRetryAfterInSeconds: number;
  /** Wait before reading back items whose batch's fate is unknown (let a late answer land first). */
  readonly settleInMs: number;
  /** Time budget for one batch (Graph client retries included); a batch goes out only while the lease has this much left. */
  readonly batchBudgetInMs: number;
  /** The write quota sends are paced to: Graph's identity writes per app and tenant unless told otherwise. */
  readonly writeQuota: RateQuota;
}

export interface ExecutionDeps {
  readonly store: StateStore;
  readonly namespace: string;
  readonly audit: AuditTrail;
  readonly settings: ExecutionSettings;
  readonly retention: () => Date;
  readonly clock: Clock;
  /** The pacer of this run's tenant (shared by every execution of the tenant in this process). */
  readonly pacer: Pacer;
  /** Told when an observer or an audit write failed (no values that could be secrets). */
  readonly onError?: (error: unknown, context: string) => void;
}

const SIGN_IN_PROBLEMS: ReadonlySet<DirectoryFailureCode> = new Set<DirectoryFailureCode>([
  'sign_in_expired',
  'interaction_required',
  'consent_required',
  'token_invalid',
  'bot_misconfigured',
]);
const FINAL_PROBLEMS: ReadonlySet<DirectoryFailureCode> = new Set<DirectoryFailureCode>(['forbidden', 'not_found', 'bad_request']);
const RETRY_PROBLEMS: ReadonlySet<DirectoryFailureCode> = new Set<DirectoryFailureCode>(['throttled', 'graph_unavailable']);

/** The one failure code the domain knows for a directory failure. */
export function revocationCode(code: DirectoryFailureCode): RevocationFailureCode {
  return code === 'bot_misconfigured' ? 'unexpected' : code;
}

class Lost extends Error {
  constructor(readonly reason: 'taken_over' | 'gone' | 'storage_unavailable') {
    super(`bulk execution lost its run (${reason})`);
  }
}

type Halt = { readonly kind: 'closed' } | { readonly kind: 'stopped'; readonly failure: DirectoryFailure };

export class BulkExecution {
  /** The run's document as last stored (its etag is the one to compare-and-set). */
  private base: StoredItem<BulkRun>;
  /** The items' current states, in the run's order (what the pages hold once stored). */
  private items: BulkItem[];
  private readonly positions = new Map<string, number>();
  /** How many items are in each status (kept as items change, so progress is not a walk over every item). */
  private readonly tally: Record<BulkItem['status'], number> = { pending: 0, sent: 0, revoked: 0, failed: 0 };
  private pages: RunPages | undefined;
  private baseWriting: Promise<unknown> = Promise.resolve();
  private renewing: Promise<unknown> | undefined;
  /** Monotonic: when the lease this execution last stored runs out. */
  private leaseDeadline: Deadline = 0;
  private halt: Halt | undefined;
  private readonly stopSignal = new AbortController();
  /** Why an item's fate is unknown (for its code if it ends failed), and read-back failures per item. */
  private readonly unknownCodes = new Map<string, RevocationFailureCode>();
  private readonly readBackFailures = new Map<string, number>();
  private progressChain: Promise<void> = Promise.resolve();
  private readonly audits: Promise<void>[] = [];
  private readonly actor: PersonRef;

  constructor(
    private readonly deps: ExecutionDeps,
    claimed: StoredItem<BulkRun>,
    readonly executionId: string,
    private readonly directory: BulkDirectoryGateway,
    private readonly observer: BulkObserver = {},
  ) {
    this.base = claimed;
    this.items = claimed.value.items.slice();
    this.items.forEach((item, index) => this.positions.set(item.id, index));
    this.recount();
    this.actor = claimed.value.decidedBy ?? claimed.value.requester;
  }

  get runId(): string {
    return this.base.value.id;
  }

  /** The run as it stands now: the document with the items' current states. */
  view(): BulkRun {
    return { ...this.base.value, items: this.items.slice() };
  }

  /** How long the users not yet sent need at the pace Graph allows; undefined when none are left or it is stopping. */
  timeLeftInMs(): number | undefined {
    if (this.halt || this.base.value.state !== 'running') return undefined;
    const pending = this.tally.pending;
    return pending === 0 ? undefined : this.deps.pacer.msToSend(pending, monotonicNow());
  }

  /** Asks the execution to let go (shutdown): no new batch starts; batches out are recorded; the lease is released. */
  close(): void {
    this.halt ??= { kind: 'closed' };
    this.stopSignal.abort();
  }

  /** The run's document changed elsewhere (e.g. a cancel): read it now rather than at the next lease renewal. */
  noticeChange(): void {
    if (this.halt) return;
    this.renew(0).catch(() => undefined);
  }

  /** Runs to the end (or until stopped); never rejects. */
  async run(): Promise<ExecutionOutcome> {
    try {
      await this.openLedger();
      // Items a previous execution left `sent`: its lease ran out, so whatever it sent has landed.
      await this.verify(this.ofStatus('sent'), false);
      while (!this.halt) {
        const work = this.nextRound();
        if (work.length > 0) {
          await this.round(work);
          continue;
        }
        const unknown = this.ofStatus('sent');
        if (unknown.length === 0) break;
        await this.verify(unknown, true);
      }
      return await this.finish();
    } catch (error) {
      this.halt ??= { kind: 'closed' };
      this.stopSignal.abort();
      await this.settleSideEffects();
      if (error instanceof Lost) return { kind: 'interrupted', runId: this.runId, reason: error.reason };
      if (error instanceof PagesLost) return { kind: 'interrupted', runId: this.runId, reason: error.reason };
      if (isStorageUnavailable(error)) return { kind: 'interrupted', runId: this.runId, reason: 'storage_unavailable' };
      this.deps.onError?.(error, 'bulk execution');
      return { kind: 'interrupted', runId: this.runId, reason: 'storage_unavailable' };
    }
  }

  /** Opens the run's ledger (its pages) and takes the pages over; from here on they hold the items' states. */
  private async openLedger(): Promise<void> {
    const ledger = this.base.value.ledger ?? { id: this.executionId, pageSize: BULK_PAGE_SIZE };
    await this.renew(0, (run) => ({ ...run, ledger: run.ledger ?? ledger }));
    this.pages = new RunPages(this.deps.store, this.base.value, this.executionId, this.deps.retention);
    this.items = await this.pages.adopt();
    this.recount();
  }

  /** Replaces an item (same position), keeping the tally. */
  private put(index: number, item: BulkItem): void {
    const before = this.items[index];
    if (before) this.tally[before.status] -= 1;
    this.tally[item.status] += 1;
    this.items[index] = item;
  }

  private recount(): void {
    for (const status of Object.keys(this.tally) as BulkItem['status'][]) this.tally[status] = 0;
    for (const item of this.items) this.tally[item.status] += 1;
  }

  private ofStatus(status: BulkItem['status']): BulkItem[] {
    return this.items.filter((i) => i.status === status);
  }

  private maySend(): boolean {
    return !this.halt && this.base.value.state === 'running';
  }

  /** Pending items to send now; the executing person's own item only once nothing else is left. */
  private nextRound(): string[] {
    if (this.base.value.state !== 'running') return [];
    const self = this.actor.aadObjectId.toLowerCase();
    const pending = this.items.filter((i) => i.status === 'pending');
    const others = pending.filter((i) => i.id !== self);
    if (others.length > 0) return others.map((i) => i.id);
    if (this.items.some((i) => i.status === 'sent' && i.id !== self)) return [];
    return pending.map((i) => i.id);
  }

  /** Sends `ids` in batches, at most maxInFlight at a time, each when the pacer lets it go. */
  private async round(ids: readonly string[]): Promise<void> {
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += BULK_BATCH_SIZE) chunks.push(ids.slice(i, i + BULK_BATCH_SIZE));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (this.maySend() && next < chunks.length) {
        const part = chunks[next];
        next += 1;
        if (part === undefined) return;
        const reservation = await this.paced(part.length);
        if (!reservation || !this.maySend()) return;
        await this.sendBatch(part, reservation);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.deps.settings.maxInFlight, chunks.length)) }, worker));
  }

  /** Whether stop() or a failure has set the halt (read afresh: it changes while this awaits). */
  private stopping(): boolean {
    return this.halt !== undefined;
  }

  /** Waits until the pacer lets `tokens` requests go (again after a correction voided the reservation); undefined when stopping. */
  private async paced(tokens: number): Promise<Reservation | undefined> {
    const pacer = this.deps.pacer;
    while (!this.halt) {
      const reservation = pacer.reserve(tokens, monotonicNow());
      // A timer may fire early (Node measures it from the event loop's cached time), so wait until the time has really come.
      for (
        let waitInMs = reservation.sendAt - monotonicNow();
        waitInMs > 0 && !this.stopping();
        waitInMs = reservation.sendAt - monotonicNow()
      ) {
        // A long wait (a large Retry-After) must not let the lease run out meanwhile.
        if (waitInMs > this.deps.settings.leaseInMs / 3) await this.keepLease(waitInMs);
        await this.sleep(waitInMs);
      }
      if (pacer.isCurrent(reservation)) return reservation;
    }
    return undefined;
  }

  private async sendBatch(ids: readonly string[], reservation: Reservation): Promise<void> {
    const { settings } = this.deps;
    await this.keepLease(0);
    if (!this.maySend()) return;
    const now = this.deps.clock.now();
    const sending: string[] = [];
    const changed: number[] = [];
    for (const id of ids) {
      const index = this.positions.get(id);
      if (index === undefined) continue;
      const item = this.items[index];
      if (item === undefined) continue;
      const sent = sendItem(item, now);
      if (sent === item) continue;
      this.put(index, sent);
      sending.push(id);
      changed.push(index);
    }
    if (sending.length === 0) return;
    await this.persist(changed);
    // Marked `sent`. It goes out only with time left on the lease (a slow write may have eaten into
    // it), and is given up by the lease's end at the latest: a run is taken over only after that.
    await this.keepLease(0);
    if (msUntil(this.leaseDeadline) <= Math.min(settings.batchBudgetInMs, settings.leaseInMs / 2)) throw new Lost('storage_unavailable');
    const sentAt = monotonicNow();
    const answer = await this.directory.revokeMany(sending, {
      deadline: Math.min(deadlineIn(settings.batchBudgetInMs), this.leaseDeadline),
    });
    this.deps.pacer.answered(reservation, monotonicNow());
    const results: ItemResult[] = [];
    let throttledForInSeconds: number | undefined;
    let unavailable = false;
    const throttledFor = (failure: DirectoryFailure): void => {
      const seconds = Math.min(failure.retryAfterInSeconds ?? 1, settings.maxRetryAfterInSeconds);
      throttledForInSeconds = Math.max(throttledForInSeconds ?? 0, seconds);
    };
    if (!answer.ok) {
      const failure = answer.error;
      for (const id of sending) {
        const result = this.resultFor(id, { ok: false, error: failure }, true);
        if (result) results.push(result);
      }
      if (failure.code === 'throttled') throttledFor(failure);
    } else {
      for (const id of sending) {
        const outcome: ItemOutcome = answer.value.get(id) ?? { ok: false, error: { code: 'unexpected' } };
        const withBatchId: ItemOutcome =
          outcome.ok && !outcome.graphRequestId && answer.graphRequestId ? { ...outcome, graphRequestId: answer.graphRequestId } : outcome;
        const result = this.resultFor(id, withBatchId, false);
        if (result) results.push(result);
        if (!outcome.ok && outcome.error.code === 'throttled') throttledFor(outcome.error);
        if (!outcome.ok && outcome.error.code === 'graph_unavailable') unavailable = true;
      }
    }
    if (throttledForInSeconds !== undefined)
      this.deps.pacer.throttled({ sentAt, retryAfterInMs: throttledForInSeconds * 1000 }, monotonicNow());
    if (unavailable) this.deps.pacer.pause(deadlineIn(1000));
    await this.record(results);
  }

  /**
   * What one item's answer means (see the module comment); undefined when its fate is unknown
   * (stays `sent`, to be read back). For a failure of the whole batch (`outer`), only a throttled
   * or refused batch is known not to have run: a 5xx after the client's retries, a dropped
   * connection or a time-out may have run some steps, so those are read back, not re-sent.
   */
  private resultFor(id: string, outcome: ItemOutcome, outer: boolean): ItemResult | undefined {
    if (outcome.ok) return { id, kind: 'revoked', ...(outcome.graphRequestId ? { graphRequestId: outcome.graphRequestId } : {}) };
    const { error } = outcome;
    const code = revocationCode(error.code);
    const graphRequestId = error.graphRequestId ? { graphRequestId: error.graphRequestId } : {};
    if (SIGN_IN_PROBLEMS.has(error.code)) {
      this.halt ??= { kind: 'stopped', failure: error };
      return { id, kind: 'requeue', code };
    }
    if (FINAL_PROBLEMS.has(error.code))
      return { id, kind: 'failed', code: outer && code === 'not_found' ? 'unexpected' : code, ...graphRequestId };
    if (outer ? error.code === 'throttled' : RETRY_PROBLEMS.has(error.code)) return { id, kind: 'retry', code, ...graphRequestId };
    this.unknownCodes.set(id, code);
    return undefined;
  }

  /**
   * Reads users back whose revoke may or may not have happened. `settle`: wait first, so a batch
   * that timed out on our side but still ran in Graph has landed before we look.
   */
  private async verify(items: readonly BulkItem[], settle: boolean): Promise<void> {
    if (items.length === 0) return;
    if (settle && this.deps.settings.settleInMs > 0) await this.sleep(this.deps.settings.settleInMs);
    // Shutting down: leave them `sent`; the next execution reads them back when they have surely landed.
    if (settle && this.halt) return;
    const results: ItemResult[] = [];
    const queue = items.values();
    const worker = async (): Promise<void> => {
      for (const item of queue) {
        const read = await this.directory.getUser(
          { kind: 'objectId', id: item.id },
          { deadline: deadlineIn(this.deps.settings.batchBudgetInMs) },
        );
        if (read.ok) {
          const validFrom = Date.parse(read.value.signInSessionsValidFrom ?? '');
          const sentAt = Date.parse(item.sentAt ?? '');
          if (Number.isFinite(validFrom) && Number.isFinite(sentAt) && validFrom >= sentAt - 1000) {
            results.push({
              id: item.id,
              kind: 'revoked',
              verified: true,
              ...(read.graphRequestId ? { graphRequestId: read.graphRequestId } : {}),
            });
          } else {
            results.push({ id: item.id, kind: 'retry', code: this.unknownCodes.get(item.id) ?? 'timeout' });
          }
          continue;
        }
        const code = read.error.code;
        if (code === 'not_found')
          results.push({
            id: item.id,
            kind: 'failed',
            code: 'not_found',
            ...(read.error.graphRequestId ? { graphRequestId: read.error.graphRequestId } : {}),
          });
        else if (SIGN_IN_PROBLEMS.has(code)) this.halt ??= { kind: 'stopped', failure: read.error };
        else {
          const failures = (this.readBackFailures.get(item.id) ?? 0) + 1;
          this.readBackFailures.set(item.id, failures);
          if (failures >= this.deps.settings.maxAttempts) results.push({ id: item.id, kind: 'failed', code: revocationCode(code) });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.deps.settings.maxInFlight, items.length)) }, worker));
    await this.record(results);
    if (!this.halt && this.tally.sent > 0 && results.length < items.length) await this.sleep(1000);
  }

  /** Stores results, then audits the settled ones and tells the observer. */
  private async record(results: readonly ItemResult[]): Promise<void> {
    if (results.length === 0) return;
    const now = this.deps.clock.now();
    const changed: number[] = [];
    const settled: BulkItem[] = [];
    for (const result of results) {
      const index = this.positions.get(result.id);
      if (index === undefined) continue;
      const item = this.items[index];
      if (item === undefined) continue;
      const after = settleItem(item, result, now, this.deps.settings.maxAttempts);
      if (after === item) continue;
      this.put(index, after);
      changed.push(index);
      if (after.status === 'revoked' || after.status === 'failed') settled.push(after);
    }
    if (changed.length === 0) return;
    await this.persist(changed);
    for (const item of settled) this.auditItem(item);
    this.notify();
  }

  /** Stores the pages of the changed items; a failure stops every worker (nothing may go out unrecorded). */
  private async persist(indexes: readonly number[]): Promise<void> {
    try {
      if (!this.pages) throw new Error('the run pages were not loaded before a send');
      await this.pages.save(this.items, indexes);
    } catch (error) {
      this.halt ??= { kind: 'closed' };
      this.stopSignal.abort();
      throw error;
    }
  }

  private auditItem(item: BulkItem): void {
    const run = this.base.value;
    const revoked = item.status === 'revoked';
    const entry = {
      tenantId: run.tenantId,
      action: revoked ? ('revocation.succeeded' as const) : ('revocation.failed' as const),
      outcome: revoked ? ('ok' as const) : ('failed' as const),
      actor: { aadObjectId: this.actor.aadObjectId, userPrincipalName: this.actor.userPrincipalName, name: this.actor.name },
      target: { id: item.id, userPrincipalName: item.userPrincipalName, displayName: item.displayName },
      requestId: run.id,
      code: revoked ? undefined : item.code,
      graphRequestId: item.graphRequestId,
      detail: item.verified
        ? `Bulk run (${run.source.kind} ${run.source.label}): revoked, verified by reading the user back after an interruption.`
        : `Bulk run (${run.source.kind} ${run.source.label}), attempt ${item.attempts}.`,
    };
    this.audits.push(this.deps.audit.after(entry).catch((error: unknown) => this.deps.onError?.(error, 'bulk audit')));
  }

  private notify(): void {
    const observer = this.observer;
    if (!observer.onProgress) return;
    const run = this.view();
    const { revoked: done, failed } = this.tally;
    const progress: BulkProgress = { done, failed, remaining: this.items.length - done - failed };
    const timeLeft = this.timeLeftInMs();
    this.progressChain = this.progressChain
      .then(() => observer.onProgress?.(progress, run, timeLeft))
      .catch((error: unknown) => this.deps.onError?.(error, 'bulk progress observer'));
  }

  /** Folds the items into the run's document as it ends (closing the ledger), then removes the pages. */
  private async finish(): Promise<ExecutionOutcome> {
    await this.pages?.idle();
    const now = this.deps.clock.now();
    const halt = this.halt;
    const closeLedger = (run: BulkRun): BulkRun => {
      const { ledger: _ledger, ...rest } = run;
      return rest;
    };
    let run: BulkRun;
    if (halt?.kind === 'stopped')
      run = await this.writeBase((r) => closeLedger(markStopped(r, this.executionId, revocationCode(halt.failure.code), now)));
    else if (halt?.kind === 'closed') run = await this.writeBase((r) => closeLedger(releaseExecution(r, this.executionId, now)));
    else run = await this.writeBase((r) => closeLedger(finishIfDone(r, now)));
    await this.pages?.remove();
    await this.settleSideEffects();
    const report = reportOf(run);
    if (halt?.kind === 'stopped') return { kind: 'stopped', run, report, failure: halt.failure };
    if (halt?.kind === 'closed') return { kind: 'interrupted', runId: run.id, reason: 'closed' };
    if (run.state === 'cancelled') return { kind: 'cancelled', run, report };
    if (run.state === 'completed') return { kind: 'completed', run, report };
    return { kind: 'interrupted', runId: run.id, reason: 'taken_over' };
  }

  /** Audits land and the observer hears everything before the outcome is told. */
  private async settleSideEffects(): Promise<void> {
    await Promise.all(this.audits);
    await this.progressChain;
  }

  /**
   * Renews the lease when it is due (every few seconds of sending: min(5 s, lease ÷ 4)) or when
   * `aheadInMs` more is needed (before a long wait). Each renewal also reads what others wrote
   * (a cancel stops new batches).
   */
  private async keepLease(aheadInMs: number): Promise<void> {
    const { leaseInMs } = this.deps.settings;
    const renewEveryInMs = Math.min(5000, leaseInMs / 4);
    while (!this.halt && msUntil(this.leaseDeadline) < leaseInMs - renewEveryInMs + aheadInMs) {
      if (this.renewing) await this.renewing.catch(() => undefined);
      else await this.renew(aheadInMs);
    }
  }

  /** Stores a lease `leaseInMs + aheadInMs` from now (with `also` applied), reading what others wrote on a conflict. */
  private async renew(aheadInMs: number, also: (run: BulkRun) => BulkRun = (run) => run): Promise<void> {
    const { leaseInMs } = this.deps.settings;
    const renewal = this.writeBase(
      (run) => renewLease(also(run), this.executionId, new Date(this.deps.clock.now().getTime() + aheadInMs), leaseInMs),
      aheadInMs + leaseInMs,
    );
    this.renewing = renewal;
    try {
      await renewal;
    } finally {
      if (this.renewing === renewal) this.renewing = undefined;
    }
  }

  /** Waits `ms`, or less if the execution is told to stop. */
  private sleep(ms: number): Promise<void> {
    const signal = this.stopSignal.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /**
   * Writes the run's document (with the items' current states folded in), one change at a time,
   * each a compare-and-set on the last etag. A conflict means someone else wrote (a cancel, a card
   * reference): re-read and apply the change to theirs, unless the run is gone or another
   * execution holds it now. `leaseForInMs`: the change stores a lease that long from now.
   */
  private writeBase(change: (run: BulkRun) => BulkRun, leaseForInMs?: number): Promise<BulkRun> {
    const next = this.baseWriting.then(async () => {
      for (let attempt = 0; attempt < 8; attempt += 1) {
        const started = monotonicNow();
        const updated = change({ ...this.base.value, items: this.items.slice() });
        const saved = await this.deps.store.replace(this.deps.namespace, updated.id, updated, this.base.etag, {
          expiresAt: this.deps.retention(),
        });
        if (saved.ok) {
          this.base = { value: updated, etag: saved.etag };
          if (leaseForInMs !== undefined && holdsExecution(updated, this.executionId)) this.leaseDeadline = started + leaseForInMs;
          return updated;
        }
        if (saved.reason === 'missing') throw new Lost('gone');
        const fresh = await this.deps.store.get<BulkRun>(this.deps.namespace, updated.id);
        if (!fresh) throw new Lost('gone');
        if (!holdsExecution(fresh.value, this.executionId)) throw new Lost('taken_over');
        this.base = fresh;
      }
      throw new Lost('storage_unavailable');
    });
    this.baseWriting = next.catch(() => undefined);
    return next.catch((error: unknown) => {
      // A lost run stops everything: no batch may go out without its lease.
      this.halt ??= { kind: 'closed' };
      this.stopSignal.abort();
      throw error;
    });
  }
}
