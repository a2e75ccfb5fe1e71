/**
 * Four eyes: a requester submits a pending request to the security channel; an approver —
 * never the requester — approves (the revoke then runs with the approver's own token) or
 * rejects it. A failed approval that another approver may overcome (a missing role, throttling)
 * leaves the request waiting for the next approver. Pure functions; stores do the
 * compare-and-set that makes "exactly one approval runs" hold.
 */
import { err, ok, type Result } from './result';
import {
  complete,
  isRetryableFailure,
  type DecisionProblem,
  type PersonRef,
  type RevocationOutcome,
  type RevocationRequest,
} from './revocationRequest';

const sameId = (a: string, b: string): boolean => a !== '' && a.toLowerCase() === b.toLowerCase();

/** The requester asks for approval: `pending` → `awaitingApproval`, with a new deadline for approvers. */
export function submitForApproval(
  r: RevocationRequest,
  by: PersonRef,
  now: Date,
  input: { channelId: string; reason?: string; ttlInMs: number },
): Result<RevocationRequest, DecisionProblem> {
  if (!sameId(by.tenantId, r.tenantId)) return err('wrong_tenant');
  if (!sameId(by.aadObjectId, r.requester.aadObjectId)) return err('not_requester');
  if (r.state === 'awaitingApproval') return err('awaiting_approval');
  if (r.state === 'executing') return err('in_progress');
  if (r.state !== 'pending') return err(r.state === 'expired' ? 'expired' : 'already_decided');
  if (!(now.getTime() < Date.parse(r.expiresAt))) return err('expired');
  const reason = input.reason?.trim().slice(0, 500) || undefined;
  return ok({
    ...r,
    state: 'awaitingApproval',
    expiresAt: new Date(now.getTime() + Math.max(0, input.ttlInMs)).toISOString(),
    approval: { channelId: input.channelId, reason, requestedAt: now.toISOString(), failedAttempts: [] },
  });
}

/** The approval card could not be posted: back to `pending` so nothing is lost and the requester can try again. */
export function withdrawSubmission(r: RevocationRequest, previousExpiresAt: string): RevocationRequest {
  if (r.state !== 'awaitingApproval') return r;
  const { approval: _dropped, ...rest } = r;
  return { ...rest, state: 'pending', expiresAt: previousExpiresAt };
}

/** Records where the approval card is. */
export function attachApprovalCard(r: RevocationRequest, card: { conversationId: string; activityId: string }): RevocationRequest {
  if (!r.approval) return r;
  return { ...r, approval: { ...r.approval, card: { ...card } } };
}

function approverProblem(r: RevocationRequest, approver: PersonRef, now: Date): DecisionProblem | undefined {
  if (!sameId(approver.tenantId, r.tenantId)) return 'wrong_tenant';
  if (sameId(approver.aadObjectId, r.requester.aadObjectId)) return 'self_approval';
  if (r.state === 'executing') return 'in_progress';
  if (r.state === 'expired') return 'expired';
  if (r.state !== 'awaitingApproval') return 'already_decided';
  if (!(now.getTime() < Date.parse(r.expiresAt))) return 'expired';
  return undefined;
}

/** An approver approves: `awaitingApproval` → `executing` (the revoke runs with the approver's token). */
export function beginApproval(r: RevocationRequest, approver: PersonRef, now: Date): Result<RevocationRequest, DecisionProblem> {
  const problem = approverProblem(r, approver, now);
  if (problem) return err(problem);
  return ok({ ...r, state: 'executing', decidedBy: { ...approver }, decidedAt: now.toISOString(), attempts: r.attempts + 1 });
}

/**
 * The approved revoke's result: success → `succeeded`; a failure another approver may overcome
 * (missing role, throttling, an outage, sign-in trouble) → back to `awaitingApproval` with the
 * attempt recorded; anything else → `failed`.
 */
export function completeApproval(r: RevocationRequest, outcome: RevocationOutcome, now: Date): RevocationRequest {
  if (r.state !== 'executing' || !r.approval) return complete(r, outcome, now);
  if (outcome.kind === 'refused' && isRetryableFailure(outcome.code) && r.decidedBy) {
    const attempt = { by: { ...r.decidedBy }, at: now.toISOString(), code: outcome.code, graphRequestId: outcome.graphRequestId };
    const { decidedBy: _by, decidedAt: _at, ...rest } = r;
    return {
      ...rest,
      state: 'awaitingApproval',
      outcome: { ...outcome },
      approval: { ...r.approval, failedAttempts: [...r.approval.failedAttempts, attempt] },
    };
  }
  return complete(r, outcome, now);
}

/** An approver rejects: `awaitingApproval` → `rejected`, with their optional note. */
export function reject(r: RevocationRequest, approver: PersonRef, now: Date, note?: string): Result<RevocationRequest, DecisionProblem> {
  const problem = approverProblem(r, approver, now);
  if (problem) return err(problem);
  const rejectReason = note?.trim().slice(0, 500) || undefined;
  return ok({
    ...r,
    state: 'rejected',
    decidedBy: { ...approver },
    decidedAt: now.toISOString(),
    approval: r.approval ? { ...r.approval, rejectReason } : undefined,
  });
}

/** The requester withdraws a request that is waiting for approval. */
export function withdraw(r: RevocationRequest, by: PersonRef, now: Date): Result<RevocationRequest, DecisionProblem> {
  if (!sameId(by.tenantId, r.tenantId)) return err('wrong_tenant');
  if (!sameId(by.aadObjectId, r.requester.aadObjectId)) return err('not_requester');
  if (r.state === 'executing') return err('in_progress');
  if (r.state !== 'awaitingApproval') return err(r.state === 'expired' ? 'expired' : 'already_decided');
  return ok({ ...r, state: 'cancelled', decidedBy: { ...by }, decidedAt: now.toISOString() });
}
