/**
 * An alert from a security tool (Microsoft Sentinel, Defender XDR, Identity Protection or a
 * custom rule) about one or more users, as a subject of the one four-eyes workflow
 * (src/domain/approval.ts). Its requester is the alert's source, a system requester, so nobody
 * in the security channel is excluded: any approver may act on it, once. A user sent from the
 * `risky` inbox is an alert too, whose requester is the person who sent it (excluded, as always).
 *
 * ```
 *  pending ──submit──▶ awaitingApproval ──approve (an action)──▶ executing ──▶ done
 *                        │   ▲                                       │
 *                        │   └──── every step failed in a way another approver may overcome
 *                        ├ reject ("not our case", with a note) → rejected
 *                        └ at or after expiresAt → expired
 * ```
 *
 * The payload parser is here too, pure and bounded: what `POST /api/alerts` accepts, with a
 * one-line reason for what it does not. Payload format: docs/alerts.md.
 */
import { returnToApprovers, type Approval, type ApprovableKind } from './approval';
import type { PersonRef, Requester } from './people';
import type { DecisionProblem, RevocationFailureCode } from './problems';
import { err, ok, type Result } from './result';
import { isRecord } from './json';
import { isObjectId, isValidUserPrincipalName } from './targetReference';
import type { TargetTier } from './roles';

export const ALERT_SOURCES = ['sentinel', 'defender', 'identityProtection', 'custom'] as const;
export type AlertSource = (typeof ALERT_SOURCES)[number];

export const ALERT_SEVERITIES = ['informational', 'low', 'medium', 'high'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** A user an alert names: by Entra object id, or by user principal name (resolved with the approver's token). */
export type AlertUser = { readonly kind: 'objectId'; readonly id: string } | { readonly kind: 'userPrincipalName'; readonly upn: string };

/** What an alert says, once parsed. */
export interface AlertPayload {
  readonly source: AlertSource;
  /** The incident's or alert's id in the source: one card per (tenant, source, externalId). */
  readonly externalId: string;
  readonly title: string;
  readonly severity: AlertSeverity;
  readonly users: readonly AlertUser[];
  /** An https link to the incident. */
  readonly link?: string;
  readonly details?: string;
}

/** What an approver may do about an alert ("not our case" is a rejection with a note). */
export type AlertAction = 'revoke' | 'revokeAndContain' | 'confirmCompromised' | 'dismissRisk';
export const ALERT_ACTIONS: readonly AlertAction[] = ['revoke', 'revokeAndContain', 'confirmCompromised', 'dismissRisk'];

/** One step the action took for one user. */
export interface AlertStepResult {
  /** How the card names the user (a display name once resolved, else what the alert said). */
  readonly user: string;
  readonly userId?: string;
  readonly step: 'lookup' | 'revoke' | 'disableAccount' | 'resetPassword' | 'disableDevices' | 'confirmCompromised' | 'dismissRisk';
  readonly ok: boolean;
  readonly code?: RevocationFailureCode;
  readonly graphRequestId?: string;
  readonly detail?: string;
}

/** One user as the first person who clicked "Show details" read them, with their own token. */
export interface AlertUserDetails {
  /** What the alert said (object id or UPN). */
  readonly ref: string;
  readonly id?: string;
  readonly displayName?: string;
  readonly userPrincipalName?: string;
  readonly accountEnabled?: boolean;
  readonly tier?: TargetTier;
  /** Display names of their active directory roles. */
  readonly roles?: readonly string[];
  /** When their sessions were last revoked (Graph's signInSessionsValidFrom). */
  readonly signInSessionsValidFrom?: string;
  /** Identity Protection's view, when it has one. */
  readonly risk?: { readonly level: string; readonly state: string };
  /** Why the risk is not shown (e.g. not_licensed: no Entra ID P2). */
  readonly riskProblem?: RevocationFailureCode;
  /** Why the user could not be read at all. */
  readonly problem?: RevocationFailureCode;
}

/** What "Show details" loaded, once, with the first clicker's token. */
export interface AlertDetails {
  readonly by: PersonRef;
  readonly at: string;
  readonly users: readonly AlertUserDetails[];
}

export type AlertState = 'pending' | 'awaitingApproval' | 'executing' | 'done' | 'rejected' | 'cancelled' | 'expired';

export interface AlertCase {
  readonly id: string;
  readonly tenantId: string;
  /** The alert's source (a system requester), or the person who sent a user from the `risky` inbox. */
  readonly requester: Requester;
  state: AlertState;
  readonly createdAt: string;
  expiresAt: string;
  readonly alert: AlertPayload & { readonly receivedAt: string; readonly callerAppId: string };
  approval?: Approval;
  decidedBy?: PersonRef;
  decidedAt?: string;
  /** The users' lookup, loaded by the first person who clicked "Show details". */
  details?: AlertDetails;
  /** The action the winning approver chose, and what each step did. */
  action?: AlertAction;
  results?: AlertStepResult[];
  completedAt?: string;
}

/** Longest title, external id and details kept (longer is refused, not cut: the source should know). */
export const ALERT_LIMITS = { title: 200, externalId: 200, details: 2000, link: 2000 } as const;

/** The rules the approval workflow applies to alerts. */
export const ALERT_APPROVALS: ApprovableKind<AlertCase> = {
  isExecuting: (alert) => alert.state === 'executing',
  begin(alert, approver, now): Result<AlertCase, DecisionProblem> {
    if (alert.state !== 'awaitingApproval') return err('already_decided');
    return ok({ ...alert, state: 'executing', decidedBy: { ...approver }, decidedAt: now.toISOString() });
  },
};

/** A new alert, before it goes to the security channel. */
export function newAlertCase(input: {
  id: string;
  tenantId: string;
  callerAppId: string;
  payload: AlertPayload;
  now: Date;
  ttlInMs: number;
  /** A person who asked (the `risky` inbox); the source as a system requester otherwise. */
  requester?: PersonRef;
}): AlertCase {
  return {
    id: input.id,
    tenantId: input.tenantId,
    requester: input.requester ?? alertRequester(input.payload.source, input.tenantId, input.callerAppId),
    state: 'pending',
    createdAt: input.now.toISOString(),
    expiresAt: new Date(input.now.getTime() + input.ttlInMs).toISOString(),
    alert: { ...input.payload, receivedAt: input.now.toISOString(), callerAppId: input.callerAppId },
  };
}

const SOURCE_NAMES: Readonly<Record<AlertSource, string>> = {
  sentinel: 'Microsoft Sentinel',
  defender: 'Microsoft Defender XDR',
  identityProtection: 'Microsoft Entra ID Protection',
  custom: 'Custom alert rule',
};

/** How cards name a source. */
export function sourceName(source: AlertSource): string {
  return SOURCE_NAMES[source];
}

/** The system requester an alert from this calling app stands for. */
export function alertRequester(source: AlertSource, tenantId: string, callerAppId: string): Requester {
  return { kind: 'system', tenantId, source: `alert:${callerAppId.toLowerCase()}`, name: `${sourceName(source)} (alert)` };
}

/** The alert as it stands at `now`: one still waiting at or after its expiry is expired. */
export function expireAlertIfDue(alert: AlertCase, now: Date): AlertCase {
  if ((alert.state === 'pending' || alert.state === 'awaitingApproval') && !(now.getTime() < Date.parse(alert.expiresAt)))
    return { ...alert, state: 'expired' };
  return alert;
}

/** Failures another approver (other roles, later) may overcome: the alert then waits again. */
const ANOTHER_APPROVER_MAY: readonly RevocationFailureCode[] = [
  'forbidden',
  'throttled',
  'graph_unavailable',
  'timeout',
  'consent_required',
  'interaction_required',
  'sign_in_expired',
];

/** The action ran: done, or back to the approvers when every step failed in a way another approver may overcome. */
export function completeAlert(alert: AlertCase, action: AlertAction, results: AlertStepResult[], now: Date): AlertCase {
  const withResults: AlertCase = { ...alert, action, results, completedAt: now.toISOString() };
  const first = results[0];
  if (first && results.every((r) => !r.ok && r.code !== undefined && ANOTHER_APPROVER_MAY.includes(r.code)))
    return returnToApprovers({ ...withResults, state: 'awaitingApproval' }, { code: first.code ?? 'unexpected' }, now);
  return { ...withResults, state: 'done' };
}

/** The payload's one-line problem, or the parsed alert. */
export function parseAlertPayload(body: Record<string, unknown>, maxUsers: number): Result<AlertPayload, string> {
  const source = ALERT_SOURCES.find((s) => typeof body.source === 'string' && s.toLowerCase() === body.source.trim().toLowerCase());
  if (!source) return err(`"source" must be one of ${ALERT_SOURCES.join(', ')}.`);
  const externalId = boundedText(body.externalId, ALERT_LIMITS.externalId);
  if (!externalId) return err(`"externalId" must be a non-empty string of at most ${ALERT_LIMITS.externalId} characters.`);
  const title = boundedText(body.title, ALERT_LIMITS.title);
  if (!title) return err(`"title" must be a non-empty string of at most ${ALERT_LIMITS.title} characters.`);
  const severity = ALERT_SEVERITIES.find((s) => typeof body.severity === 'string' && s === body.severity.trim().toLowerCase());
  if (!severity) return err(`"severity" must be one of ${ALERT_SEVERITIES.join(', ')}.`);
  let link: string | undefined;
  if (body.link !== undefined && body.link !== null) {
    link = typeof body.link === 'string' && body.link.length <= ALERT_LIMITS.link ? httpsLink(body.link) : undefined;
    if (!link) return err('"link" must be an https URL.');
  }
  let details: string | undefined;
  if (body.details !== undefined && body.details !== null) {
    details = boundedText(body.details, ALERT_LIMITS.details);
    if (details === undefined) return err(`"details" must be a string of at most ${ALERT_LIMITS.details} characters.`);
  }
  const entries: unknown[] = [];
  for (const field of ['users', 'accounts', 'Accounts'] as const) {
    const list = body[field];
    if (list === undefined) continue;
    if (!Array.isArray(list)) return err(`"${field}" must be a list.`);
    // Bounded before anything is looked at: a list longer than the limit is refused whole.
    if (list.length > maxUsers) return err(`Too many users: at most ${maxUsers} per alert.`);
    entries.push(...(list as unknown[]));
  }
  if (entries.length === 0) return err('The alert names no user: give "users" (object ids or UPNs) or Sentinel\'s "accounts".');
  const users: AlertUser[] = [];
  const seen = new Set<string>();
  for (const [index, entry] of entries.entries()) {
    const user = alertUserOf(entry);
    if (!user)
      return err(`User ${index + 1} is neither an Entra object id nor a user principal name (Sentinel: AadUserId, or Name and UPNSuffix).`);
    const key = user.kind === 'objectId' ? user.id : user.upn;
    if (seen.has(key)) continue;
    seen.add(key);
    users.push(user);
  }
  if (users.length > maxUsers) return err(`Too many users: at most ${maxUsers} per alert.`);
  return ok({ source, externalId, title, severity, users, ...(link ? { link } : {}), ...(details ? { details } : {}) });
}

/**
 * One user: an object id or a UPN as a string, `{ objectId }` / `{ userPrincipalName }`, Sentinel's
 * account entity (AadUserId first, then Name + UPNSuffix; the raw entity's camelCase too) or
 * Defender's userAccount (azureAdUserId, userPrincipalName). Weak identifiers (a name alone) are refused.
 */
export function alertUserOf(entry: unknown): AlertUser | undefined {
  if (typeof entry === 'string') return byText(entry);
  if (!isRecord(entry)) return undefined;
  const field = (...names: string[]): string | undefined => {
    for (const name of names) {
      const value = entry[name];
      if (typeof value === 'string' && value.trim() !== '') return value.trim();
    }
    return undefined;
  };
  const id = field('objectId', 'AadUserId', 'aadUserId', 'azureAdUserId');
  if (id) return isObjectId(id) ? { kind: 'objectId', id: id.toLowerCase() } : undefined;
  const upn = field('userPrincipalName', 'UserPrincipalName');
  if (upn) return upnUser(upn);
  const name = field('Name', 'accountName');
  const suffix = field('UPNSuffix', 'upnSuffix');
  return name && suffix ? upnUser(`${name}@${suffix}`) : undefined;
}

function byText(text: string): AlertUser | undefined {
  const value = text.trim();
  return isObjectId(value) ? { kind: 'objectId', id: value.toLowerCase() } : upnUser(value);
}

function upnUser(value: string): AlertUser | undefined {
  // Entra's own UPN rules (guests' #EXT# included), the same as the revoke command's.
  return isValidUserPrincipalName(value) ? { kind: 'userPrincipalName', upn: value.toLowerCase() } : undefined;
}

function boundedText(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.replace(/\p{Cc}+/gu, ' ').trim();
  return text.length > 0 && text.length <= max ? text : undefined;
}

function httpsLink(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}

/** Identity Protection's risk of one user as the `risky` inbox read it: the alert sending them to the security channel. */
export function riskyInboxAlert(user: {
  id: string;
  displayName: string;
  riskLevel: string;
  riskLastUpdatedDateTime?: string;
}): AlertPayload {
  const severity = ALERT_SEVERITIES.find((s) => s === user.riskLevel) ?? 'informational';
  return {
    source: 'identityProtection',
    // One alert per user and risk change, however often it is sent.
    externalId: `risky:${user.id}:${user.riskLastUpdatedDateTime ?? 'unknown'}`,
    title: `${(user.displayName || user.id).slice(0, 150)} is at ${user.riskLevel} risk`,
    severity,
    users: [{ kind: 'objectId', id: user.id.toLowerCase() }],
  };
}

/** How a card names an alert's user before anyone looked them up. */
export function alertUserText(user: AlertUser): string {
  return user.kind === 'objectId' ? user.id : user.upn;
}
