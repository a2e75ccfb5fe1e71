/**
 * Four-eyes use cases: submit a request to the security channel, approve it (the revoke runs
 * with the approver's own delegated access), reject or withdraw it. Every change is a
 * compare-and-set on the stored request, so two approvers clicking at once, replays and
 * several instances still give exactly one revoke. An index per target keeps a second request
 * for the same person from creating a second approval card.
 */
import {
  attachApprovalCard,
  beginApproval,
  completeApproval,
  reject as rejectRequest,
  submitForApproval,
  withdraw as withdrawRequest,
  withdrawSubmission,
} from '../domain/approval';
import { expireIfDue, type ContainmentChoice, type DecisionProblem, type PersonRef, type RevocationRequest } from '../domain/revocationRequest';
import type { Result } from '../domain/result';
import type { Clock } from '../domain/clock';
import type { AuditTrail } from './auditTrail';
import { runRevocation } from './runRevocation';
import type { StateStore } from './ports/stateStore';
import type { Acting } from './acting';
import { auditActor, auditTarget, saveHeldRequest } from './requestRecords';
import { NAMESPACE } from './ports/namespaces';
import { DEFAULT_STALE_EXECUTION_AFTER_IN_MS, isStaleExecution, recoverStaleExecution } from './staleExecution';
import type { StoredItem } from './ports/stateStore';

export type SubmitOutcome =
  | { readonly kind: 'submitted'; readonly request: RevocationRequest; readonly previousExpiresAt: string }
  | { readonly kind: 'duplicate'; readonly existing: RevocationRequest }
  | { readonly kind: 'refused'; readonly problem: DecisionProblem; readonly request?: RevocationRequest };

export type DecisionOutcome =
  | { readonly kind: 'decided'; readonly request: RevocationRequest }
  | { readonly kind: 'refused'; readonly problem: DecisionProblem; readonly request?: RevocationRequest }
  | { readonly kind: 'storage_unavailable' };

export interface ApprovalServiceOptions {
  readonly store: StateStore;
  readonly audit: AuditTrail;
  readonly approvalTtlInMs: number;
  /** How long decided requests stay readable for late clicks and refreshes. */
  readonly retentionInMs?: number;
  /** When an approved execution counts as interrupted (see staleExecution.ts); 2 minutes by default. */
  readonly staleExecutionAfterInMs?: number;
  readonly clock: Clock;
}

type Transition = { ok: true; request: RevocationRequest; etag: string } | { ok: false; problem: DecisionProblem; request?: RevocationRequest };

export class ApprovalService {
  constructor(private readonly options: ApprovalServiceOptions) {}

  /** The requester sends a pending request to the security channel. */
  async submit(person: PersonRef, requestId: string, input: { channelId: string; reason?: string; containment?: ContainmentChoice }): Promise<SubmitOutcome> {
    const current = await this.load(requestId);
    if (!current) return { kind: 'refused', problem: 'not_found' };
    const duplicate = await this.awaitingFor(current.value.tenantId, current.value.target.id);
    if (duplicate && duplicate.id !== requestId) return { kind: 'duplicate', existing: duplicate };
    const previousExpiresAt = current.value.expiresAt;
    const moved = await this.transition(requestId, (r) => {
      const submitted = submitForApproval(r, person, this.now(), { channelId: input.channelId, reason: input.reason, ttlInMs: this.options.approvalTtlInMs });
      // The steps the requester ticked are part of what the approver approves.
      return submitted.ok && input.containment && r.target.self !== true ? { ok: true, value: { ...submitted.value, containment: input.containment } } : submitted;
    });
    if (!moved.ok) return { kind: 'refused', problem: moved.problem, request: moved.request };
    const key = targetKey(moved.request);
    const claimed = await this.options.store.create(NAMESPACE.awaitingByTarget, key, { requestId }, { expiresAt: new Date(moved.request.expiresAt) });
    if (!claimed.ok) {
      // Another request for the same person got there first (a race the read above missed).
      const other = await this.awaitingFor(moved.request.tenantId, moved.request.target.id);
      if (other && other.id !== requestId) {
        await this.transition(requestId, (r) => ({ ok: true, value: withdrawSubmission(r, previousExpiresAt) }));
        return { kind: 'duplicate', existing: other };
      }
      await this.options.store.replace(NAMESPACE.awaitingByTarget, key, { requestId }, claimed.current.etag, { expiresAt: new Date(moved.request.expiresAt) });
    }
    await this.options.audit.after({
      tenantId: person.tenantId,
      action: 'approval.requested',
      outcome: 'info',
      actor: auditActor(person),
      target: auditTarget(moved.request.target),
      requestId,
      detail: moved.request.approval?.reason,
    });
    return { kind: 'submitted', request: moved.request, previousExpiresAt };
  }

  /** The approval card could not be posted: the request goes back to pending, nothing is lost. */
  async unroute(person: PersonRef, requestId: string, previousExpiresAt: string, code: string): Promise<RevocationRequest | undefined> {
    const moved = await this.transition(requestId, (r) => ({ ok: true, value: withdrawSubmission(r, previousExpiresAt) }));
    if (moved.ok) await this.releaseTarget(moved.request, requestId);
    await this.options.audit.after({
      tenantId: person.tenantId,
      action: 'approval.requested',
      outcome: 'refused',
      actor: auditActor(person),
      target: moved.ok ? auditTarget(moved.request.target) : undefined,
      requestId,
      code,
    });
    return moved.ok ? moved.request : undefined;
  }

  /** Remembers where the approval card is. */
  async attachCard(requestId: string, card: { conversationId: string; activityId: string }): Promise<void> {
    await this.transition(requestId, (r) => ({ ok: true, value: attachApprovalCard(r, card) }));
  }

  /**
   * An approver approves; the revoke runs with their delegated access. A failure another approver
   * may overcome (403 for a missing role, throttling, an outage) leaves the request waiting.
   */
  async approve(acting: Acting, requestId: string, options: { deadline?: number } = {}): Promise<DecisionOutcome> {
    const stored = await this.options.store.get<RevocationRequest>(NAMESPACE.requests, requestId);
    if (stored && stored.value.approval && this.isStaleExecution(stored.value)) return this.recoverStale(acting, stored);
    const started = await this.transition(requestId, (r) => beginApproval(r, acting.person, this.now()));
    if (!started.ok) return { kind: 'refused', problem: started.problem, request: started.request };
    try {
      await this.options.audit.before({
        tenantId: acting.person.tenantId,
        action: 'approval.approved',
        outcome: 'info',
        actor: auditActor(acting.person),
        target: auditTarget(started.request.target),
        requestId,
      });
    } catch {
      // No unaudited revoke: give the request back to the approvers.
      const waiting: RevocationRequest = { ...started.request, state: 'awaitingApproval' };
      await this.options.store.replace(NAMESPACE.requests, requestId, waiting, started.etag, { expiresAt: this.retention() });
      return { kind: 'storage_unavailable' };
    }
    const { outcome, result } = await runRevocation({
      acting,
      key: { kind: 'objectId', id: started.request.target.id },
      request: started.request,
      audit: this.options.audit,
      clock: this.options.clock,
      deadline: options.deadline,
    });
    const finished = completeApproval(started.request, outcome, this.now());
    await saveHeldRequest(this.options.store, finished, started.etag, this.retention());
    if (finished.state !== 'awaitingApproval') await this.releaseTarget(finished, requestId);
    await this.options.audit.after({
      tenantId: acting.person.tenantId,
      action: result.ok ? 'revocation.succeeded' : 'revocation.failed',
      outcome: result.ok ? 'ok' : 'failed',
      actor: auditActor(acting.person),
      target: auditTarget(finished.target),
      requestId,
      code: result.ok ? undefined : result.error.code,
      graphRequestId: result.ok ? result.graphRequestId : result.error.graphRequestId,
    });
    return { kind: 'decided', request: finished };
  }

  /** An approver rejects, with an optional note for the requester. No Graph call. */
  async reject(person: PersonRef, requestId: string, note?: string): Promise<DecisionOutcome> {
    const moved = await this.transition(requestId, (r) => rejectRequest(r, person, this.now(), note));
    if (!moved.ok) return { kind: 'refused', problem: moved.problem, request: moved.request };
    await this.releaseTarget(moved.request, requestId);
    await this.options.audit.after({
      tenantId: person.tenantId,
      action: 'approval.rejected',
      outcome: 'refused',
      actor: auditActor(person),
      target: auditTarget(moved.request.target),
      requestId,
      detail: moved.request.approval?.rejectReason,
    });
    return { kind: 'decided', request: moved.request };
  }

  /** The requester withdraws a request that is waiting for approval. */
  async withdraw(person: PersonRef, requestId: string): Promise<DecisionOutcome> {
    const moved = await this.transition(requestId, (r) => withdrawRequest(r, person, this.now()));
    if (!moved.ok) return { kind: 'refused', problem: moved.problem, request: moved.request };
    await this.releaseTarget(moved.request, requestId);
    await this.options.audit.after({ tenantId: person.tenantId, action: 'request.cancelled', outcome: 'info', actor: auditActor(person), target: auditTarget(moved.request.target), requestId });
    return { kind: 'decided', request: moved.request };
  }

  /** Whether the request is an approved execution that was interrupted (older than the staleness): approving then recovers it. */
  isStaleExecution(request: RevocationRequest): boolean {
    return isStaleExecution(request, this.now(), this.staleAfterInMs());
  }

  /**
   * An approved revoke that never finished (the process died): read the target back with this
   * approver's token and record what happened, never revoking again (src/app/staleExecution.ts).
   * Revoked → succeeded; not revoked → back to the approvers. Only someone who could approve it may.
   */
  private async recoverStale(acting: Acting, stored: StoredItem<RevocationRequest>): Promise<DecisionOutcome> {
    const now = this.now();
    const waiting = completeApproval(stored.value, { kind: 'refused', code: 'timeout' }, now);
    const may = beginApproval(waiting, acting.person, now);
    if (!may.ok && may.error !== 'expired') return { kind: 'refused', problem: may.error, request: stored.value };
    const recovered = await recoverStaleExecution(
      { store: this.options.store, audit: this.options.audit, namespace: NAMESPACE.requests, retention: () => this.retention(), clock: this.options.clock },
      acting,
      stored,
    );
    switch (recovered.kind) {
      case 'verified':
      case 'abandoned': {
        const current = expireIfDue(recovered.request, this.now());
        if (current.state !== 'awaitingApproval') await this.releaseTarget(current, stored.value.id);
        return { kind: 'decided', request: current };
      }
      case 'overtaken':
        return { kind: 'refused', problem: recovered.request?.state === 'executing' ? 'in_progress' : 'already_decided', request: recovered.request };
      case 'undetermined':
        return { kind: 'refused', problem: 'in_progress', request: stored.value };
    }
  }

  private staleAfterInMs(): number {
    return this.options.staleExecutionAfterInMs ?? DEFAULT_STALE_EXECUTION_AFTER_IN_MS;
  }

  /** The request waiting for approval about this person, if any. */
  async awaitingFor(tenantId: string, targetId: string): Promise<RevocationRequest | undefined> {
    const index = await this.options.store.get<{ requestId: string }>(NAMESPACE.awaitingByTarget, `${tenantId}|${targetId}`);
    if (!index) return undefined;
    const request = await this.load(index.value.requestId);
    return request && request.value.state === 'awaitingApproval' ? request.value : undefined;
  }

  private async releaseTarget(request: RevocationRequest, requestId: string): Promise<void> {
    const key = targetKey(request);
    const index = await this.options.store.get<{ requestId: string }>(NAMESPACE.awaitingByTarget, key);
    if (index?.value.requestId === requestId) await this.options.store.delete(NAMESPACE.awaitingByTarget, key, index.etag);
  }

  private async load(requestId: string): Promise<{ value: RevocationRequest; etag: string } | undefined> {
    const stored = await this.options.store.get<RevocationRequest>(NAMESPACE.requests, requestId);
    return stored ? { value: expireIfDue(stored.value, this.now()), etag: stored.etag } : undefined;
  }

  /** Reads, decides and compare-and-sets; on a lost race, answers from what the winner made of it. */
  private async transition(requestId: string, decide: (r: RevocationRequest) => Result<RevocationRequest, DecisionProblem>): Promise<Transition> {
    const stored = await this.load(requestId);
    if (!stored) return { ok: false, problem: 'not_found' };
    const decided = decide(stored.value);
    if (!decided.ok) return { ok: false, problem: decided.error, request: stored.value };
    const saved = await this.options.store.replace(NAMESPACE.requests, requestId, decided.value, stored.etag, { expiresAt: this.retention() });
    if (saved.ok) return { ok: true, request: decided.value, etag: saved.etag };
    const latest = await this.load(requestId);
    return { ok: false, problem: latest?.value.state === 'executing' ? 'in_progress' : 'already_decided', request: latest?.value };
  }

  private now(): Date {
    return this.options.clock.now();
  }

  private retention(): Date {
    return new Date(this.now().getTime() + (this.options.retentionInMs ?? Math.max(7 * 24 * 3600_000, 2 * this.options.approvalTtlInMs)));
  }
}

function targetKey(request: RevocationRequest): string {
  return `${request.tenantId}|${request.target.id}`;
}


