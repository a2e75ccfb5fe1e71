/**
 * "Show details" on an alert card. The bot holds no application permissions, so nothing about the
 * alert's users is known until a person signs in: the first person in the security channel who
 * clicks loads each user's lookup with their own delegated token — account, roles and tier, when
 * their sessions were last revoked, and Identity Protection's risk where the tenant has it — and
 * it is stored on the alert (compare-and-set: the first load wins, later clicks show it) and audited.
 * Reading decides nothing: the actions stay each clicker's own.
 */
import { alertUserText, type AlertCase, type AlertDetails, type AlertUserDetails } from '../../domain/alert';
import { sameChannel } from '../../domain/approval';
import type { Clock, Deadline } from '../../domain/clock';
import { sameId } from '../../domain/people';
import type { DecisionProblem } from '../../domain/problems';
import { classifyTarget } from '../../domain/roles';
import { auditActor, type Acting } from '../acting';
import type { AuditTrail } from '../auditTrail';
import { NAMESPACE } from '../ports/namespaces';
import type { StateStore } from '../ports/stateStore';
import { ALERT_RETENTION_IN_MS } from './alertApprovals';
import { failureCode } from '../revocation/containment';

export type DetailsOutcome =
  | { readonly kind: 'shown'; readonly alert: AlertCase }
  | { readonly kind: 'refused'; readonly problem: DecisionProblem; readonly alert?: AlertCase };

export interface AlertDetailsOptions {
  readonly store: StateStore;
  readonly audit: AuditTrail;
  readonly clock: Clock;
}

export class AlertDetailsService {
  constructor(private readonly options: AlertDetailsOptions) {}

  /** Whether this click may load details: the alert's tenant, from its channel. Nothing is recorded. */
  async check(alertId: string, clicker: { tenantId: string }, conversationId: string): Promise<DetailsOutcome> {
    const stored = await this.options.store.get<AlertCase>(NAMESPACE.alerts, alertId);
    if (!stored) return { kind: 'refused', problem: 'not_found' };
    const alert = stored.value;
    if (!sameId(alert.tenantId, clicker.tenantId)) return { kind: 'refused', problem: 'wrong_tenant' };
    if (alert.approval && !sameChannel(alert.approval.channelId, conversationId))
      return { kind: 'refused', problem: 'outside_approval_channel', alert };
    return { kind: 'shown', alert };
  }

  /** Loads the details with `acting`'s token unless someone already did; the alert as it now stands. */
  async show(acting: Acting, alertId: string, conversationId: string, deadline?: Deadline): Promise<DetailsOutcome> {
    const checked = await this.check(alertId, acting.person, conversationId);
    if (checked.kind === 'refused' || checked.alert.details) return checked;
    const users: AlertUserDetails[] = [];
    for (const user of checked.alert.alert.users) users.push(await this.lookup(acting, user, deadline));
    const details: AlertDetails = { by: { ...acting.person }, at: this.options.clock.now().toISOString(), users };
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const stored = await this.options.store.get<AlertCase>(NAMESPACE.alerts, alertId);
      if (!stored) return { kind: 'refused', problem: 'not_found' };
      if (stored.value.details) return { kind: 'shown', alert: stored.value };
      const next: AlertCase = { ...stored.value, details };
      const saved = await this.options.store.replace(NAMESPACE.alerts, alertId, next, stored.etag, {
        expiresAt: new Date(this.options.clock.now().getTime() + ALERT_RETENTION_IN_MS),
      });
      if (saved.ok) {
        for (const user of users)
          await this.options.audit.after({
            tenantId: acting.person.tenantId,
            action: user.problem ? 'lookup.failed' : 'lookup.completed',
            outcome: user.problem ? 'failed' : 'ok',
            actor: auditActor(acting.person),
            ...(user.id ? { target: { id: user.id, userPrincipalName: user.userPrincipalName, displayName: user.displayName } } : {}),
            requestId: alertId,
            ...(user.problem ? { code: user.problem } : {}),
            detail: 'Alert details.',
          });
        return { kind: 'shown', alert: next };
      }
    }
    return { kind: 'refused', problem: 'in_progress' };
  }

  private async lookup(acting: Acting, user: AlertCase['alert']['users'][number], deadline?: Deadline): Promise<AlertUserDetails> {
    const ref = alertUserText(user);
    const call = { deadline };
    const found = await acting.directory.getUser(user, call);
    if (!found.ok) return { ref, problem: failureCode(found.error.code) };
    const target = found.value;
    const key = { kind: 'objectId', id: target.id } as const;
    const [memberships, risk] = await Promise.all([
      acting.directory.getMemberships(key, call),
      acting.evidence?.riskOf(target.id, call) ?? Promise.resolve(undefined),
    ]);
    const roles = memberships.ok ? memberships.value.roles : undefined;
    return {
      ref,
      id: target.id,
      displayName: target.displayName,
      userPrincipalName: target.userPrincipalName,
      accountEnabled: target.accountEnabled,
      ...(roles && memberships.ok
        ? { roles: roles.map((r) => r.displayName), tier: classifyTarget(roles, memberships.value.inRoleAssignableGroup) }
        : {}),
      ...(target.signInSessionsValidFrom ? { signInSessionsValidFrom: target.signInSessionsValidFrom } : {}),
      ...(risk?.ok && risk.value ? { risk: { level: risk.value.level, state: risk.value.state } } : {}),
      ...(risk && !risk.ok ? { riskProblem: failureCode(risk.error.code) } : {}),
    };
  }
}
