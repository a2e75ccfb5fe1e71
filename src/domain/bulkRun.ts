/**
 * A bulk revocation run: many users of one group or department, and the only ways the
 * run and its items may change. Pure, like revocationRequest.ts: every function returns a new
 * object (or the same one when nothing changes) and takes `now` explicitly. Stores make every
 * change a compare-and-set on the stored item's etag.
 *
 * ```
 *            begin (requester, no approval needed)
 *  pending ─────────────────────────────────────────▶ running ──(no item pending or sent)──▶ completed
 *   │  │ submitForApproval          approve (another   ▲   │
 *   │  └──────────────▶ awaitingApproval ─────────────┘   │ cancel (requester or whoever started it):
 *   │ cancel             │ reject → rejected               ▼ no new batches; in-flight results still recorded
 *   ▼                    │ cancel (withdraw) → cancelled  cancelled
 *  cancelled             │
 *   expired ◀────────────┘ (pending or awaitingApproval at or after expiresAt)
 * ```
 *
 * Submitting, approving, rejecting and withdrawing follow the four-eyes rules of
 * src/domain/approval.ts, like every approvable subject's; approving begins the run (BULK_APPROVALS).
 *
 * Items: `pending` → `sent` (persisted BEFORE the batch goes out, with sentAt and attempts + 1)
 * → `revoked` | `failed`, or back to `pending` for a retry (throttled, 5xx) while attempts last.
 * An item found `sent` by a later execution (the process died, or the batch's fate is unknown)
 * is verified by reading the user back, never sent blindly: that is what makes "revoked exactly
 * once" hold across restarts.
 *
 * Execution lease: exactly one executor writes a running run's items. It claims the run with an
 * execution id and a lease (`execution.leaseUntil`) that every write renews; another executor may
 * take over only after the lease has run out (the previous one died) or was released.
 */
import { err, ok, type Result } from './result';
import { requesterProblem, stateProblem, withdraw, type Approval, type ApprovableKind, type CardLocation } from './approval';
import { sameId, type PersonRef } from './people';
import type { DecisionProblem, RevocationFailureCode } from './problems';
import type { TargetTier } from './roles';

export type BulkRunState = 'pending' | 'awaitingApproval' | 'running' | 'completed' | 'cancelled' | 'rejected' | 'expired';

export type BulkItemStatus = 'pending' | 'sent' | 'revoked' | 'failed';

/** Where the users came from, as the requester named it (`label`) and as Graph resolved it (`id`). */
export interface BulkSource {
  kind: 'group' | 'department';
  label: string;
  /** The group's object id (groups only). */
  id?: string;
}

export interface BulkItem {
  id: string;
  userPrincipalName: string;
  displayName: string;
  /** Undefined when the user's memberships could not be read at preparation. */
  tier?: TargetTier;
  status: BulkItemStatus;
  /** Sends so far (each send is one revoke request inside a $batch). */
  attempts: number;
  /** When the last send was persisted, just before it went out. */
  sentAt?: string;
  /** When the item reached revoked or failed. */
  completedAt?: string;
  /** Why it failed (failed items), or the last retryable failure (pending items being retried). */
  code?: RevocationFailureCode;
  graphRequestId?: string;
  /** Revoked as found by reading the user back after an interruption, not from a revoke answer. */
  verified?: boolean;
}

/**
 * Where a running run's item states are kept: in pages of `pageSize` items, each its own
 * stored document, so a batch's result is a write of one page, not of the whole run
 * (src/app/bulk/bulkRunPages.ts). While a run has a ledger its pages are the truth and the run's
 * own `items` are as of the last time an execution folded the pages in; pages of another ledger
 * (an earlier execution's, not cleaned up) are ignored.
 */
export interface BulkLedger {
  /** Names this ledger's pages (the execution that opened it). */
  id: string;
  pageSize: number;
}

/** Who holds a running run, and until when (the executor renews it as it writes). */
export interface ExecutionLease {
  /** Changes with every executor (start, each resume). */
  id: string;
  leaseUntil: string;
}

export interface BulkRun {
  id: string;
  tenantId: string;
  requester: PersonRef;
  source: BulkSource;
  createdAt: string;
  /** Until when the run may be started, approved or rejected. */
  expiresAt: string;
  state: BulkRunState;
  items: BulkItem[];
  /** Who started, approved, rejected or cancelled it: a running run uses this person's delegated token. */
  decidedBy?: PersonRef;
  decidedAt?: string;
  startedAt?: string;
  completedAt?: string;
  /** Four eyes: present once the requester asked the security channel for approval (src/domain/approval.ts). */
  approval?: Approval;
  execution?: ExecutionLease;
  /** Present while the items' states live in pages (see BulkLedger). */
  ledger?: BulkLedger;
  /** The last time an executor stopped for want of a usable sign-in (the run waits for a resume). */
  stopped?: { code: RevocationFailureCode; at: string };
  /** Where the run's card is (for proactive progress updates). */
  card?: CardLocation;
}

/** A user as preparation found them. */
export interface BulkTarget {
  id: string;
  userPrincipalName: string;
  displayName: string;
  tier?: TargetTier;
}

/** Progress as the card shows it: done = revoked so far; remaining = not yet revoked or failed. */
export interface BulkProgress {
  done: number;
  failed: number;
  remaining: number;
}

export interface BulkFailure {
  id: string;
  userPrincipalName: string;
  displayName: string;
  tier?: TargetTier;
  code: RevocationFailureCode;
  graphRequestId?: string;
}

/** The final (or current) account of a run. */
export interface BulkReport extends BulkProgress {
  total: number;
  /** Revoked as found by read-back after an interruption (already counted in done). */
  verified: number;
  /** Never sent because the run was cancelled (counted in remaining). */
  notAttempted: number;
  failures: BulkFailure[];
}

/** What the confirmation card needs: how many, a few names, and how many admins of which tier. */
export interface BulkSummary {
  total: number;
  tiers: Record<TargetTier | 'unknown', number>;
  /** The first few names, in directory order. */
  sample: string[];
  /** Every admin (limited or privileged), for the card to list or count. */
  admins: BulkTarget[];
}

/** One item's result, as the executor decided it from Graph's answer. */
export type ItemResult =
  | { id: string; kind: 'revoked'; graphRequestId?: string; verified?: boolean }
  /** Final: not retried (403, 404, 400, or attempts exhausted elsewhere). */
  | { id: string; kind: 'failed'; code: RevocationFailureCode; graphRequestId?: string }
  /** Retryable (429, 5xx): back to pending while attempts < maxAttempts, else failed with this code. */
  | { id: string; kind: 'retry'; code: RevocationFailureCode; graphRequestId?: string }
  /** Certainly not executed (the sign-in failed before Graph ran it): back to pending whatever the attempts. */
  | { id: string; kind: 'requeue'; code: RevocationFailureCode };

export const BULK_BATCH_SIZE = 20;

/**
 * The most users one run may hold (BULK_MAX_TARGETS may lower it): a whole department. At Graph's
 * write quota 10,000 revokes take about 6 minutes (docs/bulk-pacing.md).
 */
export const MAX_BULK_TARGETS = 10_000;

/**
 * A new pending run for `targets` (duplicates by id dropped, order kept), expiring `ttlInMs`
 * after `now` unless started. Throws RangeError only for an invalid `now` (a programming error).
 */
export function createBulkRun(input: {
  id: string;
  requester: PersonRef;
  source: BulkSource;
  targets: readonly BulkTarget[];
  now: Date;
  ttlInMs: number;
}): BulkRun {
  const created = input.now.getTime();
  if (!Number.isFinite(created)) throw new RangeError('createBulkRun needs a valid `now`');
  const ttlInMs = Number.isFinite(input.ttlInMs) && input.ttlInMs > 0 ? input.ttlInMs : 0;
  const seen = new Set<string>();
  const items: BulkItem[] = [];
  for (const t of input.targets) {
    const id = t.id.toLowerCase();
    if (seen.has(id)) continue;
    seen.add(id);
    items.push({
      id,
      userPrincipalName: t.userPrincipalName,
      displayName: t.displayName,
      ...(t.tier ? { tier: t.tier } : {}),
      status: 'pending',
      attempts: 0,
    });
  }
  return {
    id: input.id,
    tenantId: input.requester.tenantId,
    requester: { ...input.requester },
    source: { ...input.source },
    createdAt: new Date(created).toISOString(),
    expiresAt: new Date(created + ttlInMs).toISOString(),
    state: 'pending',
    items,
  };
}

/**
 * The requester starts the run themself (no approval needed): `pending` → `running`. Refused for
 * another tenant, anyone but the requester, a run waiting for approval, a decided one and at or
 * after `expiresAt`; with `approvalRequired`, always refused (`approval_required`).
 */
export function beginRun(
  run: BulkRun,
  by: PersonRef,
  now: Date,
  options: { approvalRequired?: boolean } = {},
): Result<BulkRun, DecisionProblem> {
  const problem = requesterProblem(run, by) ?? stateProblem(BULK_APPROVALS, run, 'pending', now);
  if (problem) return err(problem);
  if (options.approvalRequired) return err('approval_required');
  return ok(started(run, by, now));
}

/**
 * A bulk run as an approvable subject (src/domain/approval.ts): approving starts it
 * (`awaitingApproval` → `running`) with the approver as `decidedBy`, whose token runs every batch.
 */
export const BULK_APPROVALS: ApprovableKind<BulkRun> = {
  isExecuting: (run) => run.state === 'running',
  begin: (run, approver, now) => ok(started(run, approver, now)),
};

/** Records where the run's own card is. */
export function attachBulkCard(run: BulkRun, card: CardLocation): BulkRun {
  return { ...run, card: { ...card } };
}

/**
 * Cancels: the requester may cancel a pending run or withdraw one awaiting approval (until it
 * expires); the requester or whoever started/approved it may stop a running one. A stopped run
 * sends no further batches; the results of batches already out are still recorded (the
 * executor keeps its lease for that), and items never sent stay `pending` ("not attempted").
 */
export function cancelRun(run: BulkRun, person: PersonRef, now: Date): Result<BulkRun, DecisionProblem> {
  if (run.state === 'awaitingApproval') {
    const withdrawn = withdraw(BULK_APPROVALS, run, person, now);
    return withdrawn.ok ? ok({ ...withdrawn.value, completedAt: now.toISOString() }) : withdrawn;
  }
  if (!sameId(person.tenantId, run.tenantId)) return err('wrong_tenant');
  const isRequester = sameId(person.aadObjectId, run.requester.aadObjectId);
  if (run.state === 'running') {
    if (!isRequester && !(run.decidedBy && sameId(person.aadObjectId, run.decidedBy.aadObjectId))) return err('not_requester');
  } else {
    if (!isRequester) return err('not_requester');
    if (run.state !== 'pending') return err(run.state === 'expired' ? 'expired' : 'already_decided');
    if (!(now.getTime() < Date.parse(run.expiresAt))) return err('expired');
  }
  return ok({
    ...run,
    state: 'cancelled',
    decidedBy: { ...person },
    decidedAt: now.toISOString(),
    ...(run.state === 'running' ? {} : { completedAt: now.toISOString() }),
  });
}

/** `pending` or `awaitingApproval` → `expired` once `now` ≥ `expiresAt`; anything else unchanged. */
export function expireBulkIfDue(run: BulkRun, now: Date): BulkRun {
  if ((run.state !== 'pending' && run.state !== 'awaitingApproval') || now.getTime() < Date.parse(run.expiresAt)) return run;
  return { ...run, state: 'expired' };
}

/**
 * An executor takes the run: allowed while it is `running` (or `cancelled` with items still
 * `sent`, whose results must be settled) and nobody else holds a live lease. Refused with
 * `in_progress` while another execution's lease lasts, `already_decided` otherwise.
 */
export function claimExecution(run: BulkRun, executionId: string, now: Date, leaseInMs: number): Result<BulkRun, DecisionProblem> {
  const settling = run.state === 'cancelled' && run.items.some((i) => i.status === 'sent');
  if (run.state !== 'running' && !settling) return err('already_decided');
  if (run.execution && run.execution.id !== executionId && now.getTime() < Date.parse(run.execution.leaseUntil)) return err('in_progress');
  const { stopped: _stopped, ...rest } = run;
  return ok({ ...rest, execution: { id: executionId, leaseUntil: lease(now, leaseInMs) } });
}

/** Whether `executionId` holds the run's lease (ignoring time: the holder renews it as it writes). */
export function holdsExecution(run: BulkRun, executionId: string): boolean {
  return run.execution?.id === executionId;
}

/** Extends the holder's lease (e.g. before waiting out a long Retry-After). */
export function renewLease(run: BulkRun, executionId: string, now: Date, leaseInMs: number): BulkRun {
  if (!holdsExecution(run, executionId)) return run;
  return { ...run, execution: { id: executionId, leaseUntil: lease(now, leaseInMs) } };
}

/** Ends an execution: the lease is released at once, so another executor may resume without waiting. */
export function releaseExecution(run: BulkRun, executionId: string, now: Date): BulkRun {
  if (!holdsExecution(run, executionId)) return run;
  return { ...run, execution: { id: executionId, leaseUntil: now.toISOString() } };
}

/** The executor stopped because the person's sign-in is no longer usable; the run waits for a resume. */
export function markStopped(run: BulkRun, executionId: string, code: RevocationFailureCode, now: Date): BulkRun {
  if (!holdsExecution(run, executionId)) return run;
  return { ...run, stopped: { code, at: now.toISOString() }, execution: { id: executionId, leaseUntil: now.toISOString() } };
}

/**
 * Marks items as sent just before their batch goes out: pending → sent, attempts + 1, sentAt =
 * now. Only on a `running` run held by this execution; ids not pending are left alone. Returns
 * the run unchanged when it may not send (the caller then must not send).
 */
export function markSent(run: BulkRun, executionId: string, ids: readonly string[], now: Date, leaseInMs: number): BulkRun {
  if (run.state !== 'running' || !holdsExecution(run, executionId)) return run;
  const wanted = new Set(ids);
  let changed = false;
  const items = run.items.map((item) => {
    if (!wanted.has(item.id)) return item;
    const sent = sendItem(item, now);
    if (sent !== item) changed = true;
    return sent;
  });
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set inside the map callback, where TypeScript's narrowing does not look
  if (!changed) return run;
  return { ...run, items, execution: { id: executionId, leaseUntil: lease(now, leaseInMs) } };
}

/** One item just before its batch goes out: pending → sent (attempts + 1, sentAt = now); any other item is returned as it is. */
export function sendItem(item: BulkItem, now: Date): BulkItem {
  if (item.status !== 'pending') return item;
  return { ...item, status: 'sent', attempts: item.attempts + 1, sentAt: now.toISOString() };
}

/**
 * Records results for items that are `sent` (any other item is left alone: a late or duplicate
 * result never changes a settled item). Allowed in any run state for the lease holder, so
 * batches that were out when the run was cancelled are still accounted for.
 */
export function recordResults(
  run: BulkRun,
  executionId: string,
  results: readonly ItemResult[],
  now: Date,
  options: { maxAttempts: number; leaseInMs: number },
): BulkRun {
  if (!holdsExecution(run, executionId) || results.length === 0) return run;
  const byId = new Map(results.map((r) => [r.id, r]));
  let changed = false;
  const items = run.items.map((item): BulkItem => {
    const result = byId.get(item.id);
    if (!result) return item;
    const settled = settleItem(item, result, now, options.maxAttempts);
    if (settled !== item) changed = true;
    return settled;
  });
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set inside the map callback, where TypeScript's narrowing does not look
  if (!changed) return run;
  return { ...run, items, execution: { id: executionId, leaseUntil: lease(now, options.leaseInMs) } };
}

/**
 * One item's result (see ItemResult), applied only to an item that is `sent`: any other item is
 * returned as it is, so a late or duplicate result never changes a settled item.
 */
export function settleItem(item: BulkItem, result: ItemResult, now: Date, maxAttempts: number): BulkItem {
  if (item.status !== 'sent' || result.id !== item.id) return item;
  const at = now.toISOString();
  switch (result.kind) {
    case 'revoked': {
      const { code: _code, ...rest } = item;
      return {
        ...rest,
        status: 'revoked',
        completedAt: at,
        ...(result.graphRequestId ? { graphRequestId: result.graphRequestId } : {}),
        ...(result.verified ? { verified: true } : {}),
      };
    }
    case 'failed':
      return failedItem(item, result.code, result.graphRequestId, at);
    case 'retry':
      if (item.attempts >= maxAttempts) return failedItem(item, result.code, result.graphRequestId, at);
      return { ...item, status: 'pending', code: result.code };
    case 'requeue':
      return { ...item, status: 'pending', code: result.code };
  }
}

/**
 * A running run with nothing pending or sent → `completed` (lease released). A cancelled run with
 * nothing sent gets its completedAt. Anything else unchanged.
 */
export function finishIfDone(run: BulkRun, now: Date): BulkRun {
  if (run.items.some((i) => i.status === 'sent')) return run;
  if (run.state === 'running' && !run.items.some((i) => i.status === 'pending')) {
    const execution = run.execution ? { ...run.execution, leaseUntil: now.toISOString() } : undefined;
    return { ...run, state: 'completed', completedAt: now.toISOString(), ...(execution ? { execution } : {}) };
  }
  if (run.state === 'cancelled' && run.completedAt === undefined) return { ...run, completedAt: now.toISOString() };
  return run;
}

/** Done / failed / remaining, as the progress card shows them. */
export function progressOf(run: BulkRun): BulkProgress {
  let done = 0;
  let failed = 0;
  for (const item of run.items) {
    if (item.status === 'revoked') done += 1;
    else if (item.status === 'failed') failed += 1;
  }
  return { done, failed, remaining: run.items.length - done - failed };
}

/** The account of a run: progress, every failure with its reason, and what was never attempted. */
export function reportOf(run: BulkRun): BulkReport {
  const progress = progressOf(run);
  const failures: BulkFailure[] = run.items
    .filter((i) => i.status === 'failed')
    .map((i) => ({
      id: i.id,
      userPrincipalName: i.userPrincipalName,
      displayName: i.displayName,
      ...(i.tier ? { tier: i.tier } : {}),
      code: i.code ?? 'unexpected',
      ...(i.graphRequestId ? { graphRequestId: i.graphRequestId } : {}),
    }));
  return {
    ...progress,
    total: run.items.length,
    verified: run.items.filter((i) => i.status === 'revoked' && i.verified === true).length,
    notAttempted: run.items.filter((i) => i.status === 'pending' && i.attempts === 0).length,
    failures,
  };
}

/** The confirmation card's facts about the targets. */
export function summarize(targets: readonly BulkTarget[], sampleSize = 5): BulkSummary {
  const tiers: Record<TargetTier | 'unknown', number> = { nonAdmin: 0, limitedAdmin: 0, privilegedAdmin: 0, unknown: 0 };
  for (const t of targets) tiers[t.tier ?? 'unknown'] += 1;
  return {
    total: targets.length,
    tiers,
    sample: targets.slice(0, Math.max(0, sampleSize)).map((t) => t.displayName),
    admins: targets.filter((t) => t.tier === 'limitedAdmin' || t.tier === 'privilegedAdmin').map((t) => ({ ...t })),
  };
}

/** Whether nothing will happen to the run any more (at this time). */
export function isBulkFinal(run: BulkRun, now: Date): boolean {
  if (run.state === 'completed' || run.state === 'rejected' || run.state === 'expired') return true;
  if (run.state === 'cancelled') return !run.items.some((i) => i.status === 'sent');
  if (run.state === 'running') return false;
  return !(now.getTime() < Date.parse(run.expiresAt));
}

function started(run: BulkRun, person: PersonRef, now: Date): BulkRun {
  return { ...run, state: 'running', decidedBy: { ...person }, decidedAt: now.toISOString(), startedAt: now.toISOString() };
}

function failedItem(item: BulkItem, code: RevocationFailureCode, graphRequestId: string | undefined, at: string): BulkItem {
  const { graphRequestId: _previous, ...rest } = item;
  return { ...rest, status: 'failed', code, completedAt: at, ...(graphRequestId ? { graphRequestId } : {}) };
}

function lease(now: Date, leaseInMs: number): string {
  return new Date(now.getTime() + Math.max(0, leaseInMs)).toISOString();
}
