/**
 * The one four-eyes workflow, for every approvable subject (approvableSubjects.ts): the
 * requester submits it to the security channel; an approver — never the requester, and only in
 * that channel — approves it (the subject's executor then does the work with the approver's own
 * delegated access) or rejects it; the requester may withdraw it while it waits. The rules are
 * the domain's (src/domain/approval.ts); this use case loads, decides, stores and audits.
 *
 * Exactly once: every change is a compare-and-set on the stored subject's etag, so of two
 * approvers clicking at once, replays and several instances exactly one begins the work, and
 * only that one calls Graph. Where a kind allows one waiting subject per key (a single request
 * per target person), an index in the store points at it, so a second request for the same
 * person does not post a second approval card.
 */
import {
  approve as approveSubject,
  approverProblem,
  attachApprovalCard,
  reject as rejectSubject,
  requesterProblem,
  submitForApproval,
  withdraw as withdrawSubject,
  withdrawSubmission,
  type Approvable,
  type Approver,
  type CardLocation,
} from '../../domain/approval';
import type { Clock, Deadline } from '../../domain/clock';
import type { PersonRef, Requester } from '../../domain/people';
import type { DecisionProblem } from '../../domain/problems';
import { ok, type Result } from '../../domain/result';
import type { ContainmentChoice } from '../../domain/revocationRequest';
import { auditActor } from '../acting';
import type { AuditTrail } from '../auditTrail';
import type { AuditDraft } from '../refusalWindows';
import { giveBack, type ErrorReport } from '../giveBack';
import type { AuditAction, AuditOutcome } from '../ports/auditLog';
import { NAMESPACE } from '../ports/namespaces';
import type { StateStore, StoredItem } from '../ports/stateStore';
import type { ApprovableSubjects, Recovered } from './approvableSubjects';

/** Why a subject could not be sent to the security channel; it stays open. */
export type ApprovalRouteProblem = 'channel_unknown' | 'bot_not_in_team' | 'private_channel' | 'post_failed';

/** Where the approval card would go: the security channel as the bot knows it, or why it cannot go there. */
export type ApprovalRoute =
  { readonly ok: true; readonly channelId: string } | { readonly ok: false; readonly problem: ApprovalRouteProblem };

/** What became of a submission. */
export type SubmitOutcome<T> =
  | { readonly kind: 'submitted'; readonly subject: T }
  /** Another subject about the same target already waits for approval: follow that one. */
  | { readonly kind: 'duplicate'; readonly existing: T }
  /** The security channel cannot take the card; nothing changed. */
  | { readonly kind: 'unroutable'; readonly problem: ApprovalRouteProblem; readonly subject: T }
  | { readonly kind: 'refused'; readonly problem: DecisionProblem; readonly subject?: T };

/** What became of a rejection or a withdrawal. */
export type DecisionOutcome<T> =
  { readonly kind: 'decided'; readonly subject: T } | { readonly kind: 'refused'; readonly problem: DecisionProblem; readonly subject?: T };

/** What became of an approval. */
export type ApproveOutcome<T, E> =
  /** The approval won: the subject as the executor left it (for a single request, the revoke's result). */
  | { readonly kind: 'decided'; readonly subject: T; readonly execution?: E; readonly verify?: () => Promise<T> }
  | { readonly kind: 'refused'; readonly problem: DecisionProblem; readonly subject?: T }
  /** The audit trail could not record the approval: nothing was done, the subject waits as before. */
  | { readonly kind: 'storage_unavailable' };

/** Before anyone signs in: whether this approver's click could be an approval now. */
export type ApprovalCheck<T> =
  { readonly kind: 'may'; readonly subject: T } | { readonly kind: 'refused'; readonly problem: DecisionProblem; readonly subject?: T };

/** What the workflow stores, audits and times with. */
export interface ApprovalWorkflowOptions {
  readonly store: StateStore;
  readonly audit: AuditTrail;
  readonly clock: Clock;
  /** How long approvers have once a subject is submitted (APPROVAL_TTL_HOURS: 24 hours by default). */
  readonly approvalTtlInMs: number;
  /** Told when something that must not fail silently failed (a give-back after an audit failure). */
  readonly onError?: ErrorReport;
}

/** Compare-and-set attempts for a decision on a subject others may be writing (a running bulk run's progress). */
const DECISION_ATTEMPTS = 10;

/** The four-eyes use cases over one kind of approvable subject (see the module comment). */
export class ApprovalWorkflow<T extends Approvable, A extends { readonly person: PersonRef }, E> {
  constructor(
    readonly subjects: ApprovableSubjects<T, A, E>,
    private readonly options: ApprovalWorkflowOptions,
  ) {}

  /** The subject as it stands now (expired if its time has passed). */
  async get(id: string): Promise<T | undefined> {
    return (await this.load(id))?.value;
  }

  /**
   * Whether this approver's click could approve or reject now — the same rule `approve` and
   * `reject` apply under compare-and-set — so nobody is asked to sign in for a click that cannot
   * succeed. An interrupted execution passes: approving it recovers it. Records nothing.
   */
  async check(id: string, approver: Approver): Promise<ApprovalCheck<T>> {
    const stored = await this.load(id);
    if (!stored) return { kind: 'refused', problem: 'not_found' };
    const subject = stored.value;
    const problem = approverProblem(this.subjects.kind, subject, approver, this.now());
    if (problem === 'in_progress' && this.subjects.isInterrupted?.(subject, this.now())) return { kind: 'may', subject };
    return problem ? { kind: 'refused', problem, subject } : { kind: 'may', subject };
  }

  /** The requester sends a subject to the security channel (`route`), with their reason and the steps they ticked. */
  async submit(
    requester: Requester,
    id: string,
    input: { route: ApprovalRoute; reason?: string; steps?: ContainmentChoice },
  ): Promise<SubmitOutcome<T>> {
    const stored = await this.load(id);
    if (!stored) return { kind: 'refused', problem: 'not_found' };
    const notTheirs = requesterProblem(stored.value, requester);
    if (notTheirs) return { kind: 'refused', problem: notTheirs, subject: stored.value };
    const route = input.route;
    if (!route.ok) return { kind: 'unroutable', problem: route.problem, subject: stored.value };
    const key = this.subjects.describe(stored.value).awaitingKey;
    const waiting = key ? await this.awaitingFor(key) : undefined;
    if (waiting && waiting.id !== id) return { kind: 'duplicate', existing: waiting };
    const moved = await this.decide(requester, id, (subject, now) => {
      const submitted = submitForApproval(this.subjects.kind, subject, requester, now, {
        channelId: route.channelId,
        reason: input.reason,
        ttlInMs: this.options.approvalTtlInMs,
      });
      // The steps the requester ticked are part of what the approver approves.
      return submitted.ok && input.steps && this.subjects.plan ? ok(this.subjects.plan(submitted.value, input.steps)) : submitted;
    });
    if (moved.kind !== 'decided') return moved;
    if (key) {
      const other = await this.claimAwaiting(key, moved.subject);
      if (other) {
        // Another subject about the same target got there first (a race the read above missed).
        await this.update(id, (subject) => withdrawSubmission(subject));
        return { kind: 'duplicate', existing: other };
      }
    }
    await this.record('approval.requested', 'info', requester, moved.subject, {
      detail: this.subjects.auditDetail('requested', moved.subject),
    });
    return { kind: 'submitted', subject: moved.subject };
  }

  /** The approval card could not be posted: the subject goes back to pending with its old expiry, nothing is lost. */
  async unroute(requester: Requester, id: string, problem: ApprovalRouteProblem): Promise<T | undefined> {
    const back = await this.update(id, (subject) => withdrawSubmission(subject));
    if (back) await this.releaseAwaiting(back);
    await this.options.audit.after({
      tenantId: requester.tenantId,
      action: 'approval.requested',
      outcome: 'refused',
      actor: auditActor(requester),
      target: back ? this.subjects.describe(back).target : undefined,
      requestId: id,
      code: problem,
    });
    return back;
  }

  /** Remembers where the approval card is. */
  async attachCard(id: string, card: CardLocation): Promise<T | undefined> {
    return this.update(id, (subject) => attachApprovalCard(subject, card));
  }

  /**
   * An approver approves: the subject's execution begins with the approver as its decider, and
   * its executor does the work with `acting` — the approver's own delegated access. Exactly one
   * approval wins the compare-and-set; everyone else is told why not. An execution a crash
   * interrupted is recovered instead (read back, never done twice).
   */
  async approve(acting: A, approver: Approver, id: string, options: { readonly deadline?: Deadline } = {}): Promise<ApproveOutcome<T, E>> {
    const raw = await this.options.store.get<T>(this.subjects.namespace, id);
    if (!raw) return { kind: 'refused', problem: 'not_found' };
    if (this.subjects.recover && this.subjects.isInterrupted?.(raw.value, this.now()))
      return this.afterRecovery(await this.subjects.recover(acting, approver, raw));
    if (this.subjects.closed) return { kind: 'storage_unavailable' };
    const now = this.now();
    const subject = this.subjects.current(raw.value, now);
    const begun = approveSubject(this.subjects.kind, subject, approver, now);
    if (!begun.ok) {
      await this.auditRefusal(approver.person, subject, begun.error);
      return { kind: 'refused', problem: begun.error, subject };
    }
    const held = this.subjects.hold ? this.subjects.hold(begun.value, now) : ok(begun.value);
    if (!held.ok) return { kind: 'refused', problem: held.error, subject };
    const won = await this.options.store.replace(this.subjects.namespace, id, held.value, raw.etag, { expiresAt: this.retention() });
    if (!won.ok) {
      // Someone else moved it first: answer from what they made of it.
      const current = await this.get(id);
      return {
        kind: 'refused',
        problem: current && this.subjects.kind.isExecuting(current) ? 'in_progress' : 'already_decided',
        subject: current,
      };
    }
    try {
      await this.options.audit.before(
        this.entry('approval.approved', 'info', acting.person, held.value, { detail: this.subjects.auditDetail('approved', held.value) }),
      );
      await this.subjects.beforeExecution?.(held.value, acting);
    } catch {
      // No unaudited action: give the subject back to the approvers.
      await giveBack(
        this.options.store,
        { namespace: this.subjects.namespace, key: id, expiresAt: this.retention() },
        raw.value,
        won.etag,
        this.options.onError,
      );
      return { kind: 'storage_unavailable' };
    }
    const executed = await this.subjects.execute(acting, { value: held.value, etag: won.etag }, options);
    if (executed.subject.state !== 'awaitingApproval') await this.releaseAwaiting(executed.subject);
    return {
      kind: 'decided',
      subject: executed.subject,
      ...(executed.execution !== undefined ? { execution: executed.execution } : {}),
      ...(executed.verify !== undefined ? { verify: executed.verify } : {}),
    };
  }

  /** An approver rejects, with an optional note for the requester. Nothing is done in the directory. */
  async reject(approver: Approver, id: string, note?: string): Promise<DecisionOutcome<T>> {
    const moved = await this.decide(approver.person, id, (subject, now) => rejectSubject(this.subjects.kind, subject, approver, now, note));
    if (moved.kind !== 'decided') return moved;
    await this.releaseAwaiting(moved.subject);
    await this.record('approval.rejected', 'refused', approver.person, moved.subject, {
      detail: this.subjects.auditDetail('rejected', moved.subject),
    });
    return moved;
  }

  /** The requester withdraws a subject that is waiting for approval. */
  async withdraw(requester: PersonRef, id: string): Promise<DecisionOutcome<T>> {
    const moved = await this.decide(requester, id, (subject, now) => withdrawSubject(this.subjects.kind, subject, requester, now));
    if (moved.kind !== 'decided') return moved;
    await this.releaseAwaiting(moved.subject);
    await this.record('request.cancelled', 'info', requester, moved.subject, {});
    return moved;
  }

  /** The subject waiting for approval under this key (e.g. about this person), if any. */
  async awaitingFor(key: string): Promise<T | undefined> {
    const index = await this.options.store.get<{ requestId: string }>(NAMESPACE.awaitingByTarget, key);
    if (!index) return undefined;
    const subject = await this.get(index.value.requestId);
    return subject && subject.state === 'awaitingApproval' ? subject : undefined;
  }

  /** What an approver is told once an interrupted execution was recovered (read back, never done twice). */
  private async afterRecovery(recovered: Recovered<T>): Promise<ApproveOutcome<T, E>> {
    if (recovered.kind === 'refused') return recovered;
    const current = this.subjects.current(recovered.subject, this.now());
    if (current.state !== 'awaitingApproval') await this.releaseAwaiting(current);
    return { kind: 'decided', subject: current };
  }

  /**
   * Reads, decides and compare-and-sets, again while others write the subject meanwhile (a running
   * run's progress); a refusal is recorded and answered with the subject as it stands.
   */
  private async decide(
    person: Requester,
    id: string,
    transition: (subject: T, now: Date) => Result<T, DecisionProblem>,
  ): Promise<DecisionOutcome<T>> {
    for (let attempt = 0; attempt < DECISION_ATTEMPTS; attempt += 1) {
      const stored = await this.load(id);
      if (!stored) return { kind: 'refused', problem: 'not_found' };
      const next = transition(stored.value, this.now());
      if (!next.ok) {
        await this.auditRefusal(person, stored.value, next.error);
        return { kind: 'refused', problem: next.error, subject: stored.value };
      }
      const saved = await this.options.store.replace(this.subjects.namespace, id, next.value, stored.etag, { expiresAt: this.retention() });
      if (saved.ok) return { kind: 'decided', subject: next.value };
      if (saved.reason === 'missing') return { kind: 'refused', problem: 'not_found' };
    }
    return { kind: 'refused', problem: 'in_progress', subject: await this.get(id) };
  }

  /** A change that is not a decision (where the card is, a withdrawn submission); the subject as it now stands. */
  private async update(id: string, change: (subject: T) => T): Promise<T | undefined> {
    for (let attempt = 0; attempt < DECISION_ATTEMPTS; attempt += 1) {
      const stored = await this.options.store.get<T>(this.subjects.namespace, id);
      if (!stored) return undefined;
      const next = change(stored.value);
      const saved = await this.options.store.replace(this.subjects.namespace, id, next, stored.etag, { expiresAt: this.retention() });
      if (saved.ok) return next;
      if (saved.reason === 'missing') return undefined;
    }
    return undefined;
  }

  /** Points the key at `subject`; the other subject that holds it, if one still waits. */
  private async claimAwaiting(key: string, subject: T): Promise<T | undefined> {
    const expiresAt = new Date(subject.expiresAt);
    const claimed = await this.options.store.create(NAMESPACE.awaitingByTarget, key, { requestId: subject.id }, { expiresAt });
    if (claimed.ok) return undefined;
    const other = await this.awaitingFor(key);
    if (other && other.id !== subject.id) return other;
    await this.options.store.replace(NAMESPACE.awaitingByTarget, key, { requestId: subject.id }, claimed.current.etag, { expiresAt });
    return undefined;
  }

  private async releaseAwaiting(subject: T): Promise<void> {
    const key = this.subjects.describe(subject).awaitingKey;
    if (!key) return;
    const index = await this.options.store.get<{ requestId: string }>(NAMESPACE.awaitingByTarget, key);
    if (index?.value.requestId === subject.id) await this.options.store.delete(NAMESPACE.awaitingByTarget, key, index.etag);
  }

  private async load(id: string): Promise<StoredItem<T> | undefined> {
    const stored = await this.options.store.get<T>(this.subjects.namespace, id);
    return stored ? { value: this.subjects.current(stored.value, this.now()), etag: stored.etag } : undefined;
  }

  private async auditRefusal(person: Requester, subject: T, problem: DecisionProblem): Promise<void> {
    await this.record('request.refused', 'refused', person, subject, {
      code: problem,
      detail: this.subjects.auditDetail('refused', subject),
    });
  }

  private async record(
    action: AuditAction,
    outcome: AuditOutcome,
    person: Requester,
    subject: T,
    extra: { code?: string; detail?: string },
  ): Promise<void> {
    await this.options.audit.after(this.entry(action, outcome, person, subject, extra));
  }

  private entry(
    action: AuditAction,
    outcome: AuditOutcome,
    person: Requester,
    subject: T,
    extra: { code?: string; detail?: string },
  ): AuditDraft {
    return {
      tenantId: person.tenantId,
      action,
      outcome,
      actor: auditActor(person),
      target: this.subjects.describe(subject).target,
      requestId: subject.id,
      ...(extra.code ? { code: extra.code } : {}),
      ...(extra.detail ? { detail: extra.detail } : {}),
    };
  }

  private now(): Date {
    return this.options.clock.now();
  }

  private retention(): Date {
    return this.subjects.retainUntil(this.now());
  }
}
