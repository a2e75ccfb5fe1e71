/**
 * Bulk revocation as use cases: prepare a run from a group or department (members
 * resolved, nested groups expanded, tiers classified, refused beyond `maxTargets`), start it (or,
 * under four eyes, let the one approval workflow start it when an approver approves:
 * src/app/bulk/bulkApprovals.ts), cancel it, and resume runs a restart or an expired sign-in left
 * unfinished. The revokes themselves run in the background
 * (src/app/bulk/bulkExecution.ts); the caller gets a promise of the outcome and progress events.
 *
 * Whose token runs a bulk execution: the person who started it (the requester) or approved it
 * (`run.decidedBy`), through the delegated BulkDirectoryGateway passed in. A resume after a
 * restart has no in-memory session any more, so `resume`/`resumeAll` take a supplier: given the
 * run, it returns `run.decidedBy`'s warm session (the bot's DelegatedSessions), or undefined when
 * that person must sign in again — the run then waits, nothing is sent, and the bot calls
 * `resume` again once they have.
 *
 * Stored in the StateStore namespace NAMESPACE.bulkRuns, one document per run (about 260 bytes a
 * user: 10,000 users ≈ 2.6 MB), written by compare-and-set; while a run executes, its items' states
 * are in pages of a few hundred users (src/app/bulk/bulkRunPages.ts), and reads here merge them in.
 * See src/domain/bulkRun.ts for states, items and the lease.
 *
 * Pacing: every execution of a tenant's runs in this process shares one pacer (src/domain/pacing.ts)
 * sized from Graph's identity write quota per app and tenant (GRAPH_WRITE_QUOTA), so two runs at
 * once share the quota rather than each taking all of it.
 */
import { randomUUID } from 'node:crypto';
import { auditActor, type BulkActing } from '../acting';
import { giveBack, type ErrorReport } from '../giveBack';
import type { AuditTrail } from '../auditTrail';
import type { BulkDirectoryGateway, DirectoryFailure, GroupRef, Memberships, UserListing } from '../ports/directory';
import { NAMESPACE } from '../ports/namespaces';
import type { StateStore, StoredItem } from '../ports/stateStore';
import {
  attachBulkCard,
  beginRun,
  cancelRun,
  claimExecution,
  createBulkRun,
  expireBulkIfDue,
  MAX_BULK_TARGETS,
  summarize,
  type BulkRun,
  type BulkSource,
  type BulkSummary,
  type BulkTarget,
} from '../../domain/bulkRun';
import { sameId, type PersonRef } from '../../domain/people';
import type { DecisionProblem } from '../../domain/problems';
import { classifyTarget } from '../../domain/roles';
import { monotonicNow, type Clock } from '../../domain/clock';
import { Pacer, type RateQuota } from '../../domain/pacing';
import type { Result } from '../../domain/result';
import { BulkExecution, type BulkObserver, type ExecutionOutcome, type ExecutionSettings } from './bulkExecution';
import { loadBulkRun, mergePages } from './bulkRunPages';

export { type BulkObserver, type ExecutionOutcome } from './bulkExecution';

/** What the requester named: a group (id or exact display name) or a department. */
export type BulkSourceRequest =
  { readonly kind: 'group'; readonly group: GroupRef } | { readonly kind: 'department'; readonly department: string };

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

export type DecisionOutcome =
  | { readonly kind: 'done'; readonly run: BulkRun }
  | { readonly kind: 'refused'; readonly problem: DecisionProblem; readonly run?: BulkRun };

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
  /** Four eyes: the requester may not start a run; an approver must (bulk runs always, when a security channel is configured). */
  readonly approvalRequired?: boolean;
  /** Largest run (default and most: 10,000, MAX_BULK_TARGETS). */
  readonly maxTargets?: number;
  /** Batches in flight per run (default 4). */
  readonly maxInFlight?: number;
  /** Sends per user at most (default 3). */
  readonly maxAttempts?: number;
  /** The write quota revokes are paced to (default GRAPH_WRITE_QUOTA; tests and the benchmark pass a time-scaled one). */
  readonly writeQuota?: RateQuota;
  /** Execution lease (default 60 s): how long a crashed instance's run waits before another may resume it. */
  readonly leaseInMs?: number;
  /** Longest Retry-After honoured as given (default 60 s). */
  readonly maxRetryAfterInSeconds?: number;
  /** Wait before reading back users whose batch's fate is unknown (default 10 s). */
  readonly settleInMs?: number;
  /** Names on the confirmation card (default 5). */
  readonly sampleSize?: number;
  /** Told when an observer, an audit write or a give-back failed. */
  readonly onError?: ErrorReport;
  /** Told of every run's progress, whoever runs it, before the run's own observer (metrics). */
  readonly progress?: BulkObserver;
  readonly clock: Clock;
  readonly newId?: () => string;
}

/** The largest run by default: the most allowed (MAX_BULK_TARGETS, src/domain/bulkRun.ts). */
export const DEFAULT_MAX_TARGETS = MAX_BULK_TARGETS;

/**
 * Graph's identity write quota per app and tenant: 3,000 requests per 2 minutes 30 seconds; each
 * revokeSignInSessions counts once, inside $batch too
 * (https://learn.microsoft.com/graph/throttling-limits#identity-and-access-service-limits).
 */
export const GRAPH_WRITE_QUOTA: RateQuota = Object.freeze({ requests: 3000, windowInMs: 150_000 });

export class BulkRevocationService {
  private readonly executions = new Map<string, { execution: BulkExecution; finished: Promise<ExecutionOutcome> }>();
  /** One pacer per tenant: Graph's write quota is per app and tenant, and every run of a tenant here shares it. */
  private readonly pacers = new Map<string, Pacer>();
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
      writeQuota: this.options.writeQuota ?? GRAPH_WRITE_QUOTA,
    };
  }

  /**
   * Resolves the source's users and opens a pending run the requester may start (or submit for
   * approval). Refuses beyond `maxTargets` without classifying anyone.
   */
  async prepare(
    acting: BulkActing,
    request: BulkSourceRequest,
    options: { maxTargets?: number; deadline?: number } = {},
  ): Promise<PrepareOutcome> {
    const maxTargets = Math.min(MAX_BULK_TARGETS, Math.max(1, options.maxTargets ?? this.options.maxTargets ?? DEFAULT_MAX_TARGETS));
    let source: BulkSource;
    let listing: UserListing;
    if (request.kind === 'group') {
      source = {
        kind: 'group',
        label: request.group.kind === 'objectId' ? request.group.id : request.group.name,
        ...(request.group.kind === 'objectId' ? { id: request.group.id.toLowerCase() } : {}),
      };
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
        actor: auditActor(acting.person),
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
      return {
        id: u.id,
        userPrincipalName: u.userPrincipalName,
        displayName: u.displayName,
        ...(memberships?.ok ? { tier: tierOf(memberships.value) } : {}),
      };
    });
    const run = createBulkRun({
      id: this.newId(),
      requester: acting.person,
      source,
      targets,
      now: this.now(),
      ttlInMs: this.options.requestTtlInMs,
    });
    await this.options.store.create(NAMESPACE.bulkRuns, run.id, run, { expiresAt: this.retention() });
    const summary = summarize(targets, this.options.sampleSize ?? 5);
    await this.options.audit.after({
      tenantId: acting.person.tenantId,
      action: 'request.created',
      outcome: 'info',
      actor: auditActor(acting.person),
      requestId: run.id,
      detail: `Bulk run prepared: ${run.items.length} users of ${describeRunSource(source)} (${summary.tiers.privilegedAdmin} privileged admins, ${summary.tiers.limitedAdmin} limited admins, ${summary.tiers.unknown} unknown).`,
    });
    return { kind: 'prepared', run, summary };
  }

  /** Loads a run as it stands now (expired if its time has passed): from its execution here, or from the store. */
  async get(runId: string): Promise<BulkRun | undefined> {
    const local = this.executions.get(runId);
    if (local) return local.execution.view();
    const stored = await loadBulkRun(this.options.store, runId);
    return stored ? expireBulkIfDue(stored.value, this.now()) : undefined;
  }

  /** The rate this instance paces a tenant's revokes at now, in requests per second (below the quota's after throttling); undefined before its first run. */
  writeRate(tenantId: string): number | undefined {
    return this.pacers.get(tenantId.toLowerCase())?.requestsPerSecond;
  }

  /** How long a run executing here still needs at the pace Graph allows (undefined: not executing here, or nothing left to send). */
  timeLeftInMs(runId: string): number | undefined {
    return this.executions.get(runId)?.execution.timeLeftInMs();
  }

  /**
   * Before anyone signs in: whether this person could start the run now — the rule `start`
   * applies under compare-and-set (four eyes aside: that refusal comes with the start, recorded).
   */
  async checkStart(
    person: PersonRef,
    runId: string,
  ): Promise<
    | { readonly kind: 'may'; readonly run: BulkRun }
    | { readonly kind: 'refused'; readonly problem: DecisionProblem; readonly run?: BulkRun }
  > {
    const run = await this.get(runId);
    if (!run) return { kind: 'refused', problem: 'not_found' };
    const started = beginRun(run, person, this.now());
    return started.ok ? { kind: 'may', run } : { kind: 'refused', problem: started.error, run };
  }

  /** Whether `person` resumes this run by signing in: it runs with their token and no instance here is executing it (a restart, an expired sign-in). */
  awaitsResumeBy(run: BulkRun, person: PersonRef): boolean {
    return (
      run.state === 'running' &&
      !this.isExecuting(run.id) &&
      run.decidedBy !== undefined &&
      sameId(run.decidedBy.aadObjectId, person.aadObjectId)
    );
  }

  /**
   * The requester starts the run with their own token (refused with `approval_required` under
   * four eyes: an approver's approval starts it then, through the approval workflow). Exactly one
   * start wins the compare-and-set; only the winner sends anything.
   */
  async start(acting: BulkActing, runId: string, observer?: BulkObserver): Promise<StartOutcome> {
    if (this.closed) return { kind: 'storage_unavailable' };
    const stored = await this.options.store.get<BulkRun>(NAMESPACE.bulkRuns, runId);
    if (!stored) return { kind: 'refused', problem: 'not_found' };
    const now = this.now();
    const started = beginRun(stored.value, acting.person, now, { approvalRequired: this.options.approvalRequired === true });
    if (!started.ok) {
      await this.auditRefusal(acting.person, stored.value, started.error);
      return { kind: 'refused', problem: started.error, run: expireBulkIfDue(stored.value, now) };
    }
    const claimed = this.claim(started.value, now);
    if (!claimed.ok) return { kind: 'refused', problem: claimed.error, run: stored.value };
    const won = await this.options.store.replace(NAMESPACE.bulkRuns, runId, claimed.value, stored.etag, { expiresAt: this.retention() });
    if (!won.ok) {
      const current = await this.get(runId);
      return { kind: 'refused', problem: current?.state === 'running' ? 'in_progress' : 'already_decided', run: current };
    }
    try {
      await this.recordStart(claimed.value, acting.person);
    } catch {
      // No unaudited action: give the run back and refuse.
      await giveBack(
        this.options.store,
        { namespace: NAMESPACE.bulkRuns, key: runId, expiresAt: this.retention() },
        stored.value,
        won.etag,
        this.options.onError,
      );
      return { kind: 'storage_unavailable' };
    }
    const finished = this.execute({ value: claimed.value, etag: won.etag }, acting.directory, observer);
    return { kind: 'started', run: claimed.value, finished };
  }

  /**
   * Cancels a pending run, withdraws one awaiting approval, or stops a running one (no further
   * batches; the batches already out are still recorded by the execution).
   */
  async cancel(person: PersonRef, runId: string): Promise<DecisionOutcome> {
    const outcome = await this.decide(person, runId, (run, now) => cancelRun(run, person, now));
    // An execution here stops sending at once; one on another instance at its next lease renewal.
    if (outcome.kind === 'done') this.executions.get(runId)?.execution.noticeChange();
    if (outcome.kind === 'done') {
      await this.options.audit.after({
        tenantId: person.tenantId,
        action: 'request.cancelled',
        outcome: 'info',
        actor: auditActor(person),
        requestId: runId,
        detail: 'Bulk run cancelled.',
      });
    }
    return outcome;
  }

  /** Records where the run's card is (progress updates replace it). */
  async attachCard(runId: string, card: { conversationId: string; activityId: string }): Promise<BulkRun | undefined> {
    return this.update(runId, (run) => attachBulkCard(run, card));
  }

  /**
   * Continues a running run nobody is executing (after a restart, or a stop for an expired
   * sign-in) with the directory the supplier gives for `run.decidedBy`. Users left `sent` are read
   * back first, never revoked twice. Refused while another execution's lease lasts.
   */
  async resume(runId: string, supplier: DirectorySupplier, observer?: BulkObserver): Promise<ResumeOutcome> {
    if (this.closed) return { kind: 'not_running', runId };
    const stored = await loadBulkRun(this.options.store, runId);
    if (!stored) return { kind: 'not_running', runId };
    const local = this.executions.get(runId);
    if (local) return { kind: 'leased', run: stored.value, retryAt: stored.value.execution?.leaseUntil ?? this.now().toISOString() };
    const executionId = this.newId();
    const probe = claimExecution(stored.value, executionId, this.now(), this.settings.leaseInMs);
    if (!probe.ok) {
      if (probe.error === 'in_progress')
        return { kind: 'leased', run: stored.value, retryAt: stored.value.execution?.leaseUntil ?? this.now().toISOString() };
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
      return current?.execution
        ? { kind: 'leased', run: current, retryAt: current.execution.leaseUntil }
        : { kind: 'not_running', runId, run: current };
    }
    const actor = claimed.value.decidedBy ?? claimed.value.requester;
    await this.options.audit.after({
      tenantId: claimed.value.tenantId,
      action: 'revocation.started',
      outcome: 'info',
      actor: auditActor(actor),
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
    for (const listed of runs) {
      if (listed.value.state !== 'running' && listed.value.state !== 'cancelled') continue;
      const { value } = await mergePages(this.options.store, listed);
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

  /**
   * Takes a run that has just begun (started or approved) for a new execution: its lease, in the
   * same write as the decision. Refused while another execution's lease lasts.
   */
  claim(run: BulkRun, now: Date): Result<BulkRun, DecisionProblem> {
    return claimExecution(run, this.newId(), now, this.settings.leaseInMs);
  }

  /** Writes the record that must exist before any batch of this run goes out (throws when it cannot). */
  async recordStart(run: BulkRun, person: PersonRef): Promise<void> {
    await this.options.audit.before({
      tenantId: person.tenantId,
      action: 'revocation.started',
      outcome: 'info',
      actor: auditActor(person),
      requestId: run.id,
      detail: `Bulk run started: ${run.items.length} users of ${describeRunSource(run.source)}, with ${person.name}'s sign-in.`,
    });
  }

  /** Whether the service takes no new executions (it is shutting down). */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Runs stay readable (reports, late clicks) well past their end. */
  retainUntil(now: Date): Date {
    return new Date(now.getTime() + Math.max(7 * 24 * 3600_000, 4 * this.options.requestTtlInMs));
  }

  /**
   * Runs a run this caller holds (it won the compare-and-set that claimed it) with `directory`,
   * in the background: the promise settles when the execution ends (never rejects).
   */
  execute(held: StoredItem<BulkRun>, directory: BulkDirectoryGateway, observer: BulkObserver | undefined): Promise<ExecutionOutcome> {
    return this.launch(held, held.value.execution?.id ?? this.newId(), directory, observer);
  }

  private launch(
    claimed: StoredItem<BulkRun>,
    executionId: string,
    directory: BulkDirectoryGateway,
    observer: BulkObserver | undefined,
  ): Promise<ExecutionOutcome> {
    const execution = new BulkExecution(
      {
        store: this.options.store,
        namespace: NAMESPACE.bulkRuns,
        audit: this.options.audit,
        settings: this.settings,
        retention: () => this.retention(),
        clock: this.options.clock,
        pacer: this.pacerFor(claimed.value.tenantId),
        onError: this.options.onError,
      },
      claimed,
      executionId,
      directory,
      alsoTelling(this.options.progress, observer),
    );
    const finished = execution.run().finally(() => {
      if (this.executions.get(claimed.value.id)?.execution === execution) this.executions.delete(claimed.value.id);
    });
    this.executions.set(claimed.value.id, { execution, finished });
    return finished;
  }

  private pacerFor(tenantId: string): Pacer {
    const key = tenantId.toLowerCase();
    let pacer = this.pacers.get(key);
    if (!pacer) this.pacers.set(key, (pacer = new Pacer(this.settings.writeQuota, monotonicNow())));
    return pacer;
  }

  private async decide(
    person: PersonRef,
    runId: string,
    transition: (run: BulkRun, now: Date) => { ok: true; value: BulkRun } | { ok: false; error: DecisionProblem },
  ): Promise<DecisionOutcome> {
    // A running run is written often by its execution: retry the compare-and-set a few times.
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const stored = await loadBulkRun(this.options.store, runId);
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
    await this.options.audit.after({
      tenantId: person.tenantId,
      action: 'lookup.failed',
      outcome: 'failed',
      actor: auditActor(person),
      code: failure.code,
      graphRequestId: failure.graphRequestId,
      detail: 'Bulk run: listing the users failed.',
    });
    return { kind: 'failed', failure };
  }

  private async auditRefusal(person: PersonRef, run: BulkRun, problem: DecisionProblem): Promise<void> {
    await this.options.audit.after({
      tenantId: person.tenantId,
      action: 'request.refused',
      outcome: 'refused',
      actor: auditActor(person),
      requestId: run.id,
      code: problem,
      detail: 'Bulk run.',
    });
  }

  private now(): Date {
    return this.options.clock.now();
  }

  private newId(): string {
    return this.options.newId?.() ?? randomUUID();
  }

  private retention(): Date {
    return this.retainUntil(this.now());
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

/** A run's source in words, for the audit trail: group "Finance Team" (id), department "HP". */
export function describeRunSource(source: BulkSource): string {
  return source.kind === 'group' ? `group "${source.label}"${source.id ? ` (${source.id})` : ''}` : `department "${source.label}"`;
}

/** One observer that tells `first`, then `then`; either may be absent. */
function alsoTelling(first: BulkObserver | undefined, then: BulkObserver | undefined): BulkObserver | undefined {
  if (!first?.onProgress) return then;
  if (!then?.onProgress) return first;
  return {
    async onProgress(progress, run, timeLeftInMs) {
      await first.onProgress?.(progress, run, timeLeftInMs);
      await then.onProgress?.(progress, run, timeLeftInMs);
    },
  };
}
