/**
 * "Review sign-in methods" on a lookup card: the target's authentication methods, read with the
 * requester's own delegated token (AUTH_METHOD_SCOPES) and kept on the request, so the card lists
 * them from the stored record and the ticks refer to that list. Only the requester, on their own
 * open request; a list that could not be read is kept as such, with the reason for the card.
 */
import { randomUUID } from 'node:crypto';
import { MAX_LISTED_METHODS, type MethodsSnapshot } from '../../domain/authMethods';
import type { Clock, Deadline } from '../../domain/clock';
import type { PersonRef } from '../../domain/people';
import type { DecisionProblem } from '../../domain/problems';
import { attachMethods, expireIfDue, type RevocationRequest } from '../../domain/revocationRequest';
import { auditActor, type Acting } from '../acting';
import type { AuditTrail } from '../auditTrail';
import { NAMESPACE } from '../ports/namespaces';
import type { StateStore } from '../ports/stateStore';
import { auditTarget, retainRequestsUntil } from '../revocation/requestRecords';

export type ReviewOutcome =
  | { readonly kind: 'read'; readonly request: RevocationRequest }
  | { readonly kind: 'refused'; readonly problem: DecisionProblem; readonly request?: RevocationRequest };

export interface MethodsReviewOptions {
  readonly store: StateStore;
  readonly audit: AuditTrail;
  readonly clock: Clock;
  readonly requestTtlInMs: number;
  readonly approvalTtlInMs?: number;
}

export class MethodsReview {
  constructor(private readonly options: MethodsReviewOptions) {}

  /** Before anyone signs in: whether this person may review methods on this request now. */
  async check(person: PersonRef, requestId: string): Promise<ReviewOutcome> {
    const stored = await this.options.store.get<RevocationRequest>(NAMESPACE.requests, requestId);
    if (!stored) return { kind: 'refused', problem: 'not_found' };
    const request = expireIfDue(stored.value, this.options.clock.now());
    const may = attachMethods(request, person, { key: '', readAt: '', items: [] }, this.options.clock.now());
    return may.ok ? { kind: 'read', request } : { kind: 'refused', problem: may.error, request };
  }

  /** Reads the methods with the requester's token and keeps them on the request. */
  async review(acting: Acting, requestId: string, options: { deadline?: Deadline } = {}): Promise<ReviewOutcome> {
    const checked = await this.check(acting.person, requestId);
    if (checked.kind === 'refused') return checked;
    const target = checked.request.target;
    const read = acting.evidence
      ? await acting.evidence.listAuthenticationMethods(target.id, options)
      : { ok: false as const, error: { code: 'unexpected' as const } };
    const now = this.options.clock.now();
    const snapshot: MethodsSnapshot = read.ok
      ? { key: randomUUID().slice(0, 8), readAt: now.toISOString(), items: read.value.slice(0, MAX_LISTED_METHODS) }
      : {
          key: randomUUID().slice(0, 8),
          readAt: now.toISOString(),
          items: [],
          problem: read.error.code === 'bot_misconfigured' ? 'unexpected' : read.error.code,
        };
    await this.options.audit.after({
      tenantId: acting.person.tenantId,
      action: 'methods.read',
      outcome: read.ok ? 'ok' : 'failed',
      actor: auditActor(acting.person),
      target: auditTarget(target),
      requestId,
      ...(read.ok ? { detail: `${snapshot.items.length} methods` } : { code: read.error.code, graphRequestId: read.error.graphRequestId }),
    });
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const stored = await this.options.store.get<RevocationRequest>(NAMESPACE.requests, requestId);
      if (!stored) return { kind: 'refused', problem: 'not_found' };
      const attached = attachMethods(stored.value, acting.person, snapshot, this.options.clock.now());
      if (!attached.ok) return { kind: 'refused', problem: attached.error, request: expireIfDue(stored.value, this.options.clock.now()) };
      const saved = await this.options.store.replace(NAMESPACE.requests, requestId, attached.value, stored.etag, {
        expiresAt: retainRequestsUntil(this.options.clock.now(), this.options),
      });
      if (saved.ok) return { kind: 'read', request: attached.value };
    }
    return { kind: 'refused', problem: 'in_progress' };
  }
}
