/**
 * POST /api/alerts as a use case, in two steps the HTTP edge calls in order:
 *
 * 1. `admit(authorization)`: the bearer token is checked (src/identity/alertCallerValidator.ts)
 *    and the calling app and its tenant take one alert from their rate limits — before a byte of
 *    the body is read. A refusal is recorded (coalesced per refusal window, so a flood costs two
 *    records) and answered 401 or 429.
 * 2. `receive(caller, body)`: the payload is parsed (400 with a one-line reason), and the alert
 *    goes to the security channel exactly once per (tenant, source, externalId): a key derived from
 *    them is created by compare-and-set and points at the alert, so a retry — or two deliveries at
 *    once — finds the same alert and posts nothing. The card is posted through the one approval
 *    workflow with the alert's source as a system requester; a card that could not be posted
 *    leaves the alert pending, and the source's retry posts it.
 *
 * Every alert received is audited: accepted (`alert.received` ok), a repeat (info) or refused.
 */
import { createHash, randomUUID } from 'node:crypto';
import { newAlertCase, parseAlertPayload, riskyInboxAlert, type AlertCase, type AlertPayload } from '../../domain/alert';
import type { PersonRef } from '../../domain/people';
import type { CardLocation } from '../../domain/approval';
import type { Clock } from '../../domain/clock';
import type { AlertCaller, CallerProblem } from '../../identity/alertCallerValidator';
import { describeWait, type RateLimiter } from '../rateLimiter';
import { auditActor } from '../acting';
import type { ApprovalRoute, ApprovalRouteProblem, ApprovalWorkflow } from '../approval/approvalWorkflow';
import type { AuditTrail } from '../auditTrail';
import type { AuditActor } from '../ports/auditLog';
import { NAMESPACE } from '../ports/namespaces';
import { SecretLikeValueError, type StateStore } from '../ports/stateStore';
import { ALERT_RETENTION_IN_MS, type AlertActing } from './alertApprovals';

/** Where alert cards go: the security channel (src/bot/alerts/alertChannel.ts). */
export interface AlertChannel {
  route(): Promise<ApprovalRoute>;
  post(
    alert: AlertCase,
  ): Promise<{ readonly ok: true; readonly card: CardLocation } | { readonly ok: false; readonly problem: ApprovalRouteProblem }>;
}

/** Checks a caller's token (AlertCallerValidator). */
export interface AlertCallerCheck {
  verify(
    token: string,
  ): Promise<{ readonly ok: true; readonly caller: AlertCaller } | { readonly ok: false; readonly problem: CallerProblem }>;
  claimedTenant(token: string): string | undefined;
}

/** An HTTP answer: status and a small JSON body. */
export interface AlertAnswer {
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>>;
  readonly headers?: Readonly<Record<string, string>>;
}

export type Admission = { readonly ok: true; readonly caller: AlertCaller } | { readonly ok: false; readonly answer: AlertAnswer };

export interface AlertIntakeOptions {
  readonly store: StateStore;
  readonly audit: AuditTrail;
  readonly clock: Clock;
  readonly workflow: ApprovalWorkflow<AlertCase, AlertActing, never>;
  readonly channel: AlertChannel;
  readonly callers: AlertCallerCheck;
  readonly limiter: RateLimiter;
  /** Most users one alert may name (ALERT_MAX_USERS). */
  readonly maxUsers: number;
  /** How long approvers have (APPROVAL_TTL_HOURS). */
  readonly approvalTtlInMs: number;
  /** Where a refusal from a token naming no tenant of ours is recorded. */
  readonly homeTenantId: string;
}

/** Where an alert came from: its tenant, the calling app, who the audit names, and the person who asked (the `risky` inbox). */
interface AlertOrigin {
  readonly tenantId: string;
  readonly callerAppId: string;
  readonly actor: AuditActor;
  readonly requester?: PersonRef;
}

/** Who refused tokens are recorded against: no caller was verified. */
const UNVERIFIED_CALLER = { aadObjectId: 'alerts-endpoint', name: 'Unauthenticated alert caller' } as const;

export class AlertIntake {
  constructor(private readonly options: AlertIntakeOptions) {}

  /** Step 1: the token and the rate limits, before the body is read. */
  async admit(authorization: string): Promise<Admission> {
    const token = /^Bearer (\S+)$/i.exec(authorization)?.[1];
    if (!token) return { ok: false, answer: unauthorized() };
    const verified = await this.options.callers.verify(token);
    if (!verified.ok) {
      void this.options.audit.after({
        tenantId: this.options.callers.claimedTenant(token) ?? this.options.homeTenantId,
        action: 'alert.refused',
        outcome: 'refused',
        actor: UNVERIFIED_CALLER,
        code: `token_${verified.problem}`,
      });
      if (verified.problem === 'keys_unavailable')
        return { ok: false, answer: { status: 503, body: { error: 'The tenant’s signing keys could not be read; try again.' } } };
      return { ok: false, answer: unauthorized() };
    }
    const caller = verified.caller;
    const limit = this.options.limiter.take('alert', { tenantId: caller.tenantId, aadObjectId: caller.appId });
    if (!limit.allowed) {
      if (limit.firstRefusal)
        void this.options.audit.after({
          tenantId: caller.tenantId,
          action: 'alert.refused',
          outcome: 'refused',
          actor: callerActor(caller),
          code: `rate_limited_${limit.scope}`,
        });
      const seconds = Math.max(1, Math.ceil(limit.retryAfterInMs / 1000));
      return {
        ok: false,
        answer: {
          status: 429,
          headers: { 'retry-after': String(seconds) },
          body: {
            error: `Too many alerts from ${limit.scope === 'tenant' ? 'this tenant' : 'this caller'}; try again ${describeWait(limit.retryAfterInMs)}.`,
          },
        },
      };
    }
    return { ok: true, caller };
  }

  /** Step 2: the payload, exactly once, to the security channel. */
  async receive(caller: AlertCaller, body: Record<string, unknown>): Promise<AlertAnswer> {
    const parsed = parseAlertPayload(body, this.options.maxUsers);
    if (!parsed.ok) {
      await this.options.audit.after({
        tenantId: caller.tenantId,
        action: 'alert.refused',
        outcome: 'refused',
        actor: callerActor(caller),
        code: 'bad_payload',
        detail: parsed.error,
      });
      return { status: 400, body: { error: parsed.error } };
    }
    return this.raise({ tenantId: caller.tenantId, callerAppId: caller.appId, actor: callerActor(caller) }, parsed.value);
  }

  /**
   * A user from the `risky` inbox, sent to the security channel by `person`: an alert whose
   * requester is that person (so they may not act on it themself), exactly once per risk change.
   */
  async raiseFromInbox(person: PersonRef, user: Parameters<typeof riskyInboxAlert>[0]): Promise<AlertAnswer> {
    return this.raise(
      { tenantId: person.tenantId, callerAppId: 'risky-inbox', actor: auditActor(person), requester: person },
      riskyInboxAlert(user),
    );
  }

  /** The payload, exactly once, to the security channel. */
  private async raise(origin: AlertOrigin, payload: AlertPayload): Promise<AlertAnswer> {
    const key = exactlyOnceKey(origin.tenantId, payload.source, payload.externalId);
    const now = this.options.clock.now();
    const retention = { expiresAt: new Date(now.getTime() + ALERT_RETENTION_IN_MS) };
    const fresh = newAlertCase({
      id: randomUUID(),
      tenantId: origin.tenantId,
      callerAppId: origin.callerAppId,
      payload,
      now,
      ttlInMs: this.options.approvalTtlInMs,
      ...(origin.requester ? { requester: origin.requester } : {}),
    });
    const claimed = await this.options.store.create(NAMESPACE.alertsByExternalId, key, { alertId: fresh.id }, retention);
    const alertId = claimed.ok ? fresh.id : claimed.current.value.alertId;
    // A crash between the key and the alert leaves the key alone: the retry writes the alert under it.
    let created: Awaited<ReturnType<StateStore['create']>>;
    try {
      created = await this.options.store.create(NAMESPACE.alerts, alertId, { ...fresh, id: alertId }, retention);
    } catch (error) {
      // The store keeps no credential: an alert whose text carries one is refused, never half-stored.
      if (!(error instanceof SecretLikeValueError)) throw error;
      await this.options.audit.after({
        tenantId: origin.tenantId,
        action: 'alert.refused',
        outcome: 'refused',
        actor: origin.actor,
        code: `secret_like_${error.kind}`,
      });
      return {
        status: 400,
        body: { error: 'The alert carries text that looks like a credential (a token or secret); remove it and send again.' },
      };
    }
    const alert = created.ok ? { ...fresh, id: alertId } : ((await this.options.workflow.get(alertId)) ?? { ...fresh, id: alertId });
    if (!created.ok && alert.state !== 'pending') return this.repeat(origin, alert);
    const submitted = await this.options.workflow.submit(alert.requester, alertId, { route: await this.options.channel.route() });
    if (submitted.kind === 'refused' || submitted.kind === 'duplicate') {
      // Another delivery of the same alert is posting it right now.
      return this.repeat(origin, (await this.options.workflow.get(alertId)) ?? alert);
    }
    if (submitted.kind === 'unroutable') return this.unposted(origin, alert, submitted.problem, false);
    const posted = await this.options.channel.post(submitted.subject);
    if (!posted.ok) return this.unposted(origin, submitted.subject, posted.problem, true);
    await this.options.workflow.attachCard(alertId, posted.card);
    await this.options.audit.after({
      tenantId: origin.tenantId,
      action: 'alert.received',
      outcome: 'ok',
      actor: origin.actor,
      requestId: alertId,
      detail: `${payload.source} ${payload.externalId}: posted to the security channel.`,
    });
    return { status: 201, body: { id: alertId, cardId: posted.card.activityId, duplicate: false } };
  }

  private async repeat(origin: AlertOrigin, alert: AlertCase): Promise<AlertAnswer> {
    await this.options.audit.after({
      tenantId: origin.tenantId,
      action: 'alert.received',
      outcome: 'info',
      actor: origin.actor,
      requestId: alert.id,
      code: 'duplicate',
      detail: `${alert.alert.source} ${alert.alert.externalId}: already received; nothing posted.`,
    });
    const cardId = alert.approval?.card?.activityId;
    return { status: 200, body: { id: alert.id, ...(cardId ? { cardId } : {}), duplicate: true } };
  }

  private async unposted(origin: AlertOrigin, alert: AlertCase, problem: ApprovalRouteProblem, submitted: boolean): Promise<AlertAnswer> {
    if (submitted) await this.options.workflow.unroute(alert.requester, alert.id, problem);
    await this.options.audit.after({
      tenantId: origin.tenantId,
      action: 'alert.refused',
      outcome: 'failed',
      actor: origin.actor,
      requestId: alert.id,
      code: problem,
    });
    return {
      status: 503,
      headers: { 'retry-after': '60' },
      body: { id: alert.id, error: 'The security channel could not take the alert yet; send it again.' },
    };
  }
}

/** One key per (tenant, source, external id), whatever characters the id holds. */
export function exactlyOnceKey(tenantId: string, source: string, externalId: string): string {
  return createHash('sha256')
    .update(JSON.stringify([tenantId.toLowerCase(), source, externalId]))
    .digest('hex');
}

function callerActor(caller: AlertCaller): AuditActor {
  return { aadObjectId: caller.servicePrincipalId ?? caller.appId, name: `Alert caller ${caller.appId}` };
}

function unauthorized(): AlertAnswer {
  return { status: 401, headers: { 'www-authenticate': 'Bearer' }, body: { error: 'Unauthorized.' } };
}
