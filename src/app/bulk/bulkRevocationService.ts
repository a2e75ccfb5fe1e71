/**
 * Bulk revocation (issue 7) as use cases: prepare a run from a group or department (members
 * resolved, nested groups expanded, tiers classified, refused beyond `maxTargets`), start it (or
 * submit it for approval and let an approver run it), cancel it, and resume runs a restart or an
 * expired sign-in left unfinished. The revokes themselves run in the background
 * (src/app/bulk/bulkExecution.ts); the caller gets a promise of the outcome and progress events.
 *
 * Whose token runs a bulk execution: the person who started it (the requester) or approved it
 * (`run.decidedBy`), through the delegated BulkDirectoryGateway passed in. A resume after a
 * restart has no in-memory session any more, so `resume`/`resumeAll` take a supplier: given the
 * run, it returns `run.decidedBy`'s warm session (the bot's DelegatedSessions), or undefined when
 * that person must sign in again — the run then waits, nothing is sent, and the bot calls
 * `resume` again once they have.
 *
 * Stored in the StateStore namespace NAMESPACE.bulkRuns, one document per run (1,000 items ≈ 200 KB),
 * written by compare-and-set; see src/domain/bulkRun.ts for states, items and the lease.
 */
import { randomUUID } from 'node:crypto';
import type { BulkActing } from '../acting';
import type { AuditTrail } from '../auditTrail';
import type { BulkDirectoryGateway, DirectoryFailure, GroupRef, Memberships, UserListing } from '../ports/directory';
import { NAMESPACE } from '../ports/namespaces';
import type { StateStore, StoredItem } from '../ports/stateStore';
import {
  approveRun,
  attachBulkApprovalCard,
  attachBulkCard,
  beginRun,
  cancelRun,
  claimExecution,
  createBulkRun,
  expireBulkIfDue,
  rejectRun,
  submitBulkForApproval,
  summarize,
  withdrawBulkSubmission,
  type BulkRun,
  type BulkSource,
  type BulkSummary,
  type BulkTarget,
} from '../../domain/bulkRun';
import type { DecisionProblem, PersonRef } from '../../domain/revocationRequest';
import { classifyTarget } from '../../domain/roles';
import type { Clock } from '../../domain/clock';
import { BulkExecution, type BulkObserver, type ExecutionOutcome, type ExecutionSettings } from './bulkExecution';

export { type BulkObserver, type ExecutionOutcome } from './bulkExecution';

/** What the requester named: a group (id or exact display name) or a department. */
export type BulkSourceRequest = { readonly kind: 'group'; readonly group: GroupRef } | { readonly kind: 'department'; readonly department: string };

export type PrepareOutcome =
  | { readonly kind: 'prepared'; readonly run: BulkRun; readonly summary: BulkSummary }
  /** More users than allowed: `count` is Graph's total when `exact`, else "more than maxTargets" (maxTargets + 1). */
  | { readonly kind: 'too_many'; readonly source: BulkSource; readonly count: number; readonly exact: boolean; readonly maxTargets: number }
  | { readonly kind: 'empty'; readonly source: BulkSource }
  /** No group has that id or name. */
  | { readonly kind: 'not_found'; readonly source: BulkSource }
  /** Several groups have that display name: ask for the group's id. */
  | { readonly kind: 'ambiguous_group'; readonly source: BulkSource }
  | { readonly kind: 'failed'; readonly failure: DirectoryFailure };

export type StartOutcome =
  /** Running in the background: `finished` settles (never rejects) when the execution ends. */
  | { readonly kind: 'started'; readonly run: BulkRun; readonly finished: Promise<ExecutionOutcome> }
  | { readonly kind: 'refused'; readonly problem: DecisionProblem; readonly run?: BulkRun }
  | { readonly kind: 'storage_unavailable' };

export type DecisionOutcome = { readonly kind: 'done'; readonly run: BulkRun } | { readonly kind: 'refused'; readonly problem: DecisionProblem; readonly run?: BulkRun };

export type ResumeOutcome =
  | { readonly kind: 'resumed'; readonly run: BulkRun; readonly finished: Promise<ExecutionOutcome> }
  /** The supplier has no session for `run.decidedBy`: nothing was sent; resume again after they sign in. */
  | { readonly kind: 'waiting_for_sign_in'; readonly run: BulkRun }
  /** Another execution (here or elsewhere) holds the run until `retryAt`. */
  | { readonly kind: 'leased'; readonly run: BulkRun; readonly retryAt: string }
  | { readonly kind: 'not_running'; readonly runId: string; readonly run?: BulkRun };

/** Gives the delegated directory of `run.decidedBy` (the person whose token runs it), or undefined if they must sign in again. */
export type DirectorySupplier = (run: BulkRun) => BulkDirectoryGateway | undefined | Promise<BulkDirectoryGateway | undefined>;

export interface BulkRevocationServiceOptions {
  readonly store: StateStore;
  readonly audit: AuditTrail;
  /** How long a prepared run may be started (like a single request's confirmation). */
  readonly requestTtlInMs: number;
  /** How long approvers have once a run is submitted; requestTtlInMs when absent. */
  readonly approvalTtlInMs?: number;
  /** Four eyes: the requester may not start a run; an approver must (bulk runs always, when a security channel is configured). */
  readonly approvalRequired?: boolean;
  /** Largest run (default 1,000). */
  readonly maxTargets?: number;
  /** Batches in flight per run (default 4). */
  readonly maxInFlight?: number;
  /** Sends per user at most (default 3). */
  readonly maxAttempts?: number;
  /** Execution lease (default 60 s): how long a crashed instance's run waits before another may resume it. */
  readonly leaseInMs?: number;
  /** Longest Retry-After honoured as given (default 60 s). */
  readonly maxRetryAfterInSeconds?: number;
  /** Wait before reading back users whose batch's fate is unknown (default 10 s). */
  readonly settleInMs?: number;
  /** Names on the confirmation card (default 5). */
  readonly sampleSize?: number;
  /** Told when an observer or an audit write failed. */
  readonly onError?: (error: unknown, context: string) => void;
  readonly clock: Clock;
  readonly newId?: () => string;
}

export const DEFAULT_MAX_TARGETS = 1000;

export class BulkRevocationService {
  private readonly executions = new Map<string, { execution: BulkExecution; finished: Promise<ExecutionOutcome> }>();
  private closed = false;

  constructor(private readonly options: BulkRevocationServiceOptions) {}

  /** The settings executions run with (for tests and the bench to report). */
  get settings(): ExecutionSettings {
    const leaseInMs = this.options.leaseInMs ?? 60_000;
    return {
      maxInFlight: Math.max(1, this.options.maxInFlight ?? 4),
      maxAttempts: Math.max(1, this.options.maxAttempts ?? 3),
      leaseInMs,
      maxRetryAfterInSeconds: this.options.maxRetryAfterInSeconds ?? 60,
      settleInMs: this.options.settleInMs ?? 10_000,
      batchBudgetInMs: Math.max(1000, Math.floor(leaseInMs / 2)),
    };
  }

  /**
   * Resolves the source's users and opens a pending run the requester may start (or submit for
   * approval). Refuses beyond `maxTargets` without classifying anyone.
   */
  async prepare(acting: BulkActing, request: BulkSourceRequest, options: { maxTargets?: number; deadline?: number } = {}): Promise<PrepareOutcome> {
    const maxTargets = Math.max(1, options.maxTargets ?? this.options.maxTargets ?? DEFAULT_MAX_TARGETS);
    let source: BulkSource;
    let listing: UserListing;
    if (request.kind === 'group') {
      source = { kind: 'group', label: request.group.kind === 'objectId' ? request.group.id : request.group.name, ...(request.group.kind === 'objectId' ? { id: request.group.id.toLowerCase() } : {}) };
      const found = await acting.directory.listGroupUsers(request.group, maxTargets, { deadline: options.deadline });
      if (!found.ok) {
        if (found.error.code === 'not_found') return { kind: 'not_found', source };
        if (found.error.code === 'bad_request' && found.error.status === 300) return { kind: 'ambiguous_group', source };
        return this.lookupFailed(acting.person, found.error);
      }
      source = { kind: 'group', label: found.value.group.displayName, id: found.value.group.id };
      listing = found.value;
    } else {
      source = { kind: 'department', label: request.department };
      const found = await acting.directory.listDepartmentUsers(request.department, maxTargets, { deadline: options.deadline });
      if (!found.ok) return this.lookupFailed(acting.person, found.error);
      listing = found.value;
    }
    if (listing.truncated) {
      const count = listing.totalCount !== undefined && listing.totalCount > maxTargets ? listing.totalCount : maxTargets + 1;
      await this.options.audit.after({
        tenantId: acting.person.tenantId,
        action: 'command.refused',
        outcome: 'refused',
        actor: actorOf(acting.person),
        code: 'too_many',
        detail: `Bulk run refused: ${source.kind} ${source.label} has ${listing.totalCount !== undefined ? count : `more than ${maxTargets}`} users; the limit is ${maxTargets}.`,
      });
      return { kind: 'too_many', source, count, exact: listing.totalCount !== undefined && listing.totalCount > maxTargets, maxTargets };
    }
    if (listing.users.length === 0) return { kind: 'empty', source };
    const tiers = await acting.directory.getMembershipsMany(
      listing.users.map((u) => u.id),
      { deadline: options.deadline, concurrency: this.settings.maxInFlight },
    );
    // Tiers are for the card's warning only: if they cannot be read the run is still possible ("unknown").
    if (!tiers.ok && isSignInProblem(tiers.error)) return this.lookupFailed(acting.person, tiers.error);
    const targets: BulkTarget[] = listing.users.map((u) => {
      const memberships = tiers.ok ? tiers.value.get(u.id) : undefined;
      return { id: u.id, userPrincipalName: u.userPrincipalName, displayName: u.displayName, ...(memberships?.ok ? { tier: tierOf(memberships.value) } : {}) };
    });
    const run = createBulkRun({ id: this.newId(), requester: acting.person, source, targets, now: this.now(), ttlInMs: this.options.requestTtlInMs });
    await this.options.store.create(NAMESPACE.bulkRuns, run.id, run, { expiresAt: this.retention() });
    const summary = summarize(targets, this.options.sampleSize ?? 5);
    await this.options.audit.after({
      tenantId: acting.person.tenantId,
      action: 'request.created',
      outcome: 'info',
      actor: actorOf(acting.person),
      requestId: run.id,
      detail: `Bulk run prepared: ${run.items.length} users of ${describe(source)} (${summary.tiers.privilegedAdmin} privileged admins, ${summary.tiers.limitedAdmin} limited admins, ${summary.tiers.unknown} unknown).`,
    });
    return { kind: 'prepared', run, summary };
  }

  /** Loads a run as it stands now (expired if its time has passed). */
  async get(runId: string): Promise<BulkRun | undefined> {
    const stored = await this.options.store.get<BulkRun>(NAMESPACE.bulkRuns, runId);
    return stored ? expireBulkIfDue(stored.value, this.now()) : undefined;
  }

  /** The requester starts the run with their own token (refused with `approval_required` under four eyes). */
  async start(acting: BulkActing, runId: string, observer?: BulkObserver): Promise<StartOutcome> {
    return this.begin(acting, runId, observer, (run, now) => beginRun(run, acting.person, now, { approvalRequired: this.options.approvalRequired === true }), 'started');
  }

  /** The requester asks the security channel for approval. */
  async submitForApproval(person: PersonRef, runId: string, input: { channelId: string; reason?: string }): Promise<DecisionOutcome> {
    const ttlInMs = this.options.approvalTtlInMs ?? this.options.requestTtlInMs;
    const outcome = await this.decide(person, runId, (run, now) => submitBulkForApproval(run, person, now, { ...input, ttlInMs }));
    if (outcome.kind === 'done') {
      await this.options.audit.after({
        tenantId: person.tenantId,
        action: 'approval.requested',
        outcome: 'info',
        actor: actorOf(person),
        requestId: runId,
        detail: `Bulk run of ${outcome.run.items.length} users (${describe(outcome.run.source)}) submitted for approval.`,
      });
    }
    return outcome;
  }

  /**
   * The approval card could not be posted: the run goes back to `pending` (its old expiry) so
   * the requester may try again. The run as it now stands; undefined when there is none.
   */
  async unroute(runId: string): Promise<BulkRun | undefined> {
    return this.update(runId, (run) => withdrawBulkSubmission(run));
  }

  /** An approver (never the requester) approves: the run starts with the approver's token. */
  async approve(acting: BulkActing, runId: string, observer?: BulkObserver): Promise<StartOutcome> {
    return this.begin(acting, runId, observer, (run, now) => approveRun(run, acting.person, now), 'approved');
  }

  /** An approver rejects, with an optional note. */
  async reject(person: PersonRef, runId: string, note?: string): Promise<DecisionOutcome> {
    const outcome = await this.decide(person, runId, (run, now) => rejectRun(run, person, now, note));
    if (outcome.kind === 'done') {
      await this.options.audit.after({ tenantId: person.tenantId, action: 'approval.rejected', outcome: 'info', actor: actorOf(person), requestId: runId, detail: 'Bulk run rejected.' });
    }
    return outcome;
  }

  /**
   * Cancels a pending run, withdraws one awaiting approval, or stops a running one (no further
   * batches; the batches already out are still recorded by the execution).
   */
  async cancel(person: PersonRef, runId: string): Promise<DecisionOutcome> {
    const outcome = await this.decide(person, runId, (run, now) => cancelRun(run, person, now));
    if (outcome.kind === 'done') {
      await this.options.audit.after({ tenantId: person.tenantId, action: 'request.cancelled', outcome: 'info', actor: actorOf(person), requestId: runId, detail: 'Bulk run cancelled.' });
    }
    return outcome;
  }

  /** Records where the run's card is (progress updates replace it). */
  async attachCard(runId: string, card: { conversationId: string; activityId: string }): Promise<BulkRun | undefined> {
    return this.update(runId, (run) => attachBulkCard(run, card));
  }

  /** Records where the approval card is. */
  async attachApprovalCard(runId: string, card: { conversationId: string; activityId: string }): Promise<BulkRun | undefined> {
    return this.update(runId, (run) => attachBulkApprovalCard(run, card));
  }

  /**
   * Continues a running run nobody is executing (after a restart, or a stop for an expired
   * sign-in) with the directory the supplier gives for `run.decidedBy`. Users left `sent` are read
   * back first, never revoked twice. Refused while another execution's lease lasts.
   */
  async resume(runId: string, supplier: DirectorySupplier, observer?: BulkObserver): Promise<ResumeOutcome> {
    if (this.closed) return { kind: 'not_running', runId };
    const stored = await this.options.store.get<BulkRun>(NAMESPACE.bulkRuns, runId);
    if (!stored) return { kind: 'not_running', runId };
    const local = this.executions.get(runId);
    if (local) return { kind: 'leased', run: stored.value, retryAt: stored.value.execution?.leaseUntil ?? this.now().toISOString() };
    const executionId = this.newId();
    const probe = claimExecution(stored.value, executionId, this.now(), this.settings.leaseInMs);
    if (!probe.ok) {
      if (probe.error === 'in_progress') return { kind: 'leased', run: stored.value, retryAt: stored.value.execution?.leaseUntil ?? this.now().toISOString() };
      return { kind: 'not_running', runId, run: stored.value };
    }
    const directory = await supplier(stored.value);
    if (!directory) return { kind: 'waiting_for_sign_in', run: stored.value };
    // Claim on what was read: of several instances resuming at once, exactly one wins.
    const claimed = claimExecution(stored.value, executionId, this.now(), this.settings.leaseInMs);
    if (!claimed.ok) return { kind: 'not_running', runId, run: stored.value };
    const won = await this.options.store.replace(NAMESPACE.bulkRuns, runId, claimed.value, stored.etag, { expiresAt: this.retention() });
    if (!won.ok) {
      const current = await this.get(runId);
      return current?.execution ? { kind: 'leased', run: current, retryAt: current.execution.leaseUntil } : { kind: 'not_running', runId, run: current };
    }
    const actor = claimed.value.decidedBy ?? claimed.value.requester;
    await this.options.audit.after({
      tenantId: claimed.value.tenantId,
      action: 'revocation.started',
      outcome: 'info',
      actor: actorOf(actor),
      requestId: runId,
      detail: `Bulk run resumed: ${claimed.value.items.filter((i) => i.status === 'pending' || i.status === 'sent').length} users left (users left 'sent' are read back, not revoked again).`,
    });
    const finished = this.launch({ value: claimed.value, etag: won.etag }, executionId, directory, observer);
    return { kind: 'resumed', run: claimed.value, finished };
  }

  /** Resumes every running run this instance does not execute (at start-up); one outcome per run. */
  async resumeAll(supplier: DirectorySupplier, observerFor?: (run: BulkRun) => BulkObserver | undefined): Promise<ResumeOutcome[]> {
    const runs = await this.options.store.list<BulkRun>(NAMESPACE.bulkRuns);
    const outcomes: ResumeOutcome[] = [];
    for (const { value } of runs) {
      const unsettled = value.state === 'running' || (value.state === 'cancelled' && value.items.some((i) => i.status === 'sent'));
      if (!unsettled || this.executions.has(value.id)) continue;
      outcomes.push(await this.resume(value.id, supplier, observerFor?.(value)));
    }
    return outcomes;
  }

  /** Whether this instance is executing the run right now. */
  isExecuting(runId: string): boolean {
    return this.executions.has(runId);
  }

  /**
   * Shutdown: executions send no new batch, record the ones out, release their leases (so another
   * instance, or this one restarted, may resume at once). Resolves when they have.
   */
  async close(): Promise<void> {
    this.closed = true;
    const running = [...this.executions.values()];
    for (const { execution } of running) execution.close();
    await Promise.all(running.map((r) => r.finished));
  }

  private async begin(
    acting: BulkActing,
    runId: string,
    observer: BulkObserver | undefined,
    transition: (run: BulkRun, now: Date) => { ok: true; value: BulkRun } | { ok: false; error: DecisionProblem },
    how: 'started' | 'approved',
  ): Promise<StartOutcome> {
    if (this.closed) return { kind: 'storage_unavailable' };
    const stored = await this.options.store.get<BulkRun>(NAMESPACE.bulkRuns, runId);
    if (!stored) return { kind: 'refused', problem: 'not_found' };
    const now = this.now();
    const started = transition(stored.value, now);
    if (!started.ok) {
      await this.auditRefusal(acting.person, stored.value, started.error);
      return { kind: 'refused', problem: started.error, run: expireBulkIfDue(stored.value, now) };
    }
    const executionId = this.newId();
    const claimed = claimExecution(started.value, executionId, now, this.settings.leaseInMs);
    if (!claimed.ok) return { kind: 'refused', problem: claimed.error, run: stored.value };
    const won = await this.options.store.replace(NAMESPACE.bulkRuns, runId, claimed.value, stored.etag, { expiresAt: this.retention() });
    if (!won.ok) {
      const current = await this.get(runId);
      return { kind: 'refused', problem: current?.state === 'running' ? 'in_progress' : 'already_decided', run: current };
    }
    try {
      if (how === 'approved') {
        await this.options.audit.before({ tenantId: acting.person.tenantId, action: 'approval.approved', outcome: 'info', actor: actorOf(acting.person), requestId: runId, detail: 'Bulk run approved.' });
      }
      await this.options.audit.before({
        tenantId: acting.person.tenantId,
        action: 'revocation.started',
        outcome: 'info',
        actor: actorOf(acting.person),
        requestId: runId,
        detail: `Bulk run started: ${claimed.value.items.length} users of ${describe(claimed.value.source)}, with ${acting.person.name}'s sign-in.`,
      });
    } catch {
      // No unaudited action: give the run back and refuse.
      await this.options.store.replace(NAMESPACE.bulkRuns, runId, stored.value, won.etag, { expiresAt: this.retention() }).catch(() => undefined);
      return { kind: 'storage_unavailable' };
    }
    const finished = this.launch({ value: claimed.value, etag: won.etag }, executionId, acting.directory, observer);
    return { kind: 'started', run: claimed.value, finished };
  }

  private launch(claimed: StoredItem<BulkRun>, executionId: string, directory: BulkDirectoryGateway, observer: BulkObserver | undefined): Promise<ExecutionOutcome> {
    const execution = new BulkExecution(
      {
        store: this.options.store,
        namespace: NAMESPACE.bulkRuns,
        audit: this.options.audit,
        settings: this.settings,
        retention: () => this.retention(),
        clock: this.options.clock,
        onError: this.options.onError,
      },
      claimed,
      executionId,
      directory,
      observer,
    );
    const finished = execution.run().finally(() => {
      if (this.executions.get(claimed.value.id)?.execution === execution) this.executions.delete(claimed.value.id);
    });
    this.executions.set(claimed.value.id, { execution, finished });
    return finished;
  }

  private async decide(person: PersonRef, runId: string, transition: (run: BulkRun, now: Date) => { ok: true; value: BulkRun } | { ok: false; error: DecisionProblem }): Promise<DecisionOutcome> {
    // A running run is written often by its execution: retry the compare-and-set a few times.
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const stored = await this.options.store.get<BulkRun>(NAMESPACE.bulkRuns, runId);
      if (!stored) return { kind: 'refused', problem: 'not_found' };
      const now = this.now();
      const next = transition(stored.value, now);
      if (!next.ok) {
        await this.auditRefusal(person, stored.value, next.error);
        return { kind: 'refused', problem: next.error, run: expireBulkIfDue(stored.value, now) };
      }
      const saved = await this.options.store.replace(NAMESPACE.bulkRuns, runId, next.value, stored.etag, { expiresAt: this.retention() });
      if (saved.ok) return { kind: 'done', run: next.value };
      if (saved.reason === 'missing') return { kind: 'refused', problem: 'not_found' };
    }
    return { kind: 'refused', problem: 'in_progress', run: await this.get(runId) };
  }

  private async update(runId: string, change: (run: BulkRun) => BulkRun): Promise<BulkRun | undefined> {
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const stored = await this.options.store.get<BulkRun>(NAMESPACE.bulkRuns, runId);
      if (!stored) return undefined;
      const next = change(stored.value);
      const saved = await this.options.store.replace(NAMESPACE.bulkRuns, runId, next, stored.etag, { expiresAt: this.retention() });
      if (saved.ok) return next;
    }
    return undefined;
  }

  private async lookupFailed(person: PersonRef, failure: DirectoryFailure): Promise<PrepareOutcome> {
    await this.options.audit.after({ tenantId: person.tenantId, action: 'lookup.failed', outcome: 'failed', actor: actorOf(person), code: failure.code, graphRequestId: failure.graphRequestId, detail: 'Bulk run: listing the users failed.' });
    return { kind: 'failed', failure };
  }

  private async auditRefusal(person: PersonRef, run: BulkRun, problem: DecisionProblem): Promise<void> {
    await this.options.audit.after({ tenantId: person.tenantId, action: 'request.refused', outcome: 'refused', actor: actorOf(person), requestId: run.id, code: problem, detail: 'Bulk run.' });
  }

  private now(): Date {
    return this.options.clock.now();
  }

  private newId(): string {
    return this.options.newId?.() ?? randomUUID();
  }

  /** Runs stay readable (reports, late clicks) well past their end. */
  private retention(): Date {
    return new Date(this.now().getTime() + Math.max(7 * 24 * 3600_000, 4 * this.options.requestTtlInMs));
  }
}

function tierOf(memberships: Memberships): BulkTarget['tier'] {
  return classifyTarget(
    memberships.roles.map((r) => ({ templateId: r.templateId, displayName: r.displayName })),
    memberships.inRoleAssignableGroup,
  );
}

function isSignInProblem(failure: DirectoryFailure): boolean {
  return ['sign_in_expired', 'interaction_required', 'consent_required', 'token_invalid', 'bot_misconfigured'].includes(failure.code);
}

function describe(source: BulkSource): string {
  return source.kind === 'group' ? `group "${source.label}"${source.id ? ` (${source.id})` : ''}` : `department "${source.label}"`;
}

function actorOf(person: PersonRef): { aadObjectId: string; userPrincipalName?: string; name?: string } {
  return { aadObjectId: person.aadObjectId, userPrincipalName: person.userPrincipalName, name: person.name };
}
