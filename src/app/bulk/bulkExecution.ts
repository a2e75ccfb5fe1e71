/**
 * One execution of a bulk run: the revokes in Graph JSON batches of 20, at most `maxInFlight`
 * batches at a time, with one person's delegated directory. This object is the run's only writer
 * while it holds the run's lease (src/domain/bulkRun.ts).
 *
 * Exactly once per user, even across restarts:
 * 1. Before a batch goes out, its items are stored as `sent` (attempts + 1, sentAt = now).
 * 2. After it, each item is stored as `revoked`, `failed`, or `pending` again for a retry.
 * 3. An item found `sent` — left by an execution that died (on resume), or whose batch's fate is
 *    unknown (time-out, dropped connection, a 504: see below) — is never sent blindly again: the
 *    user is read back, and a signInSessionsValidFromDateTime at or after sentAt − 1 s (Graph
 *    stamps whole seconds) counts as revoked ("verified") without another revoke. Otherwise it
 *    is sent again while its attempts last.
 *
 * Per item: 2xx → revoked; 403 (a target this person may not touch), 404, 400 → failed at once;
 * 429 → retried after the batch's largest inner Retry-After (no new batch starts meanwhile, which
 * also honours the throttling for the batches not yet sent); 5xx → retried; 504 or no answer →
 * verified. Retries are bounded by `maxAttempts` sends per item; then the item fails with the
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
  markSent,
  markStopped,
  progressOf,
  recordResults,
  releaseExecution,
  renewLease,
  reportOf,
  type BulkItem,
  type BulkProgress,
  type BulkReport,
  type BulkRun,
  type ItemResult,
} from '../../domain/bulkRun';
import type { PersonRef } from '../../domain/people';
import type { RevocationFailureCode } from '../../domain/problems';
import { deadlineIn, msUntil, type Clock, type Deadline } from '../../domain/clock';

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

/** Told after every stored batch result, in order; a failing observer never stops the run. */
export interface BulkObserver {
  onProgress?(progress: BulkProgress, run: BulkRun): void | Promise<void>;
}

export interface ExecutionSettings {
  readonly maxInFlight: number;
  readonly maxAttempts: number;
  readonly leaseInMs: number;
  /** The longest Retry-After honoured as such (longer ones are waited for this long, then the item is tried again). */
  readonly maxRetryAfterInSeconds: number;
  /** Wait before reading back items whose batch's fate is unknown (let a late answer land first). */
  readonly settleInMs: number;
  /** Time budget for one batch (Graph client retries included). */
  readonly batchBudgetInMs: number;
}

export interface ExecutionDeps {
  readonly store: StateStore;
  readonly namespace: string;
  readonly audit: AuditTrail;
  readonly settings: ExecutionSettings;
  readonly retention: () => Date;
  readonly clock: Clock;
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
  private current: StoredItem<BulkRun>;
  private writing: Promise<unknown> = Promise.resolve();
  private halt: Halt | undefined;
  private readonly stopSignal = new AbortController();
  /** No batch starts before this (monotonic): the largest Retry-After seen. */
  private notBefore: Deadline = 0;
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
    this.current = claimed;
    this.actor = claimed.value.decidedBy ?? claimed.value.requester;
  }

  get runId(): string {
    return this.current.value.id;
  }

  /** Asks the execution to let go (shutdown): no new batch starts; batches out are recorded; the lease is released. */
  close(): void {
    this.halt ??= { kind: 'closed' };
    this.stopSignal.abort();
  }

  /** Runs to the end (or until stopped); never rejects. */
  async run(): Promise<ExecutionOutcome> {
    try {
      // Items a previous execution left `sent`: its lease ran out, so whatever it sent has landed.
      await this.verify(this.items('sent'), false);
      while (!this.halt) {
        const work = this.nextRound();
        if (work.length > 0) {
          await this.round(work);
          continue;
        }
        const unknown = this.items('sent');
        if (unknown.length === 0) break;
        await this.verify(unknown, true);
      }
      return await this.finish();
    } catch (error) {
      await this.settleSideEffects();
      if (error instanceof Lost) return { kind: 'interrupted', runId: this.runId, reason: error.reason };
      if (isStorageUnavailable(error)) return { kind: 'interrupted', runId: this.runId, reason: 'storage_unavailable' };
      this.deps.onError?.(error, 'bulk execution');
      return { kind: 'interrupted', runId: this.runId, reason: 'storage_unavailable' };
    }
  }

  private items(status: BulkItem['status']): BulkItem[] {
    return this.current.value.items.filter((i) => i.status === status);
  }

  /** Pending items to send now; the executing person's own item only once nothing else is left. */
  private nextRound(): string[] {
    const run = this.current.value;
    if (run.state !== 'running') return [];
    const self = this.actor.aadObjectId.toLowerCase();
    const pending = run.items.filter((i) => i.status === 'pending');
    const others = pending.filter((i) => i.id !== self);
    if (others.length > 0) return others.map((i) => i.id);
    if (run.items.some((i) => i.status === 'sent' && i.id !== self)) return [];
    return pending.map((i) => i.id);
  }

  /** Sends `ids` in batches, at most maxInFlight at a time, each waiting for the throttling gate. */
  private async round(ids: readonly string[]): Promise<void> {
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += BULK_BATCH_SIZE) chunks.push(ids.slice(i, i + BULK_BATCH_SIZE));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (!this.halt && next < chunks.length) {
        await this.waitForGate();
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- stop() sets halt while this awaits; TypeScript keeps the loop test's narrowing across the await
        if (this.halt) return;
        // Another worker may have taken the last chunk while this one waited for the gate.
        const part = chunks[next];
        next += 1;
        if (part === undefined) return;
        await this.sendBatch(part);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.deps.settings.maxInFlight, chunks.length)) }, worker));
  }

  private async sendBatch(ids: readonly string[]): Promise<void> {
    const { settings } = this.deps;
    const marked = await this.write((run) => markSent(run, this.executionId, ids, this.deps.clock.now(), settings.leaseInMs));
    if (marked.state !== 'running') return;
    const sending = ids.filter((id) => marked.items.find((i) => i.id === id)?.status === 'sent');
    if (sending.length === 0) return;
    const answer = await this.directory.revokeMany(sending, { deadline: deadlineIn(settings.batchBudgetInMs) });
    const results: ItemResult[] = [];
    let waitInSeconds: number | undefined;
    const throttledFor = (failure: DirectoryFailure): void => {
      waitInSeconds = Math.max(waitInSeconds ?? 0, Math.min(failure.retryAfterInSeconds ?? 1, settings.maxRetryAfterInSeconds));
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
        if (!outcome.ok && outcome.error.code === 'graph_unavailable') waitInSeconds = Math.max(waitInSeconds ?? 0, 1);
      }
    }
    if (waitInSeconds !== undefined) this.notBefore = Math.max(this.notBefore, deadlineIn(waitInSeconds * 1000));
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
    if (!this.halt && this.items('sent').length > 0 && results.length < items.length) await this.sleep(1000);
  }

  /** Stores results, then audits the settled ones and tells the observer. */
  private async record(results: readonly ItemResult[]): Promise<void> {
    if (results.length === 0) return;
    const { settings } = this.deps;
    const before = new Map(this.current.value.items.map((i) => [i.id, i.status]));
    const run = await this.write((r) =>
      recordResults(r, this.executionId, results, this.deps.clock.now(), {
        maxAttempts: settings.maxAttempts,
        leaseInMs: settings.leaseInMs,
      }),
    );
    for (const item of run.items) {
      if (before.get(item.id) !== 'sent' || (item.status !== 'revoked' && item.status !== 'failed')) continue;
      this.auditItem(run, item);
    }
    this.notify(run);
  }

  private auditItem(run: BulkRun, item: BulkItem): void {
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

  private notify(run: BulkRun): void {
    const onProgress = this.observer.onProgress?.bind(this.observer);
    if (!onProgress) return;
    const progress = progressOf(run);
    this.progressChain = this.progressChain
      .then(() => onProgress(progress, run))
      .catch((error: unknown) => this.deps.onError?.(error, 'bulk progress observer'));
  }

  private async finish(): Promise<ExecutionOutcome> {
    const now = this.deps.clock.now();
    const halt = this.halt;
    let run: BulkRun;
    if (halt?.kind === 'stopped') run = await this.write((r) => markStopped(r, this.executionId, revocationCode(halt.failure.code), now));
    else if (halt?.kind === 'closed') run = await this.write((r) => releaseExecution(r, this.executionId, now));
    else run = await this.write((r) => finishIfDone(r, now));
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

  /** Waits until the throttling gate opens, renewing the lease first when the wait is long. */
  private async waitForGate(): Promise<void> {
    for (let waitInMs = msUntil(this.notBefore); waitInMs > 0 && !this.halt; waitInMs = msUntil(this.notBefore)) {
      if (waitInMs > this.deps.settings.leaseInMs / 3) {
        await this.write((r) =>
          renewLease(r, this.executionId, new Date(this.deps.clock.now().getTime() + waitInMs), this.deps.settings.leaseInMs),
        );
      }
      await this.sleep(waitInMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopSignal.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.stopSignal.signal.addEventListener('abort', done, { once: true });
    });
  }

  /**
   * The run's one writer: changes are applied one at a time, each a compare-and-set on the last
   * etag. A conflict means someone else wrote (a cancel, a card reference): re-read and apply the
   * change to theirs, unless the run is gone or another execution holds it now.
   */
  private write(change: (run: BulkRun) => BulkRun): Promise<BulkRun> {
    const next = this.writing.then(async () => {
      for (let attempt = 0; attempt < 8; attempt += 1) {
        const updated = change(this.current.value);
        if (updated === this.current.value) return updated;
        const saved = await this.deps.store.replace(this.deps.namespace, updated.id, updated, this.current.etag, {
          expiresAt: this.deps.retention(),
        });
        if (saved.ok) {
          this.current = { value: updated, etag: saved.etag };
          return updated;
        }
        if (saved.reason === 'missing') throw new Lost('gone');
        const fresh = await this.deps.store.get<BulkRun>(this.deps.namespace, updated.id);
        if (!fresh) throw new Lost('gone');
        if (!holdsExecution(fresh.value, this.executionId)) throw new Lost('taken_over');
        this.current = fresh;
      }
      throw new Lost('storage_unavailable');
    });
    this.writing = next.catch(() => undefined);
    return next.catch((error: unknown) => {
      // A lost run stops everything: no batch may go out without its `sent` mark stored.
      this.halt ??= { kind: 'closed' };
      this.stopSignal.abort();
      throw error;
    });
  }
}
