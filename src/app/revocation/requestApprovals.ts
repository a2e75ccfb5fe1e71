/**
 * A single revocation request as an approvable subject of the one approval workflow
 * (src/app/approval/approvalWorkflow.ts): its target is one person (one request per person may
 * wait for approval), its steps are the containment the requester ticked, and its executor is
 * the revoke itself (src/app/revocation/runRevocation.ts), run with the approver's delegated token. A
 * failure another approver may overcome (a missing role, throttling) leaves it waiting.
 */
import { approve, type Approver } from '../../domain/approval';
import type { Clock } from '../../domain/clock';
import { completeApproval, expireIfDue, planContainment, REQUEST_APPROVALS, type RevocationRequest } from '../../domain/revocationRequest';
import type { Acting } from '../acting';
import { auditActor } from '../acting';
import type { ApprovableSubjects, Recovered } from '../approval/approvableSubjects';
import type { AuditTrail } from '../auditTrail';
import { NAMESPACE } from '../ports/namespaces';
import type { StateStore, StoredItem } from '../ports/stateStore';
import { auditTarget, retainRequestsUntil, saveHeldRequest } from './requestRecords';
import { runRevocation } from './runRevocation';
import { verifyAndRecord } from './verifyRevocation';
import { answerOf, DEFAULT_STALE_EXECUTION_AFTER_IN_MS, isStaleExecution, recoverStaleExecution } from './staleExecution';

/** Where requests are stored and audited, and the times that bound them. */
export interface RequestApprovalsOptions {
  readonly store: StateStore;
  readonly audit: AuditTrail;
  readonly clock: Clock;
  readonly requestTtlInMs: number;
  readonly approvalTtlInMs: number;
  /** When an approved execution counts as interrupted (see staleExecution.ts); 2 minutes by default. */
  readonly staleExecutionAfterInMs?: number;
}

/** Single revocation requests, as the approval workflow uses them. */
export function requestApprovals(options: RequestApprovalsOptions): ApprovableSubjects<RevocationRequest, Acting, never> {
  const staleAfterInMs = options.staleExecutionAfterInMs ?? DEFAULT_STALE_EXECUTION_AFTER_IN_MS;
  const retainUntil = (now: Date): Date => retainRequestsUntil(now, options);
  return {
    kind: REQUEST_APPROVALS,
    namespace: NAMESPACE.requests,
    retainUntil,
    current: (request, now) => expireIfDue(request, now),
    describe: (request) => ({ target: auditTarget(request.target), awaitingKey: `${request.tenantId}|${request.target.id}` }),
    auditDetail: (event, request) =>
      event === 'requested' ? request.approval?.reason : event === 'rejected' ? request.approval?.rejectReason : undefined,
    plan: (request, steps) => planContainment(request, steps),

    async execute(acting: Acting, held: StoredItem<RevocationRequest>, run) {
      const request = held.value;
      const key = { kind: 'objectId', id: request.target.id } as const;
      const { outcome, result, revokeStartedAt } = await runRevocation({
        acting,
        key,
        request,
        audit: options.audit,
        clock: options.clock,
        deadline: run.deadline,
      });
      // The approver waits for the revoke only: the read-back that verifies it runs after the answer (`verify`).
      const finished = completeApproval(request, outcome, options.clock.now());
      const savedAs = await saveHeldRequest(options.store, finished, held.etag, retainUntil(options.clock.now()));
      await options.audit.after({
        tenantId: acting.person.tenantId,
        action: result.ok ? 'revocation.succeeded' : 'revocation.failed',
        outcome: result.ok ? 'ok' : 'failed',
        actor: auditActor(acting.person),
        target: auditTarget(finished.target),
        requestId: request.id,
        code: result.ok ? undefined : result.error.code,
        graphRequestId: result.ok ? result.graphRequestId : result.error.graphRequestId,
      });
      if (!result.ok) return { subject: finished };
      const pending = {
        request: finished,
        etag: savedAs,
        directory: acting.directory,
        key,
        revokeStartedAt,
        expiresAt: retainUntil(options.clock.now()),
        deadline: run.deadline,
      };
      return { subject: finished, verify: () => verifyAndRecord(options.store, pending) };
    },

    // An approved revoke a crash interrupted belongs to the approvers, never to the requester's confirm.
    isInterrupted: (request, now) => request.approval !== undefined && isStaleExecution(request, now, staleAfterInMs),

    /**
     * Reads the target back with this approver's token and records what happened, never revoking
     * again (src/app/revocation/staleExecution.ts): revoked → succeeded; not revoked → back to the approvers.
     * Only someone who could approve it may.
     */
    async recover(acting: Acting, approver: Approver, stored: StoredItem<RevocationRequest>): Promise<Recovered<RevocationRequest>> {
      const now = options.clock.now();
      const waiting = completeApproval(stored.value, { kind: 'refused', code: 'timeout' }, now);
      const may = approve(REQUEST_APPROVALS, waiting, approver, now);
      if (!may.ok && may.error !== 'expired') return { kind: 'refused', problem: may.error, subject: stored.value };
      const recovered = await recoverStaleExecution(
        {
          store: options.store,
          audit: options.audit,
          namespace: NAMESPACE.requests,
          retention: () => retainUntil(options.clock.now()),
          clock: options.clock,
        },
        acting,
        stored,
      );
      const answer = answerOf(recovered, stored);
      return answer.kind === 'recorded'
        ? { kind: 'recovered', subject: answer.request }
        : { kind: 'refused', problem: answer.problem, subject: answer.request };
    },
  };
}
