/**
 * A request to revoke one person's sessions, and the only ways its state may change. Pure: every
 * function returns a new object (or the same one when nothing changes) and takes `now` explicitly.
 *
 * ```
 *            beginExecution               complete(revoked)
 *  pending ────────────────▶ executing ─────────────────────▶ succeeded
 *   │  ▲ │                       │
 *   │  │ │ cancel                │ complete(refused)
 *   │  │ ▼                       ▼
 *   │  │ cancelled            failed ── retryable code? ──┐
 *   │  │                         │ no: final              │ yes: the requester may
 *   │  └──── (via beginExecution, like pending) ◀─────────┘ retry or cancel until expiry
 *   │ expireIfDue / any decision at or after expiresAt
 *   ▼
 *  expired   (from pending, or from a retryable failure)
 * ```
 *
 * Retry design: a failed request whose outcome code is retryable (throttled, graph_unavailable,
 * timeout, sign_in_expired, interaction_required, consent_required, and forbidden — the agent may
 * activate a role in PIM and try again) stays in state `failed` with its outcome shown, and the
 * requester may call beginExecution (retry) or cancel on it until it expires. Non-retryable
 * failures (not_found, bad_request, token_invalid, unexpected) are final: ask again from scratch.
 *
 * Exclusivity: beginExecution refuses an `executing` request (`in_progress`), and the use cases
 * store `pending → executing` as a compare-and-set on the stored item's etag, so only one of two
 * simultaneous clicks wins.
 */
import { returnToApprovers, type Approval, type ApprovableKind } from './approval';
import { sameId, type PersonRef } from './people';
import type { DecisionProblem, RevocationFailureCode } from './problems';
import { err, ok, type Result } from './result';
import type { DirectoryRole, TargetTier } from './roles';
import { removableIndexes, type MethodsSnapshot } from './authMethods';

export type RequestState = 'pending' | 'awaitingApproval' | 'executing' | 'succeeded' | 'failed' | 'cancelled' | 'rejected' | 'expired';

/** The target as it was when the request was made (what the card showed). */
export interface TargetSnapshot {
  id: string;
  displayName: string;
  userPrincipalName: string;
  userType: 'Member' | 'Guest';
  accountEnabled: boolean;
  tier: TargetTier;
  roles: DirectoryRole[];
  /** Member of a role-assignable group (makes the target privileged: docs/entra-roles.md). */
  inRoleAssignableGroup?: boolean;
  /** The target is the requester themself (`revoke me`). */
  self?: boolean;
  jobTitle?: string;
  department?: string;
  signInSessionsValidFrom?: string;
}

export interface RevocationRequest {
  id: string;
  tenantId: string;
  requester: PersonRef;
  target: TargetSnapshot;
  state: RequestState;
  createdAt: string;
  expiresAt: string;
  /** Who last confirmed or cancelled, and when. */
  decidedBy?: PersonRef;
  decidedAt?: string;
  /** The last execution's result (kept when a retryable failure later expires). */
  outcome?: RevocationOutcome;
  /** When the last execution finished. */
  completedAt?: string;
  /** How many executions have started (1 + retries). */
  attempts: number;
  /** Four eyes: present once the requester asked the security channel for approval (src/domain/approval.ts). */
  approval?: Approval;
  /** Further containment the requester ticked, run with the same delegated token (account steps before the revoke, the rest after). */
  containment?: ContainmentChoice;
  /** The target's authentication methods as last read for the card (Review sign-in methods); ticks refer to this list. */
  methods?: MethodsSnapshot;
}

export type RevocationOutcome =
  | {
      kind: 'revoked';
      at: string;
      graphRequestId?: string;
      /** signInSessionsValidFromDateTime read back after the revoke, when it could be read. */
      validFromAfter?: string;
      /**
       * Whether that value moved to (about) the revoke time: the revocation is visible in the
       * directory. Undefined while the read-back has not run yet: it runs after the answer
       * (src/app/revocation/verifyRevocation.ts); false without `validFromAfter` when it could not read.
       */
      verified?: boolean;
      /** One line per containment step that ran. */
      containment?: ContainmentResult[];
    }
  | {
      kind: 'refused';
      code: RevocationFailureCode;
      graphRequestId?: string;
      rolesNeeded?: DirectoryRole[];
      /** Containment steps that ran before the revoke was refused (they run first: see src/app/revocation/runRevocation.ts). */
      containment?: ContainmentResult[];
    };

/** Steps beyond revocation a responder may tick (the compromised-account bundle). */
export interface ContainmentChoice {
  disableAccount: boolean;
  resetPassword: boolean;
  disableDevices: boolean;
  /** Confirm the user compromised in Identity Protection (raises their risk to high). */
  confirmCompromised?: boolean;
  /** Positions in the request's methods list (`methods.items`) to remove. */
  removeMethods?: number[];
  /** The methods list those positions refer to (its key); ticks on another list are dropped. */
  methodsKey?: string;
}

/** One step of the bundle, each with its own result line and audit record. */
export type ContainmentStep = 'disableAccount' | 'resetPassword' | 'disableDevices' | 'confirmCompromised' | 'removeMethods';

/** Every step, in the order the approval card lists them. */
export const CONTAINMENT_STEPS: readonly ContainmentStep[] = [
  'disableAccount',
  'resetPassword',
  'disableDevices',
  'confirmCompromised',
  'removeMethods',
];

/** Whether the choice includes the step. */
export function isChosen(choice: ContainmentChoice | undefined, step: ContainmentStep): boolean {
  if (!choice) return false;
  if (step === 'removeMethods') return (choice.removeMethods?.length ?? 0) > 0;
  return choice[step] === true;
}

export interface ContainmentResult {
  step: ContainmentStep;
  ok: boolean;
  code?: RevocationFailureCode;
  graphRequestId?: string;
  /** e.g. "2 of 2 devices disabled". */
  detail?: string;
}

/** Failures after which the requester may try the same request again (see the module comment). */
export const RETRYABLE_FAILURE_CODES: ReadonlySet<RevocationFailureCode> = new Set<RevocationFailureCode>([
  'throttled',
  'graph_unavailable',
  'timeout',
  'sign_in_expired',
  'interaction_required',
  'consent_required',
  'forbidden',
]);

/** Whether a failure with this code leaves the request open for a retry. */
export function isRetryableFailure(code: RevocationFailureCode): boolean {
  return RETRYABLE_FAILURE_CODES.has(code);
}

/**
 * A new pending request from `requester` about `target`, expiring `ttlInMs` after `now`.
 * A negative or non-finite ttl counts as 0 (the request is born expired). Throws RangeError only
 * for an invalid `now`, which is a programming error.
 */
export function createRequest(input: {
  id: string;
  requester: PersonRef;
  target: TargetSnapshot;
  now: Date;
  ttlInMs: number;
}): RevocationRequest {
  const created = input.now.getTime();
  if (!Number.isFinite(created)) throw new RangeError('createRequest needs a valid `now`');
  const ttlInMs = Number.isFinite(input.ttlInMs) && input.ttlInMs > 0 ? input.ttlInMs : 0;
  return {
    id: input.id,
    tenantId: input.requester.tenantId,
    requester: { ...input.requester },
    target: { ...input.target, roles: input.target.roles.map((r) => ({ ...r })) },
    state: 'pending',
    createdAt: new Date(created).toISOString(),
    expiresAt: new Date(created + ttlInMs).toISOString(),
    attempts: 0,
  };
}

/**
 * The requester confirms (or retries after a retryable failure): `pending`/retryable `failed` →
 * `executing`. Refused for another tenant (`wrong_tenant`), anyone but the requester
 * (`not_requester`), a running execution (`in_progress`), a request the four-eyes flow owns
 * (`awaiting_approval`, else `already_decided`), a final state (`already_decided`), and at or after
 * `expiresAt` (`expired`). Checked in that order, so a stranger learns nothing more.
 */
export function beginExecution(r: RevocationRequest, by: PersonRef, now: Date): Result<RevocationRequest, DecisionProblem> {
  const problem = decisionProblem(r, by, now);
  if (problem) return err(problem);
  const { outcome: _previous, completedAt: _previousEnd, ...rest } = r;
  return ok({
    ...rest,
    state: 'executing',
    decidedBy: { ...by },
    decidedAt: now.toISOString(),
    attempts: r.attempts + 1,
  });
}

/** The requester says no: `pending`/retryable `failed` → `cancelled`, with the same refusals as beginExecution. */
export function cancel(r: RevocationRequest, by: PersonRef, now: Date): Result<RevocationRequest, DecisionProblem> {
  const problem = decisionProblem(r, by, now);
  if (problem) return err(problem);
  return ok({ ...r, state: 'cancelled', decidedBy: { ...by }, decidedAt: now.toISOString() });
}

/**
 * Records the result of the Graph call: `executing` → `succeeded` (revoked) or `failed` (refused),
 * whatever the time (an execution started before expiry may finish after it). A request that is not
 * executing is returned unchanged: a late or duplicate completion must never change a decision.
 */
export function complete(r: RevocationRequest, outcome: RevocationOutcome, now: Date): RevocationRequest {
  if (r.state !== 'executing') return r;
  return {
    ...r,
    state: outcome.kind === 'revoked' ? 'succeeded' : 'failed',
    outcome: copyOutcome(outcome),
    completedAt: now.toISOString(),
  };
}

/**
 * Records the read-back that verifies a revoke on a succeeded request whose verification is still
 * to come. Anything else is returned unchanged: a verification never changes a decision, and the
 * first one recorded stays.
 */
export function recordVerification(r: RevocationRequest, verification: { validFromAfter?: string; verified: boolean }): RevocationRequest {
  const outcome = r.outcome;
  if (r.state !== 'succeeded' || outcome?.kind !== 'revoked' || outcome.verified !== undefined) return r;
  const { validFromAfter, verified } = verification;
  return { ...r, outcome: { ...outcome, verified, ...(validFromAfter !== undefined ? { validFromAfter } : {}) } };
}

/**
 * A request as an approvable subject (src/domain/approval.ts): approving begins its execution
 * (`awaitingApproval` → `executing`) with the approver as `decidedBy`, whose token revokes.
 */
export const REQUEST_APPROVALS: ApprovableKind<RevocationRequest> = {
  isExecuting: (r) => r.state === 'executing',
  begin: (r, approver, now) =>
    ok({ ...r, state: 'executing', decidedBy: { ...approver }, decidedAt: now.toISOString(), attempts: r.attempts + 1 }),
};

/**
 * The approved revoke's result: success → `succeeded`; a failure another approver may overcome
 * (missing role, throttling, an outage, sign-in trouble) → back to `awaitingApproval` with the
 * attempt recorded and its outcome shown; anything else → `failed`. A request that is not an
 * approved execution completes as usual.
 */
export function completeApproval(r: RevocationRequest, outcome: RevocationOutcome, now: Date): RevocationRequest {
  if (r.state !== 'executing' || !r.approval) return complete(r, outcome, now);
  if (outcome.kind === 'refused' && isRetryableFailure(outcome.code) && r.decidedBy) {
    return { ...returnToApprovers(r, { code: outcome.code, graphRequestId: outcome.graphRequestId }, now), outcome: copyOutcome(outcome) };
  }
  return complete(r, outcome, now);
}

/**
 * The containment steps the requester ticked become part of what is confirmed or approved (own
 * sessions: none; nothing ticked: unchanged). Methods to remove count only when they were ticked
 * on the list the request holds, and only removable ones (never the password).
 */
export function planContainment(r: RevocationRequest, choice: ContainmentChoice | undefined): RevocationRequest {
  if (!choice || r.target.self === true) return r;
  const { removeMethods: ticked, methodsKey, ...rest } = choice;
  const listed = r.methods && methodsKey === r.methods.key ? removableIndexes(r.methods.items, ticked ?? []) : [];
  const planned: ContainmentChoice = listed.length > 0 ? { ...rest, removeMethods: listed, methodsKey } : { ...rest };
  return CONTAINMENT_STEPS.some((step) => isChosen(planned, step)) ? { ...r, containment: planned } : r;
}

/**
 * The target's methods as just read, for the requester's card: only on their own open request
 * (pending, not expired), with the same refusals as confirming it.
 */
export function attachMethods(
  r: RevocationRequest,
  by: PersonRef,
  methods: MethodsSnapshot,
  now: Date,
): Result<RevocationRequest, DecisionProblem> {
  const problem = decisionProblem(r, by, now);
  if (problem) return err(problem);
  if (r.state !== 'pending') return err('already_decided');
  return ok({ ...r, methods: { ...methods, items: methods.items.map((m) => ({ ...m })) } });
}

/** `pending`, `awaitingApproval` or retryable `failed` → `expired` once `now` ≥ `expiresAt`; anything else unchanged. */
export function expireIfDue(r: RevocationRequest, now: Date): RevocationRequest {
  if (!(isOpen(r) || r.state === 'awaitingApproval') || now.getTime() < Date.parse(r.expiresAt)) return r;
  return { ...r, state: 'expired' };
}

/**
 * Recovery for an execution that never completed (the process died mid-call): an `executing`
 * request whose execution started `staleAfterInMs` or more before `now` becomes `failed` with
 * `timeout` (retryable), so the requester can retry. Otherwise unchanged. The Graph call may or
 * may not have happened; revoking twice is harmless (it re-stamps the time).
 */
export function abandonStaleExecution(r: RevocationRequest, now: Date, staleAfterInMs: number): RevocationRequest {
  if (r.state !== 'executing' || r.decidedAt === undefined) return r;
  if (now.getTime() - Date.parse(r.decidedAt) < staleAfterInMs) return r;
  return complete(r, { kind: 'refused', code: 'timeout' }, now);
}

/** Whether the requester may still confirm (or retry) or cancel: pending, or failed-retryable. Ignores time. */
export function isOpen(r: RevocationRequest): boolean {
  if (r.state === 'pending') return true;
  return r.state === 'failed' && r.outcome?.kind === 'refused' && isRetryableFailure(r.outcome.code);
}

/** Whether the card should offer "Try again": a retryable failure that has not expired yet. */
export function canRetry(r: RevocationRequest, now: Date): boolean {
  return r.state === 'failed' && isOpen(r) && now.getTime() < Date.parse(r.expiresAt);
}

/** Whether nothing can happen to this request any more (at this time). */
export function isFinal(r: RevocationRequest, now: Date): boolean {
  if (r.state === 'executing') return false;
  return !isOpen(r) || now.getTime() >= Date.parse(r.expiresAt);
}

function decisionProblem(r: RevocationRequest, by: PersonRef, now: Date): DecisionProblem | undefined {
  if (!sameId(by.tenantId, r.tenantId)) return 'wrong_tenant';
  if (!sameId(by.aadObjectId, r.requester.aadObjectId)) return 'not_requester';
  if (r.state === 'executing') return 'in_progress';
  // A request sent for approval belongs to the four-eyes flow (src/domain/approval.ts): whatever
  // state it is in, only that flow moves it on, never the requester's confirm or cancel.
  if (r.approval) return r.state === 'expired' ? 'expired' : r.state === 'awaitingApproval' ? 'awaiting_approval' : 'already_decided';
  if (r.state === 'expired') return 'expired';
  if (r.state === 'awaitingApproval') return 'awaiting_approval';
  if (!isOpen(r)) return 'already_decided';
  // Also refuses when `now` is invalid (NaN compares false): deny by default.
  if (!(now.getTime() < Date.parse(r.expiresAt))) return 'expired';
  return undefined;
}

function copyOutcome(outcome: RevocationOutcome): RevocationOutcome {
  if (outcome.kind === 'revoked') return { ...outcome };
  return outcome.rolesNeeded ? { ...outcome, rolesNeeded: outcome.rolesNeeded.map((x) => ({ ...x })) } : { ...outcome };
}
