/**
 * The story of a revocation, as use cases: look a target up (one match → a request the
 * requester may confirm; several → a pick list), confirm (exactly one revoke per request,
 * with the confirming person's own delegated token), cancel, and whoami. The pending →
 * executing step is a compare-and-set in the store: only the winner calls Graph, whatever
 * the double clicks, replays and instances.
 */
import { err, ok, type Result } from '../../domain/result';
import { randomUUID } from 'node:crypto';
import type { DirectoryFailure, UserKey, UserRecord } from '../ports/directory';
import type { StateStore, StoredItem } from '../ports/stateStore';
import type { AuditTrail } from '../auditTrail';
import { runRevocation } from './runRevocation';
import { verifyAndRecord } from './verifyRevocation';
import { auditTarget, retainRequestsUntil, saveHeldRequest } from './requestRecords';
import { NAMESPACE } from '../ports/namespaces';
import { auditActor, type Acting } from '../acting';
import {
  abandonStaleExecution,
  beginExecution,
  cancel as cancelRequest,
  complete,
  createRequest,
  expireIfDue,
  planContainment,
  type ContainmentChoice,
  type RevocationRequest,
  type TargetSnapshot,
} from '../../domain/revocationRequest';
import { requesterProblem } from '../../domain/approval';
import { giveBack, type ErrorReport } from '../giveBack';
import type { PersonRef } from '../../domain/people';
import type { DecisionProblem } from '../../domain/problems';
import { answerOf, DEFAULT_STALE_EXECUTION_AFTER_IN_MS, isStaleExecution, recoverStaleExecution } from './staleExecution';
import { classifyTarget, type DirectoryRole } from '../../domain/roles';
import type { Clock } from '../../domain/clock';

/** Whom the agent asked for, after the bot edge resolved any @mention to an object id. */
export type ResolvedTarget =
  | { readonly kind: 'objectId'; readonly id: string }
  | { readonly kind: 'userPrincipalName'; readonly upn: string }
  | { readonly kind: 'displayName'; readonly text: string }
  | { readonly kind: 'self' };

export type LookupOutcome =
  | { readonly kind: 'found'; readonly request: RevocationRequest }
  | {
      readonly kind: 'several';
      readonly pickId: string;
      readonly query: string;
      readonly candidates: readonly UserRecord[];
      readonly truncated: boolean;
    }
  | { readonly kind: 'none'; readonly query: string }
  | { readonly kind: 'failed'; readonly failure: DirectoryFailure };

export type ConfirmOutcome =
  | {
      readonly kind: 'completed';
      readonly request: RevocationRequest;
      /**
       * For a revoke Graph accepted: the read-back that verifies it, not yet run (the person does
       * not wait for it). Resolves to the request with the verification recorded.
       */
      readonly verify?: () => Promise<RevocationRequest>;
    }
  | { readonly kind: 'refused'; readonly problem: DecisionProblem; readonly request?: RevocationRequest }
  | { readonly kind: 'storage_unavailable' };

/** Before anyone signs in: whether this person's click could confirm the request now. */
export type ConfirmCheck =
  | { readonly kind: 'may'; readonly request: RevocationRequest }
  | { readonly kind: 'refused'; readonly problem: DecisionProblem; readonly request?: RevocationRequest };

export type CancelOutcome =
  | { readonly kind: 'cancelled'; readonly request: RevocationRequest }
  | { readonly kind: 'refused'; readonly problem: DecisionProblem; readonly request?: RevocationRequest };

export interface WhoAmI {
  readonly user: UserRecord;
  readonly roles: readonly DirectoryRole[];
}

interface PickList {
  readonly id: string;
  readonly tenantId: string;
  readonly requesterId: string;
  readonly query: string;
  readonly candidateIds: readonly string[];
}

export interface RevocationServiceOptions {
  readonly store: StateStore;
  readonly audit: AuditTrail;
  readonly requestTtlInMs: number;
  /** Four eyes: nobody may revoke someone else without an approver (their own sessions excepted). */
  readonly approvalRequired?: boolean;
  /** How many name matches a pick list shows. */
  readonly pickListSize?: number;
  /** When an 'executing' request counts as interrupted (see staleExecution.ts); 2 minutes by default. */
  readonly staleExecutionAfterInMs?: number;
  readonly clock: Clock;
  readonly newId?: () => string;
  /** Told when something that must not fail silently failed (a give-back after an audit failure); without it, such a failure is thrown. */
  readonly onError?: ErrorReport;
}

export class RevocationService {
  constructor(private readonly options: RevocationServiceOptions) {}

  /** Looks the target up and, for exactly one match, opens a request the requester may confirm. */
  async lookup(acting: Acting, target: ResolvedTarget, options: { deadline?: number } = {}): Promise<LookupOutcome> {
    if (target.kind === 'displayName') {
      const size = this.options.pickListSize ?? 5;
      const found = await acting.directory.findByDisplayName(target.text, size + 1, options);
      if (!found.ok) return this.lookupFailed(acting, found.error);
      const matches = found.value;
      const [first] = matches;
      if (first === undefined) return { kind: 'none', query: target.text };
      if (matches.length > 1) {
        const pickId = await this.openPickList(
          acting,
          target.text,
          matches.slice(0, size).map((u) => u.id),
        );
        return {
          kind: 'several',
          pickId,
          query: target.text,
          candidates: matches.slice(0, size),
          truncated: matches.length > size,
        };
      }
      return this.open(acting, { kind: 'objectId', id: first.id }, options);
    }
    const key: UserKey = target.kind === 'self' ? { kind: 'self' } : target;
    return this.open(acting, key, options);
  }

  /**
   * Remembers people this person may choose from (name matches, or the users at risk of the
   * `risky` inbox); choosing one (`pick`) opens a request for them, with every rule a request has.
   */
  async openPickList(acting: Acting, query: string, candidateIds: readonly string[]): Promise<string> {
    const pick: PickList = {
      id: this.newId(),
      tenantId: acting.person.tenantId,
      requesterId: acting.person.aadObjectId,
      query,
      candidateIds: [...candidateIds],
    };
    await this.options.store.create(NAMESPACE.picks, pick.id, pick, { expiresAt: this.expiry() });
    return pick.id;
  }

  /** The requester chose one person from a pick list. */
  async pick(acting: Acting, pickId: string, choice: number): Promise<LookupOutcome | { kind: 'refused'; problem: DecisionProblem }> {
    const picked = await this.picked(acting, pickId, choice);
    return picked.ok ? this.open(acting, { kind: 'objectId', id: picked.value }) : { kind: 'refused', problem: picked.error };
  }

  /** The object id the person chose from their pick list; only the person who searched may choose. */
  async picked(acting: Acting, pickId: string, choice: number): Promise<Result<string, DecisionProblem>> {
    const stored = await this.options.store.get<PickList>(NAMESPACE.picks, pickId);
    if (!stored) return err('expired');
    const pick = stored.value;
    if (pick.tenantId !== acting.person.tenantId) return err('wrong_tenant');
    if (pick.requesterId !== acting.person.aadObjectId) return err('not_requester');
    const id = Number.isInteger(choice) ? pick.candidateIds[choice] : undefined;
    return id ? ok(id) : err('not_found');
  }

  /** Loads a request as it stands now (expired if its time has passed). */
  async get(requestId: string): Promise<RevocationRequest | undefined> {
    const stored = await this.options.store.get<RevocationRequest>(NAMESPACE.requests, requestId);
    if (!stored) return undefined;
    const current = expireIfDue(stored.value, this.now());
    if (current !== stored.value) await this.recordExpiry(stored, current);
    return current;
  }

  /**
   * Records expiries nobody has looked at yet (reading a request records its own): every open
   * request past its time becomes `expired`, with one `request.expired` record. For a periodic sweep.
   */
  async expireDue(): Promise<number> {
    let recorded = 0;
    for (const item of await this.options.store.list<RevocationRequest>(NAMESPACE.requests)) {
      const expired = expireIfDue(item.value, this.now());
      if (expired !== item.value && (await this.recordExpiry(item, expired))) recorded += 1;
    }
    return recorded;
  }

  /** Stores the expiry (compare-and-set: of several readers and instances one records it) and audits it. */
  private async recordExpiry(stored: StoredItem<RevocationRequest>, expired: RevocationRequest): Promise<boolean> {
    const saved = await this.options.store.replace(NAMESPACE.requests, expired.id, expired, stored.etag, { expiresAt: this.retention() });
    if (!saved.ok) return false;
    await this.options.audit.after({
      tenantId: expired.tenantId,
      action: 'request.expired',
      outcome: 'info',
      target: auditTarget(expired.target),
      requestId: expired.id,
      detail: `No decision before ${expired.expiresAt}; requested by ${expired.requester.userPrincipalName ?? expired.requester.name}.`,
    });
    return true;
  }

  /**
   * Before anyone signs in: whether this person's click could run the revoke now — their own
   * request, pending or failed (retry), or an execution a crash interrupted (confirm recovers
   * it) — so nobody signs in for a click that cannot succeed. `confirm` decides again under
   * compare-and-set. A stranger's click and a click on an expired request are recorded as
   * refusals; a repeat click on a running or finished request is not.
   */
  async checkConfirm(person: PersonRef, requestId: string): Promise<ConfirmCheck> {
    const request = await this.get(requestId);
    if (!request) return { kind: 'refused', problem: 'not_found' };
    const notTheirs = requesterProblem(request, person);
    if (notTheirs) {
      await this.auditRefusal(person, request, notTheirs);
      return { kind: 'refused', problem: notTheirs, request };
    }
    if (request.state === 'pending' || request.state === 'failed' || this.isStaleExecution(request)) return { kind: 'may', request };
    if (request.state === 'expired') await this.auditRefusal(person, request, 'expired');
    const problem: DecisionProblem =
      request.state === 'expired'
        ? 'expired'
        : request.state === 'executing'
          ? 'in_progress'
          : request.state === 'awaitingApproval'
            ? 'awaiting_approval'
            : 'already_decided';
    return { kind: 'refused', problem, request };
  }

  /**
   * Confirms and runs the revoke, with the confirming person's own directory access. Exactly
   * one caller gets past the pending → executing compare-and-set; everyone else is told why not.
   */
  async confirm(
    acting: Acting,
    requestId: string,
    options: { deadline?: number; containment?: ContainmentChoice } = {},
  ): Promise<ConfirmOutcome> {
    const stored = await this.options.store.get<RevocationRequest>(NAMESPACE.requests, requestId);
    if (!stored) return { kind: 'refused', problem: 'not_found' };
    const now = this.now();
    // A request sent for approval is the approvers' to recover (the approval workflow: requestApprovals.ts), not the requester's.
    if (this.isStaleExecution(stored.value) && !stored.value.approval) {
      const recovered = await this.recoverStale(acting, stored);
      if (recovered) return recovered;
    }
    if (this.options.approvalRequired && stored.value.target.self !== true) {
      // Only an approver's approval runs a revoke of someone else, whatever the card or a forged invoke says.
      const problem: DecisionProblem =
        stored.value.state === 'awaitingApproval'
          ? 'awaiting_approval'
          : stored.value.state === 'executing'
            ? 'in_progress'
            : 'approval_required';
      await this.auditRefusal(acting.person, stored.value, problem);
      return { kind: 'refused', problem, request: expireIfDue(stored.value, now) };
    }
    const started = beginExecution(stored.value, acting.person, now);
    if (!started.ok) {
      await this.auditRefusal(acting.person, stored.value, started.error);
      return { kind: 'refused', problem: started.error, request: expireIfDue(stored.value, now) };
    }
    // The steps ticked on the card the requester confirmed are part of what they confirmed.
    const executing = planContainment(started.value, options.containment);
    const won = await this.options.store.replace(NAMESPACE.requests, requestId, executing, stored.etag, { expiresAt: this.retention() });
    if (!won.ok) {
      // Someone else moved it first: answer from what they made of it.
      const current = await this.get(requestId);
      return { kind: 'refused', problem: current?.state === 'executing' ? 'in_progress' : 'already_decided', request: current };
    }
    try {
      await this.options.audit.before({
        tenantId: acting.person.tenantId,
        action: 'revocation.started',
        outcome: 'info',
        actor: auditActor(acting.person),
        target: auditTarget(executing.target),
        requestId,
      });
    } catch {
      // No unaudited action: give the request back and refuse.
      await giveBack(
        this.options.store,
        { namespace: NAMESPACE.requests, key: requestId, expiresAt: this.retention() },
        stored.value,
        won.etag,
        this.options.onError,
      );
      return { kind: 'storage_unavailable' };
    }
    const key: UserKey =
      executing.target.id === acting.person.aadObjectId && isSelfRequest(executing)
        ? { kind: 'self' }
        : { kind: 'objectId', id: executing.target.id };
    const { outcome, result, revokeStartedAt } = await runRevocation({
      acting,
      key,
      request: executing,
      audit: this.options.audit,
      clock: this.options.clock,
      deadline: options.deadline,
    });
    const finished = complete(executing, outcome, this.now());
    const savedAs = await saveHeldRequest(this.options.store, finished, won.etag, this.retention());
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
    if (!result.ok) return { kind: 'completed', request: finished };
    const pending = {
      request: finished,
      etag: savedAs,
      directory: acting.directory,
      key,
      revokeStartedAt,
      expiresAt: this.retention(),
      deadline: options.deadline,
    };
    return { kind: 'completed', request: finished, verify: () => verifyAndRecord(this.options.store, pending) };
  }

  /** Cancels a pending request; only its requester may. No Graph call. */
  async cancel(person: PersonRef, requestId: string): Promise<CancelOutcome> {
    const stored = await this.options.store.get<RevocationRequest>(NAMESPACE.requests, requestId);
    if (!stored) return { kind: 'refused', problem: 'not_found' };
    const cancelled = cancelRequest(stored.value, person, this.now());
    if (!cancelled.ok) {
      await this.auditRefusal(person, stored.value, cancelled.error);
      return { kind: 'refused', problem: cancelled.error, request: expireIfDue(stored.value, this.now()) };
    }
    const saved = await this.options.store.replace(NAMESPACE.requests, requestId, cancelled.value, stored.etag, {
      expiresAt: this.retention(),
    });
    if (!saved.ok) {
      const current = await this.get(requestId);
      return { kind: 'refused', problem: current?.state === 'executing' ? 'in_progress' : 'already_decided', request: current };
    }
    await this.options.audit.after({
      tenantId: person.tenantId,
      action: 'request.cancelled',
      outcome: 'info',
      actor: auditActor(person),
      target: auditTarget(cancelled.value.target),
      requestId,
    });
    return { kind: 'cancelled', request: cancelled.value };
  }

  /** Who the directory says the person is, and their active roles. */
  async whoami(
    acting: Acting,
    options: { deadline?: number } = {},
  ): Promise<{ ok: true; value: WhoAmI } | { ok: false; failure: DirectoryFailure }> {
    const [user, memberships] = await Promise.all([
      acting.directory.getUser({ kind: 'self' }, options),
      acting.directory.getMemberships({ kind: 'self' }, options),
    ]);
    if (!user.ok) return { ok: false, failure: user.error };
    if (!memberships.ok) return { ok: false, failure: memberships.error };
    return { ok: true, value: { user: user.value, roles: memberships.value.roles } };
  }

  private async open(acting: Acting, key: UserKey, options: { deadline?: number } = {}): Promise<LookupOutcome> {
    const [user, memberships] = await Promise.all([acting.directory.getUser(key, options), acting.directory.getMemberships(key, options)]);
    if (!user.ok)
      return user.error.code === 'not_found' ? { kind: 'none', query: describeKey(key) } : this.lookupFailed(acting, user.error);
    if (!memberships.ok) return this.lookupFailed(acting, memberships.error);
    const roles: DirectoryRole[] = memberships.value.roles.map((r) => ({ templateId: r.templateId, displayName: r.displayName }));
    const target: TargetSnapshot = {
      id: user.value.id,
      displayName: user.value.displayName,
      userPrincipalName: user.value.userPrincipalName,
      userType: user.value.userType,
      accountEnabled: user.value.accountEnabled,
      tier: classifyTarget(roles, memberships.value.inRoleAssignableGroup),
      roles,
      inRoleAssignableGroup: memberships.value.inRoleAssignableGroup,
      jobTitle: user.value.jobTitle,
      department: user.value.department,
      signInSessionsValidFrom: user.value.signInSessionsValidFrom,
      self: key.kind === 'self' || user.value.id === acting.person.aadObjectId,
    };
    const request = createRequest({
      id: this.newId(),
      requester: acting.person,
      target,
      now: this.now(),
      ttlInMs: this.options.requestTtlInMs,
    });
    await this.options.store.create(NAMESPACE.requests, request.id, request, { expiresAt: this.retention() });
    await this.options.audit.after({
      tenantId: acting.person.tenantId,
      action: 'request.created',
      outcome: 'info',
      actor: auditActor(acting.person),
      target: auditTarget(target),
      requestId: request.id,
    });
    return { kind: 'found', request };
  }

  private async lookupFailed(acting: Acting, failure: DirectoryFailure): Promise<LookupOutcome> {
    await this.options.audit.after({
      tenantId: acting.person.tenantId,
      action: 'lookup.failed',
      outcome: 'failed',
      actor: auditActor(acting.person),
      code: failure.code,
      graphRequestId: failure.graphRequestId,
    });
    return { kind: 'failed', failure };
  }

  /** Whether the request is an execution that was interrupted (older than the staleness): confirm then recovers it. */
  isStaleExecution(request: RevocationRequest): boolean {
    return isStaleExecution(request, this.now(), this.options.staleExecutionAfterInMs ?? DEFAULT_STALE_EXECUTION_AFTER_IN_MS);
  }

  /**
   * An interrupted execution: read the target back and record what happened, never revoking again
   * (src/app/revocation/staleExecution.ts). Only someone who could retry the request may trigger it; undefined
   * when this person may not (the caller then refuses as usual).
   */
  private async recoverStale(acting: Acting, stored: StoredItem<RevocationRequest>): Promise<ConfirmOutcome | undefined> {
    const staleAfterInMs = this.options.staleExecutionAfterInMs ?? DEFAULT_STALE_EXECUTION_AFTER_IN_MS;
    const may = beginExecution(abandonStaleExecution(stored.value, this.now(), staleAfterInMs), acting.person, this.now());
    if (!may.ok && may.error !== 'expired') return undefined;
    const recovered = await recoverStaleExecution(
      {
        store: this.options.store,
        audit: this.options.audit,
        namespace: NAMESPACE.requests,
        retention: () => this.retention(),
        clock: this.options.clock,
      },
      acting,
      stored,
    );
    const answer = answerOf(recovered, stored);
    return answer.kind === 'recorded' ? { kind: 'completed', request: answer.request } : answer;
  }

  /** Records a refusal (coalesced per person by the audit trail when they repeat). */
  private async auditRefusal(person: PersonRef, request: RevocationRequest, problem: DecisionProblem): Promise<void> {
    await this.options.audit.after({
      tenantId: person.tenantId,
      action: 'request.refused',
      outcome: 'refused',
      actor: auditActor(person),
      target: auditTarget(request.target),
      requestId: request.id,
      code: problem,
    });
  }

  private now(): Date {
    return this.options.clock.now();
  }

  private newId(): string {
    return this.options.newId?.() ?? randomUUID();
  }

  private expiry(): Date {
    return new Date(this.now().getTime() + this.options.requestTtlInMs);
  }

  /** Requests stay readable (for late clicks and card refreshes) well past their expiry. */
  private retention(): Date {
    return retainRequestsUntil(this.now(), this.options);
  }
}

function isSelfRequest(request: RevocationRequest): boolean {
  return request.target.self === true;
}

function describeKey(key: UserKey): string {
  return key.kind === 'self' ? 'you' : key.kind === 'objectId' ? key.id : key.upn;
}
