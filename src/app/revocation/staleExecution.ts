/**
 * Recovery of a revoke that never finished: the process died (kill -9, a crash, a lost VM) after
 * the request went `executing` and before the result was stored. Nobody holds the request any
 * more, so without recovery it would say "Revoking sessions…" for ever.
 *
 * Never revoke twice, and never claim a revoke that did not happen:
 * - Only an execution older than `staleAfterInMs` is touched. That staleness must exceed the
 *   longest a Graph call started by the dead process can still be in flight (the invoke budget
 *   plus the background budget plus one request time-out, under a minute by default; the default
 *   staleness is 2 minutes). After it, whatever that call did has landed in Entra, so reading the
 *   target back is conclusive.
 * - Read back with the clicking person's own delegated token: if the target's
 *   signInSessionsValidFromDateTime is at or after the execution start (Graph stamps it in whole
 *   seconds, so the start is compared truncated to the second), the revoke happened: record
 *   success as verified, without calling revoke again.
 * - Otherwise the call never reached Entra: the execution is abandoned (failed, `timeout`, which is
 *   retryable) and the requester decides whether to retry — a new, explicit decision. An approved
 *   request goes back to waiting for an approver instead: only the flow that owns a request moves it.
 * - Both transitions are compare-and-set on the etag that was read, so of several instances (or
 *   clicks) recovering at once exactly one records the result.
 * Clock skew between the bot and Entra can only tilt the read-back toward "abandon" (then a retry
 * re-stamps the time, which is harmless) or toward "verified" when another revoke landed within
 * the skew of the start — in both cases the target's sessions are revoked since the request.
 */
import { auditActor, type Acting } from '../acting';
import type { AuditTrail } from '../auditTrail';
import type { DirectoryFailure } from '../ports/directory';
import type { StateStore, StoredItem } from '../ports/stateStore';
import type { Clock } from '../../domain/clock';
import {
  abandonStaleExecution,
  complete,
  completeApproval,
  type RevocationOutcome,
  type RevocationRequest,
} from '../../domain/revocationRequest';
import type { StoreNamespace } from '../ports/namespaces';
import type { DecisionProblem } from '../../domain/problems';
import { auditTarget } from './requestRecords';

/** Two minutes: comfortably above invoke budget (8 s) + background budget (20 s) + Graph time-out (10 s). */
export const DEFAULT_STALE_EXECUTION_AFTER_IN_MS = 120_000;

export type StaleRecovery =
  | { readonly kind: 'verified'; readonly request: RevocationRequest }
  | { readonly kind: 'abandoned'; readonly request: RevocationRequest }
  /** Someone else recovered (or finished) it first: the request as it now stands. */
  | { readonly kind: 'overtaken'; readonly request?: RevocationRequest }
  /** The read-back failed: nothing was changed; try again later. */
  | { readonly kind: 'undetermined'; readonly failure: DirectoryFailure };

/** A recovery as a use case answers it: the request as recorded now, or why it was left alone. */
export type RecoveryAnswer =
  | { readonly kind: 'recorded'; readonly request: RevocationRequest }
  | { readonly kind: 'refused'; readonly problem: DecisionProblem; readonly request?: RevocationRequest };

/** How a use case answers a recovery of `stored`: recorded, or refused because someone else got there first or the read-back failed. */
export function answerOf(recovered: StaleRecovery, stored: StoredItem<RevocationRequest>): RecoveryAnswer {
  switch (recovered.kind) {
    case 'verified':
    case 'abandoned':
      return { kind: 'recorded', request: recovered.request };
    case 'overtaken':
      return {
        kind: 'refused',
        problem: recovered.request?.state === 'executing' ? 'in_progress' : 'already_decided',
        request: recovered.request,
      };
    case 'undetermined':
      return { kind: 'refused', problem: 'in_progress', request: stored.value };
  }
}

/** Whether `r` is an execution that started at least `staleAfterInMs` before `now`. */
export function isStaleExecution(r: RevocationRequest, now: Date, staleAfterInMs: number): boolean {
  return abandonStaleExecution(r, now, staleAfterInMs) !== r;
}

export interface StaleRecoveryDeps {
  readonly store: StateStore;
  readonly audit: AuditTrail;
  readonly namespace: StoreNamespace;
  readonly retention: () => Date;
  readonly clock: Clock;
}

/**
 * Recovers one stale execution (see the module comment). The caller checked isStaleExecution and
 * who may act: the requester for a direct request, an approver for one sent for approval. The
 * result is recorded the way the request's own flow records it, so an approved request whose
 * revoke never happened goes back to its approvers (src/domain/approval.ts), never to the requester.
 */
export async function recoverStaleExecution(
  deps: StaleRecoveryDeps,
  acting: Acting,
  stored: StoredItem<RevocationRequest>,
): Promise<StaleRecovery> {
  const request = stored.value;
  const startedAt = Date.parse(request.decidedAt ?? request.createdAt);
  const read = await acting.directory.getUser({ kind: 'objectId', id: request.target.id });
  if (!read.ok && read.error.code !== 'not_found') return { kind: 'undetermined', failure: read.error };
  const validFrom = read.ok && read.value.signInSessionsValidFrom ? Date.parse(read.value.signInSessionsValidFrom) : Number.NaN;
  const revoked = Number.isFinite(validFrom) && validFrom >= Math.floor(startedAt / 1000) * 1000;
  const now = deps.clock.now();
  const finish = (outcome: RevocationOutcome): RevocationRequest =>
    request.approval ? completeApproval(request, outcome, now) : complete(request, outcome, now);
  const next = revoked
    ? finish({
        kind: 'revoked',
        at: new Date(validFrom).toISOString(),
        graphRequestId: read.ok ? read.graphRequestId : undefined,
        // This read is the verification: the directory shows the revoke.
        validFromAfter: new Date(validFrom).toISOString(),
        verified: true,
      })
    : finish({ kind: 'refused', code: 'timeout' });
  const saved = await deps.store.replace(deps.namespace, request.id, next, stored.etag, { expiresAt: deps.retention() });
  if (!saved.ok) {
    const current = await deps.store.get<RevocationRequest>(deps.namespace, request.id);
    return { kind: 'overtaken', request: current?.value };
  }
  const detail = revoked
    ? `Execution started ${new Date(startedAt).toISOString()} was interrupted; the target's sessions are valid only from ${new Date(validFrom).toISOString()}, so the revoke had happened. Recorded without revoking again.`
    : `Execution started ${new Date(startedAt).toISOString()} was interrupted before Entra revoked anything (read back ${read.ok ? 'unchanged' : 'target not found'}); abandoned, ${request.approval ? 'an approver may approve again' : 'the requester may retry'}.`;
  await deps.audit.after({
    tenantId: request.tenantId,
    action: revoked ? 'revocation.succeeded' : 'revocation.failed',
    outcome: revoked ? 'ok' : 'failed',
    actor: auditActor(acting.person),
    target: auditTarget(request.target),
    requestId: request.id,
    code: revoked ? 'verified_after_interruption' : 'timeout',
    graphRequestId: read.ok ? read.graphRequestId : read.error.graphRequestId,
    detail,
  });
  return revoked ? { kind: 'verified', request: next } : { kind: 'abandoned', request: next };
}
