/**
 * Four eyes, written once for every approvable subject: a single revocation request and a bulk
 * run today, an alert's request and a scheduled item next. The rules:
 *
 * - The requester asks (`submitForApproval`): `pending` → `awaitingApproval`. Approvers then have
 *   `ttlInMs` (the configured approval time, 24 hours by default) from the submission; at or
 *   after it the subject is expired and nobody can approve it.
 * - The requester is excluded: a person who asked may never approve or reject it
 *   (`self_approval`). A system requester (an alert rule, a schedule) excludes no one: any
 *   approver may act, once.
 * - An approver acts from the channel the approval card went to (`outside_approval_channel`).
 * - The approver's own token acts: approving begins the subject's execution with the approver as
 *   `decidedBy`, and the use cases hand the approver's delegated session, never the requester's,
 *   to the subject's executor.
 * - Exactly one decision wins. These functions decide; the use cases store every change as a
 *   compare-and-set on the stored item's etag, so of two approvers clicking at once only one
 *   begins the execution.
 *
 * ```
 *  pending ──submit──▶ awaitingApproval ──approve──▶ (the subject's execution, e.g. executing / running)
 *     ▲                  │  │  │                          │ failed in a way another approver may overcome
 *     └── card not ──────┘  │  │ reject → rejected        ▼
 *         posted            │  └ withdraw → cancelled   awaitingApproval again (returnToApprovers)
 *                           └ at or after expiresAt → expired
 * ```
 *
 * Pure functions: each returns a new subject (or the one it was given when nothing changes) and
 * takes `now` explicitly.
 */
import { isSystemRequester, isRequester, sameId, type PersonRef, type Requester } from './people';
import type { DecisionProblem, RevocationFailureCode } from './problems';
import { err, ok, type Result } from './result';

/** Longest reason or rejection note kept (the rest is cut). */
export const MAX_APPROVAL_NOTE_CHARS = 500;

/** Where a card is in Teams, so it can be updated for everyone. */
export interface CardLocation {
  conversationId: string;
  activityId: string;
}

/** An approval that ran and failed in a way another approver may overcome (e.g. 403 for a missing role). */
export interface FailedApproval {
  by: PersonRef;
  at: string;
  code: RevocationFailureCode;
  graphRequestId?: string;
}

/** The four-eyes part of a subject, present once the requester asked for approval. */
export interface Approval {
  /** The Teams channel the approval card went to: approvers act there. */
  channelId: string;
  /** What the requester gave as the reason (e.g. a ticket number). */
  reason?: string;
  requestedAt: string;
  /** The subject's expiry before it was submitted, restored if the approval card could not be posted. */
  previousExpiresAt?: string;
  /** Where the approval card is, once posted. */
  card?: CardLocation;
  /** An approver's optional note when rejecting. */
  rejectReason?: string;
  failedAttempts: FailedApproval[];
}

/** The states every approvable subject shares; each kind adds its own execution states. */
export type ApprovalState = 'pending' | 'awaitingApproval' | 'rejected' | 'cancelled' | 'expired';

/** What the approval rules read and write on a subject, whatever else it holds. */
export interface Approvable {
  readonly id: string;
  readonly tenantId: string;
  readonly requester: Requester;
  readonly state: string;
  readonly expiresAt: string;
  approval?: Approval;
  decidedBy?: PersonRef;
  decidedAt?: string;
}

/** What the rules need to know of one kind of subject beyond {@link Approvable}. */
export interface ApprovableKind<T extends Approvable> {
  /** Whether the approved work is under way: another decision is then `in_progress`. */
  isExecuting(subject: T): boolean;
  /**
   * The approved work begins: the kind's own first execution step, with `approver` as `decidedBy`
   * (whose delegated token runs it). Refused when the kind cannot begin now.
   */
  begin(subject: T, approver: PersonRef, now: Date): Result<T, DecisionProblem>;
}

/** An approver's click: who, and from which channel (any thread of it). */
export interface Approver {
  readonly person: PersonRef;
  /** The conversation the approver acted in (a channel id, with or without a `;messageid=` thread suffix). */
  readonly conversationId: string;
}

/** Refused unless `by` is the subject's requester, in the subject's tenant (checked first, so a stranger learns nothing more). */
export function requesterProblem(subject: Approvable, by: Requester): DecisionProblem | undefined {
  if (!sameId(by.tenantId, subject.tenantId)) return 'wrong_tenant';
  if (isSystemRequester(subject.requester) || isSystemRequester(by)) {
    return isSystemRequester(subject.requester) && isSystemRequester(by) && subject.requester.source === by.source
      ? undefined
      : 'not_requester';
  }
  return sameId(by.aadObjectId, subject.requester.aadObjectId) ? undefined : 'not_requester';
}

/** The requester asks for approval: `pending` → `awaitingApproval`, with `ttlInMs` for the approvers. */
export function submitForApproval<T extends Approvable>(
  kind: ApprovableKind<T>,
  subject: T,
  by: Requester,
  now: Date,
  input: { channelId: string; reason?: string; ttlInMs: number },
): Result<T, DecisionProblem> {
  const problem = requesterProblem(subject, by) ?? stateProblem(kind, subject, 'pending', now);
  if (problem) return err(problem);
  const reason = note(input.reason);
  return ok({
    ...subject,
    state: 'awaitingApproval',
    expiresAt: new Date(now.getTime() + Math.max(0, input.ttlInMs)).toISOString(),
    approval: {
      channelId: input.channelId,
      ...(reason ? { reason } : {}),
      requestedAt: now.toISOString(),
      previousExpiresAt: subject.expiresAt,
      failedAttempts: [],
    },
  });
}

/**
 * The approval card could not be posted: `awaitingApproval` → `pending` again with its old
 * expiry, so nothing is lost and the requester may try again. Anything else unchanged.
 */
export function withdrawSubmission<T extends Approvable>(subject: T): T {
  if (subject.state !== 'awaitingApproval') return subject;
  const next = { ...subject, state: 'pending', expiresAt: subject.approval?.previousExpiresAt ?? subject.expiresAt };
  delete next.approval;
  return next;
}

/** Records where the approval card is. */
export function attachApprovalCard<T extends Approvable>(subject: T, card: CardLocation): T {
  if (!subject.approval) return subject;
  return { ...subject, approval: { ...subject.approval, card: { ...card } } };
}

/**
 * Why `approver` may not approve or reject now, or undefined when they may: another tenant, the
 * requester themself, a click from outside the approval channel, a subject not (or no longer)
 * waiting, or at or after its expiry. Checked in that order.
 */
export function approverProblem<T extends Approvable>(
  kind: ApprovableKind<T>,
  subject: T,
  approver: Approver,
  now: Date,
): DecisionProblem | undefined {
  if (!sameId(approver.person.tenantId, subject.tenantId)) return 'wrong_tenant';
  if (isRequester(subject.requester, approver.person)) return 'self_approval';
  if (subject.approval && !sameChannel(subject.approval.channelId, approver.conversationId)) return 'outside_approval_channel';
  return stateProblem(kind, subject, 'awaitingApproval', now);
}

/** An approver approves: the subject's execution begins, with the approver's token. */
export function approve<T extends Approvable>(
  kind: ApprovableKind<T>,
  subject: T,
  approver: Approver,
  now: Date,
): Result<T, DecisionProblem> {
  const problem = approverProblem(kind, subject, approver, now);
  if (problem) return err(problem);
  return kind.begin(subject, approver.person, now);
}

/** An approver rejects: `awaitingApproval` → `rejected`, with their optional note. */
export function reject<T extends Approvable>(
  kind: ApprovableKind<T>,
  subject: T,
  approver: Approver,
  now: Date,
  rejectNote?: string,
): Result<T, DecisionProblem> {
  const problem = approverProblem(kind, subject, approver, now);
  if (problem) return err(problem);
  const rejectReason = note(rejectNote);
  return ok({
    ...subject,
    state: 'rejected',
    decidedBy: { ...approver.person },
    decidedAt: now.toISOString(),
    ...(subject.approval ? { approval: { ...subject.approval, ...(rejectReason ? { rejectReason } : {}) } } : {}),
  });
}

/** The requester withdraws a subject that is waiting for approval: `awaitingApproval` → `cancelled`. */
export function withdraw<T extends Approvable>(kind: ApprovableKind<T>, subject: T, by: PersonRef, now: Date): Result<T, DecisionProblem> {
  const problem = requesterProblem(subject, by) ?? stateProblem(kind, subject, 'awaitingApproval', now);
  if (problem) return err(problem);
  return ok({ ...subject, state: 'cancelled', decidedBy: { ...by }, decidedAt: now.toISOString() });
}

/**
 * The approved work failed in a way another approver may overcome (a missing role, throttling,
 * an interrupted execution): back to `awaitingApproval`, with the attempt recorded against the
 * approver whose token it was. The subject keeps its expiry.
 */
export function returnToApprovers<T extends Approvable>(
  subject: T,
  attempt: { code: RevocationFailureCode; graphRequestId?: string },
  now: Date,
): T {
  if (!subject.approval || !subject.decidedBy) return subject;
  const failed: FailedApproval = {
    by: { ...subject.decidedBy },
    at: now.toISOString(),
    code: attempt.code,
    ...(attempt.graphRequestId ? { graphRequestId: attempt.graphRequestId } : {}),
  };
  const next = {
    ...subject,
    state: 'awaitingApproval',
    approval: { ...subject.approval, failedAttempts: [...subject.approval.failedAttempts, failed] },
  };
  delete next.decidedBy;
  delete next.decidedAt;
  return next;
}

/** Whether a click in `conversationId` happens in `channelId` (any thread of it; ids compare ignoring case). */
export function sameChannel(channelId: string, conversationId: string): boolean {
  const base = conversationId.split(';')[0] ?? '';
  return channelId !== '' && base.toLowerCase() === channelId.toLowerCase();
}

/**
 * Why a decision that expects the subject in `expected` state cannot be taken now: its execution
 * is under way, it expired, it is elsewhere in its life, or its time has passed.
 */
export function stateProblem<T extends Approvable>(
  kind: ApprovableKind<T>,
  subject: T,
  expected: 'pending' | 'awaitingApproval',
  now: Date,
): DecisionProblem | undefined {
  if (kind.isExecuting(subject)) return 'in_progress';
  if (subject.state === 'expired') return 'expired';
  if (subject.state !== expected) return subject.state === 'awaitingApproval' ? 'awaiting_approval' : 'already_decided';
  // Also refuses when `now` is invalid (NaN compares false): deny by default.
  if (!(now.getTime() < Date.parse(subject.expiresAt))) return 'expired';
  return undefined;
}

function note(text: string | undefined): string | undefined {
  return text?.trim().slice(0, MAX_APPROVAL_NOTE_CHARS) || undefined;
}
